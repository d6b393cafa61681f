//! Check 6, libcluster: Cluster.Supervisor, its topologies and its dependency.

use crate::doctor::finding::{Finding, FindingId, Severity};
use crate::doctor::setup::{RUNTIME_EXS, Setup, TopologyConfig};
use crate::edit::runtime::{self, Basename, FitIssueKind, QueryValue};
use crate::edit::{LIBCLUSTER_TOPOLOGIES, Strategy};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    out.push(super::clustering::dependency(
        setup,
        Strategy::Libcluster,
        FindingId::LibclusterDep,
        "the application starts Cluster.Supervisor, but mix.exs does not depend on libcluster",
        "add `{:libcluster, \"~> 3.5\"}` to deps",
    ));
    let app_file = setup.app_file();
    match setup.cluster_supervisor_line() {
        Some(line) => out.push(
            Finding::ok(FindingId::LibclusterChild, "the application starts Cluster.Supervisor").at(app_file, Some(line)),
        ),
        None => out.push(
            Finding::problem(FindingId::LibclusterChild, "the project depends on libcluster, but the application starts no Cluster.Supervisor, so nodes never look for each other")
                .at(app_file, None)
                .fix(format!(
                    "add `{{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: {}.ClusterSupervisor]]}}` to the children (`flycluster init --strategy libcluster` does)",
                    setup.project.namespace()
                )),
        ),
    }

    let mut any = false;
    // The key the started Cluster.Supervisor reads its topologies from, as init writes it.
    let (app, key) = setup.supervision.topologies_key();
    // Config merges the topologies of every `config` call for that key: another platform's
    // strategy beside one that finds nodes on Fly is harmless.
    let fly_topology_somewhere = setup
        .configs
        .iter()
        .any(|c| c.finds_nodes_on_fly(&app, &key));
    // A topologies list written in the application module is all the supervisor gets: a config
    // for the key is read by nothing, so it is not judged (init adds none there either).
    let configs = match setup.supervision.topologies_in_code {
        Some(_) => &[][..],
        None => &setup.configs[..],
    };
    for config in configs {
        let topologies = config.topologies(&app, &key);
        if topologies.is_empty() {
            continue;
        }
        any = true;
        let issues = config.fit_issues(&app, &key);
        for issue in &issues {
            let (id, severity, fix) = match issue.kind {
                FitIssueKind::Strategy if fly_topology_somewhere => (
                    FindingId::LibclusterStrategy,
                    Severity::Warning,
                    "nothing to change for Fly: another topology forms the cluster there",
                ),
                FitIssueKind::Strategy => (
                    FindingId::LibclusterStrategy,
                    Severity::Problem,
                    "use `strategy: Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`",
                ),
                FitIssueKind::PollInterval => (
                    FindingId::LibclusterPollingInterval,
                    Severity::Warning,
                    "rename `poll_interval:` to `polling_interval:`",
                ),
            };
            out.push(
                Finding::new(id, severity, issue.message.clone())
                    .at(&config.path, Some(issue.line))
                    .fix(fix),
            );
        }
        for topology in &topologies {
            let line = topology.line;
            let has = |kind| issues.iter().any(|i| i.kind == kind && i.line == line);
            if topology.mentions_dnspoll && !has(FitIssueKind::Strategy) {
                out.push(
                    Finding::ok(
                        FindingId::LibclusterStrategy,
                        "the libcluster topology uses `Cluster.Strategy.DNSPoll`",
                    )
                    .at(&config.path, Some(line)),
                );
            }
            if topology.sets_polling_interval && !has(FitIssueKind::PollInterval) {
                out.push(
                    Finding::ok(
                        FindingId::LibclusterPollingInterval,
                        "the topology sets `polling_interval`, the key DNSPoll reads",
                    )
                    .at(&config.path, Some(line)),
                );
            }
            check_topology(setup, topology, out);
        }
    }
    // Topologies written in the application module are what the supervisor gets.
    if let Some((line, dnspoll)) = setup.supervision.topologies_in_code {
        out.push(if dnspoll {
            Finding::ok(
                FindingId::LibclusterTopology,
                "Cluster.Supervisor is given a topologies list written in the application module, with a DNSPoll topology among them",
            )
            .at(setup.app_file(), Some(line))
        } else {
            Finding::problem(FindingId::LibclusterTopology, runtime::TOPOLOGIES_IN_CODE_REASON)
                .at(setup.app_file(), Some(line))
                .fix(format!(
                    "add to that list: {}",
                    runtime::dnspoll_topology_snippet()
                ))
        });
        return;
    }
    if !any {
        let mut message = format!(
            "no `config :{app}, {key}: ...` in config/: Cluster.Supervisor has no topology to run"
        );
        let (default_app, default_key) = LIBCLUSTER_TOPOLOGIES;
        if (app.as_str(), key.as_str()) != LIBCLUSTER_TOPOLOGIES
            && setup
                .configs
                .iter()
                .any(|c| !c.topologies(default_app, default_key).is_empty())
        {
            message.push_str(&format!(
                " (it reads `Application.get_env(:{app}, :{key})`; config/ configures `:{default_app}, :{default_key}` instead)"
            ));
        }
        out.push(
            Finding::problem(FindingId::LibclusterTopology, message)
                .at(RUNTIME_EXS, None)
                .fix(format!("add a `Cluster.Strategy.DNSPoll` topology under `config :{app}, {key}:` to runtime.exs's prod block (`flycluster init --strategy libcluster` does)")),
        );
    }
}

