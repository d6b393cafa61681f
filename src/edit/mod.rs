//! One editor per file kind. Each is a pure function from the file's current text (editing form:
//! LF endings, no BOM) to an [`Outcome`]; none touches the disk. Editors check before they insert, so
//! running one on its own output gives [`Outcome::Unchanged`].

pub mod application;
pub mod deps;
pub mod dockerfile;
pub mod env_sh;
pub mod fly_toml;
pub mod repo_ipv6;
pub mod runtime;

use crate::facts::FindingId;
use crate::plan::{ManualStep, Warning};

/// Which clustering library the project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    DnsCluster,
    Libcluster,
}

impl Strategy {
    /// The finding doctor reports while the library's dependency is missing.
    pub fn dep_finding(self) -> FindingId {
        match self {
            Strategy::DnsCluster => FindingId::DnsClusterDep,
            Strategy::Libcluster => FindingId::LibclusterDep,
        }
    }

    /// The finding doctor reports while the clustering child is not started.
    pub fn child_finding(self) -> FindingId {
        match self {
            Strategy::DnsCluster => FindingId::DnsClusterChild,
            Strategy::Libcluster => FindingId::LibclusterChild,
        }
    }

    /// The finding doctor reports while the child's config (the query, a topology) is missing.
    pub fn config_finding(self) -> FindingId {
        match self {
            Strategy::DnsCluster => FindingId::DnsClusterConfig,
            Strategy::Libcluster => FindingId::LibclusterTopology,
        }
    }
}

/// Where the Repo's database lives (`--database`): only a database on Fly's private network (Fly
/// Postgres, Fly's managed Postgres) is reached over IPv6, so only `Fly` sets `ECTO_IPV6` and makes
/// the Repo honour it. An external IPv4-only host given `ECTO_IPV6=true` fails with `:nxdomain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Fly,
    External,
    None,
}

impl Database {
    pub fn name(self) -> &'static str {
        match self {
            Database::Fly => "fly",
            Database::External => "external",
            Database::None => "none",
        }
    }
}

/// A Repo the project declares in `config :APP, ecto_repos: [...]`: the app it belongs to and its
/// module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EctoRepo {
    pub app: String,
    pub module: String,
}

/// What every editor may need to know about the run.
#[derive(Debug, Clone)]
pub struct EditCtx {
    /// OTP application name, e.g. `hello_elixir`.
    pub otp_app: String,
    /// The app's module namespace, e.g. `HelloElixir` (for `HelloElixir.ClusterSupervisor`).
    pub namespace: String,
    /// Fly app name, e.g. `hello-elixir` (already validated).
    pub fly_app: String,
    pub strategy: Strategy,
    /// The cookie to write into fly.toml (only with `--cookie fly-toml`).
    pub fly_toml_cookie: Option<String>,
    /// Replace conflicting values instead of reporting them.
    pub force: bool,
    /// The project's formatter line length (`.formatter.exs`, default 98).
    pub line_length: usize,
    /// Name nodes `APP-SUFFIX@IP` after the image (the guide's scheme); false keeps `APP@IP`, the
    /// name an existing libcluster topology with a fixed `node_basename` looks for.
    pub node_image_suffix: bool,
    /// What the application module already starts ([`application::supervision`]).
    pub supervision: Supervision,
    /// The name of the DNSPoll topology the runtime editor adds ([`runtime::fly_topology_name`]).
    pub topology_name: String,
    /// Dependencies the umbrella's other apps declare (empty outside an umbrella).
    pub sibling_deps: Vec<String>,
    /// Where the Repo's database lives: decides `ECTO_IPV6` and the Repo's `socket_options`.
    pub database: Database,
    /// The Repos `ecto_repos` names (empty when the project declares none).
    pub ecto_repos: Vec<EctoRepo>,
    /// The project uses Ecto (an `ecto_sql` dependency or a declared Repo).
    pub has_ecto_repo: bool,
}

