//! `flycluster doctor` over fixture projects: each fixture under tests/fixtures/doctor/ is a
//! configured project broken in exactly one way, and doctor must report exactly that finding (id,
//! severity, file and line) with the right exit code. Projects `init` configured must pass.

mod common;
use common::{TestProject, fixture_dir, insta_settings, run_bin};
use serde_json::Value;

/// A copy of the doctor fixture `name`: its `.fixture-base` under it, flycluster's block rendered in.
fn doctor_fixture(name: &str) -> TestProject {
    TestProject::from_fixture(&format!("doctor/{name}"))
}

fn doctor_json(path: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["doctor", "--format", "json"];
    args.extend_from_slice(extra);
    let run = run_bin(&args, Some(path));
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}",
            run.transcript()
        )
    });
    (run.code, doc)
}

/// Non-ok findings as `severity id file:line`, without the cookie warning every offline check
/// gives (it is asserted on its own below).
fn attention(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["severity"] != "ok" && f["id"] != "cookie-not-visible")
        .map(|f| {
            let location = match (f["file"].as_str(), f["line"].as_u64()) {
                (Some(file), Some(line)) => format!(" {file}:{line}"),
                (Some(file), None) => format!(" {file}"),
                _ => String::new(),
            };
            format!(
                "{} {}{location}",
                f["severity"].as_str().unwrap(),
                f["id"].as_str().unwrap()
            )
        })
        .collect()
}

/// Doctor on the fixture: exit `code`, and exactly `expected` among the findings that need
/// attention (every non-ok finding but the cookie warning, as `severity id file:line`).
fn gives_exactly(fixture: &str, code: i32, expected: &[&str]) {
    let (got_code, doc) = doctor_json(&doctor_fixture(fixture), &[]);
    assert_eq!(
        (got_code, attention(&doc)),
        (code, expected.iter().map(|f| f.to_string()).collect()),
        "{fixture}: (exit code, findings)"
    );
}

