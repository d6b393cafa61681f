//! The init operation in memory: resolve the options against the detected project, run every
//! editor, validate each result, and collect one [`Plan`]. Nothing here writes to disk.

use crate::cookie::CookieMode;
use crate::edit::{self, Database, EditCtx, Edited, Outcome, Strategy};
use crate::elixir;
use crate::error::{Error, Result};
use crate::facts::{FindingId, InitOnly};
use crate::files;
use crate::model::{DOCKERFILE, ENV_SH, FLY_TOML, Model, RELEASES_EXS, RUNTIME_EXS};
use crate::plan::{Action, FileChange, Kind, Plan, Warning};
use crate::project::Project;
use crate::textfile::TextFile;
use std::collections::BTreeSet;

/// Options after the command line has been checked.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub fly_app: String,
    pub cookie_mode: CookieMode,
    pub strategy: Strategy,
    pub database: Database,
    pub kinds: BTreeSet<Kind>,
    pub force: bool,
    /// The Fly app name was given (`--app`) or confirmed at the prompt, not guessed: only then is
    /// a missing fly.toml created.
    pub app_confirmed: bool,
}

/// The clustering library: the one asked for, else what the project already has of one — the
/// child the application starts (when it starts one of the two), else the dependency (libcluster
/// alone), else a libcluster topology in config/ with no dns_cluster dependency — else
/// dns_cluster. What is started comes first: a DNSCluster child beside a libcluster dependency is
/// the dns_cluster setup (init adds its dependency). The answer must not change once init has
/// written what it set up, so each run, and doctor, find the same library.
pub fn resolve_strategy(model: &Model, asked: Option<Strategy>) -> Strategy {
    let brings =
        |library| edit::deps::brings(model.project.deps.iter().map(String::as_str), library);
    let started = &model.supervision;
    match asked {
        Some(strategy) => strategy,
        None if started.dns_cluster && !started.cluster_supervisor => Strategy::DnsCluster,
        None if started.cluster_supervisor && !started.dns_cluster => Strategy::Libcluster,
        None if brings(Strategy::Libcluster) && !brings(Strategy::DnsCluster) => {
            Strategy::Libcluster
        }
        None if !brings(Strategy::DnsCluster) && !model.topology_strategies().is_empty() => {
            Strategy::Libcluster
        }
        None => Strategy::DnsCluster,
    }
}

/// Where the database lives when `--database` is not given: what an earlier run recorded in the
/// env.sh block (rendered without ECTO_IPV6 for a database outside Fly), else on Fly (the guide's
/// choice) when the project has an Ecto repo on a network database, else nowhere.
pub fn default_database(model: &Model) -> Database {
    if !model.project.has_network_repo() {
        Database::None
    } else if model
        .script()
        .is_some_and(|script| script.records_database_outside_fly())
    {
        Database::External
    } else {
        Database::Fly
    }
}

/// `--only`/`--skip` into the set of kinds to plan.
pub fn resolve_kinds(only: &[String], skip: &[String]) -> Result<BTreeSet<Kind>> {
    let parse = |names: &[String]| -> Result<BTreeSet<Kind>> {
        names
            .iter()
            .map(|n| {
                Kind::parse(n.trim()).ok_or_else(|| {
                    Error::usage(format!("unknown kind `{n}`")).with_help(format!(
                        "the kinds are {}",
                        Kind::ALL.map(Kind::name).join(", ")
                    ))
                })
            })
            .collect()
    };
    let mut kinds: BTreeSet<Kind> = if only.is_empty() {
        Kind::ALL.into_iter().collect()
    } else {
        parse(only)?
    };
    for k in parse(skip)? {
        kinds.remove(&k);
    }
    Ok(kinds)
}

/// The path of each kind's file, relative to the project root.
fn path_for(model: &Model, kind: Kind) -> Option<String> {
    Some(match kind {
        // Releases are built from the project (or umbrella) root, so rel/ lives there.
        Kind::EnvSh => ENV_SH.into(),
        Kind::Deps => model.project.mix_exs(),
        Kind::Application => model.project.application_path.clone()?,
        Kind::Runtime => runtime_config_path(model),
        Kind::Dockerfile => DOCKERFILE.into(),
        Kind::FlyToml => FLY_TOML.into(),
    })
}

