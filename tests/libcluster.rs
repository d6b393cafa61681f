//! `--strategy libcluster`, and projects that already cluster with libcluster.

mod common;
use common::{
    TestProject, assert_elixir_ok, diffs_of, edited, elixir_files, fixture_file, insta_settings,
    require_tool,
};

const EXAMPLE: &str = "examples/hello_elixir";
const APP_EX: &str = "lib/hello_elixir/application.ex";
const PUBSUB: &str = "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n";

/// The Cluster.Supervisor child init adds, on the lines `mix format` gives it.
const CLUSTER_SUPERVISOR: &str = "      {Cluster.Supervisor,\n       [Application.get_env(:libcluster, :topologies, []), [name: HelloElixir.ClusterSupervisor]]},\n";

/// runtime.exs's prod block with the DNSPoll topology init adds at its top: only where the query
/// is set (on Fly), for elsewhere DNSPoll would warn every polling round.
fn prod_block_with_topology() -> String {
    format!(
        "if config_env() == :prod do\n{}",
        common::fly_topology("libcluster", "topologies", "fly6pn")
    )
}

/// The example's application.ex and runtime.exs with the Cluster.Supervisor child and the DNSPoll
/// topology init adds, and nothing else changed.
fn assert_supervisor_and_topology_added(project: &TestProject) {
    let original = |rel| fixture_file(EXAMPLE, rel);
    assert_eq!(
        project.read(APP_EX),
        edited(
            &original(APP_EX),
            &[(PUBSUB, &format!("{PUBSUB}{CLUSTER_SUPERVISOR}"))]
        )
    );
    assert_eq!(
        project.read("config/runtime.exs"),
        edited(
            &original("config/runtime.exs"),
            &[("if config_env() == :prod do\n", &prod_block_with_topology())]
        )
    );
}

/// A copy of the example project that already depends on libcluster, with its own topology in
/// config/prod.exs (as many projects have it, for Kubernetes or Gossip).
fn existing_libcluster_project(child: bool, topology: Option<&str>) -> TestProject {
    let project = TestProject::from_fixture("examples/hello_elixir");
    let mix = project.read("mix.exs").replace(
        "      {:plug_cowboy, \"~> 2.5\"}\n",
        "      {:plug_cowboy, \"~> 2.5\"},\n      {:libcluster, \"~> 3.3\"}\n",
    );
    project.write("mix.exs", mix);
    if child {
        let app = project.read("lib/hello_elixir/application.ex").replace(
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n",
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {Cluster.Supervisor, [Application.get_env(:libcluster, :topologies), [name: HelloElixir.ClusterSupervisor]]},\n",
        );
        project.write("lib/hello_elixir/application.ex", app);
    }
    if let Some(topology) = topology {
        project.write("config/prod.exs", format!("import Config\n\n{topology}"));
    }
    project
}