common::cases! {
    /// One test per fixture under tests/fixtures/doctor/: its exit code and its findings.
    mod each_fixture_gives_exactly_its_finding = gives_exactly {
        healthy: ("healthy", 0, &[]),
        libcluster_healthy: ("libcluster_healthy", 0, &[]),
        // Check 1: rel/env.sh.eex as sh runs it on Fly.
        env_sh_missing: (
            "env_sh_missing",
            1,
            &[
                "problem env-sh-missing rel/env.sh.eex",
                "warning init-pending",
            ],
        ),
        env_sh_commented: (
            "env_sh_commented",
            1,
            &[
                "problem env-sh-exports rel/env.sh.eex:27",
                "warning init-pending",
            ],
        ),
        env_sh_unset_later: (
            "env_sh_unset_later",
            1,
            &[
                "problem env-sh-exports rel/env.sh.eex:41",
                "warning init-pending",
            ],
        ),
        env_sh_other_platform: (
            "env_sh_other_platform",
            1,
            &[
                "problem env-sh-exports rel/env.sh.eex:27",
                "problem env-sh-exports rel/env.sh.eex:28",
                "warning env-sh-unguarded rel/env.sh.eex:28",
                "warning init-pending",
            ],
        ),
        env_sh_conditional: (
            "env_sh_conditional",
            1,
            &[
                "problem env-sh-exports rel/env.sh.eex:41",
                "warning init-pending",
            ],
        ),
        env_sh_not_exported: (
            "env_sh_not_exported",
            1,
            &[
                "problem env-sh-exports rel/env.sh.eex:26",
                "warning init-pending",
            ],
        ),
        env_sh_unguarded: (
            "env_sh_unguarded",
            0,
            &[
                "warning env-sh-unguarded rel/env.sh.eex:27",
                "warning init-pending",
            ],
        ),
        env_sh_unparsed: (
            "env_sh_unparsed",
            0,
            &[
                "warning env-sh-unparsed rel/env.sh.eex:39",
                "warning init-pending",
            ],
        ),
        // Check 2: -proto_dist inet6_tcp, exactly once.
        erl_aflags_missing: (
            "erl_aflags_missing",
            1,
            &["problem erl-aflags rel/env.sh.eex", "warning init-pending"],
        ),
        erl_aflags_builder_only: (
            "erl_aflags_builder_only",
            1,
            &[
                "problem dockerfile-builder-stage Dockerfile:37",
                "warning init-pending",
            ],
        ),
        erl_aflags_inet_tcp: (
            "erl_aflags_inet_tcp",
            1,
            &["problem erl-aflags Dockerfile:95", "warning init-pending"],
        ),
        proto_dist_twice_vm_args: (
            "proto_dist_twice_vm_args",
            1,
            &[
                "problem proto-dist-twice rel/vm.args.eex:11",
                "warning init-pending",
            ],
        ),
        proto_dist_twice_appended: (
            "proto_dist_twice_appended",
            1,
            &[
                "problem proto-dist-twice rel/env.sh.eex:24",
                "warning init-pending",
            ],
        ),
        // Check 3: RELEASE_NODE.
        release_node_hostname: (
            "release_node_hostname",
            1,
            &[
                "problem release-node-host rel/env.sh.eex:28",
                "warning init-pending",
            ],
        ),
        release_node_machine_id: (
            "release_node_machine_id",
            1,
            &[
                "problem release-node-name rel/env.sh.eex:28",
                "warning init-pending",
            ],
        ),
        release_node_image_suffix: (
            "release_node_image_suffix",
            0,
            // init replaces the fragile suffix, so it has work to do here.
            &[
                "warning release-node-image-suffix rel/env.sh.eex:28",
                "warning init-pending",
            ],
        ),
        // Check 4: RELEASE_DISTRIBUTION.
        release_distribution_sname: (
            "release_distribution_sname",
            1,
            &[
                "problem release-distribution rel/env.sh.eex:27",
                "warning init-pending",
            ],
        ),
        release_distribution_overridden: (
            "release_distribution_overridden",
            1,
            &[
                "problem release-distribution rel/env.sh.eex:40",
                "warning init-pending",
            ],
        ),
        // Check 5: DNS_CLUSTER_QUERY.
        dns_query_wrong_app: (
            "dns_query_wrong_app",
            1,
            &[
                "problem dns-cluster-query rel/env.sh.eex:26",
                "warning init-pending",
            ],
        ),
        dns_query_mismatch: (
            "dns_query_mismatch",
            0,
            &["warning dns-cluster-query-mismatch fly.toml:16"],
        ),
        // Check 6: the clustering child, its config and its dependency.
        dns_cluster_no_child: (
            "dns_cluster_no_child",
            1,
            &[
                "problem dns-cluster-child lib/hello_done/application.ex",
                "warning init-pending",
            ],
        ),
        // The DNSCluster child is there, its dependency is not: init adds it (no umbrella sibling
        // brings it).
        dns_cluster_no_dep: (
            "dns_cluster_no_dep",
            1,
            &["problem dns-cluster-dep mix.exs", "warning init-pending"],
        ),
        // The child reads another app's key: init configures the key the child reads.
        dns_cluster_wrong_app: (
            "dns_cluster_wrong_app",
            1,
            &[
                "problem dns-cluster-config config/runtime.exs",
                "warning init-pending",
            ],
        ),
        dns_cluster_config_missing: (
            "dns_cluster_config_missing",
            1,
            &[
                "problem dns-cluster-config config/runtime.exs",
                "warning init-pending",
            ],
        ),
        // init counts a setting in any config file as made, so it leaves this one alone; but prod.exs
        // runs at build time, when DNS_CLUSTER_QUERY is not set.
        dns_cluster_config_build_time: (
            "dns_cluster_config_build_time",
            1,
            // init puts the setting in runtime.exs, where it is read at boot.
            &[
                "problem dns-cluster-config config/prod.exs:5",
                "warning init-pending",
            ],
        ),
        libcluster_gossip: (
            "libcluster_gossip",
            1,
            &[
                "problem libcluster-strategy config/runtime.exs:27",
                "warning init-pending",
            ],
        ),
        libcluster_poll_interval: (
            "libcluster_poll_interval",
            0,
            &["warning libcluster-polling-interval config/runtime.exs:27"],
        ),
        libcluster_fixed_basename: (
            "libcluster_fixed_basename",
            1,
            &[
                "problem libcluster-node-basename config/runtime.exs:34",
                "warning init-pending",
            ],
        ),
        libcluster_app_name_basename: (
            "libcluster_app_name_basename",
            1,
            &[
                "problem libcluster-node-basename config/runtime.exs:34",
                "warning init-pending",
            ],
        ),
        libcluster_no_topology: (
            "libcluster_no_topology",
            1,
            &[
                "problem libcluster-topology config/runtime.exs",
                "warning init-pending",
            ],
        ),
        // Cluster.Supervisor reads `:hello_done, :topologies`; the topology is under `:libcluster`.
        libcluster_own_key: (
            "libcluster_own_key",
            1,
            &[
                "problem libcluster-topology config/runtime.exs",
                "warning init-pending",
            ],
        ),
        // Check 7: the cookie.
        cookie_in_fly_toml: (
            "cookie_in_fly_toml",
            0,
            &["warning cookie-in-fly-toml fly.toml:17"],
        ),
        cookie_in_env_sh: (
            "cookie_in_env_sh",
            0,
            &["warning cookie-in-file rel/env.sh.eex:39"],
        ),
        // Check 8: ECTO_IPV6 and the Repo, by where the database lives (here: on Fly, as the
        // ECTO_IPV6 these projects set says, or not known).
        ecto_ipv6_unread: (
            "ecto_ipv6_unread",
            1,
            // init adds the Repo's `maybe_ipv6` lines.
            &[
                "problem ecto-ipv6-runtime config/runtime.exs:34",
                "warning init-pending",
            ],
        ),
        // Nothing sets ECTO_IPV6: right for a database outside Fly, so until `--database` says where
        // it lives, a warning.
        ecto_ipv6_unset: (
            "ecto_ipv6_unset",
            0,
            &[
                "warning ecto-ipv6-unset config/runtime.exs:34",
                "warning init-pending",
            ],
        ),
        // `init --database external` wrote the block without ECTO_IPV6: that records the choice, so
        // doctor judges the Repo by it without being told again.
        ecto_ipv6_recorded_external: ("ecto_ipv6_recorded_external", 0, &[]),
        ecto_ipv6_false: (
            "ecto_ipv6_false",
            1,
            &[
                "problem ecto-ipv6-value rel/env.sh.eex:25",
                "warning init-pending",
            ],
        ),
        // Check 9: legacy ENV lines.
        dockerfile_legacy_env: (
            "dockerfile_legacy_env",
            0,
            // init rewrites the line as `KEY="value"`.
            &[
                "warning dockerfile-legacy-env Dockerfile:94",
                "warning init-pending",
            ],
        ),
        // Check 10: fly.toml keeps the cluster's Machines running.
        fly_auto_stop: ("fly_auto_stop", 0, &["warning fly-auto-stop fly.toml:23"]),
        // Check 11: with several process groups, the query reaches every one.
        fly_process_groups: (
            "fly_process_groups",
            0,
            &["warning fly-process-groups fly.toml:20"],
        ),
        // Check 12: no service publishes EPMD (init leaves removing it to the user: a manual step).
        fly_exposed_epmd: (
            "fly_exposed_epmd",
            1,
            &[
                "problem fly-exposes-dist fly.toml:34",
                "warning init-pending",
            ],
        ),
        // Check 13: the Endpoint listens on IPv6 too.
        endpoint_ipv4: (
            "endpoint_ipv4",
            0,
            &["warning endpoint-ip config/runtime.exs:67"],
        ),
        // Check 14: init would still change something.
        init_pending: ("init_pending", 0, &["warning init-pending"]),
    }
}

