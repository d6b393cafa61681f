//! Doctor's view of the run's one [`Model`] of the project: how each variable stands when the release
//! boots on Fly, and what the parsed Elixir files say, as the checks ask it. The checks only judge
//! what this answers; they read no file and parse nothing themselves, and where a fact is one
//! init's editors decide too, it asks the editor's own reading.

use super::elixir_files;
pub(in crate::doctor) use super::elixir_files::{
    ChildQuery, EndpointIp, MixCookie, TopologyConfig,
};
pub(in crate::doctor) use crate::boot::{Boot, Origin, Shadowed, Value};
use crate::edit::application::{self, Started};
use crate::edit::{Database, Strategy, deps};
use crate::error::Result;
use crate::init;
pub(in crate::doctor) use crate::model::{
    DOCKERFILE, ENV_SH, EnvSh, ExFile, FLY_TOML, Model, RUNTIME_EXS,
};
use crate::project;
use crate::shell::FlyVar;

/// What doctor needs beyond the project itself.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// `--app`; else fly.toml's `app`.
    pub fly_app: Option<String>,
    /// `--database`; else inferred from the project: an ECTO_IPV6 the release boots with means a
    /// database on Fly.
    pub database: Option<Database>,
}

/// Where doctor takes the database to live, and how it knows: `--database`, else an `ECTO_IPV6`
/// the project sets (the user's choice of a database on Fly, whatever its value), else nothing.
/// Without a choice doctor judges as `init` would (Fly, with an Ecto repo), but a missing setting
/// is a warning: it is right for a database outside Fly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::doctor) enum DatabaseChoice {
    Asked(Database),
    /// ECTO_IPV6 set when the release boots, at this origin.
    Set(Origin),
    /// No Ecto repo on a network database.
    NoRepo,
    /// An Ecto repo, and nothing says where its database lives.
    Unknown,
}

impl DatabaseChoice {
    /// The database init plans for under this choice (its own default for `Unknown`).
    pub(in crate::doctor) fn database(&self) -> Database {
        match self {
            DatabaseChoice::Asked(d) => *d,
            DatabaseChoice::Set(_) | DatabaseChoice::Unknown => Database::Fly,
            DatabaseChoice::NoRepo => Database::None,
        }
    }
}

/// Everything the checks ask about: the run's one [`Model`] of the project, and what doctor was
/// told (`--app`, `--database`). The checks read no file and parse nothing themselves.
pub(in crate::doctor) struct Setup<'m> {
    model: &'m Model<'m>,
    /// `--app`, else fly.toml's `app`.
    pub(in crate::doctor) fly_app: Option<String>,
    /// A file under the app's lib/ that reads ECTO_IPV6 at runtime (a Repo's `init/2` may).
    lib_ecto_ipv6: Option<(String, usize)>,
    /// `--database`.
    asked_database: Option<Database>,
}

impl<'m> std::ops::Deref for Setup<'m> {
    type Target = Model<'m>;

    fn deref(&self) -> &Model<'m> {
        self.model
    }
}

