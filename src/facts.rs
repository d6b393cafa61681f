//! The facts init and doctor both report, named once. A doctor finding and an init warning about
//! the same fact carry the same [`FindingId`]; what only init reports (about the run rather than
//! the project's clustering) has an [`InitOnly`] id, never one of doctor's. `--format json` prints
//! both by [`Id::name`].

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

/// What init reports that doctor does not judge: the run itself, or lines init leaves that do not
/// change what the release boots with on Fly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitOnly {
    /// The git working tree has uncommitted changes.
    GitDirty,
    /// A file mixes LF and CRLF line endings.
    MixedLineEndings,
    /// An umbrella: where the child, dependency and config go.
    Umbrella,
    /// config/releases.exs holds the runtime config.
    ReleasesConfig,
    /// rel/env.sh.eex sets a clustering variable in a line flycluster does not recognise; the
    /// block overrides it on Fly.
    EnvShUnrecognised,
}

impl InitOnly {
    pub const ALL: &[InitOnly] = &[
        InitOnly::GitDirty,
        InitOnly::MixedLineEndings,
        InitOnly::Umbrella,
        InitOnly::ReleasesConfig,
        InitOnly::EnvShUnrecognised,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InitOnly::GitDirty => "git-dirty",
            InitOnly::MixedLineEndings => "mixed-line-endings",
            InitOnly::Umbrella => "umbrella",
            InitOnly::ReleasesConfig => "releases-config",
            InitOnly::EnvShUnrecognised => "env-sh-unrecognised",
        }
    }
}

/// The id of something reported: one of doctor's findings, or what only init reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Finding(FindingId),
    InitOnly(InitOnly),
}

impl Id {
    pub fn name(self) -> &'static str {
        match self {
            Id::Finding(id) => id.name(),
            Id::InitOnly(id) => id.name(),
        }
    }
}

impl From<FindingId> for Id {
    fn from(id: FindingId) -> Id {
        Id::Finding(id)
    }
}

impl From<InitOnly> for Id {
    fn from(id: InitOnly) -> Id {
        Id::InitOnly(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_only_ids_are_kebab_case_and_none_is_a_finding_id() {
        for id in InitOnly::ALL {
            let name = id.name();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            assert!(FindingId::ALL.iter().all(|f| f.name() != name), "{name}");
        }
    }
}
