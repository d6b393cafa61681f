//! The generated files judged by the real tools: Elixir parses them and its formatter leaves them
//! unchanged, EEx renders rel/env.sh.eex, `sh -n` and shellcheck accept it and `sh` sourcing it exports
//! the five values, and Python's tomllib parses fly.toml. Under CI=true a missing tool fails the test.

mod common;
use common::{TestProject, assert_elixir_ok, elixir_files, require_tool, support};
use std::path::Path;
use std::process::Command;

const FIXTURES: &[&str] = &[
    "phx15",
    "phx16",
    "phx17",
    "phx18_dnscluster",
    "configured",
    "fly_launch_configured",
    "examples/hello_elixir",
];

#[test]
fn generated_elixir_parses_and_is_formatted() {
    if !require_tool("elixir") {
        return;
    }
    for fixture in FIXTURES {
        let project = TestProject::from_fixture(fixture);
        let run = project.init(&["--yes", "--app", "hello-app"]);
        assert!(
            run.code == 0 || run.code == 3,
            "{fixture}: {}",
            run.transcript()
        );
        let files = elixir_files(project.path());
        assert!(!files.is_empty());
        assert_elixir_ok(project.path(), &files, fixture);
    }
}

/// The Elixir files of the projects under `root` (not its own .formatter.exs).
fn project_files(root: &TestProject) -> Vec<String> {
    elixir_files(root.path())
        .into_iter()
        .filter(|f| f.contains('/'))
        .collect()
}

/// Format every project file under `root` with its line length, so the inputs start formatted.
fn format_projects(root: &TestProject) {
    let status = Command::new("elixir")
        .arg(support("format_files.exs"))
        .arg(root.path())
        .args(project_files(root))
        .status()
        .unwrap();
    assert!(status.success());
}

/// Long app names and short line lengths make the formatter break the inserted code; ours must
/// break it exactly the same way. Sweeps app-name lengths across every layout boundary, for both
/// strategies, with the child in the middle of the list (trailing comma) and at its end, in lists
/// written one element a line and on one line (which the child may make too long, so the list is
/// broken up), and judges all results with one run of the real formatter per line length.
#[test]
fn long_lines_are_broken_as_the_formatter_breaks_them() {
    if !require_tool("elixir") {
        return;
    }
    let sweeps: &[(usize, &[usize])] = &[
        (
            98,
            &[
                3, 10, 16, 17, 18, 19, 29, 30, 31, 32, 33, 35, 36, 37, 38, 45, 60, 75, 90,
            ],
        ),
        (80, &[5, 12, 20, 30, 40, 55]),
        (60, &[3, 8, 15, 25, 40]),
        (70, &[3, 10, 20, 30, 45]),
        (120, &[20, 45, 60, 100]),
    ];
    // One-line lists after the edit: broken up (true) or still on one line (false).
    let mut layouts = std::collections::BTreeMap::new();
    for (line_length, name_lengths) in sweeps {
        let root = TestProject::empty();
        let formatter = format!(
            "[\n  inputs: [\"{{mix,.formatter}}.exs\", \"{{config,lib}}/**/*.{{ex,exs}}\"],\n  line_length: {line_length}\n]\n"
        );
        root.write(".formatter.exs", &formatter);
        let mut projects = Vec::new();
        for &name_len in *name_lengths {
            for strategy in ["dns-cluster", "libcluster"] {
                for (with_endpoint, one_line) in
                    [(true, false), (false, false), (true, true), (false, true)]
                {
                    let dir = format!("{strategy}_{name_len}_{with_endpoint}_{one_line}");
                    let app = format!("a{}", "b".repeat(name_len - 1));
                    let module: String = "A".to_string() + &"b".repeat(name_len - 1);
                    let endpoint = if with_endpoint {
                        format!(",\n      {module}Web.Endpoint")
                    } else {
                        String::new()
                    };
                    // A one-line list holds at most the Endpoint, so that the child fits on its
                    // line for the short names and breaks it for the long ones.
                    let (children, deps) = if one_line {
                        let only = if with_endpoint {
                            format!("{module}Web.Endpoint")
                        } else {
                            String::new()
                        };
                        (format!("[{only}]"), "    [{:phoenix, \"~> 1.7.0\"}]\n")
                    } else {
                        (
                            format!(
                                "[\n      {{Phoenix.PubSub, name: {module}.PubSub}}{endpoint}\n    ]"
                            ),
                            "    [\n      {:phoenix, \"~> 1.7.0\"}\n    ]\n",
                        )
                    };
                    root.write(&format!("{dir}/.formatter.exs"), &formatter)
                        .write(
                            &format!("{dir}/mix.exs"),
                            format!("defmodule {module}.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :{app}, version: \"0.1.0\", deps: deps()]\n  end\n\n  def application do\n    [mod: {{{module}.Application, []}}]\n  end\n\n  defp deps do\n{deps}  end\nend\n"),
                        )
                        .write(
                            &format!("{dir}/lib/{app}/application.ex"),
                            format!("defmodule {module}.Application do\n  use Application\n\n  def start(_type, _args) do\n    children = {children}\n\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n"),
                        )
                        .write(&format!("{dir}/config/runtime.exs"), "import Config\n\nif config_env() == :prod do\n  config :x, y: 1\nend\n");
                    projects.push((dir, app, strategy));
                }
            }
        }
        format_projects(&root);
        for (dir, app, strategy) in &projects {
            let run = common::run_bin(
                &[
                    "init",
                    "--yes",
                    "--app",
                    "x",
                    "--strategy",
                    strategy,
                    "--only",
                    "deps,application,runtime",
                ],
                Some(&root.path().join(dir)),
            );
            assert_eq!(run.code, 0, "{dir}: {}", run.transcript());
            let child = if *strategy == "libcluster" {
                "Cluster.Supervisor"
            } else {
                "DNSCluster"
            };
            let text = root.read(&format!("{dir}/lib/{app}/application.ex"));
            assert!(text.contains(child), "{dir}");
            if dir.ends_with("_true") {
                *layouts.entry(text.contains("children = [\n")).or_insert(0) += 1;
            }
        }
        assert_elixir_ok(
            root.path(),
            &project_files(&root),
            &format!("line_length {line_length}"),
        );
    }
    // The one-line lists cover both sides of the boundary: edited on their line, and broken.
    assert_eq!(layouts.len(), 2, "{layouts:?}");
}

