//! The rel/env.sh.eex that `flycluster init` writes, run by real shells the way the release script
//! runs it (sourced under `set -e`): on Fly over a matrix of image references and inherited
//! ERL_AFLAGS, under dash and `bash --posix`; off Fly, where it must change nothing; and checked
//! by `sh -n` and shellcheck. Each variant of the block (with and without ECTO_IPV6 and the image
//! suffix) is covered.

mod common;
use common::{TestProject, require_tool};
use flycluster::shell::{BlockOptions, render_block};
use std::path::Path;
use std::process::Command;

const APP: &str = "hello-elixir";
const IP: &str = "fdaa:0:1da8:a7b:ac2:f901:4bf7:2";

/// FLY_IMAGE_REF values and the node-name suffix each must give (`None`: no FLY_IMAGE_REF).
const IMAGE_REFS: [(Option<&str>, &str); 5] = [
    (
        Some("registry.fly.io/hello-elixir:deployment-01HABC"),
        "-01HABC",
    ),
    (Some("registry.fly.io/hello-elixir:v42"), "-v42"),
    (Some("registry.fly.io/hello-elixir:v1.2.3"), "-v1_2_3"),
    (
        Some("registry.fly.io/hello-elixir@sha256:9f86d081884c7d659a2feaa0c55ad015"),
        "-9f86d081884c7d659a2feaa0c55ad015",
    ),
    (None, ""),
];

/// Inherited ERL_AFLAGS (from the Dockerfile's ENV or fly.toml) and what erl must get on Fly.
const AFLAGS: [(Option<&str>, &str); 5] = [
    (None, "-proto_dist inet6_tcp"),
    (
        Some("-kernel shell_history enabled"),
        "-kernel shell_history enabled -proto_dist inet6_tcp",
    ),
    (Some("-proto_dist inet_tcp"), "-proto_dist inet6_tcp"),
    (Some("-proto_dist inet6_tcp"), "-proto_dist inet6_tcp"),
    (
        Some("-kernel shell_history enabled -proto_dist inet_tcp +S 2"),
        "-kernel shell_history enabled +S 2 -proto_dist inet6_tcp",
    ),
];

const SHELLS: [&[&str]; 2] = [&["dash"], &["bash", "--posix"]];

/// What the script exports, one `NAME=value` line each (`NAME` alone when unset).
const PRINT: &str = "for v in ERL_AFLAGS ECTO_IPV6 DNS_CLUSTER_QUERY RELEASE_DISTRIBUTION RELEASE_NODE image_suffix; do \
     eval \"if [ -n \\\"\\${$v+x}\\\" ]; then printf '%s=%s\\n' $v \\\"\\$$v\\\"; else printf '%s\\n' $v; fi\"; done";

