//! The same fact: for every kind of warning `flycluster init` can give about a fact doctor judges
//! (a warning whose id is one of doctor's finding ids, not one of init's own), a small project that
//! makes init give exactly that warning, and `flycluster doctor` on the same project, before init
//! and after `init --yes`, reporting it as one of its findings: the same id, in the same file, at
//! the same line when the warning names one, and not as ok. One test per kind (a kind is one
//! `Warning::new(FindingId::...)` in src/, and each way of reaching it that takes another path),
//! so a failure names it; and a guard that every such id in src/ has a case here.

mod common;
use common::{TestProject, run_bin};
use serde_json::Value;
use std::path::Path;

/// One kind of warning: the project that makes init give it, and how init and doctor are run.
struct Case {
    /// The fixture the project starts from (as [`TestProject::from_fixture`] takes it).
    fixture: &'static str,
    /// What the case changes in the fixture's files.
    setup: fn(&TestProject),
    /// `init`'s flags, for the dry run and the `--yes` run.
    init: &'static [&'static str],
    /// `doctor`'s flags: the ones of `init` that doctor takes too (`--app`, `--database`).
    doctor: &'static [&'static str],
    /// The file the warning is about.
    file: &'static str,
    /// Words of the warning's message, to tell it from another one with the same id.
    words: &'static str,
}

fn parse(case: &str, what: &str, run: &common::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{case}: {what} printed no JSON ({e}):\n{}",
            run.transcript()
        )
    })
}

/// A doctor finding, as a line.
fn finding_line(f: &Value) -> String {
    format!(
        "{} {} {}:{}: {}",
        f["id"], f["severity"], f["file"], f["line"], f["message"]
    )
}