/// The Repo's `maybe_ipv6` lines (`--database fly`), judged by the real formatter: the binding and
/// a new `config` call at every layout boundary, and the option added to the Repo's config in the
/// shapes `mix format` leaves it in (broken over lines with the options two spaces in or aligned
/// after `config `, or on one line, extended or broken), inside the prod block and at top level.
#[test]
fn the_repo_lines_are_laid_out_as_the_formatter_lays_them_out() {
    if !require_tool("elixir") {
        return;
    }
    let shapes: &[(&str, &str)] = &[
        (
            "broken",
            "if config_env() == :prod do\n  database_url = System.get_env(\"DATABASE_URL\")\n\n  config :APP, MOD.Repo, url: database_url, pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\"), queue_target: 5000, queue_interval: 1000, timeout: 15000\nend\n",
        ),
        (
            "one_line",
            "if config_env() == :prod do\n  config :APP, MOD.Repo, url: database_url\nend\n",
        ),
        (
            "none",
            "if config_env() == :prod do\n  config :x, y: 1\nend\n",
        ),
        (
            "top_level",
            "config :APP, MOD.Repo, url: database_url, pool_size: 10\n",
        ),
    ];
    for line_length in [98, 80, 70, 60] {
        let root = TestProject::empty();
        let formatter = format!(
            "[\n  inputs: [\"{{mix,.formatter}}.exs\", \"{{config,lib}}/**/*.{{ex,exs}}\"],\n  line_length: {line_length}\n]\n"
        );
        root.write(".formatter.exs", &formatter);
        let mut projects = Vec::new();
        for name_len in [3, 10, 20, 30, 45] {
            for (shape, runtime) in shapes {
                let dir = format!("{shape}_{name_len}");
                let app = format!("a{}", "b".repeat(name_len - 1));
                let module: String = "A".to_string() + &"b".repeat(name_len - 1);
                root.write(&format!("{dir}/.formatter.exs"), &formatter)
                    .write(
                        &format!("{dir}/mix.exs"),
                        format!("defmodule {module}.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :{app}, version: \"0.1.0\", deps: deps()]\n  end\n\n  defp deps do\n    [{{:ecto_sql, \"~> 3.10\"}}, {{:postgrex, \">= 0.0.0\"}}]\n  end\nend\n"),
                    )
                    .write(
                        &format!("{dir}/config/config.exs"),
                        format!("import Config\n\nconfig :{app}, ecto_repos: [{module}.Repo]\n"),
                    )
                    .write(
                        &format!("{dir}/config/runtime.exs"),
                        format!("import Config\n\n{}", runtime.replace("APP", &app).replace("MOD", &module)),
                    );
                projects.push(dir);
            }
        }
        format_projects(&root);
        for dir in &projects {
            let run = common::run_bin(
                &[
                    "init",
                    "--yes",
                    "--app",
                    "x",
                    "--database",
                    "fly",
                    "--only",
                    "runtime",
                ],
                Some(&root.path().join(dir)),
            );
            assert_eq!(run.code, 0, "{dir}: {}", run.transcript());
            let runtime = root.read(&format!("{dir}/config/runtime.exs"));
            assert!(
                runtime.contains("socket_options: maybe_ipv6"),
                "{dir}:\n{runtime}"
            );
        }
        assert_elixir_ok(
            root.path(),
            &project_files(&root),
            &format!("line_length {line_length}"),
        );
    }
}

