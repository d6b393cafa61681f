//! `--strategy libcluster`, and projects that already cluster with libcluster.

mod common;
use common::{TestProject, assert_elixir_ok, elixir_files, insta_settings, require_tool};

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
    let project = TestProject::from_fixture("examples/hello_elixir");
    let run = project.init(&["--yes", "--strategy", "libcluster"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let mix = project.read("mix.exs");
    assert!(mix.contains("      {:libcluster, \"~> 3.5\"}\n"), "{mix}");
    assert!(!mix.contains("dns_cluster"), "{mix}");
    let app = project.read("lib/hello_elixir/application.ex");
    assert!(
        app.contains("      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {Cluster.Supervisor,\n       [Application.get_env(:libcluster, :topologies, []), [name: HelloElixir.ClusterSupervisor]]},\n      # Start the Endpoint"),
        "{app}"
    );
    assert!(!app.contains("DNSCluster"));
    let runtime = project.read("config/runtime.exs");
    // Only where the query is set (on Fly): elsewhere DNSPoll would warn every polling round.
    assert!(runtime.contains("if config_env() == :prod do\n  if System.get_env(\"DNS_CLUSTER_QUERY\") do\n    config :libcluster,\n      topologies: [\n        fly6pn: [\n          strategy: Cluster.Strategy.DNSPoll,\n          config: [\n            polling_interval: 5_000,\n            query: System.get_env(\"DNS_CLUSTER_QUERY\"),\n            node_basename: System.get_env(\"RELEASE_NODE\", \"\") |> String.split(\"@\") |> hd()\n"), "{runtime}");
    assert!(!runtime.contains("dns_cluster_query"));
    // The rest of the setup is the same for both strategies.
    assert!(
        project
            .read("rel/env.sh.eex")
            .contains("export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"")
    );
    assert!(
        project
            .read("Dockerfile")
            .contains("ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"")
    );
    assert!(
        project
            .read("fly.toml")
            .contains("DNS_CLUSTER_QUERY = 'hello-elixir.internal'")
    );

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
    let run = project.init(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta_settings()
        .bind(|| insta::assert_snapshot!("libcluster_existing_gossip", run.transcript()));

    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
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
    let runtime = project.read("config/runtime.exs");
    assert_ne!(
        runtime.as_bytes(),
        before_runtime,
        "no DNSPoll topology was added"
    );
    assert!(
        runtime.contains("strategy: Cluster.Strategy.DNSPoll"),
        "{runtime}"
    );
    let doctor = common::run_bin(&["doctor"], Some(project.path()));
    assert_eq!(doctor.code, 0, "{}", doctor.transcript());
    let gossip = doctor
        .stdout
        .lines()
        .find(|l| l.contains("config/prod.exs:3"))
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    assert_eq!(
        gossip.as_deref(),
        Some("warning libcluster-strategy config/prod.exs:3:"),
        "{}",
        doctor.stdout
    );
    // env.sh.eex, Dockerfile and fly.toml are still set up.
    assert!(
        project
            .read("rel/env.sh.eex")
            .contains("export RELEASE_DISTRIBUTION=\"name\"")
    );
    assert!(
        project
            .read("Dockerfile")
            .contains("ENV ECTO_IPV6=\"true\"")
    );
    assert!(project.read("fly.toml").contains("DNS_CLUSTER_QUERY"));
}

#[test]
fn a_libcluster_dependency_without_setup_gets_the_supervisor_and_topology() {
    let project = existing_libcluster_project(false, None);
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        project
            .read("lib/hello_elixir/application.ex")
            .contains("{Cluster.Supervisor,")
    );
    assert!(
        project
            .read("config/runtime.exs")
            .contains("Cluster.Strategy.DNSPoll")
    );
    let mix = project.read("mix.exs");
    assert!(
        mix.contains("{:libcluster, \"~> 3.3\"}") && !mix.contains("dns_cluster"),
        "{mix}"
    );
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
    assert!(
        project
            .read("config/runtime.exs")
            .contains("config :hello_elixir, :dns_cluster_query")
    );
}

/// A basename init cannot place (a variable this file never binds) matches no node flycluster
/// names: a manual step, not a silent exit 0.
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
    assert!(
        run.stderr.contains("manual step: `config/prod.exs`: `node_basename` is `app_name`, but the nodes are named `hello-elixir-<image suffix>`, so DNSPoll never reaches them"),
        "{}",
        run.transcript()
    );
}