/// What the application module starts for clustering, read once per run from the file as it is,
/// so the deps and runtime editors judge it as the application editor and doctor do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervision {
    /// A DNSCluster child is started.
    pub dns_cluster: bool,
    /// libcluster's Cluster.Supervisor is started.
    pub cluster_supervisor: bool,
    /// `(app, key)` the started DNSCluster child reads its query from
    /// (`Application.get_env(:app, :key)`), when it reads one.
    pub query_key: Option<(String, String)>,
    /// `(app, key)` the started Cluster.Supervisor reads its topologies from
    /// (`Application.get_env(:app, :key)`), when it reads them from the application environment.
    pub topologies_key: Option<(String, String)>,
    /// The started Cluster.Supervisor is given its topologies as a list written in the
    /// application module (libcluster's README shape): its 1-based line, and whether a DNSPoll
    /// topology is among them. Config files then change nothing.
    pub topologies_in_code: Option<(usize, bool)>,
}

impl Supervision {
    /// The libraries the release needs: those of the children already started, and the
    /// strategy's (whose child the application editor adds when it is not started).
    pub fn libraries(&self, strategy: Strategy) -> Vec<Strategy> {
        [
            (self.dns_cluster, Strategy::DnsCluster),
            (self.cluster_supervisor, Strategy::Libcluster),
        ]
        .into_iter()
        .filter_map(|(on, library)| (on || library == strategy).then_some(library))
        .collect()
    }

    /// The config key runtime.exs must set: the one the started child reads, else
    /// `:OTP_APP, :dns_cluster_query` (what the added child reads).
    pub fn query_key(&self, otp_app: &str) -> (String, String) {
        self.query_key
            .clone()
            .unwrap_or_else(|| (otp_app.to_string(), "dns_cluster_query".to_string()))
    }

    /// The config key the libcluster topologies must go under: the one the started
    /// Cluster.Supervisor reads (`config :my_app, topologies: ...` for
    /// `Application.get_env(:my_app, :topologies)`), else [`LIBCLUSTER_TOPOLOGIES`].
    pub fn topologies_key(&self) -> (String, String) {
        self.topologies_key.clone().unwrap_or_else(|| {
            let (app, key) = LIBCLUSTER_TOPOLOGIES;
            (app.to_string(), key.to_string())
        })
    }
}

/// The application environment key libcluster's topologies are read from when the application
/// starts no Cluster.Supervisor that reads another (it is what the child flycluster adds reads).
pub const LIBCLUSTER_TOPOLOGIES: (&str, &str) = ("libcluster", "topologies");

/// What an editor decided for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New text for the file (create when the file did not exist).
    Write(String),
    /// The file already has what is needed.
    Unchanged,
    /// Nothing to do for this file, with the reason shown to the user.
    Skip(String),
    /// The edit cannot be made safely; the user must do it.
    Manual(ManualStep),
}

/// An editor's answer: the outcome plus warnings (conflicts left alone, notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub outcome: Outcome,
    pub warnings: Vec<Warning>,
    /// Steps left to the user beside a written file: one edit of the file was made, another could
    /// not be (the dns_cluster query went in, the Repo's `socket_options` could not).
    pub manual: Vec<ManualStep>,
}

impl Edited {
    pub fn new(outcome: Outcome) -> Self {
        Edited {
            outcome,
            warnings: Vec::new(),
            manual: Vec::new(),
        }
    }

    /// `Write` when the text changed, else `Unchanged`.
    pub fn from_text(before: Option<&str>, after: String) -> Self {
        if before == Some(after.as_str()) {
            Edited::new(Outcome::Unchanged)
        } else {
            Edited::new(Outcome::Write(after))
        }
    }

    pub fn warn(mut self, w: Warning) -> Self {
        self.warnings.push(w);
        self
    }
}

#[cfg(test)]
pub(crate) fn test_ctx() -> EditCtx {
    EditCtx {
        otp_app: "hello_elixir".into(),
        namespace: "HelloElixir".into(),
        fly_app: "hello-elixir".into(),
        strategy: Strategy::DnsCluster,
        fly_toml_cookie: None,
        force: false,
        line_length: 98,
        node_image_suffix: true,
        supervision: Supervision::default(),
        topology_name: "fly6pn".into(),
        sibling_deps: Vec::new(),
        database: Database::Fly,
        // No Repo, so the runtime editor's tests see only the dns_cluster edit; repo_ipv6's tests
        // add one.
        ecto_repos: Vec::new(),
        has_ecto_repo: false,
    }
}