/// rel/env.sh.eex rendered with EEx, as `mix release` renders it.
fn render_env_sh(project: &TestProject) -> std::path::PathBuf {
    let out = Command::new("elixir")
        .arg(support("render_env_sh.exs"))
        .arg(project.path().join("rel/env.sh.eex"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "EEx failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = project.path().join("env.sh.rendered");
    std::fs::write(&rendered, &out.stdout).unwrap();
    rendered
}

/// Source the rendered env.sh with `vars` set and return the five values, `|`-separated.
fn exports(rendered: &Path, vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(". \"$1\" && printf '%s|%s|%s|%s|%s' \"${ERL_AFLAGS-}\" \"${ECTO_IPV6-}\" \"${DNS_CLUSTER_QUERY-}\" \"${RELEASE_DISTRIBUTION-}\" \"${RELEASE_NODE-}\"")
        .arg("sh")
        .arg(rendered)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RELEASE_ROOT", "/app")
        .env("RELEASE_NAME", "hello_elixir")
        .env("RELEASE_COMMAND", "start");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "sourcing env.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn env_sh_renders_passes_shellcheck_and_exports_the_five_values() {
    if !(require_tool("elixir") && require_tool("shellcheck")) {
        return;
    }
    for fixture in [
        "phx16",
        "phx17",
        "phx18_dnscluster",
        "examples/hello_elixir",
        "configured",
        "fly_launch_configured",
    ] {
        let project = TestProject::from_fixture(fixture);
        let run = project.init(&["--yes", "--app", "hello-elixir"]);
        assert!(run.code == 0 || run.code == 3, "{}", run.transcript());
        let rendered = render_env_sh(&project);
        let sh_n = Command::new("sh")
            .arg("-n")
            .arg(&rendered)
            .output()
            .unwrap();
        assert!(
            sh_n.status.success(),
            "{fixture}: sh -n: {}",
            String::from_utf8_lossy(&sh_n.stderr)
        );
        let sc = Command::new("shellcheck")
            .args(["-s", "sh"])
            .arg(&rendered)
            .output()
            .unwrap();
        assert!(
            sc.status.success(),
            "{fixture}: shellcheck:\n{}",
            String::from_utf8_lossy(&sc.stdout)
        );

        let fly = |image: &str| {
            exports(
                &rendered,
                &[
                    ("FLY_APP_NAME", "hello-elixir"),
                    ("FLY_PRIVATE_IP", "fdaa:0:1da8:a7b:ac2:f901:4bf7:2"),
                    ("FLY_IMAGE_REF", image),
                ],
            )
        };
        assert_eq!(
            fly("registry.fly.io/hello-elixir:deployment-01H5ZQ"),
            "-proto_dist inet6_tcp|true|hello-elixir.internal|name|hello-elixir-01H5ZQ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
            "{fixture}"
        );
        assert_eq!(
            fly("registry.fly.io/hello-elixir:v42"),
            "-proto_dist inet6_tcp|true|hello-elixir.internal|name|hello-elixir-v42@fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
            "{fixture}: a custom image label"
        );
        // Off Fly nothing is set and the file still sources cleanly (the fly launch projects export
        // the guide's lines unguarded, as their authors wrote them: doctor warns about that).
        if !fixture.ends_with("configured") {
            assert_eq!(exports(&rendered, &[]), "||||", "{fixture}");
        }
    }
}

#[test]
fn fly_toml_parses_with_an_independent_toml_parser() {
    if !require_tool("python3") {
        return;
    }
    for fixture in FIXTURES {
        let project = TestProject::from_fixture(fixture);
        let run = project.init(&["--yes", "--app", "hello-app", "--cookie", "fly-toml"]);
        assert!(run.code == 0 || run.code == 3, "{}", run.transcript());
        let out = Command::new("python3")
            .args(["-c", "import sys, tomllib; d = tomllib.load(open(sys.argv[1], 'rb')); print(d['env']['DNS_CLUSTER_QUERY'])"])
            .arg(project.path().join("fly.toml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fixture}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let query = String::from_utf8(out.stdout).unwrap();
        assert!(query.trim().ends_with(".internal"), "{fixture}: {query}");
    }
}