/// The topologies are judged under the key the started Cluster.Supervisor reads, which init
/// writes: one under `:libcluster, :topologies` is never read by a supervisor reading its own.
#[test]
fn a_supervisor_reading_its_own_key_is_judged_by_that_key() {
    let project = doctor_fixture("libcluster_own_key");
    let (_, doc) = doctor_json(&project, &[]);
    let topology: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "libcluster-topology")
        .map(|f| (f["message"].as_str().unwrap(), f["fix"].as_str().unwrap()))
        .collect();
    assert_eq!(
        topology,
        [(
            "no `config :hello_done, topologies: ...` in config/: Cluster.Supervisor has no topology to run (it reads `Application.get_env(:hello_done, :topologies)`; config/ configures `:libcluster, :topologies` instead)",
            "add a `Cluster.Strategy.DNSPoll` topology under `config :hello_done, topologies:` to runtime.exs's prod block (`flycluster init --strategy libcluster` does)"
        )]
    );
    let run = project.init(&["--yes", "-q"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let (code, doc) = doctor_json(&project, &[]);
    assert_eq!((code, attention(&doc)), (0, Vec::<String>::new()));
}

#[test]
fn every_fixture_is_in_the_table() {
    let dir = fixture_dir("doctor");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = each_fixture_gives_exactly_its_finding::NAMES
        .iter()
        .map(|f| f.to_string())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// The severities of the findings with id `id`, in order.
fn severities_of(doc: &Value, id: &str) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .collect()
}

/// The cookie warning: given where no cookie is visible, gone where one is.
fn cookie_warning(fixture: &str, expected: &[&str]) {
    let (_, doc) = doctor_json(&doctor_fixture(fixture), &[]);
    assert_eq!(
        severities_of(&doc, "cookie-not-visible"),
        expected,
        "{fixture}"
    );
}

common::cases! {
    mod the_cookie_warning_goes_away_when_a_cookie_is_visible = cookie_warning {
        healthy: ("healthy", &["warning"]),
        cookie_in_fly_toml: ("cookie_in_fly_toml", &[]),
        cookie_in_env_sh: ("cookie_in_env_sh", &[]),
    }
}

#[test]
fn a_healthy_project_passes_every_check() {
    let (code, doc) = doctor_json(&doctor_fixture("healthy"), &[]);
    assert_eq!(code, 0);
    let checks: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_u64().unwrap())
        .collect();
    // Ordered by check, and every check but the libcluster-only parts speaks.
    assert!(checks.windows(2).all(|w| w[0] <= w[1]), "{checks:?}");
    let mut spoke = checks.clone();
    spoke.dedup();
    assert_eq!(spoke, (1..=14).collect::<Vec<u64>>(), "{checks:?}");
    assert_eq!(doc["summary"]["problems"], 0);
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["summary"]["exit_code"], 0);
}

