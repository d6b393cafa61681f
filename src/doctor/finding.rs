//! A finding: one result of one check, with its severity, the file and line it is about, a message
//! and a one-line fix.

use crate::doctor::boot::Origin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Problem => "problem",
        }
    }
}

/// The checks, in the order doctor runs and reports them; the JSON document numbers them so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// rel/env.sh.eex exists and the five exports take effect on Fly.
    EnvSh = 1,
    /// erl gets `-proto_dist inet6_tcp`, exactly once.
    ErlAflags,
    /// RELEASE_NODE is `<the same name on every machine>@${FLY_PRIVATE_IP}`.
    ReleaseNode,
    /// RELEASE_DISTRIBUTION is `name`.
    ReleaseDistribution,
    /// DNS_CLUSTER_QUERY names the Fly app, `.internal`, wherever it is set.
    DnsClusterQuery,
    /// The clustering child, its config and its dependency agree.
    ClusteringLibrary,
    /// A cookie is provided, and not in plain text in a committed file.
    Cookie,
    /// ECTO_IPV6 and the Repo agree with where the database lives.
    EctoIpv6,
    /// No legacy `ENV KEY value` lines for these settings.
    LegacyEnv,
    /// fly.toml keeps the cluster's Machines running.
    MachinesStayUp,
    /// With several process groups, which ones the query reaches.
    ProcessGroups,
    /// No service publishes EPMD or the distribution port.
    PublishedPorts,
    /// The Endpoint listens where other Machines reach it.
    EndpointIp,
    /// `flycluster init` would still change something.
    InitPending,
}

impl Check {
    /// 1 to 14, as `check` in the JSON document.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// Each finding id names the check it belongs to, so a finding cannot be reported under another.
macro_rules! finding_ids {
    ($($check:ident: $($id:ident = $name:literal),+;)+) => {
        /// What a finding is about: stable, kebab-case in the output (`release-node-host`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FindingId {
            $($($id,)+)+
        }

        impl FindingId {
            pub const ALL: &[FindingId] = &[$($(FindingId::$id,)+)+];

            pub fn name(self) -> &'static str {
                match self {
                    $($(FindingId::$id => $name,)+)+
                }
            }

            pub fn check(self) -> Check {
                match self {
                    $($(FindingId::$id => Check::$check,)+)+
                }
            }
        }
    };
}

finding_ids! {
    EnvSh: EnvShMissing = "env-sh-missing", EnvShUnparsed = "env-sh-unparsed", EnvShExports = "env-sh-exports", EnvShUnguarded = "env-sh-unguarded";
    ErlAflags: ErlAflags = "erl-aflags", DockerfileBuilderStage = "dockerfile-builder-stage", ProtoDistTwice = "proto-dist-twice";
    ReleaseNode: ReleaseNodeHost = "release-node-host", ReleaseNodeName = "release-node-name", ReleaseNodeImageSuffix = "release-node-image-suffix";
    ReleaseDistribution: ReleaseDistribution = "release-distribution";
    DnsClusterQuery: DnsClusterQuery = "dns-cluster-query", DnsClusterQueryMismatch = "dns-cluster-query-mismatch", FlyAppMismatch = "fly-app-mismatch";
    ClusteringLibrary: ClusteringBothStarted = "clustering-both-started", DnsClusterDep = "dns-cluster-dep", DnsClusterChild = "dns-cluster-child", DnsClusterConfig = "dns-cluster-config", LibclusterDep = "libcluster-dep", LibclusterChild = "libcluster-child", LibclusterTopology = "libcluster-topology", LibclusterStrategy = "libcluster-strategy", LibclusterPollingInterval = "libcluster-polling-interval", LibclusterQuery = "libcluster-query", LibclusterNodeBasename = "libcluster-node-basename";
    Cookie: CookieInFlyToml = "cookie-in-fly-toml", CookieInFile = "cookie-in-file", CookieNotVisible = "cookie-not-visible";
    EctoIpv6: EctoIpv6Runtime = "ecto-ipv6-runtime", EctoIpv6Value = "ecto-ipv6-value", EctoIpv6Unset = "ecto-ipv6-unset", EctoIpv6External = "ecto-ipv6-external";
    LegacyEnv: DockerfileLegacyEnv = "dockerfile-legacy-env";
    MachinesStayUp: FlyAutoStop = "fly-auto-stop";
    ProcessGroups: FlyProcessGroups = "fly-process-groups";
    PublishedPorts: FlyExposesDist = "fly-exposes-dist";
    EndpointIp: EndpointIp = "endpoint-ip";
    InitPending: InitPending = "init-pending";
}

/// One result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    /// Path relative to the project root.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    pub message: String,
    /// One line; `None` for ok findings.
    pub fix: Option<String>,
}

impl Finding {
    pub(in crate::doctor) fn new(
        id: FindingId,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            id,
            severity,
            file: None,
            line: None,
            message: message.into(),
            fix: None,
        }
    }

    pub(in crate::doctor) fn ok(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Ok, message)
    }

    pub(in crate::doctor) fn warning(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Warning, message)
    }

    pub(in crate::doctor) fn problem(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Problem, message)
    }

    /// The check the finding belongs to; findings are reported in check order.
    pub fn check(&self) -> Check {
        self.id.check()
    }

    pub(in crate::doctor) fn at(mut self, file: impl Into<String>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }

    pub(in crate::doctor) fn at_origin(self, origin: &Origin) -> Self {
        self.at(origin.file(), Some(origin.line()))
    }

    pub(in crate::doctor) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub(in crate::doctor) fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_listed_in_check_order() {
        let names: Vec<&str> = FindingId::ALL.iter().map(|id| id.name()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }));
        let checks: Vec<u8> = FindingId::ALL
            .iter()
            .map(|id| id.check().number())
            .collect();
        assert!(checks.windows(2).all(|w| w[0] <= w[1]), "{checks:?}");
        assert_eq!((checks[0], checks[checks.len() - 1]), (1, 14));
        assert_eq!(Check::InitPending.number(), 14);
    }
}