/// The findings of a doctor document with `id`, or that are not ok, as lines.
fn findings_of_note(doctor: &Value, id: &str) -> String {
    doctor["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["id"] == id || f["severity"] != "ok")
        .map(finding_line)
        .collect::<Vec<_>>()
        .join("\n")
}

fn same_facts(name: &str, id: &str, case: Case) {
    let project = TestProject::from_fixture(case.fixture);
    (case.setup)(&project);
    let with = |first: &[&'static str], flags: &[&'static str]| -> Vec<&'static str> {
        let mut args = first.to_vec();
        args.extend_from_slice(flags);
        args
    };
    let init_args = with(&["init", "--dry-run", "--format", "json"], case.init);
    let doctor_args = with(&["doctor", "--format", "json"], case.doctor);

    let planned = run_bin(&init_args, Some(project.path()));
    assert!(
        planned.code == 0 || planned.code == 3,
        "{name}: `init --dry-run` exited {}:\n{}",
        planned.code,
        planned.transcript()
    );
    let plan = parse(name, "init --dry-run", &planned);
    let doctor_before = parse(
        name,
        "doctor before init",
        &run_bin(&doctor_args, Some(project.path())),
    );
    let warnings = plan["warnings"].as_array().expect("warnings is an array");
    let init_only: Vec<&str> = flycluster::facts::InitOnly::ALL
        .iter()
        .map(|id| id.name())
        .collect();
    let others: Vec<&Value> = warnings
        .iter()
        .filter(|w| w["id"] != id && !init_only.contains(&w["id"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        others.is_empty(),
        "{name}: the project makes init warn about other facts than `{id}` too, so a failure \
         would not be this case's alone:\n{others:#?}"
    );
    let warned = warnings.iter().find(|w| {
        w["id"] == id
            && w["file"] == case.file
            && w["message"]
                .as_str()
                .is_some_and(|m| m.contains(case.words))
    });
    assert!(
        warned.is_some(),
        "{name}: init gives no `{id}` warning about {} saying `{}`; its warnings:\n{:#}",
        case.file,
        case.words,
        plan["warnings"]
    );

    let applied = project.init(&with(&["--yes", "-q"], case.init));
    assert!(
        applied.code == 0 || applied.code == 3,
        "{name}: `init --yes` exited {}:\n{}",
        applied.code,
        applied.transcript()
    );
    let doctor_after = parse(
        name,
        "doctor after init",
        &run_bin(&doctor_args, Some(project.path())),
    );

    let unreported =
        common::warnings_doctor_does_not_report(&plan, &[&doctor_before, &doctor_after]);
    assert!(
        unreported.is_empty(),
        "{name}: init warns about facts doctor does not report with the same id, file and line:\n{}\n\
         --- doctor before init: `{id}` and what is not ok ---\n{}\n\
         --- doctor after init --yes: the same ---\n{}",
        unreported.join("\n"),
        findings_of_note(&doctor_before, id),
        findings_of_note(&doctor_after, id),
    );
}

/// Replace `from`, which must be in the project's file `rel` exactly once, with `to`.
fn replace(project: &TestProject, rel: &str, from: &str, to: &str) {
    project.write(rel, common::edited(&project.read(rel), &[(from, to)]));
}

fn remove(project: &TestProject, rel: &str) {
    std::fs::remove_file(project.path().join(rel)).unwrap();
}

/// doctor/healthy with the block `init --database external` writes in rel/env.sh.eex (no
/// ECTO_IPV6), so that the Dockerfile and fly.toml are what sets ECTO_IPV6.
fn block_outside_fly(project: &TestProject) {
    let raw =
        std::fs::read_to_string(common::fixture_dir("configured").join("rel/env.sh.eex")).unwrap();
    let text = common::edited(
        &raw,
        &[(
            common::BLOCK_PLACEHOLDER,
            common::BLOCK_OUTSIDE_FLY_PLACEHOLDER,
        )],
    );
    project.write("rel/env.sh.eex", common::with_block(&text));
}

/// The `[env]` line of doctor/healthy's fly.toml that cases put entries after.
const FLY_ENV_PORT: &str = "  PORT = '8080'\n";
/// doctor/healthy's Dockerfile lines in the final stage.
const DOCKER_ECTO_IPV6: &str = "ENV ECTO_IPV6=\"true\"\n";
const DOCKER_ERL_AFLAGS: &str = "ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
/// The Repo's IPv6 in doctor/healthy's config/runtime.exs.
const RUNTIME_MAYBE_IPV6: &str =
    "  maybe_ipv6 = if System.get_env(\"ECTO_IPV6\") in ~w(true 1), do: [:inet6], else: []\n\n";
const RUNTIME_SOCKET_OPTIONS: &str = "    socket_options: maybe_ipv6\n";
/// The DNSPoll topology of doctor/libcluster_healthy's config/runtime.exs, opened.
const RUNTIME_FLY6PN: &str = "    topologies: [\n      fly6pn: [\n";

/// A topology of another platform's strategy, as an entry of config/prod.exs's topologies.
const GOSSIP_TOPOLOGY: &str = "    local: [strategy: Cluster.Strategy.Gossip],\n";

/// One `#[test]` per case, each with the finding id it is about; `COVERED` lists them.
macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident: $id:literal => $case:expr,)*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                same_facts(stringify!($name), $id, $case)
            }
        )*

        /// Each case's name and the finding id its warning has.
        const COVERED: &[(&str, &str)] = &[$((stringify!($name), $id)),*];
    };
}