#[test]
fn json_is_one_document_and_the_summary_counts_the_findings() {
    let run = run_bin(
        &["doctor", "--format", "json"],
        Some(&doctor_fixture("env_sh_other_platform")),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    for severity in ["problem", "warning", "ok"] {
        let key = match severity {
            "problem" => "problems",
            "warning" => "warnings",
            _ => "ok",
        };
        let n = findings
            .iter()
            .filter(|f| f["severity"] == severity)
            .count();
        assert_eq!(doc["summary"][key], n, "{severity}");
    }
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id} is not kebab-case"
        );
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()));
        // Every finding that needs attention says how to fix it.
        assert_eq!(f["severity"] == "ok", f["fix"].is_null(), "{f}");
    }
}

#[test]
fn doctor_writes_nothing() {
    let project = TestProject::from_fixture("doctor/env_sh_missing");
    let before = project.snapshot_files();
    let run = run_bin(&["doctor"], Some(project.path()));
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(project.snapshot_files(), before);
}

#[test]
fn quiet_shows_only_what_needs_attention() {
    let run = run_bin(&["doctor", "-q"], Some(&doctor_fixture("healthy")));
    insta::assert_snapshot!(run.transcript(), @"
    status: 0
    ----- stdout -----
    warning cookie-not-visible  no RELEASE_COOKIE in fly.toml, the Dockerfile or rel/env.sh.eex; unless it is a Fly secret, each deploy builds a release with a new random cookie, and `fly ssh console ... remote` or the previous deploy's nodes cannot connect; fix: check `fly secrets list --app hello-done`; if RELEASE_COOKIE is missing, `fly secrets set RELEASE_COOKIE=$(flycluster cookie) --app hello-done`
    ----- stderr -----
    ");
}

#[test]
fn bad_input_exits_2() {
    // Malformed fly.toml: the same error init reports, naming the line.
    let project = TestProject::from_fixture("doctor/healthy");
    project.write("fly.toml", "app = 'hello-done'\n[env\nX = 1\n");
    let run = run_bin(&["doctor"], Some(project.path()));
    insta::assert_snapshot!(run.transcript(), @"
    status: 2
    ----- stdout -----
    ----- stderr -----
    error: `fly.toml` line 2: not valid TOML: unclosed table, expected `]`
    help: fix the TOML at that line, then run `flycluster init` again
    ");

    // Not a Mix project.
    let empty = TestProject::empty();
    let run = run_bin(&["doctor"], Some(empty.path()));
    insta::assert_snapshot!(run.transcript(), @"
    status: 2
    ----- stdout -----
    ----- stderr -----
    error: `[PROJECT]/mix.exs`: not found: this folder is not a Mix project
    help: run flycluster in (or pass the path of) the folder that holds mix.exs
    ");

    // An application module that does not parse.
    let project = TestProject::from_fixture("doctor/healthy");
    project.write(
        "lib/hello_done/application.ex",
        "defmodule HelloDone.Application do\n  def start(\nend\n",
    );
    let run = run_bin(&["doctor", "--format", "json"], Some(project.path()));
    // JSON mode prints nothing on stdout on an error.
    insta::assert_snapshot!(run.transcript(), @"
    status: 2
    ----- stdout -----
    ----- stderr -----
    error: `lib/hello_done/application.ex` line 2: is not valid Elixir (syntax error: the `(` here is never closed; the code that does not parse runs from line 1 to line 3)
    help: fix the syntax error (`mix compile` shows it) and run flycluster again
    ");

    // A Fly app name that is not one.
    let run = run_bin(
        &["doctor", "--app", "Hello_Done"],
        Some(&doctor_fixture("healthy")),
    );
    insta::assert_snapshot!(run.transcript(), @"
    status: 2
    ----- stdout -----
    ----- stderr -----
    error: `Hello_Done` is not a valid Fly app name
    help: Fly app names use lowercase letters, digits and dashes, start with a letter and are at most 63 characters
    ");
}

#[test]
fn app_flag_that_disagrees_with_fly_toml_is_a_warning() {
    let (code, doc) = doctor_json(&doctor_fixture("healthy"), &["--app", "hello-other"]);
    assert_eq!(code, 0);
    // fly.toml's query names fly.toml's app, which is not the one asked about.
    assert_eq!(
        attention(&doc),
        [
            "warning fly-app-mismatch fly.toml:6",
            "warning dns-cluster-query-mismatch fly.toml:16"
        ]
    );
}

// ----- projects init configured -----

/// A fixture init is tested on, configured by `init --yes` for the Fly app `app` (fly.toml's when
/// there is one): doctor then exits 0 with exactly `expected` needing attention, and init has nothing
/// left to do.
fn passes_what_init_configured(fixture: &str, app: &str, expected: &[&str]) {
    let project = TestProject::from_fixture(fixture);
    let init = project.init(&["--yes", "--app", app]);
    assert_eq!(init.code, 0, "{fixture}: {}", init.transcript());
    let (code, doc) = doctor_json(project.path(), &["--app", app]);
    assert_eq!(
        (code, attention(&doc)),
        (0, expected.iter().map(|f| f.to_string()).collect()),
        "{fixture}: (exit code, findings)"
    );
    assert_eq!(severities_of(&doc, "init-pending"), ["ok"], "{fixture}");
}

common::cases! {
    mod doctor_passes_what_init_configured = passes_what_init_configured {
        phx15: ("phx15", "hello15", &[]),
        phx16: ("phx16", "hello16", &["warning fly-auto-stop fly.toml:23"]),
        phx17: ("phx17", "hello17", &[]),
        phx18_dnscluster: ("phx18_dnscluster", "hello18", &["warning fly-auto-stop fly.toml:23"]),
        configured: ("configured", "hello-done", &["warning fly-auto-stop fly.toml:23"]),
        example_hello_elixir: (
            "examples/hello_elixir",
            "hello-elixir",
            &["warning fly-auto-stop fly.toml:23"],
        ),
    }
}

#[test]
fn doctor_passes_what_init_configured_for_libcluster() {
    let project = TestProject::from_fixture("phx17");
    let init = project.init(&["--yes", "--app", "hello17", "--strategy", "libcluster"]);
    assert_eq!(init.code, 0, "{}", init.transcript());
    let (code, doc) = doctor_json(project.path(), &["--app", "hello17"]);
    assert_eq!(code, 0, "{:?}", attention(&doc));
    assert_eq!(attention(&doc), Vec::<String>::new());
    for id in [
        "libcluster-dep",
        "libcluster-child",
        "libcluster-strategy",
        "libcluster-query",
        "libcluster-node-basename",
        "libcluster-polling-interval",
    ] {
        assert_eq!(severities_of(&doc, id), ["ok"], "{id}");
    }
}

// ----- snapshots -----

/// `doctor`'s text output on `fixture` (a doctor fixture, or another fixture as its path names it),
/// snapshotted as `doctor_text_NAME`.
fn text_snapshot(fixture: &str) {
    let name = fixture.rsplit('/').next().unwrap();
    let project = TestProject::from_fixture(fixture);
    let run = run_bin(&["doctor"], Some(project.path()));
    insta_settings().bind(|| {
        insta::assert_snapshot!(format!("doctor_text_{name}"), run.transcript());
    });
}

common::cases! {
    mod text_output = text_snapshot {
        healthy: ("doctor/healthy"),
        env_sh_other_platform: ("doctor/env_sh_other_platform"),
        proto_dist_twice_vm_args: ("doctor/proto_dist_twice_vm_args"),
        // The checks of the Fly side, one fixture each.
        ecto_ipv6_unset: ("doctor/ecto_ipv6_unset"),
        fly_auto_stop: ("doctor/fly_auto_stop"),
        fly_process_groups: ("doctor/fly_process_groups"),
        fly_exposed_epmd: ("doctor/fly_exposed_epmd"),
        endpoint_ipv4: ("doctor/endpoint_ipv4"),
        // The guide's own env.sh.eex, as the configured fixture has it.
        configured: ("configured"),
    }
}

/// `doctor --format json` on the doctor fixture, snapshotted as `doctor_json_NAME`.
fn json_snapshot(fixture: &str) {
    let run = run_bin(
        &["doctor", "--format", "json"],
        Some(&doctor_fixture(fixture)),
    );
    insta_settings().bind(|| {
        insta::assert_snapshot!(format!("doctor_json_{fixture}"), run.transcript());
    });
}

common::cases! {
    mod json_output = json_snapshot {
        release_node_hostname: ("release_node_hostname"),
        libcluster_app_name_basename: ("libcluster_app_name_basename"),
        ecto_ipv6_unset: ("ecto_ipv6_unset"),
        fly_auto_stop: ("fly_auto_stop"),
        fly_process_groups: ("fly_process_groups"),
        fly_exposed_epmd: ("fly_exposed_epmd"),
        endpoint_ipv4: ("endpoint_ipv4"),
    }
}

// ----- the Fly side: where the database lives, which Machines stay up, what the network exposes -----

/// Findings of one check (by id prefix) that need attention, as `attention` gives them.
fn attention_of(doc: &Value, prefix: &str) -> Vec<String> {
    attention(doc)
        .into_iter()
        .filter(|f| f.split(' ').nth(1).is_some_and(|id| id.starts_with(prefix)))
        .collect()
}

/// The ECTO_IPV6 findings doctor gives on the fixture with `args`.
fn ecto_ipv6_findings(fixture: &str, args: &[&str], expected: &[&str]) {
    let (_, doc) = doctor_json(&doctor_fixture(fixture), args);
    assert_eq!(
        attention_of(&doc, "ecto-ipv6"),
        expected,
        "{fixture} {args:?}"
    );
}

common::cases! {
    /// `--database` decides how ECTO_IPV6 and the Repo are judged; without it, an ECTO_IPV6 the
    /// project sets is the choice of a database on Fly, and with nothing set the missing lines are
    /// warnings.
    mod the_database_choice_decides_the_ecto_ipv6_findings = ecto_ipv6_findings {
        healthy: ("healthy", &[], &[]),
        healthy_fly: ("healthy", &["--database", "fly"], &[]),
        // ECTO_IPV6=true makes Postgrex ask only for IPv6 addresses: an external IPv4 host fails.
        // The Dockerfile's ECTO_IPV6, which the block sets over on Fly, says so too: a warning at
        // the line `init --database external` takes out.
        healthy_external: (
            "healthy",
            &["--database", "external"],
            &[
                "problem ecto-ipv6-external rel/env.sh.eex:29",
                "warning ecto-ipv6-external Dockerfile:94",
            ],
        ),
        healthy_none: ("healthy", &["--database", "none"], &[]),
        unset: (
            "ecto_ipv6_unset",
            &[],
            &["warning ecto-ipv6-unset config/runtime.exs:34"],
        ),
        unset_fly: (
            "ecto_ipv6_unset",
            &["--database", "fly"],
            &["problem ecto-ipv6-unset config/runtime.exs:34"],
        ),
        unset_external: ("ecto_ipv6_unset", &["--database", "external"], &[]),
        recorded_external: ("ecto_ipv6_recorded_external", &[], &[]),
        recorded_external_fly: (
            "ecto_ipv6_recorded_external",
            &["--database", "fly"],
            &["problem ecto-ipv6-unset config/runtime.exs:34"],
        ),
        // Set, but the Repo never reads it: harmless for a database outside Fly now (warnings,
        // not problems), and lines `init --database external` takes out: the block's, and the
        // Dockerfile's, which the block sets over.
        unread_external: (
            "ecto_ipv6_unread",
            &["--database", "external"],
            &[
                "warning ecto-ipv6-external rel/env.sh.eex:29",
                "warning ecto-ipv6-external Dockerfile:94",
            ],
        ),
        unread: (
            "ecto_ipv6_unread",
            &[],
            &["problem ecto-ipv6-runtime config/runtime.exs:34"],
        ),
    }
}

/// A project without ECTO_IPV6 and a Repo that never reads it: a warning until the choice is
/// known (it is right for a database outside Fly), a problem with `--database fly`.
#[test]
fn a_repo_that_ignores_ecto_ipv6_is_a_warning_until_the_database_is_known() {
    let project = TestProject::from_fixture("doctor/ecto_ipv6_unset");
    let runtime = project.read("config/runtime.exs").replace(
        "  maybe_ipv6 = if System.get_env(\"ECTO_IPV6\") in ~w(true 1), do: [:inet6], else: []\n\n",
        "",
    );
    project.write(
        "config/runtime.exs",
        runtime
            .replace("\"10\"),\n", "\"10\")\n")
            .replace("    socket_options: maybe_ipv6\n", ""),
    );
    let (code, doc) = doctor_json(project.path(), &[]);
    assert_eq!(
        attention_of(&doc, "ecto-ipv6"),
        ["warning ecto-ipv6-runtime config/runtime.exs:34"]
    );
    assert_eq!(code, 0);
    let (code, doc) = doctor_json(project.path(), &["--database", "fly"]);
    assert_eq!(
        attention_of(&doc, "ecto-ipv6"),
        ["problem ecto-ipv6-runtime config/runtime.exs:34"]
    );
    assert_eq!(code, 1);
}

/// doctor/healthy with its fly.toml's first `from` replaced by `to`: the fly-auto-stop findings.
fn auto_stop(from: &str, to: &str, expected: &[&str]) {
    let project = TestProject::from_fixture("doctor/healthy");
    let healthy = project.read("fly.toml");
    let edited = healthy.replacen(from, to, 1);
    assert_ne!(edited, healthy, "{from:?} is not in fly.toml");
    project.write("fly.toml", edited);
    let (_, doc) = doctor_json(project.path(), &[]);
    assert_eq!(attention_of(&doc, "fly-auto-stop"), expected, "{to:?}");
}

common::cases! {
    mod auto_stop_in_any_spelling_with_no_machine_kept_running_is_a_warning = auto_stop {
        stop_as_true: (
            "  auto_stop_machines = 'stop'\n",
            "  auto_stop_machines = true\n",
            &[],
        ),
        stop_with_no_machine_kept: (
            "  min_machines_running = 2\n",
            "",
            &["warning fly-auto-stop fly.toml:23"],
        ),
        suspend: (
            "  auto_stop_machines = 'stop'\n",
            "  auto_stop_machines = 'suspend'\n",
            &[],
        ),
        suspend_with_no_machine_kept: (
            "  auto_stop_machines = 'stop'\n  auto_start_machines = true\n  min_machines_running = 2\n",
            "  auto_stop_machines = 'suspend'\n  auto_start_machines = true\n  min_machines_running = 0\n",
            &["warning fly-auto-stop fly.toml:23"],
        ),
        off: (
            "  auto_stop_machines = 'stop'\n",
            "  auto_stop_machines = 'off'\n",
            &[],
        ),
        false_with_no_machine_kept: (
            "  auto_stop_machines = 'stop'\n  auto_start_machines = true\n  min_machines_running = 2\n",
            "  auto_stop_machines = false\n  auto_start_machines = true\n  min_machines_running = 0\n",
            &[],
        ),
        a_service_that_stops_machines: (
            "[[vm]]",
            "[[services]]\n  internal_port = 9000\n  protocol = 'tcp'\n  auto_stop_machines = 'stop'\n\n[[vm]]",
            &["warning fly-auto-stop fly.toml:36"],
        ),
    }
}

/// doctor/healthy with `file` pinning the distribution ports to 9100-9155 and a service on `port`.
fn with_pinned_ports(file: &str, pin: &str, port: u32) -> TestProject {
    let project = TestProject::from_fixture("doctor/healthy");
    let fly_toml = project.read("fly.toml").replacen(
        "[[vm]]",
        &format!("[[services]]\n  internal_port = {port}\n  protocol = 'tcp'\n\n[[vm]]"),
        1,
    );
    project.write(file, pin).write("fly.toml", fly_toml);
    project
}

/// Erlang picks a random distribution port unless the project pins a range; a service on a port of
/// a pinned range (in vm.args, erl's flags or `config :kernel`) publishes it. The same judgement
/// makes init stop with a manual step.
fn pinned_distribution_port(file: &str, pin: &str, message: &str, init_stderr: &str) {
    let project = with_pinned_ports(file, pin, 9120);
    let (code, doc) = doctor_json(project.path(), &[]);
    assert_eq!(
        attention_of(&doc, "fly-exposes-dist"),
        ["problem fly-exposes-dist fly.toml:34"],
        "{file}"
    );
    assert_eq!(code, 1);
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "fly-exposes-dist")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, [message]);
    let init = project.init(&["--yes"]);
    assert_eq!(init.code, 3, "{}", init.transcript());
    assert_eq!(
        common::redact(&init.stderr, Some(project.path())),
        init_stderr
    );
    // Outside the range nothing is exposed.
    let project = with_pinned_ports(file, pin, 9200);
    let (_, doc) = doctor_json(project.path(), &[]);
    assert_eq!(attention_of(&doc, "fly-exposes-dist"), Vec::<String>::new());
}

common::cases! {
    mod a_service_on_a_pinned_distribution_port_is_a_problem = pinned_distribution_port {
        vm_args: (
            "rel/vm.args.eex",
            "## vm.args\n-kernel inet_dist_listen_min 9100 inet_dist_listen_max 9155\n",
            "`[[services]] #1` forwards to internal port 9120, in the Erlang distribution range 9100-9155 (rel/vm.args.eex line 2); through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent",
            "manual step: `fly.toml`: `[[services]] #1` forwards to internal port 9120, in the Erlang distribution range 9100-9155 (rel/vm.args.eex line 2); through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent\n  line 34: remove the `[[services]] #1` service: nodes reach each other over Fly's private network without one\nsome steps must be done by hand (listed above)\n",
        ),
        kernel_config: (
            "config/prod.exs",
            "import Config\n\nconfig :kernel, inet_dist_listen_min: 9100, inet_dist_listen_max: 9155\n",
            "`[[services]] #1` forwards to internal port 9120, in the Erlang distribution range 9100-9155 (config/prod.exs line 3); through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent",
            "manual step: `fly.toml`: `[[services]] #1` forwards to internal port 9120, in the Erlang distribution range 9100-9155 (config/prod.exs line 3); through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent\n  line 34: remove the `[[services]] #1` service: nodes reach each other over Fly's private network without one\nsome steps must be done by hand (listed above)\n",
        ),
    }
}

#[test]
fn several_process_groups_are_fine_when_the_query_names_one() {
    let project = TestProject::from_fixture("doctor/fly_process_groups");
    let env_sh = project.read("rel/env.sh.eex");
    let edited = env_sh.replace(
        "export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"",
        "export DNS_CLUSTER_QUERY=\"app.process.${FLY_APP_NAME}.internal\"",
    );
    assert_ne!(edited, env_sh, "the block sets no DNS_CLUSTER_QUERY");
    project.write("rel/env.sh.eex", edited);
    let (_, doc) = doctor_json(project.path(), &[]);
    assert_eq!(severities_of(&doc, "fly-process-groups"), ["ok"], "{doc}");
    // Fly's `<group>.process.<app>.internal` names the app's own Machines: the query check agrees.
    assert_eq!(
        attention_of(&doc, "dns-cluster-query"),
        Vec::<String>::new(),
        "{doc}"
    );
}

/// doctor/healthy with the Endpoint's prod `ip:` set to `ip`: the endpoint-ip findings.
fn endpoint_ip(ip: &str, expected: &[&str]) {
    let project = TestProject::from_fixture("doctor/healthy");
    let runtime = project.read("config/runtime.exs");
    let ipv6_any = "      ip: {0, 0, 0, 0, 0, 0, 0, 0}\n";
    assert_eq!(runtime.matches(ipv6_any).count(), 1, "{runtime}");
    project.write("config/runtime.exs", runtime.replace(ipv6_any, ip));
    let (_, doc) = doctor_json(project.path(), &[]);
    assert_eq!(attention_of(&doc, "endpoint-ip"), expected, "{ip}");
}

common::cases! {
    mod the_endpoint_prod_ip_is_the_last_one_a_prod_release_runs = endpoint_ip {
        ipv4_loopback: (
            "      ip: {127, 0, 0, 1}\n",
            &["warning endpoint-ip config/runtime.exs:67"],
        ),
        ipv6_loopback: (
            "      ip: {0, 0, 0, 0, 0, 0, 0, 1}\n",
            &["warning endpoint-ip config/runtime.exs:67"],
        ),
        ipv6_any: ("      ip: {0, 0, 0, 0, 0, 0, 0, 0}\n", &[]),
    }
}

/// A dev-only bind (what phx.new writes for dev) is never what the release listens on, and prod.exs
/// is overridden by runtime.exs.
#[test]
fn a_dev_bind_and_a_prod_exs_bind_are_not_the_release_s() {
    let project = TestProject::from_fixture("doctor/healthy");
    let healthy = project.read("config/runtime.exs");
    project.write(
        "config/runtime.exs",
        format!(
            "{healthy}\nif config_env() == :dev do\n  config :hello_done, HelloDoneWeb.Endpoint, http: [ip: {{127, 0, 0, 1}}]\nend\n"
        ),
    );
    project.write(
        "config/prod.exs",
        "import Config\n\nconfig :hello_done, HelloDoneWeb.Endpoint, http: [ip: {0, 0, 0, 0}]\n",
    );
    let (_, doc) = doctor_json(project.path(), &[]);
    assert_eq!(
        attention_of(&doc, "endpoint-ip"),
        Vec::<String>::new(),
        "{doc}"
    );
}

/// The manual steps of an init run's stderr, one line each.
fn manual_steps(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("manual step: "))
        .collect()
}

/// The one-verdict contract on a fixture of the Fly side: `init --yes` exits `code` listing exactly
/// `steps` as manual steps, and doctor then reports exactly `problems` (none when init exited 0;
/// each a manual step init listed when it exited 3).
fn init_then_doctor_agree(fixture: &str, code: i32, steps: &[&str], problems: &[&str]) {
    let project = doctor_fixture(fixture);
    let init = project.init(&["--yes"]);
    assert_eq!(
        (init.code, manual_steps(&init.stderr)),
        (code, steps.to_vec()),
        "{}",
        init.transcript()
    );
    let (doctor_code, doc) = doctor_json(project.path(), &[]);
    let found: Vec<String> = attention(&doc)
        .into_iter()
        .filter(|f| f.starts_with("problem"))
        .collect();
    assert_eq!(found, problems, "{fixture}");
    assert_eq!(doctor_code, if problems.is_empty() { 0 } else { 1 });
}

common::cases! {
    /// When `init --yes` exits 0, doctor reports no problem; where it cannot get there it exits 3
    /// with the step.
    mod init_then_doctor_agree_on_the_fly_side_fixtures = init_then_doctor_agree {
        healthy: ("healthy", 0, &[], &[]),
        ecto_ipv6_unread: ("ecto_ipv6_unread", 0, &[], &[]),
        ecto_ipv6_unset: ("ecto_ipv6_unset", 0, &[], &[]),
        fly_auto_stop: ("fly_auto_stop", 0, &[], &[]),
        fly_process_groups: ("fly_process_groups", 0, &[], &[]),
        fly_exposed_epmd: (
            "fly_exposed_epmd",
            3,
            &["manual step: `fly.toml`: `[[services]] #1` forwards to internal port 4369, EPMD's port: it tells anyone who asks which port each node takes connections on; through the app's public IP anyone can reach the node, and a node that accepts the cookie runs any code it is sent"],
            &["problem fly-exposes-dist fly.toml:34"],
        ),
        endpoint_ipv4: ("endpoint_ipv4", 0, &[], &[]),
    }
}

/// The same for `--database external`, on a project set up for Fly first (the block init owns in
/// rel/env.sh.eex must then leave ECTO_IPV6 out): doctor exits 0 with exactly `expected` needing
/// attention.
fn init_then_doctor_agree_for_external(fixture: &str, expected: &[&str]) {
    let project = doctor_fixture(fixture);
    let init = project.init(&["--yes", "--database", "external"]);
    assert_eq!(init.code, 0, "{fixture}: {}", init.transcript());
    let (code, doc) = doctor_json(project.path(), &["--database", "external"]);
    assert_eq!(
        (code, attention(&doc)),
        (0, expected.iter().map(|f| f.to_string()).collect())
    );
    assert_eq!(severities_of(&doc, "init-pending"), ["ok"], "{fixture}");
}

common::cases! {
    mod init_then_doctor_agree_for_an_external_database = init_then_doctor_agree_for_external {
        healthy: ("healthy", &[]),
        ecto_ipv6_unset: ("ecto_ipv6_unset", &[]),
    }
}
