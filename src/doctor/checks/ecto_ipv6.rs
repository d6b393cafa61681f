//! Check 8: ECTO_IPV6 and the Repo agree with where the database lives.

use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::edit::{Database, repo_ipv6};
use crate::elixir;
use crate::init::{self};

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

pub(in crate::doctor) fn truthy(value: &str) -> bool {
    matches!(value, "true" | "1")
}

impl Inputs<'_> {
    pub(in crate::doctor) fn database_choice(&self) -> DatabaseChoice {
        if let Some(asked) = self.asked_database {
            return DatabaseChoice::Asked(asked);
        }
        if !self.has_ecto_repo() {
            return DatabaseChoice::NoRepo;
        }
        // What `init --database external` recorded: its block, rendered without ECTO_IPV6.
        if init::recorded_outside_fly(self.project) {
            return DatabaseChoice::Asked(Database::External);
        }
        match self.at_boot("ECTO_IPV6") {
            Boot::Set(v) | Boot::Uncertain(v, _) => DatabaseChoice::Set(v.origin),
            Boot::Unknown | Boot::Unset(..) => DatabaseChoice::Unknown,
        }
    }

    /// Where a config read at boot, or the app's own code, makes the Repo honour ECTO_IPV6 (the
    /// judgement init's runtime editor makes before it adds `maybe_ipv6`).
    pub(in crate::doctor) fn ecto_ipv6_honoured(&self) -> Option<(String, usize)> {
        self.configs
            .iter()
            .filter(|c| c.is_runtime())
            .find_map(|c| {
                repo_ipv6::honoured_at(c.root(), &c.src).map(|line| (c.path.clone(), line))
            })
            .or_else(|| self.lib_ecto_ipv6.clone())
    }

    pub(in crate::doctor) fn check_ecto_ipv6(&self, out: &mut Vec<Finding>) {
        if !self.has_ecto_repo() {
            return;
        }
        let choice = self.database_choice();
        let value = match self.at_boot("ECTO_IPV6") {
            Boot::Set(v) | Boot::Uncertain(v, _) => Some(v),
            // env.sh.eex could not be followed: check 1 says so.
            Boot::Unknown => return,
            Boot::Unset(..) => None,
        };
        let honoured = self.ecto_ipv6_honoured();
        match (&choice, choice.database()) {
            (DatabaseChoice::NoRepo, _) => {}
            (_, Database::None) => out.push(Finding::ok(
                FindingId::EctoIpv6Runtime,
                "`--database none`: ECTO_IPV6 and the Repo are not judged",
            )),
            (_, Database::External) => self.judge_external(value.as_ref(), honoured, out),
            (_, Database::Fly) => self.judge_fly(&choice, value.as_ref(), honoured, out),
        }
    }

    pub(in crate::doctor) fn judge_external(
        &self,
        value: Option<&Value>,
        honoured: Option<(String, usize)>,
        out: &mut Vec<Finding>,
    ) {
        if let (Some(v), Some((file, line))) = (value, &honoured)
            && truthy(&v.normalized())
        {
            out.push(
                Finding::problem(FindingId::EctoIpv6External,
                    format!(
                        "ECTO_IPV6 is `{}` ({}) and {file} line {line} turns it into `socket_options: [:inet6]`, but the database is outside Fly (`--database external`): Postgrex then asks only for IPv6 addresses, and an IPv4-only host fails with `:nxdomain`",
                        v.normalized(),
                        v.origin.describe()
                    ),
                )
                .at_origin(&v.origin)
                .fix(format!(
                    "remove ECTO_IPV6 from {} (`flycluster init --database external` takes it out of the Dockerfile and fly.toml)",
                    v.origin.file()
                )),
            );
            return;
        }
        out.push(Finding::ok(
            FindingId::EctoIpv6External,
            "the Repo connects over IPv4, as a database outside Fly (`--database external`) needs",
        ));
    }

    pub(in crate::doctor) fn judge_fly(
        &self,
        choice: &DatabaseChoice,
        value: Option<&Value>,
        honoured: Option<(String, usize)>,
        out: &mut Vec<Finding>,
    ) {
        let known = !matches!(choice, DatabaseChoice::Unknown);
        let Some(value) = value else {
            // Nothing sets ECTO_IPV6: with `--database fly` that is wrong; without a choice it is
            // right for a database outside Fly, so it is a warning (issue 14).
            let severity = if known {
                Severity::Problem
            } else {
                Severity::Warning
            };
            let choose = if known {
                String::new()
            } else {
                "; if the database is outside Fly, that is right: say so with `--database external`"
                    .into()
            };
            match &honoured {
                Some((file, line)) => out.push(
                    Finding::new(FindingId::EctoIpv6Unset,
                        severity,
                        format!(
                            "the Repo reads ECTO_IPV6 here, but nothing sets it when the release boots on Fly, so it connects over IPv4 and cannot reach Fly Postgres{choose}"
                        ),
                    )
                    .at(file.clone(), Some(*line))
                    .fix("run `flycluster init --database fly`: it exports ECTO_IPV6=\"true\" in rel/env.sh.eex and the Dockerfile"),
                ),
                None => {
                    let (file, line) = self.repo_config().unwrap_or((RUNTIME_EXS.to_string(), None));
                    out.push(
                        Finding::new(FindingId::EctoIpv6Runtime,
                            severity,
                            format!(
                                "the project uses Ecto, but nothing sets ECTO_IPV6 and no runtime config reads it: the Repo connects over IPv4 and cannot reach Fly Postgres{choose}"
                            ),
                        )
                        .at(file.clone(), line)
                        .fix(format!(
                            "run `flycluster init --database fly`, or in {file}: {} and `socket_options: maybe_ipv6` in the Repo's config",
                            repo_ipv6::BINDING_SHOWN
                        )),
                    );
                }
            }
            return;
        };
        let shown = value.normalized();
        if !truthy(&shown) {
            out.push(
                Finding::problem(FindingId::EctoIpv6Value,
                    format!(
                        "ECTO_IPV6 is `{shown}`; phx.gen's runtime.exs turns IPv6 on only for `true` or `1`, so the repo cannot reach Fly Postgres"
                    ),
                )
                .at_origin(&value.origin)
                .fix("set ECTO_IPV6=\"true\"; if the database is outside Fly, remove it and pass `--database external`"),
            );
            return;
        }
        if let Some((file, line)) = honoured {
            out.push(
                Finding::ok(
                    FindingId::EctoIpv6Runtime,
                    "reads ECTO_IPV6 for the repo's socket options",
                )
                .at(file, Some(line)),
            );
            return;
        }
        let build_time = self
            .configs
            .iter()
            .filter(|c| !c.is_runtime())
            .find_map(|c| reads_env(c, "ECTO_IPV6").map(|line| (c.path.clone(), line)));
        let (message, at) = match build_time {
            Some((file, line)) => (
                format!(
                    "ECTO_IPV6 is set ({}), but only {file} reads it, at build time, when it is not set: the repo cannot reach Fly Postgres over IPv6",
                    value.origin.describe()
                ),
                (file, Some(line)),
            ),
            None => (
                format!(
                    "ECTO_IPV6 is set ({}) and the project has an Ecto repo, but no runtime config reads ECTO_IPV6: the repo connects over IPv4 and cannot reach Fly Postgres",
                    value.origin.describe()
                ),
                self.repo_config()
                    .unwrap_or((RUNTIME_EXS.to_string(), None)),
            ),
        };
        out.push(
            Finding::problem(FindingId::EctoIpv6Runtime, message)
                .at(at.0.clone(), at.1)
                .fix(format!(
                    "run `flycluster init`, or in {}: {} and `socket_options: maybe_ipv6` in the Repo's config",
                    at.0,
                    repo_ipv6::BINDING_SHOWN
                )),
        );
    }

    /// The runtime config call that configures a `*.Repo`: its file and line.
    pub(in crate::doctor) fn repo_config(&self) -> Option<(String, Option<usize>)> {
        self.configs
            .iter()
            .filter(|c| c.is_runtime())
            .find_map(|c| {
                elixir::descendants_of_kind(c.root(), "call")
                    .into_iter()
                    .filter(|call| elixir::call_name(*call, &c.src) == Some("config"))
                    .find(|call| {
                        elixir::call_args(*call)
                            .and_then(|a| elixir::items(a).into_iter().nth(1))
                            .is_some_and(|m| {
                                m.kind() == "alias" && elixir::text(m, &c.src).ends_with(".Repo")
                            })
                    })
                    .map(|call| (c.path.clone(), Some(c.line_of(call))))
            })
    }
}

/// The line of a `System.get_env("VAR")` (or `fetch_env`) call in the file.
pub(in crate::doctor) fn reads_env(file: &ExFile, var: &str) -> Option<usize> {
    repo_ipv6::env_read_line(file.root(), &file.src, var)
}
