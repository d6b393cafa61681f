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

use crate::plan::ManualStep;

/// Which clustering library the project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    DnsCluster,
    Libcluster,
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
    /// Where the Repo's database lives: decides `ECTO_IPV6` and the Repo's `socket_options`.
    pub database: Database,
    /// The Repos `ecto_repos` names (empty when the project declares none).
    pub ecto_repos: Vec<EctoRepo>,
    /// The project uses Ecto (an `ecto_sql` dependency or a declared Repo).
    pub has_ecto_repo: bool,
}

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
    pub warnings: Vec<String>,
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

    pub fn warn(mut self, w: impl Into<String>) -> Self {
        self.warnings.push(w.into());
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
        database: Database::Fly,
        // No Repo, so the runtime editor's tests see only the dns_cluster edit; repo_ipv6's tests
        // add one.
        ecto_repos: Vec::new(),
        has_ecto_repo: false,
    }
}