/// query and node_basename of one call that configures topologies.
fn check_topology(setup: &Setup, topology: &TopologyConfig<'_>, out: &mut Vec<Finding>) {
    let config = topology.file;
    let line = topology.line;
    if !topology.mentions_dnspoll {
        // The strategy finding says what to do.
        return;
    }
    let build_time = !config.is_runtime();

    match &topology.query {
        None => out.push(
            Finding::problem(
                FindingId::LibclusterQuery,
                "the DNSPoll topology has no `query`, so it looks up nothing",
            )
            .at(&config.path, Some(line))
            .fix("add `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
        ),
        Some((at, value)) => {
            let finding = match value {
                QueryValue::ReadsQueryEnv | QueryValue::ReadsEnv(_) | QueryValue::AppInternal
                    if build_time =>
                {
                    Finding::problem(FindingId::LibclusterQuery,
                    format!("the topology's query reads the environment in {}, at build time, when it is not set", config.path),
                )
                .fix(format!("move the topology into {RUNTIME_EXS}'s prod block"))
                }
                QueryValue::ReadsQueryEnv => Finding::ok(FindingId::LibclusterQuery, "the DNSPoll topology's query comes from DNS_CLUSTER_QUERY"),
                QueryValue::AppInternal => Finding::ok(FindingId::LibclusterQuery, "the DNSPoll topology's query is FLY_APP_NAME's `.internal`"),
                QueryValue::Literal(q) if setup.query_fits(q) != Some(false) => {
                    Finding::ok(FindingId::LibclusterQuery, format!("the DNSPoll topology's query is `{q}`"))
                }
                QueryValue::Literal(q) => Finding::problem(FindingId::LibclusterQuery,
                    format!("the DNSPoll topology's query is `{q}`, not `{}`", setup.expected_query()),
                )
                .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                QueryValue::ReadsEnv(var) => Finding::warning(FindingId::LibclusterQuery,
                    format!("the DNSPoll topology's query reads `{var}`; env.sh.eex sets DNS_CLUSTER_QUERY"),
                )
                .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                QueryValue::Other(t) => Finding::warning(FindingId::LibclusterQuery,
                    format!("doctor cannot tell what the DNSPoll topology's query `{t}` is"),
                )
                .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
            };
            out.push(finding.at(&config.path, Some(*at)));
        }
    }

    let node_name = setup.release_node_name();
    let fly_app = setup.fly_app_shown();
    for poll in &topology.dnspolls {
        let Some((at, basename)) = &poll.basename else {
            out.push(
                Finding::problem(FindingId::LibclusterNodeBasename, "the DNSPoll topology has no `node_basename`; DNSPoll needs it to name the nodes it finds")
                    .at(&config.path, Some(poll.line))
                    .fix(format!("add `{}`", runtime::NODE_BASENAME_FIX)),
            );
            continue;
        };
        let finding = match basename {
            Basename::NodeName if build_time => Finding::problem(FindingId::LibclusterNodeBasename,
                format!("`node_basename` reads the node name in {}, at build time, not the one env.sh.eex gives at boot", config.path),
            )
            .fix(format!("move the topology into {RUNTIME_EXS}'s prod block")),
            Basename::NodeName => Finding::ok(FindingId::LibclusterNodeBasename, "`node_basename` is derived from the node name env.sh.eex gives"),
            b if b.is_app_name(&fly_app) && node_name.as_deref() == Some("${FLY_APP_NAME}") => {
                Finding::ok(FindingId::LibclusterNodeBasename, "`node_basename` is the Fly app name, as RELEASE_NODE's name is")
            }
            b => Finding::problem(FindingId::LibclusterNodeBasename,
                format!(
                    "`node_basename` is {}, but {}; DNSPoll connects to `<basename>@IP`, so it never reaches them",
                    b.shown(),
                    match &node_name {
                        Some(name) => format!("rel/env.sh.eex names nodes `{name}`"),
                        None => "no RELEASE_NODE is set, so nodes are named after the release".into(),
                    }
                ),
            )
            .fix(format!("`{}`", runtime::NODE_BASENAME_FIX)),
        };
        out.push(finding.at(&config.path, Some(*at)));
    }
}