#[test]
fn strategy_libcluster_adds_the_dependency_the_supervisor_and_a_dnspoll_topology() {
    let project = TestProject::from_fixture(EXAMPLE);
    let run = project.init(&["--yes", "--strategy", "libcluster"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    // Every change, as init shows it; the rest of the setup (env.sh, Dockerfile, fly.toml) is the
    // same for both strategies.
    insta_settings()
        .bind(|| insta::assert_snapshot!("libcluster_strategy_apply", run.transcript()));
    let original = |rel| fixture_file(EXAMPLE, rel);
    assert_eq!(
        project.read("mix.exs"),
        edited(
            &original("mix.exs"),
            &[(
                "      {:plug_cowboy, \"~> 2.5\"}\n",
                "      {:plug_cowboy, \"~> 2.5\"},\n      {:libcluster, \"~> 3.5\"}\n"
            )]
        )
    );
    assert_supervisor_and_topology_added(&project);

    let after = project.snapshot_files();
    let again = project.init(&["--yes", "--strategy", "libcluster"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(
        project.snapshot_files(),
        after,
        "a second run changed files"
    );

    if require_tool("elixir") {
        assert_elixir_ok(project.path(), &elixir_files(project.path()), "libcluster");
    }
}

#[test]
fn a_project_on_libcluster_keeps_it_and_gets_no_dns_cluster() {
    let project = existing_libcluster_project(
        true,
        Some(
            "config :libcluster,\n  topologies: [\n    gossip: [strategy: Cluster.Strategy.Gossip]\n  ]\n",
        ),
    );
    let before_mix = project.read_bytes("mix.exs");
    let before_app = project.read_bytes("lib/hello_elixir/application.ex");
    let before_runtime = project.read_bytes("config/runtime.exs");
    let dry = project.init(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.transcript());
    insta_settings()
        .bind(|| insta::assert_snapshot!("libcluster_existing_gossip", dry.transcript()));

    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    // What it writes is what the snapshotted dry run showed (env.sh.eex, Dockerfile and fly.toml set
    // up, a DNSPoll topology in runtime.exs).
    assert_eq!(
        common::redact(diffs_of(&run.stdout), None),
        common::redact(diffs_of(&dry.stdout), None)
    );
    assert_eq!(project.read_bytes("mix.exs"), before_mix, "mix.exs changed");
    assert_eq!(
        project.read_bytes("lib/hello_elixir/application.ex"),
        before_app
    );
    // The Gossip topology stays; a DNSPoll one for Fly goes beside it (Config merges the two).
    assert_eq!(
        project.read("config/prod.exs"),
        "import Config\n\nconfig :libcluster,\n  topologies: [\n    gossip: [strategy: Cluster.Strategy.Gossip]\n  ]\n"
    );
    assert_eq!(
        project.read("config/runtime.exs"),
        edited(
            &String::from_utf8(before_runtime).unwrap(),
            &[("if config_env() == :prod do\n", &prod_block_with_topology())]
        )
    );
    // doctor: exit 0, and the Gossip topology is a warning at its line.
    let doctor = common::run_bin(&["doctor", "--format", "json"], Some(project.path()));
    assert_eq!(doctor.code, 0, "{}", doctor.transcript());
    let doc: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let in_prod_exs: Vec<(&str, &str, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "config/prod.exs")
        .map(|f| {
            (
                f["severity"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(in_prod_exs, [("warning", "libcluster-strategy", 3)]);
}

#[test]
fn a_libcluster_dependency_without_setup_gets_the_supervisor_and_topology() {
    let project = existing_libcluster_project(false, None);
    let before_mix = project.read("mix.exs");
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_supervisor_and_topology_added(&project);
    // Its libcluster dependency stays as it is, and no dns_cluster comes in.
    assert_eq!(project.read("mix.exs"), before_mix);
}

#[test]
fn a_dns_cluster_key_set_in_another_config_file_is_left_there() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    project.write(
        "config/prod.exs",
        "import Config\n\nconfig :hello_elixir, dns_cluster_query: \"hello-elixir.internal\"\n",
    );
    let before = project.read_bytes("config/runtime.exs");
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(project.read_bytes("config/runtime.exs"), before);
}

/// A setting in a build-time config file that reads the environment gets the build machine's value:
/// it does not count, and runtime.exs gets the setting.
#[test]
fn a_build_time_setting_that_reads_the_environment_does_not_count() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    project.write(
        "config/prod.exs",
        "import Config\n\nconfig :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\n",
    );
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(
        project.read("config/runtime.exs"),
        edited(
            &fixture_file(EXAMPLE, "config/runtime.exs"),
            &[(
                "if config_env() == :prod do\n",
                "if config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\n\n"
            )]
        )
    );
}

/// A basename init cannot evaluate (a variable this file never binds): the nodes keep `APP@IP`,
/// and the user is asked to check it, a manual step rather than a silent exit 0.
#[test]
fn a_basename_not_derived_from_the_node_name_is_reported() {
    let project = existing_libcluster_project(
        true,
        Some(
            "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [\n        polling_interval: 5_000,\n        query: \"hello-elixir.internal\",\n        node_basename: app_name\n      ]\n    ]\n  ]\n",
        ),
    );
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    insta::assert_snapshot!(run.stderr, @r#"
    manual step: `config/prod.exs`: `node_basename` is `app_name`, which flycluster cannot evaluate; the nodes keep the names `hello-elixir@IP` they had, and DNSPoll reaches them only if it gives `hello-elixir`
      line 10, in the DNSPoll topology's `config:`, add:
        node_basename: System.get_env("RELEASE_NODE", "") |> String.split("@") |> hd()
    some steps must be done by hand (listed above)
    "#);
}
