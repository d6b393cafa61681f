//! Check 6, libcluster: Cluster.Supervisor, its topologies and its dependency.

use super::clustering::{ConfigValue, config_value};
use super::release_node::split_node;
use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::edit::runtime::{self, Basename, FitIssueKind};
use crate::edit::{LIBCLUSTER_TOPOLOGIES, Strategy};
use crate::elixir;
use crate::shell::{self as env_sh};
use tree_sitter::Node;

impl Inputs<'_> {
    pub(in crate::doctor) fn check_libcluster(&self, out: &mut Vec<Finding>) {
        let mix = self.project.mix_exs();
        if self.dep_in_umbrella(Strategy::Libcluster) {
            out.push(Finding::ok(FindingId::LibclusterDep, "depends on libcluster").at(mix, None));
        } else {
            out.push(
                Finding::problem(FindingId::LibclusterDep, "the application starts Cluster.Supervisor, but mix.exs does not depend on libcluster")
                    .at(mix, None)
                    .fix("add `{:libcluster, \"~> 3.5\"}` to deps"),
            );
        }
        let app_file = self.app_file();
        let started = self.started();
        match started.cluster_supervisor.map(|c| c.start_position().row + 1) {
            Some(line) => out.push(
                Finding::ok(FindingId::LibclusterChild, "the application starts Cluster.Supervisor").at(app_file, Some(line)),
            ),
            None => out.push(
                Finding::problem(FindingId::LibclusterChild, "the project depends on libcluster, but the application starts no Cluster.Supervisor, so nodes never look for each other")
                    .at(app_file, None)
                    .fix(format!(
                        "add `{{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: {}.ClusterSupervisor]]}}` to the children (`flycluster init --strategy libcluster` does)",
                        self.project.namespace()
                    )),
            ),
        }

        let mut any = false;
        // The key the started Cluster.Supervisor reads its topologies from, as init writes it.
        let (app, key) = self.supervision().topologies_key();
        // Config merges the topologies of every `config` call for that key: another platform's
        // strategy beside one that finds nodes on Fly is harmless.
        let fly_topology_somewhere = self
            .configs
            .iter()
            .any(|c| runtime::finds_nodes_on_fly(c.root(), &c.src, &app, &key));
        for config in &self.configs {
            let root = config.root();
            let topologies = runtime::libcluster_topologies(root, &config.src, &app, &key);
            if topologies.is_empty() {
                continue;
            }
            any = true;
            let issues = runtime::libcluster_fit_issues(root, &config.src, &app, &key);
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
            for topology in topologies {
                let line = config.line_of(topology);
                let text = elixir::text(topology, &config.src);
                let has = |kind| issues.iter().any(|i| i.kind == kind && i.line == line);
                if text.contains("Cluster.Strategy.DNSPoll") && !has(FitIssueKind::Strategy) {
                    out.push(
                        Finding::ok(
                            FindingId::LibclusterStrategy,
                            "the libcluster topology uses `Cluster.Strategy.DNSPoll`",
                        )
                        .at(&config.path, Some(line)),
                    );
                }
                if text.contains("polling_interval:") && !has(FitIssueKind::PollInterval) {
                    out.push(
                        Finding::ok(
                            FindingId::LibclusterPollingInterval,
                            "the topology sets `polling_interval`, the key DNSPoll reads",
                        )
                        .at(&config.path, Some(line)),
                    );
                }
                self.check_topology(config, topology, (&app, &key), out);
            }
        }
        if !any {
            let mut message = format!(
                "no `config :{app}, {key}: ...` in config/: Cluster.Supervisor has no topology to run"
            );
            let (default_app, default_key) = LIBCLUSTER_TOPOLOGIES;
            if (app.as_str(), key.as_str()) != LIBCLUSTER_TOPOLOGIES
                && self.configs.iter().any(|c| {
                    !runtime::libcluster_topologies(c.root(), &c.src, default_app, default_key)
                        .is_empty()
                })
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

    /// query and node_basename of one call that configures topologies under `(app, key)`.
    pub(in crate::doctor) fn check_topology(
        &self,
        config: &ExFile,
        topology: Node<'_>,
        (app, key): (&str, &str),
        out: &mut Vec<Finding>,
    ) {
        let src = &config.src;
        let line = config.line_of(topology);
        let text = elixir::text(topology, src);
        if !text.contains("Cluster.Strategy.DNSPoll") {
            // The strategy finding says what to do.
            return;
        }
        let pair_value = |key: &str| {
            elixir::descendants_of_kind(topology, "pair")
                .into_iter()
                .find_map(|pair| {
                    let k = pair.child_by_field_name("key").map(|k| {
                        elixir::text(k, src)
                            .trim_end()
                            .trim_end_matches(':')
                            .to_string()
                    });
                    (k.as_deref() == Some(key))
                        .then(|| pair.child_by_field_name("value"))
                        .flatten()
                })
        };
        let build_time = !config.is_runtime();

        match pair_value("query") {
            None => out.push(
                Finding::problem(
                    FindingId::LibclusterQuery,
                    "the DNSPoll topology has no `query`, so it looks up nothing",
                )
                .at(&config.path, Some(line))
                .fix("add `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
            ),
            Some(node) => {
                let at = config.line_of(node);
                let finding = match config_value(node, config.root(), src) {
                    ConfigValue::ReadsQueryEnv | ConfigValue::ReadsEnv(_) | ConfigValue::AppInternal
                        if build_time =>
                    {
                        Finding::problem(FindingId::LibclusterQuery,
                        format!("the topology's query reads the environment in {}, at build time, when it is not set", config.path),
                    )
                    .fix(format!("move the topology into {RUNTIME_EXS}'s prod block"))
                    }
                    ConfigValue::ReadsQueryEnv => Finding::ok(FindingId::LibclusterQuery, "the DNSPoll topology's query comes from DNS_CLUSTER_QUERY"),
                    ConfigValue::AppInternal => Finding::ok(FindingId::LibclusterQuery, "the DNSPoll topology's query is FLY_APP_NAME's `.internal`"),
                    ConfigValue::Literal(q) if self.query_fits(&q) != Some(false) => {
                        Finding::ok(FindingId::LibclusterQuery, format!("the DNSPoll topology's query is `{q}`"))
                    }
                    ConfigValue::Literal(q) => Finding::problem(FindingId::LibclusterQuery,
                        format!("the DNSPoll topology's query is `{q}`, not `{}`", self.expected_query()),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::ReadsEnv(var) => Finding::warning(FindingId::LibclusterQuery,
                        format!("the DNSPoll topology's query reads `{var}`; env.sh.eex sets DNS_CLUSTER_QUERY"),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::Other(t) => Finding::warning(FindingId::LibclusterQuery,
                        format!("doctor cannot tell what the DNSPoll topology's query `{t}` is"),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                };
                out.push(finding.at(&config.path, Some(at)));
            }
        }

        let rows = topology.start_position().row + 1..=topology.end_position().row + 1;
        let node_name = match self.at_boot("RELEASE_NODE") {
            Boot::Set(v) | Boot::Uncertain(v, _) => {
                split_node(&v.value).map(|(n, _)| env_sh::normalized(&n))
            }
            _ => None,
        };
        let fly_app = self.fly_app_shown();
        for poll in runtime::dnspoll_topologies(config.root(), src, app, key)
            .into_iter()
            .filter(|p| rows.contains(&p.line))
        {
            let Some((at, basename)) = poll.basename else {
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
                ref b if b.is_app_name(&fly_app) && node_name.as_deref() == Some("${FLY_APP_NAME}") => {
                    Finding::ok(FindingId::LibclusterNodeBasename, "`node_basename` is the Fly app name, as RELEASE_NODE's name is")
                }
                ref b => Finding::problem(FindingId::LibclusterNodeBasename,
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
            out.push(finding.at(&config.path, Some(at)));
        }
    }
}
