//! Check 14: init would still change something.

use crate::cookie::CookieMode;
use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{DoctorOptions, Setup};
use crate::error::Result;
use crate::init::{self, InitOptions};
use crate::plan::{Action, Kind};
use crate::project;

/// Asks init itself, planning as `init` with no options would for the database doctor takes the
/// project to use: what it would still write, or leave as a step by hand.
pub(super) fn check(setup: &Setup, opts: &DoctorOptions, out: &mut Vec<Finding>) -> Result<()> {
    let project = setup.project;
    let database = setup.database_choice().database();
    let fly_app = opts
        .fly_app
        .clone()
        .unwrap_or_else(|| project::default_fly_app(project));
    if project::validate_fly_app(&fly_app).is_err() {
        out.push(
            Finding::warning(FindingId::InitPending, format!("`{fly_app}` is not a valid Fly app name, so doctor cannot ask init what it would change"))
                .fix("pass `--app NAME`"),
        );
        return Ok(());
    }
    let planned = init::plan(
        setup.model(),
        &InitOptions {
            fly_app,
            cookie_mode: CookieMode::None,
            strategy: init::resolve_strategy(setup.model(), None),
            database,
            kinds: Kind::ALL.into_iter().collect(),
            force: false,
            app_confirmed: opts.fly_app.is_some(),
        },
        "",
    );
    let plan = match planned {
        Ok(plan) => plan,
        // A file init refuses (it names the file and line) is a finding here, not a failed run.
        Err(e @ crate::error::Error::Input { .. }) => {
            out.push(
                Finding::warning(
                    FindingId::InitPending,
                    format!("`flycluster init` would refuse to run: {e}"),
                )
                .fix("fix the file it names, then run `flycluster init`"),
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut kinds: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action.writes() || c.action == Action::Manual)
        .map(|c| format!("{} ({})", c.kind.name(), c.action.name()))
        .collect();
    // Manual steps beside a file's own action: the Repo's lines in a written runtime.exs, a
    // service to remove from fly.toml, an application module that was not found.
    for step in &plan.manual {
        let change = plan
            .changes
            .iter()
            .find(|c| c.path == step.path.to_string_lossy());
        if change.is_some_and(|c| c.action == Action::Manual) {
            continue;
        }
        let kind = change.map_or("application", |c| c.kind.name());
        let entry = format!("{kind} (manual)");
        if !kinds.contains(&entry) {
            kinds.push(entry);
        }
    }
    if kinds.is_empty() {
        out.push(Finding::ok(
            FindingId::InitPending,
            "`flycluster init` would change nothing",
        ));
    } else {
        out.push(
            Finding::warning(
                FindingId::InitPending,
                format!("`flycluster init` would still change: {}", kinds.join(", ")),
            )
            .fix("run `flycluster init --dry-run` to see the diffs, then `flycluster init`"),
        );
    }
    Ok(())
}