/// config/runtime.exs; but a project that still has only the pre-1.11 config/releases.exs keeps its
/// runtime config there: creating runtime.exs beside it would make Mix ignore releases.exs.
fn runtime_config_path(model: &Model) -> String {
    if !model.exists(RUNTIME_EXS) && model.exists(RELEASES_EXS) {
        RELEASES_EXS.into()
    } else {
        RUNTIME_EXS.into()
    }
}

/// Plan every selected edit over the run's model of the project. `cookie` is this run's cookie
/// (one per run).
pub fn plan(model: &Model, opts: &InitOptions, cookie: &str) -> Result<Plan> {
    let project = model.project;
    let supervision = model.supervision.clone();
    let ctx = EditCtx {
        otp_app: project.otp_app.clone(),
        namespace: project.namespace(),
        fly_app: opts.fly_app.clone(),
        strategy: opts.strategy,
        fly_toml_cookie: (opts.cookie_mode == CookieMode::FlyToml).then(|| cookie.to_string()),
        force: opts.force,
        line_length: project.line_length,
        node_image_suffix: !dnspoll_looks_for_app_name(model, &opts.fly_app),
        topology_name: edit::runtime::fly_topology_name(&model.topology_strategies()),
        supervision,
        sibling_deps: project.sibling_deps.clone(),
        database: opts.database,
        ecto_repos: project.ecto_repos.clone(),
        has_ecto_repo: project.has_network_repo(),
    };
    let mut plan = Plan::default();
    for kind in Kind::ALL {
        if !opts.kinds.contains(&kind) {
            continue;
        }
        let Some(rel) = path_for(model, kind) else {
            plan.manual.push(crate::plan::ManualStep {
                id: ctx.strategy.child_finding(),
                path: format!("{}lib/{}/application.ex", project.app_dir, project.otp_app).into(),
                location: "in the application module's `start/2` children list".into(),
                snippet: edit::application::child_lines(&ctx, 0, ",").join("\n"),
                reason: match &project.app_module {
                    Some(m) => format!("no file under lib/ defines `{m}`"),
                    None => "mix.exs names no application module (`mod:`)".into(),
                },
            });
            continue;
        };
        let change = plan_file(model, &ctx, opts.app_confirmed, kind, &rel, &mut plan)?;
        plan.changes.push(change);
    }
    if project.umbrella {
        plan.warnings.push(Warning::new(
            InitOnly::Umbrella,
            format!(
                "umbrella project: the clustering child and dependency go to `{}` ({}); config stays in the umbrella's config/",
                project.otp_app, project.app_dir
            ),
        ));
    }
    if opts.kinds.contains(&Kind::EnvSh) {
        plan.manual.extend(vm_args_proto_dist(model));
        plan.manual.extend(flag_vars_proto_dist(model, &plan));
    }
    plan.manual.extend(published_distribution(model));
    if opts.kinds.contains(&Kind::Application) || opts.kinds.contains(&Kind::Runtime) {
        plan.manual.extend(topologies_in_code_step(project, &ctx));
    }
    if let Some(warning) = ecto_ipv6_unread(model, opts) {
        plan.warnings.push(warning);
    }
    if model.exists(RELEASES_EXS) {
        let message = if model.exists(RUNTIME_EXS) {
            "config/runtime.exs exists too, and Mix runs runtime.exs and ignores this file; move what it sets into runtime.exs and delete it"
        } else {
            "the runtime config of Elixir 1.9/1.10; flycluster added the setting here. On Elixir 1.11+ rename it to config/runtime.exs (`import Mix.Config` becomes `import Config`)"
        };
        plan.warnings.push(
            Warning::new(InitOnly::ReleasesConfig, message)
                .at(std::path::Path::new(RELEASES_EXS), None),
        );
    }
    Ok(plan)
}

