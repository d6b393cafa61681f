//! Check 6: the clustering child, its config and its dependency agree.

use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::edit::application::{self, Started};
use crate::edit::{Strategy, Supervision, deps};
use crate::elixir;
use crate::init::{self};
use tree_sitter::Node;

/// Where a query or topology setting comes from.
pub(in crate::doctor) enum ConfigValue {
    /// `System.get_env("DNS_CLUSTER_QUERY")` or `fetch_env!`.
    ReadsQueryEnv,
    /// Reads another environment variable.
    ReadsEnv(String),
    Literal(String),
    /// `"#{app}.internal"` with `app` read from FLY_APP_NAME at runtime.
    AppInternal,
    Other(String),
}

pub(in crate::doctor) fn config_value(node: Node<'_>, root: Node<'_>, src: &str) -> ConfigValue {
    let text = elixir::text(node, src);
    let interpolated = !elixir::descendants_of_kind(node, "interpolation").is_empty();
    if node.kind() == "string" && !interpolated {
        return ConfigValue::Literal(text.trim_matches('"').to_string());
    }
    let mut candidates = vec![node];
    candidates.extend(elixir::bound_values(node, root, src));
    let mut reads = Vec::new();
    for candidate in &candidates {
        for call in elixir::descendants_of_kind(*candidate, "call") {
            if matches!(
                elixir::call_name(call, src),
                Some("System.get_env" | "System.fetch_env!" | "System.fetch_env")
            ) {
                let first =
                    elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next());
                if let Some(first) = first.filter(|f| f.kind() == "string") {
                    reads.push(elixir::text(first, src).trim_matches('"').to_string());
                }
            }
        }
    }
    if reads.iter().any(|r| r == "DNS_CLUSTER_QUERY") {
        return ConfigValue::ReadsQueryEnv;
    }
    if interpolated && text.ends_with(".internal\"") && reads.iter().any(|r| r == "FLY_APP_NAME") {
        return ConfigValue::AppInternal;
    }
    match reads.into_iter().next() {
        Some(var) => ConfigValue::ReadsEnv(var),
        None => ConfigValue::Other(text.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// What the DNSCluster child's `query:` reads.
pub(in crate::doctor) enum ChildQuery {
    AppEnv { app: String, key: String },
    Direct(ConfigValue),
    Unknown(String),
}

impl Inputs<'_> {
    /// What the application starts, as init's editors read it.
    pub(in crate::doctor) fn started(&self) -> Started<'_> {
        self.application
            .as_ref()
            .map(|app| application::started(app.root(), &app.src))
            .unwrap_or_default()
    }

    /// What the application starts for clustering and the keys its children read, as init's
    /// editors read it.
    pub(in crate::doctor) fn supervision(&self) -> Supervision {
        self.application
            .as_ref()
            .map(|app| application::supervision(&app.src))
            .unwrap_or_default()
    }

    /// The app's own dependencies, or in an umbrella another app's, bring the library.
    pub(in crate::doctor) fn dep_in_umbrella(&self, library: Strategy) -> bool {
        let project = self.project;
        deps::brings(
            project
                .deps
                .iter()
                .chain(&project.sibling_deps)
                .map(String::as_str),
            library,
        )
    }

    pub(in crate::doctor) fn check_clustering_library(&self, out: &mut Vec<Finding>) {
        let started = self.started();
        let own_deps = || self.project.deps.iter().map(String::as_str);
        let libcluster =
            deps::brings(own_deps(), Strategy::Libcluster) || started.cluster_supervisor.is_some();
        let dns_cluster =
            deps::brings(own_deps(), Strategy::DnsCluster) || started.dns_cluster.is_some();
        let strategy = init::resolve_strategy(self.project, None);
        if let Some((line, message)) = started.both_started() {
            out.push(
                Finding::warning(FindingId::ClusteringBothStarted, message)
                    .at(self.app_file(), Some(line))
                    .fix(application::BOTH_STARTED_FIX),
            );
        }
        let (mut dns, mut lib) = (Vec::new(), Vec::new());
        if dns_cluster || (!libcluster && strategy == Strategy::DnsCluster) {
            self.check_dns_cluster(&mut dns);
        }
        if libcluster {
            self.check_libcluster(&mut lib);
        }
        if started.both_started().is_some() {
            // Either library alone forms the cluster: while one is set up, what the other lacks
            // stops nothing.
            let set_up =
                |findings: &[Finding]| findings.iter().all(|f| f.severity != Severity::Problem);
            let (working, other) = if set_up(&dns) {
                ("DNSCluster", &mut lib)
            } else if set_up(&lib) {
                ("libcluster", &mut dns)
            } else {
                ("", &mut Vec::new())
            };
            for finding in other.iter_mut().filter(|f| f.severity == Severity::Problem) {
                finding.severity = Severity::Warning;
                finding
                    .message
                    .push_str(&format!(" ({working} is set up and forms the cluster)"));
            }
        }
        out.extend(dns);
        out.extend(lib);
    }

    pub(in crate::doctor) fn app_file(&self) -> String {
        self.project.application_path.clone().unwrap_or_else(|| {
            format!(
                "{}lib/{}/application.ex",
                self.project.app_dir, self.project.otp_app
            )
        })
    }
}