cases! {
    // src/edit/fly_toml.rs, `plan`: `--cookie fly-toml` writes the cookie into fly.toml.
    cookie_in_fly_toml_written: "cookie-in-fly-toml" => Case {
        fixture: "doctor/healthy",
        setup: |_| {},
        init: &["--cookie", "fly-toml"],
        doctor: &[],
        file: "fly.toml",
        words: "is written here in plain text",
    },
    // src/edit/fly_toml.rs, `plan`: the same when init creates fly.toml.
    cookie_in_fly_toml_created: "cookie-in-fly-toml" => Case {
        fixture: "doctor/healthy",
        setup: |p| remove(p, "fly.toml"),
        init: &["--cookie", "fly-toml", "--app", "hello-done"],
        doctor: &["--app", "hello-done"],
        file: "fly.toml",
        words: "is written here in plain text",
    },
    // src/edit/fly_toml.rs, `update`: a cookie already in `[env]`, the cookie kept as a secret.
    cookie_in_fly_toml_found: "cookie-in-fly-toml" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "fly.toml",
            FLY_ENV_PORT,
            "  PORT = '8080'\n  RELEASE_COOKIE = 'Yn8Jd2Kx0pLq4sVt7wZa1cEf3gHi5jKl6mNo8pQr9sTu0vWx2yZa4bCd6eFg8h=='\n",
        ),
        init: &[],
        doctor: &[],
        file: "fly.toml",
        words: "is set in plain text",
    },
    // src/edit/fly_toml.rs, `update` (`let id = if name == COOKIE_KEY`): `--cookie fly-toml`, and
    // `[env]` has a RELEASE_COOKIE init does not take as the cookie (not a string).
    cookie_in_fly_toml_conflict: "cookie-in-fly-toml" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "fly.toml",
            FLY_ENV_PORT,
            "  PORT = '8080'\n  RELEASE_COOKIE = 1234567890\n",
        ),
        init: &["--cookie", "fly-toml"],
        doctor: &[],
        file: "fly.toml",
        words: "left as is",
    },
    // src/edit/fly_toml.rs, `update` (the other branch of `let id`): another query in `[env]`.
    dns_cluster_query_mismatch: "dns-cluster-query-mismatch" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "fly.toml",
            "DNS_CLUSTER_QUERY = 'hello-done.internal'",
            "DNS_CLUSTER_QUERY = 'another-app.internal'",
        ),
        init: &[],
        doctor: &[],
        file: "fly.toml",
        words: "left as is",
    },
    // src/edit/fly_toml.rs, `update`: `--app` names another app than fly.toml's `app` (the query
    // is left out of `[env]`, so that init adds it rather than warn about it too).
    fly_app_mismatch: "fly-app-mismatch" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "fly.toml",
            "  DNS_CLUSTER_QUERY = 'hello-done.internal'\n",
            "",
        ),
        init: &["--app", "another-app"],
        doctor: &["--app", "another-app"],
        file: "fly.toml",
        words: "but the Fly app is `another-app`",
    },
    // src/edit/fly_toml.rs, `without_ecto_ipv6`: `--database external`, and `[env]` turns IPv6 on
    // in a line of its own, which init takes out (the Dockerfile's is gone, so only fly.toml warns).
    ecto_ipv6_external_fly_toml_taken_out: "ecto-ipv6-external" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(p, "fly.toml", FLY_ENV_PORT, "  PORT = '8080'\n  ECTO_IPV6 = 'true'\n");
            replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "");
            block_outside_fly(p);
        },
        init: &["--database", "external"],
        doctor: &["--database", "external"],
        file: "fly.toml",
        words: "taken out of `[env]`",
    },
    // The same with the env.sh block setting ECTO_IPV6 too, as init's own `--database fly` run
    // leaves it.
    ecto_ipv6_external_fly_toml_taken_out_under_block: "ecto-ipv6-external" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(p, "fly.toml", FLY_ENV_PORT, "  PORT = '8080'\n  ECTO_IPV6 = 'true'\n");
            replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "");
        },
        init: &["--database", "external"],
        doctor: &["--database", "external"],
        file: "fly.toml",
        words: "taken out of `[env]`",
    },
    // src/edit/fly_toml.rs, `without_ecto_ipv6`: the same in an inline `env` table, whose line
    // cannot simply go: init leaves it to the user.
    ecto_ipv6_external_fly_toml_left: "ecto-ipv6-external" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(
                p,
                "fly.toml",
                "[env]\n  DNS_CLUSTER_QUERY = 'hello-done.internal'\n  PHX_HOST = 'hello-done.fly.dev'\n  PORT = '8080'\n\n",
                "",
            );
            replace(
                p,
                "fly.toml",
                "kill_signal = 'SIGTERM'\n",
                "kill_signal = 'SIGTERM'\nenv = { DNS_CLUSTER_QUERY = 'hello-done.internal', ECTO_IPV6 = 'true', PHX_HOST = 'hello-done.fly.dev', PORT = '8080' }\n",
            );
            replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "");
        },
        init: &["--database", "external"],
        doctor: &["--database", "external"],
        file: "fly.toml",
        words: "remove `ECTO_IPV6` from `env`",
    },
    // src/edit/dockerfile.rs: `--database external`, and the final stage sets ECTO_IPV6 (the
    // env.sh block already the one for an external database).
    ecto_ipv6_external_dockerfile: "ecto-ipv6-external" => Case {
        fixture: "doctor/healthy",
        setup: block_outside_fly,
        init: &["--database", "external"],
        doctor: &["--database", "external"],
        file: "Dockerfile",
        words: "taken out of the final stage",
    },
    // The same with the env.sh block setting ECTO_IPV6 too, as init's own `--database fly` run
    // leaves it.
    ecto_ipv6_external_dockerfile_under_block: "ecto-ipv6-external" => Case {
        fixture: "doctor/healthy",
        setup: |_| {},
        init: &["--database", "external"],
        doctor: &["--database", "external"],
        file: "Dockerfile",
        words: "taken out of the final stage",
    },
    // src/edit/dockerfile.rs, `legacy_warning` for `--database none`: init leaves ECTO_IPV6 alone,
    // written in the legacy `ENV key value` form.
    dockerfile_legacy_env_no_database: "dockerfile-legacy-env" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "ENV ECTO_IPV6 true\n"),
        init: &["--database", "none"],
        doctor: &["--database", "none"],
        file: "Dockerfile",
        words: "legacy `ENV key value` form",
    },
    // src/edit/dockerfile.rs, `legacy_warning` for a right value in the legacy form that runs over
    // lines with a comment between them, which rewriting it would drop.
    dockerfile_legacy_env_comments_inside: "dockerfile-legacy-env" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "Dockerfile",
            DOCKER_ERL_AFLAGS,
            "ENV ERL_AFLAGS \\\n# IPv6 on Fly's private network\n    \"-proto_dist inet6_tcp\"\n",
        ),
        init: &[],
        doctor: &[],
        file: "Dockerfile",
        words: "legacy `ENV key value` form",
    },
    // src/edit/dockerfile.rs: the final stage sets ECTO_IPV6 to something else than true (and
    // there is no rel/env.sh.eex yet to set it).
    ecto_ipv6_value: "ecto-ipv6-value" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "ENV ECTO_IPV6=\"false\"\n");
            remove(p, "rel/env.sh.eex");
        },
        init: &[],
        doctor: &[],
        file: "Dockerfile",
        words: "is `false` in the final stage",
    },
    // The same with the env.sh block setting ECTO_IPV6 on Fly, as init leaves it.
    ecto_ipv6_value_under_block: "ecto-ipv6-value" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(p, "Dockerfile", DOCKER_ECTO_IPV6, "ENV ECTO_IPV6=\"false\"\n"),
        init: &[],
        doctor: &[],
        file: "Dockerfile",
        words: "is `false` in the final stage",
    },
    // src/edit/dockerfile.rs: the final stage's ERL_AFLAGS sets another `-proto_dist` (and there
    // is no rel/env.sh.eex yet to set it).
    erl_aflags_other_proto_dist: "erl-aflags" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(p, "Dockerfile", DOCKER_ERL_AFLAGS, "ENV ERL_AFLAGS=\"-proto_dist inet_tcp\"\n");
            remove(p, "rel/env.sh.eex");
        },
        init: &[],
        doctor: &[],
        file: "Dockerfile",
        words: "sets `-proto_dist inet_tcp`",
    },
    // The same with the env.sh block setting ERL_AFLAGS on Fly, as init leaves it.
    erl_aflags_other_proto_dist_under_block: "erl-aflags" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "Dockerfile",
            DOCKER_ERL_AFLAGS,
            "ENV ERL_AFLAGS=\"-proto_dist inet_tcp\"\n",
        ),
        init: &[],
        doctor: &[],
        file: "Dockerfile",
        words: "sets `-proto_dist inet_tcp`",
    },
    // src/edit/env_sh.rs, `warnings`: a RELEASE_NODE line init does not recognise, built from
    // Fly's variables outside a Fly guard; it stays beside the block init adds.
    env_sh_unguarded: "env-sh-unguarded" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            p.write(
                "rel/env.sh.eex",
                "#!/bin/sh\n\n# Name the node after the Machine.\nexport RELEASE_NODE=\"hello-done-${FLY_MACHINE_ID}@${FLY_PRIVATE_IP}\"\n",
            );
        },
        init: &[],
        doctor: &[],
        file: "rel/env.sh.eex",
        words: "outside a Fly guard",
    },
    // src/edit/application.rs: the application starts DNSCluster and libcluster's Cluster.Supervisor.
    clustering_both_started: "clustering-both-started" => Case {
        fixture: "doctor/healthy",
        setup: |p| replace(
            p,
            "lib/hello_done/application.ex",
            "      {Phoenix.PubSub, name: HelloDone.PubSub},\n",
            "      {Phoenix.PubSub, name: HelloDone.PubSub},\n      {Cluster.Supervisor,\n       [Application.get_env(:libcluster, :topologies, []), [name: HelloDone.ClusterSupervisor]]},\n",
        ),
        init: &[],
        doctor: &[],
        file: "lib/hello_done/application.ex",
        words: "starts both DNSCluster",
    },
    // src/edit/runtime.rs, `libcluster_fit_warnings` from runtime.exs: beside the DNSPoll
    // topology, one of another platform's strategy.
    libcluster_strategy: "libcluster-strategy" => Case {
        fixture: "doctor/libcluster_healthy",
        setup: |p| replace(
            p,
            "config/runtime.exs",
            RUNTIME_FLY6PN,
            "    topologies: [\n      local: [strategy: Cluster.Strategy.Gossip],\n      fly6pn: [\n",
        ),
        init: &["--strategy", "libcluster"],
        doctor: &[],
        file: "config/runtime.exs",
        words: "uses `Cluster.Strategy.Gossip`",
    },
    // src/edit/runtime.rs, `libcluster_fit_warnings` from runtime.exs: the DNSPoll topology spells
    // `polling_interval` as `poll_interval`.
    libcluster_polling_interval: "libcluster-polling-interval" => Case {
        fixture: "doctor/libcluster_poll_interval",
        setup: |_| {},
        init: &["--strategy", "libcluster"],
        doctor: &[],
        file: "config/runtime.exs",
        words: "`poll_interval` is ignored",
    },
    // src/edit/runtime.rs, `configured_elsewhere`: the topologies are in config/prod.exs (with no
    // setting read from the environment, so they count), beside one of another strategy.
    libcluster_strategy_other_config: "libcluster-strategy" => Case {
        fixture: "doctor/libcluster_healthy",
        setup: |p| {
            libcluster_in_prod_exs(p, GOSSIP_TOPOLOGY, "polling_interval");
        },
        init: &["--strategy", "libcluster"],
        doctor: &[],
        file: "config/prod.exs",
        words: "uses `Cluster.Strategy.Gossip`",
    },
    // src/edit/runtime.rs, `configured_elsewhere`: the same with the DNSPoll topology alone, its
    // interval misspelt.
    libcluster_polling_interval_other_config: "libcluster-polling-interval" => Case {
        fixture: "doctor/libcluster_healthy",
        setup: |p| {
            libcluster_in_prod_exs(p, "", "poll_interval");
        },
        init: &["--strategy", "libcluster"],
        doctor: &[],
        file: "config/prod.exs",
        words: "`poll_interval` is ignored",
    },
    // src/init.rs, `ecto_ipv6_unread`: `--skip runtime`, and the Repo's config does not read
    // ECTO_IPV6.
    ecto_ipv6_runtime: "ecto-ipv6-runtime" => Case {
        fixture: "doctor/healthy",
        setup: |p| {
            replace(p, "config/runtime.exs", RUNTIME_MAYBE_IPV6, "");
            replace(p, "config/runtime.exs", RUNTIME_SOCKET_OPTIONS, "    timeout: 15_000\n");
        },
        init: &["--skip", "runtime"],
        doctor: &[],
        file: "config/runtime.exs",
        words: "does not make the Repo read ECTO_IPV6",
    },
    // src/init.rs, `ecto_ipv6_unread`: `--skip runtime`, and there is no config/runtime.exs.
    ecto_ipv6_runtime_no_runtime_exs: "ecto-ipv6-runtime" => Case {
        fixture: "doctor/healthy",
        setup: |p| remove(p, "config/runtime.exs"),
        init: &["--skip", "runtime"],
        doctor: &[],
        file: "config/runtime.exs",
        words: "does not make the Repo read ECTO_IPV6",
    },
}