fn plan_file(
    model: &Model,
    ctx: &EditCtx,
    app_confirmed: bool,
    kind: Kind,
    rel: &str,
    plan: &mut Plan,
) -> Result<FileChange> {
    let original = model.original(rel).cloned();
    let abs = files::resolve_inside(&model.project.root, rel)?;
    let before = original.as_ref().map(|o| o.format.text.as_str());
    let path = std::path::Path::new(rel);
    let Edited {
        outcome,
        warnings,
        manual,
    } = match kind {
        Kind::Runtime if let Some(found) = configured_in_other_config(model, ctx, rel) => {
            edit::repo_ipv6::plan(ctx, path, before, found)?
        }
        Kind::FlyToml if original.is_none() && !app_confirmed => Edited::new(Outcome::Skip(
            "no fly.toml: run `fly launch`, or pass `--app NAME` to create one".into(),
        )),
        Kind::EnvSh => edit::env_sh::plan(ctx, path, before)?,
        Kind::Deps => edit::deps::plan(ctx, path, before)?,
        Kind::Application => edit::application::plan(ctx, path, before)?,
        Kind::Runtime => edit::runtime::plan(ctx, path, before)?,
        Kind::Dockerfile => edit::dockerfile::plan(ctx, path, before)?,
        Kind::FlyToml => edit::fly_toml::plan(ctx, path, before)?,
    };
    plan.warnings.extend(warnings);
    // A file left as it is, with a step by hand in it, is the user's to edit: `manual`.
    let step_here = manual
        .iter()
        .find(|m| m.path == std::path::Path::new(rel))
        .map(|m| m.reason.clone());
    plan.manual.extend(manual);
    let format = original
        .as_ref()
        .map(|o| o.format.clone())
        .unwrap_or_else(TextFile::new_file);
    if let Some(o) = &original
        && o.format.mixed_endings
    {
        plan.warnings.push(
            Warning::new(
                InitOnly::MixedLineEndings,
                format!(
                    "LF and CRLF line endings are mixed; lines flycluster adds use {}",
                    if o.format.new_line_ending == "\r\n" {
                        "CRLF"
                    } else {
                        "LF"
                    }
                ),
            )
            .at(path, None),
        );
    }
    let mut change = FileChange {
        kind,
        path: rel.to_string(),
        abs,
        action: Action::Unchanged,
        original: original.clone(),
        before_text: before.unwrap_or("").to_string(),
        after_text: before.unwrap_or("").to_string(),
        after_bytes: None,
        new_mode: if kind == Kind::EnvSh { 0o755 } else { 0o644 },
        note: None,
    };
    match outcome {
        Outcome::Unchanged if original.is_none() => {
            change.action = Action::Skipped;
            change.note = Some("not present".into());
        }
        Outcome::Unchanged if step_here.is_some() => {
            change.action = Action::Manual;
            change.note = step_here;
        }
        Outcome::Unchanged => {}
        Outcome::Skip(reason) => {
            change.action = Action::Skipped;
            change.note = Some(reason);
        }
        Outcome::Manual(step) => {
            change.action = Action::Manual;
            change.note = Some(step.reason.clone());
            plan.manual.push(step);
        }
        Outcome::Write(after) => {
            validate(kind, rel, before, &after)?;
            change.action = if original.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            change.after_bytes = Some(format.encode(&after));
            change.after_text = after;
        }
    }
    Ok(change)
}

/// The setting already made in another file of config/ (say a libcluster topology in prod.exs):
/// runtime.exs is left alone, with what does not fit Fly reported.
fn configured_in_other_config(model: &Model, ctx: &EditCtx, runtime_rel: &str) -> Option<Edited> {
    model
        .configs_by_name()
        .into_iter()
        .filter(|c| c.path != runtime_rel)
        .find_map(|config| {
            edit::runtime::configured_elsewhere(
                ctx,
                std::path::Path::new(&config.path),
                &config.src,
            )
        })
}