impl<'m> Setup<'m> {
    /// Doctor's view of `model`. A config, the application module or mix.exs that is not valid
    /// Elixir is refused, with its file and line, as init refuses a file it edits.
    pub(in crate::doctor) fn new(model: &'m Model<'m>, opts: &DoctorOptions) -> Result<Setup<'m>> {
        model.refuse_unparsed()?;
        let fly_app = opts.fly_app.clone().or_else(|| {
            model
                .fly_toml
                .as_ref()
                .and_then(|t| t.app.as_ref().map(|(a, _)| a.clone()))
        });
        let lib_ecto_ipv6 = elixir_files::lib_reading_env(model.project, "ECTO_IPV6")?;
        Ok(Setup {
            model,
            fly_app,
            lib_ecto_ipv6,
            asked_database: opts.database,
        })
    }

    /// The model the setup reads, for init's plan over the same files.
    pub(in crate::doctor) fn model(&self) -> &'m Model<'m> {
        self.model
    }

    /// How `name` stands when the release boots on Fly.
    pub(in crate::doctor) fn at_boot(&self, name: &str) -> Boot {
        self.release_env().at_boot(name)
    }

    /// A RELEASE_* setting's value at boot. Only env.sh.eex sets these; without the file there is
    /// nothing to judge here (the env-sh-missing finding says what to do).
    pub(in crate::doctor) fn release_setting(&self, name: &str) -> Option<Value> {
        if matches!(self.env_sh, EnvSh::Missing) {
            return None;
        }
        self.at_boot(name).value()
    }

    /// Settings of `name` in fly.toml or the final image that do not decide it at boot.
    pub(in crate::doctor) fn shadowed(&self, name: &str) -> Vec<Shadowed> {
        self.release_env().shadowed(name)
    }

    /// The value Fly starts the release with, before env.sh.eex runs.
    pub(in crate::doctor) fn inherited(&self, name: &str) -> Option<Value> {
        self.release_env().inherited(name)
    }

    /// What env.sh.eex does with `name` on Fly.
    pub(in crate::doctor) fn env_var(&self, name: &str) -> Option<&FlyVar> {
        self.release_env().env_var(name)
    }

    /// RELEASE_NODE's name part (before `@`) when the release boots, normalized.
    pub(in crate::doctor) fn release_node_name(&self) -> Option<String> {
        self.release_env().release_node_name()
    }

    /// The started DNSCluster child's file, line and what its `query:` reads.
    pub(in crate::doctor) fn dns_cluster_child(&self) -> Option<(&ExFile, usize, ChildQuery)> {
        let app = self.application.as_ref()?;
        let (line, query) = elixir_files::dns_cluster_child(app)?;
        Some((app, line, query))
    }

    /// The line of the Cluster.Supervisor child the application starts.
    pub(in crate::doctor) fn cluster_supervisor_line(&self) -> Option<usize> {
        self.started()
            .cluster_supervisor
            .map(|c| c.start_position().row + 1)
    }

    /// Where a config read at boot, or the app's own code, makes the Repo honour ECTO_IPV6 (the
    /// judgement init's runtime editor makes before it adds `maybe_ipv6`).
    pub(in crate::doctor) fn ecto_ipv6_honoured(&self) -> Option<(String, usize)> {
        elixir_files::ecto_ipv6_honoured(&self.configs).or_else(|| self.lib_ecto_ipv6.clone())
    }

    /// A config that runs when the release is built (not at boot) and reads `var`: file and line.
    pub(in crate::doctor) fn read_at_build_time(&self, var: &str) -> Option<(String, usize)> {
        elixir_files::read_at_build_time(&self.configs, var)
    }

    /// The runtime config call that configures a `*.Repo`: its file and line.
    pub(in crate::doctor) fn repo_config(&self) -> Option<(String, Option<usize>)> {
        elixir_files::repo_config(&self.configs)
    }

    /// The release cookie mix.exs sets, if any.
    pub(in crate::doctor) fn mix_cookie(&self) -> Option<MixCookie> {
        elixir_files::mix_cookie(self.model.mix.as_ref()?)
    }

    /// The `ip:` a prod release's Endpoint gets.
    pub(in crate::doctor) fn endpoint_ip(&self) -> Option<EndpointIp> {
        elixir_files::endpoint_ip(&self.configs)
    }

    pub(in crate::doctor) fn has_ecto_repo(&self) -> bool {
        self.project.has_network_repo()
    }

    pub(in crate::doctor) fn fly_app_shown(&self) -> String {
        self.fly_app
            .clone()
            .unwrap_or_else(|| project::default_fly_app(self.project))
    }

    /// The Fly app as the query names it: `APP.internal`.
    pub(in crate::doctor) fn expected_query(&self) -> String {
        format!("{}.internal", self.fly_app_shown())
    }

    /// Whether a query value names this Fly app's `.internal` (`None`: cannot tell, no app known).
    pub(in crate::doctor) fn query_fits(&self, value: &str) -> Option<bool> {
        crate::edit::runtime::query_fits(value, self.fly_app.as_deref())
    }

    /// What the application starts, as init's editors read it.
    pub(in crate::doctor) fn started(&self) -> Started<'_> {
        self.application
            .as_ref()
            .map(|app| application::started(app.root(), &app.src))
            .unwrap_or_default()
    }

    /// The app's own dependencies bring the library.
    pub(in crate::doctor) fn dep_of_app(&self, library: Strategy) -> bool {
        deps::brings(self.project.deps.iter().map(String::as_str), library)
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

    /// The library init would set up (what the project depends on, else dns_cluster).
    pub(in crate::doctor) fn default_strategy(&self) -> Strategy {
        init::resolve_strategy(self.model, None)
    }

    /// The application module's file, where it is or where it would be.
    pub(in crate::doctor) fn app_file(&self) -> String {
        self.project.application_path.clone().unwrap_or_else(|| {
            format!(
                "{}lib/{}/application.ex",
                self.project.app_dir, self.project.otp_app
            )
        })
    }

    pub(in crate::doctor) fn database_choice(&self) -> DatabaseChoice {
        if let Some(asked) = self.asked_database {
            return DatabaseChoice::Asked(asked);
        }
        if !self.has_ecto_repo() {
            return DatabaseChoice::NoRepo;
        }
        // What `init --database external` recorded: its block, rendered without ECTO_IPV6.
        if self
            .script()
            .is_some_and(|script| script.records_database_outside_fly())
        {
            return DatabaseChoice::Asked(Database::External);
        }
        match self.at_boot("ECTO_IPV6").value() {
            Some(v) => DatabaseChoice::Set(v.origin),
            None => DatabaseChoice::Unknown,
        }
    }
}