/// doctor/libcluster_healthy with its topologies in config/prod.exs instead of runtime.exs: the
/// DNSPoll one, its settings literal and its interval under `interval_key`, after `other` (another
/// topology, or nothing).
fn libcluster_in_prod_exs(project: &TestProject, other: &str, interval_key: &str) {
    let runtime = project.read("config/runtime.exs");
    let start = runtime
        .find("  config :libcluster,\n")
        .expect("doctor/libcluster_healthy's runtime.exs configures libcluster");
    let end = start
        + runtime[start..]
            .find("    ]\n\n")
            .expect("the topologies list ends")
        + "    ]\n\n".len();
    project.write(
        "config/runtime.exs",
        format!("{}{}", &runtime[..start], &runtime[end..]),
    );
    project.write(
        "config/prod.exs",
        format!(
            r#"import Config

config :libcluster,
  topologies: [
{other}    fly6pn: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [
        {interval_key}: 5_000,
        query: "hello-done.internal",
        node_basename: "hello-done"
      ]
    ]
  ]
"#
        ),
    );
}

/// Every `src/**/*.rs` file with its text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The names of the `FindingId` variants in `text`, as written after `FindingId::`.
fn finding_variants(text: &str) -> Vec<String> {
    text.match_indices("FindingId::")
        .map(|(at, m)| {
            text[at + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The finding ids src/ gives init warnings, by reading each `Warning::new(` call's first
/// argument (the text up to the next `,`, newlines and all):
/// - `FindingId::X` is X;
/// - `InitOnly::X` is init's own, not doctor's;
/// - a plain name (`id`) is bound by the nearest `let NAME =` before the call: each
///   `FindingId::X` between that `let` and the call is one of the ids it may hold (the `if` in
///   fly_toml.rs, the `match issue.kind` in runtime.rs).
///
/// Anything else panics, so a new way of writing the call is taught here rather than missed.
fn warned_finding_ids() -> Vec<&'static str> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut variants: Vec<String> = Vec::new();
    for (file, text) in &files {
        for (at, call) in text.match_indices("Warning::new(") {
            let args = &text[at + call.len()..];
            let first = args[..args.find(',').expect("Warning::new has two arguments")].trim();
            let line = text[..at].matches('\n').count() + 1;
            if first.starts_with("InitOnly::") {
                // Init's own: doctor does not judge it.
                continue;
            }
            if first.starts_with("FindingId::") {
                variants.extend(finding_variants(first));
                continue;
            }
            assert!(
                !first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{file}:{line}: cannot read the id of `Warning::new({first}, ...)`; teach \
                 `warned_finding_ids` this form"
            );
            let binding = format!("let {first} =");
            let from = text[..at].rfind(&binding).unwrap_or_else(|| {
                panic!("{file}:{line}: `Warning::new({first}, ...)` with no `{binding}` before it")
            });
            let found = finding_variants(&text[from..at]);
            assert!(
                !found.is_empty(),
                "{file}:{line}: `{binding}` before `Warning::new({first}, ...)` names no FindingId"
            );
            variants.extend(found);
        }
    }
    let mut ids: Vec<&'static str> = variants
        .iter()
        .map(|variant| {
            flycluster::facts::FindingId::ALL
                .iter()
                .find(|id| format!("{id:?}") == *variant)
                .unwrap_or_else(|| panic!("`FindingId::{variant}` is not a FindingId"))
                .name()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Each finding id src/ gives an init warning has a case above, and each case's id is one of them.
#[test]
fn every_warned_finding_id_has_a_case() {
    let warned = warned_finding_ids();
    // The reading of src/ must find the ids it is known to hold, or it reads nothing.
    for known in [
        "cookie-in-fly-toml",
        "dns-cluster-query-mismatch",
        "libcluster-polling-interval",
    ] {
        assert!(
            warned.contains(&known),
            "the reading of src/ misses `{known}`: {warned:?}"
        );
    }
    let mut covered: Vec<&str> = COVERED.iter().map(|(_, id)| *id).collect();
    covered.sort_unstable();
    covered.dedup();
    assert_eq!(
        covered, warned,
        "left: the ids the cases here cover; right: the ids src/ gives init warnings. Add a case \
         for each id only on the right; remove the case of one only on the left"
    );
}