/// A `-proto_dist` in the release's vm.args: erl would get it there and from the ERL_AFLAGS the
/// env.sh block sets, and erl takes it only once (it falls back to IPv4 otherwise).
fn vm_args_proto_dist(model: &Model) -> Vec<crate::plan::ManualStep> {
    model
        .vm_args_proto_dist
        .iter()
        .map(|arg| {
            proto_dist_twice(
                &arg.file,
                crate::shell::remove_vm_args_proto_dist(&arg.file, arg.line, &arg.carrier),
                "here",
            )
        })
        .collect()
}

/// The step for a `-proto_dist` erl gets at `place` in `file` as well as from ERL_AFLAGS: remove
/// it, as `location` says (in doctor's words).
fn proto_dist_twice(file: &str, location: String, place: &str) -> crate::plan::ManualStep {
    crate::plan::ManualStep {
        id: FindingId::ProtoDistTwice,
        path: file.into(),
        location,
        snippet: String::new(),
        reason: format!(
            "erl gets `-proto_dist` {place} and from ERL_AFLAGS, which rel/env.sh.eex sets on Fly; erl takes it only once and otherwise falls back to IPv4, which Fly's private network does not carry"
        ),
    }
}

/// A `-proto_dist` in another flag variable (ELIXIR_ERL_OPTIONS, ERL_FLAGS, ERL_ZFLAGS) that the
/// image or fly.toml gives the release: the same for erl as one in vm.args. Judged with the
/// env.sh.eex this run writes (the earlier setup it replaces may have set the variable over the
/// image's); one set in env.sh.eex is the env.sh editor's to report.
fn flag_vars_proto_dist(model: &Model, plan: &Plan) -> Vec<crate::plan::ManualStep> {
    let planned = plan
        .changes
        .iter()
        .find(|c| c.kind == Kind::EnvSh && c.action.writes())
        .and_then(|c| {
            let script = crate::shell::read(&c.after_text).ok()?;
            Some(crate::model::EnvSh::Read {
                text: c.after_text.clone(),
                script,
            })
        });
    let env = crate::boot::ReleaseEnv {
        env_sh: planned.as_ref().unwrap_or(&model.env_sh),
        ..model.release_env()
    };
    env.other_flag_proto_dist()
        .into_iter()
        .filter(|(_, origin)| !matches!(origin, crate::boot::Origin::EnvSh(_)))
        .map(|(var, origin)| {
            proto_dist_twice(
                origin.file(),
                crate::shell::remove_flag_var_proto_dist(origin.file(), origin.line(), &var),
                &format!("from {var} here"),
            )
        })
        .collect()
}

/// A libcluster DNSPoll topology (in any config file, under the key the Cluster.Supervisor reads)
/// looks for nodes named after the Fly app, as Fly's guide before 2023 set it up, or for a name
/// flycluster cannot evaluate: the nodes keep the name `APP@IP` it may rely on, or a cluster that
/// formed before init would not form after it.
fn dnspoll_looks_for_app_name(model: &Model, fly_app: &str) -> bool {
    let (app, key) = model.supervision.topologies_key();
    model
        .configs
        .iter()
        .filter(|c| c.src.contains("DNSPoll"))
        .any(|c| {
            edit::runtime::dnspoll_topologies(c.root(), &c.src, &app, &key)
                .into_iter()
                .filter_map(|poll| poll.basename)
                .any(|(_, basename)| basename.may_be_app_name(fly_app))
        })
}