/// Sources `script` as the release does (`set -e`, then `.`) in `shell` with only `vars` set.
fn source(shell: &[&str], script: &Path, vars: &[(&str, &str)]) -> Vec<String> {
    let mut cmd = Command::new(shell[0]);
    cmd.args(&shell[1..])
        .arg("-c")
        .arg(format!("set -e; . \"$1\"; {PRINT}"))
        .arg("sh")
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RELEASE_ROOT", "/app")
        .env("RELEASE_NAME", "hello_elixir");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{shell:?} failed to source {}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The env.sh.eex init creates in the example project with `opts`, rendered as `mix release` would
/// (its only EEx tag is in a comment).
fn rendered(project: &TestProject, opts: BlockOptions) -> std::path::PathBuf {
    let created = project.read("rel/env.sh.eex");
    let block = render_block(opts);
    let default = render_block(BlockOptions {
        ecto_ipv6: true,
        image_suffix: true,
    });
    assert!(
        created.ends_with(&default),
        "init did not write the block:\n{created}"
    );
    let text = created
        .replace(&default, &block)
        .replace("<%= @release.name %>", "hello_elixir");
    let path = project.path().join(format!(
        "env.sh.{}{}",
        opts.ecto_ipv6 as u8, opts.image_suffix as u8
    ));
    std::fs::write(&path, text).unwrap();
    path
}

fn example_with_new_env_sh() -> TestProject {
    let project = TestProject::from_fixture("examples/hello_elixir");
    std::fs::remove_file(project.path().join("rel/env.sh.eex")).unwrap();
    let run = project.init(&["--yes", "--only", "env-sh"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    project
}

const VARIANTS: [BlockOptions; 3] = [
    BlockOptions {
        ecto_ipv6: true,
        image_suffix: true,
    },
    BlockOptions {
        ecto_ipv6: false,
        image_suffix: true,
    },
    BlockOptions {
        ecto_ipv6: true,
        image_suffix: false,
    },
];

#[test]
fn on_fly_the_block_exports_what_the_guide_asks_over_the_whole_matrix() {
    if !require_tool("dash") || !require_tool("bash") {
        return;
    }
    let project = example_with_new_env_sh();
    let node_name = regex::Regex::new(r"^[A-Za-z0-9_-]+@[0-9a-f:]+$").unwrap();
    let mut runs = 0;
    for opts in VARIANTS {
        let script = rendered(&project, opts);
        for (image_ref, suffix) in IMAGE_REFS {
            for (inherited, erl_gets) in AFLAGS {
                for shell in SHELLS {
                    let mut vars = vec![("FLY_APP_NAME", APP), ("FLY_PRIVATE_IP", IP)];
                    vars.extend(image_ref.map(|r| ("FLY_IMAGE_REF", r)));
                    vars.extend(inherited.map(|a| ("ERL_AFLAGS", a)));
                    let got = source(shell, &script, &vars);
                    let node = if opts.image_suffix {
                        format!("{APP}{suffix}@{IP}")
                    } else {
                        format!("{APP}@{IP}")
                    };
                    let ecto = if opts.ecto_ipv6 {
                        "ECTO_IPV6=true".to_string()
                    } else {
                        "ECTO_IPV6".to_string()
                    };
                    assert_eq!(
                        got,
                        [
                            format!("ERL_AFLAGS={erl_gets}"),
                            ecto,
                            format!("DNS_CLUSTER_QUERY={APP}.internal"),
                            "RELEASE_DISTRIBUTION=name".into(),
                            format!("RELEASE_NODE={node}"),
                            "image_suffix".into(),
                        ],
                        "{shell:?} {opts:?} FLY_IMAGE_REF={image_ref:?} ERL_AFLAGS={inherited:?}"
                    );
                    assert!(node_name.is_match(&node), "{node}");
                    runs += 1;
                }
            }
        }
    }
    assert_eq!(runs, 3 * 5 * 5 * 2);
}

#[test]
fn off_fly_the_block_changes_nothing() {
    if !require_tool("dash") || !require_tool("bash") {
        return;
    }
    let project = example_with_new_env_sh();
    let script = rendered(&project, VARIANTS[0]);
    // Another platform's settings, and a FLY_APP_NAME that a file set for itself earlier.
    let cases: [&[(&str, &str)]; 3] = [
        &[],
        &[
            ("ERL_AFLAGS", "-proto_dist inet_tcp"),
            ("RELEASE_NODE", "web@10.0.0.7"),
        ],
        &[("FLY_APP_NAME", "myapp"), ("FLY_IMAGE_REF", "myapp:v1")],
    ];
    for vars in cases {
        for shell in SHELLS {
            let got = source(shell, &script, vars);
            let expected: Vec<String> = [
                "ERL_AFLAGS",
                "ECTO_IPV6",
                "DNS_CLUSTER_QUERY",
                "RELEASE_DISTRIBUTION",
                "RELEASE_NODE",
                "image_suffix",
            ]
            .iter()
            .map(|name| match vars.iter().find(|(k, _)| k == name) {
                Some((k, v)) => format!("{k}={v}"),
                None => name.to_string(),
            })
            .collect();
            assert_eq!(got, expected, "{shell:?} with {vars:?}");
        }
    }
}

#[test]
fn sh_n_and_shellcheck_accept_every_variant() {
    if !require_tool("shellcheck") || !require_tool("dash") {
        return;
    }
    let project = example_with_new_env_sh();
    for opts in VARIANTS {
        let script = rendered(&project, opts);
        let syntax = Command::new("dash")
            .arg("-n")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            syntax.status.success(),
            "sh -n: {}",
            String::from_utf8_lossy(&syntax.stderr)
        );
        let check = Command::new("shellcheck")
            .args(["--shell=sh", "--severity=style"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "shellcheck {opts:?}:\n{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

#[test]
fn the_block_as_users_see_it() {
    // The one snapshot of the block's text: every other snapshot shows `[flycluster block]`.
    common::insta_settings().bind(|| {
        insta::assert_snapshot!(
            "env_sh_block",
            render_block(BlockOptions {
                ecto_ipv6: true,
                image_suffix: true,
            })
        );
    });
}