/// ECTO_IPV6 only helps when the Repo's runtime config turns it into `socket_options: [:inet6]`
/// (phx.gen's runtime.exs does; Phoenix 1.5 projects and hand-written configs often do not). The
/// runtime editor adds that for `--database fly`; this is for runs that leave runtime.exs out
/// (`--skip runtime`), judged as the editor judges it.
fn ecto_ipv6_unread(model: &Model, opts: &InitOptions) -> Option<Warning> {
    if opts.database != Database::Fly
        || !model.project.has_network_repo()
        || opts.kinds.contains(&Kind::Runtime)
    {
        return None;
    }
    let rel = runtime_config_path(model);
    let mut repo_line = None;
    if let Some(config) = model.config(&rel) {
        if edit::repo_ipv6::honoured_at(config.root(), &config.src).is_some() {
            return None;
        }
        repo_line = edit::repo_ipv6::repo_config_line(config.root(), &config.src);
    }
    Some(
        Warning::new(
            FindingId::EctoIpv6Runtime,
            format!(
                "the project uses Ecto, but this config does not make the Repo read ECTO_IPV6, so it connects over IPv4 and cannot reach Fly Postgres; in its prod block add {} and `socket_options: maybe_ipv6` to the Repo's config (`flycluster init --only runtime` does it)",
                edit::repo_ipv6::BINDING_SHOWN
            ),
        )
        .at(std::path::Path::new(&rel), repo_line),
    )
}

/// A fly.toml service that publishes EPMD or a pinned distribution port exposes the node to the
/// internet; removing a service is the user's call, so it is a step by hand, in doctor's words.
fn published_distribution(model: &Model) -> Vec<crate::plan::ManualStep> {
    let Some(view) = &model.fly_toml else {
        return Vec::new();
    };
    let pinned = crate::dist_ports::pinned(model);
    crate::dist_ports::published(view, &pinned)
        .iter()
        .map(|service| {
            let (reason, fix) = crate::dist_ports::explain(service);
            crate::plan::ManualStep {
                id: FindingId::FlyExposesDist,
                path: FLY_TOML.into(),
                location: format!("line {}: {fix}", service.line),
                snippet: String::new(),
                reason,
            }
        })
        .collect()
}

/// The Cluster.Supervisor is handed a topologies list written in the application module, with no
/// DNSPoll topology among them: nothing in config/ reaches it, so the DNSPoll topology goes into
/// that list by hand.
fn topologies_in_code_step(project: &Project, ctx: &EditCtx) -> Option<crate::plan::ManualStep> {
    let (line, false) = ctx.supervision.topologies_in_code? else {
        return None;
    };
    let path = project.application_path.clone()?;
    Some(crate::plan::ManualStep {
        id: FindingId::LibclusterTopology,
        path: path.into(),
        location: format!("line {line}, in the topologies list Cluster.Supervisor is given"),
        snippet: edit::runtime::dnspoll_topology_snippet(),
        reason: edit::runtime::TOPOLOGIES_IN_CODE_REASON.into(),
    })
}

/// Planned output must be as valid as its input: Elixir parses, TOML parses.
fn validate(kind: Kind, rel: &str, before: Option<&str>, after: &str) -> Result<()> {
    let invalid = |message: String| Error::Invalid {
        path: rel.into(),
        message,
    };
    match kind {
        // The Elixir editors refuse input that does not parse, so the output must parse too.
        Kind::Deps | Kind::Application | Kind::Runtime => {
            let tree = match before {
                Some(before) => elixir::parse_edited(before, after),
                None => elixir::parse(after),
            };
            if let Some((line, _)) = elixir::first_error(&tree) {
                return Err(invalid(format!(
                    "the edited Elixir has a syntax error at line {line}"
                )));
            }
        }
        Kind::FlyToml => {
            if let Err(e) = after.parse::<toml_edit::DocumentMut>() {
                return Err(invalid(format!("the edited TOML does not parse: {e}")));
            }
        }
        Kind::EnvSh | Kind::Dockerfile => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_only_and_skip() {
        let all = resolve_kinds(&[], &[]).unwrap();
        assert_eq!(all.len(), 6);
        let only = resolve_kinds(&["deps".into(), "fly-toml".into()], &[]).unwrap();
        assert_eq!(
            only.into_iter().collect::<Vec<_>>(),
            vec![Kind::Deps, Kind::FlyToml]
        );
        let skip = resolve_kinds(&[], &["dockerfile".into()]).unwrap();
        assert!(!skip.contains(&Kind::Dockerfile));
        assert!(resolve_kinds(&["nope".into()], &[]).is_err());
    }
}
