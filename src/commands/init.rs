//! `flycluster init` at the command line: checks the arguments, asks what a terminal user must
//! answer, plans through [`crate::init`], then prints the plan (`--dry-run`, `--check`), asks about
//! each file, or applies it.

use crate::cli::InitArgs;
use crate::commands;
use crate::cookie::{self, CookieMode};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::facts::InitOnly;
use crate::init::{self, InitOptions};
use crate::model::Model;
use crate::output::{self, Output, Style};
use crate::plan::{Action, Plan, Warning};
use crate::project::{self, DetectOptions};
use crate::prompt::{self, FileAnswer};
use crate::report::{self, Context};
use crate::verify::fly;
use crate::{apply, preview};
use std::io::Write;

/// Diffs longer than this many changed lines are offered as a file at the prompt.
const LONG_DIFF_LINES: usize = 500;

/// `flycluster init`: options from the command line (and the questions), one plan, then the mode:
/// print it, check it, or apply it.
pub fn run(args: InitArgs, out: &Output) -> Result<Exit> {
    // Before anything else: a bad name must not reach a template, a prompt or the disk.
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let interactive = !(args.yes || args.dry_run || args.check);
    if interactive && !prompt::has_terminal() {
        return Err(Error::usage(
            "no terminal to ask questions on: pass `--yes` to apply without prompting or `--dry-run` to only print the diffs",
        )
        .with_help("`--check` exits 1 when init would change something, for CI"));
    }
    if interactive && out.is_json() {
        return Err(Error::usage(
            "`--format json` needs `--dry-run`, `--check` or `--yes`",
        ));
    }
    if interactive {
        prompt::set_colors(out.colors_stderr());
    }
    if !(args.dry_run || args.check) {
        // Runs that write: Ctrl-C stops them before the first write, never in the middle.
        prompt::catch_interrupts();
    }
    let kinds = init::resolve_kinds(&args.only, &args.skip)?;
    let project = project::detect(
        &args.path,
        &DetectOptions {
            otp_app: args.otp_app.as_deref(),
        },
    )?;
    // Every file the run edits or judges, read once, before any question.
    let model = Model::read(&project)?;
    if interactive {
        out.info(format!(
            "project      {}\nOTP app      {}\napplication  {}\nPhoenix      {}\nfly.toml app {}\n\n",
            project.root.display(),
            project.otp_app,
            project.app_module.as_deref().unwrap_or("(none)"),
            project.phoenix_version.as_deref().unwrap_or("(not a dependency)"),
            project.fly_toml_app.as_deref().unwrap_or("(no fly.toml)"),
        ));
    }
    let fly_app = match &args.app {
        Some(app) => app.clone(),
        None if interactive => prompt::ask_fly_app(&project::default_fly_app(&project))?,
        None => project::default_fly_app(&project),
    };
    project::validate_fly_app(&fly_app)?;
    let cookie_mode = match args.cookie {
        Some(mode) => commands::cookie_mode(mode),
        None if args.set_secret => CookieMode::Secret,
        None if interactive => prompt::ask_cookie_mode()?,
        None => CookieMode::Secret,
    };
    if args.set_secret {
        if cookie_mode != CookieMode::Secret {
            return Err(Error::usage("`--set-secret` goes with `--cookie secret`"));
        }
        if fly::find_on_path("fly").is_none() {
            return Err(Error::usage("`--set-secret` needs the fly CLI, and `fly` is not on PATH")
                .with_help("install flyctl (https://fly.io/docs/flyctl/install/) or drop `--set-secret` and run the printed `fly secrets set` command"));
        }
    }
    // Asked only where it decides something: a project without an Ecto repo has no database.
    let database = match args.database {
        Some(asked) => commands::database(asked),
        None if interactive && project.has_network_repo() => {
            prompt::ask_database(init::default_database(&model))?
        }
        None => init::default_database(&model),
    };
    let opts = InitOptions {
        fly_app: fly_app.clone(),
        cookie_mode,
        strategy: init::resolve_strategy(&model, args.strategy.map(commands::strategy)),
        database,
        kinds,
        force: args.force,
        app_confirmed: args.app.is_some() || interactive,
    };
    // One cookie per run; with `--cookie fly-toml` the one already in fly.toml stays.
    let cookie = match (cookie_mode, &project.fly_toml_cookie) {
        (CookieMode::FlyToml, Some(existing)) => existing.clone(),
        _ => cookie::generate(),
    };
    let mut plan = init::plan(&model, &opts, &cookie)?;
    // Only runs that write need the warning (and a dry run stays free of a git process).
    if !(args.check || args.dry_run) {
        plan.warnings.extend(git_dirty_warning(&project.root));
    }
    let mut ctx = Context {
        otp_app: &project.otp_app,
        fly_app: &fly_app,
        cookie: &cookie,
        cookie_mode,
        secret_set: false,
        database,
        has_ecto_repo: project.has_network_repo(),
    };

    if args.dry_run || args.check {
        out.diff(&report::diffs(&plan));
        out.notice(report::notices(&plan));
        let mode = if args.check { "check" } else { "dry-run" };
        if out.is_json() {
            out.json(&report::json_document(&plan, &ctx, mode, false));
        } else {
            out.info(report::summary(&plan, true));
            out.info(report::database_line(&ctx));
        }
        if args.check {
            let drift = plan.has_pending() || !plan.manual.is_empty();
            if drift {
                out.notice("flycluster: the project is not fully set up for clustering (see above); run `flycluster init`\n");
            }
            return Ok(if drift { Exit::Incomplete } else { Exit::Done });
        }
        if !out.is_json() && !out.is_quiet() {
            out.info(steps_text(&report::next_steps(&plan, &ctx)));
        }
        return Ok(Exit::Done);
    }

    if interactive {
        // Warnings bear on the answers (a dirty tree, a cookie in fly.toml), so they come first.
        out.notice(report::warnings(&plan));
        if !choose_files(&mut plan, out)? {
            out.notice("quit: nothing was written\n");
            return Ok(Exit::Done);
        }
    } else {
        out.diff(&report::diffs(&plan));
    }
    prompt::check_interrupted()?;
    let accepted: Vec<_> = plan.pending().collect();
    apply::apply(&accepted)?;
    // The files are written by now: a failed `fly secrets set` is a step left to do by hand (exit
    // 3), and the next steps then print the command to run.
    let mut secret_failed = false;
    if args.set_secret {
        match set_secret(&cookie, &fly_app) {
            Ok(()) => ctx.secret_set = true,
            Err(e) => {
                out.notice(output::labelled(
                    Style::ManualStep,
                    "manual step",
                    &format!("{e}\n"),
                ));
                secret_failed = true;
            }
        }
    }
    if interactive {
        out.notice(report::manual_steps(&plan));
    } else {
        out.notice(report::notices(&plan));
    }
    if out.is_json() {
        out.json(&report::json_document(&plan, &ctx, "apply", true));
    } else {
        out.info(report::summary(&plan, false));
        out.info(report::database_line(&ctx));
        if !plan.manual.is_empty() {
            out.notice("some steps must be done by hand (listed above)\n");
        }
        out.info(steps_text(&report::next_steps(&plan, &ctx)));
    }
    Ok(if plan.manual.is_empty() && !secret_failed {
        Exit::Done
    } else {
        Exit::ManualSteps
    })
}

fn steps_text(steps: &[String]) -> String {
    let mut s = String::from("\nNext steps:\n");
    for (i, step) in steps.iter().enumerate() {
        s.push_str(&format!("  {}. {step}\n", i + 1));
    }
    s
}

/// The changed-line count above which the prompt offers a file instead of the diff. Debug builds
/// honour `FLYCLUSTER_LONG_DIFF_LINES`, so the pty tests can reach the offer with a real edit
/// (flycluster's own edits stay far below 500 lines); release builds never read it.
fn long_diff_lines() -> usize {
    if cfg!(debug_assertions)
        && let Some(n) = std::env::var("FLYCLUSTER_LONG_DIFF_LINES")
            .ok()
            .and_then(|v| v.parse().ok())
    {
        return n;
    }
    LONG_DIFF_LINES
}

/// Ask about each file with changes; unaccepted ones become skipped. False when the user quit.
fn choose_files(plan: &mut Plan, out: &Output) -> Result<bool> {
    let mut all = false;
    for change in plan.changes.iter_mut().filter(|c| c.action.writes()) {
        let diff = preview::unified_diff(change);
        let lines = preview::changed_lines(&diff);
        if !all && lines > long_diff_lines() && !prompt::ask_long_diff(&change.path, lines)? {
            let file = write_diff_file(&change.path, &diff)?;
            out.notice(format!(
                "the diff of {} is in {}\n",
                change.path,
                file.display()
            ));
        } else if all {
            out.diff(&diff);
        } else {
            // Shown even with `-q`: the question is about this diff.
            out.diff_to_review(&diff);
        }
        if all {
            continue;
        }
        match prompt::ask_file(&change.path)? {
            FileAnswer::Yes => {}
            FileAnswer::All => all = true,
            FileAnswer::No => {
                change.action = Action::Skipped;
                change.note = Some("declined".into());
            }
            FileAnswer::Quit => return Ok(false),
        }
    }
    Ok(true)
}

/// A long diff in a new file of its own in the temporary folder (never a guessable name there).
fn write_diff_file(path: &str, diff: &str) -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir();
    let mut file = tempfile::Builder::new()
        .prefix(&format!("flycluster-{}-", path.replace('/', "_")))
        .suffix(".diff")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, "create a file in", e))?;
    file.write_all(diff.as_bytes())
        .map_err(|e| Error::io(file.path(), "write", e))?;
    let (_, kept) = file
        .keep()
        .map_err(|e| Error::io(&dir, "keep a file in", e.error))?;
    Ok(kept)
}

/// `fly secrets set --stage`, so the cookie never passes through the terminal.
fn set_secret(cookie: &str, fly_app: &str) -> Result<()> {
    let status = std::process::Command::new("fly")
        .args(["secrets", "set", "--stage"])
        .arg(format!("RELEASE_COOKIE={cookie}"))
        .args(["--app", fly_app])
        .stdin(std::process::Stdio::null())
        // stdout may carry the JSON document: fly's messages go with the other human text.
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| Error::io("fly", "run", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "`fly secrets set --stage RELEASE_COOKIE=… --app {fly_app}` failed ({status}); the files were written, the secret was not set: run the `fly secrets set` command of the next steps"
        )))
    }
}

/// Uncommitted changes in the project's git working tree, briefly.
fn git_dirty_warning(root: &std::path::Path) -> Option<Warning> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        // Only the project's folder: in a larger repository, other changes are not in the way.
        .args(["status", "--porcelain", "--untracked-files=no", "--", "."])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = lines.iter().take(5).map(|l| l.trim().to_string()).collect();
    if lines.len() > 5 {
        shown.push(format!("and {} more", lines.len() - 5));
    }
    Some(Warning::new(
        InitOnly::GitDirty,
        format!(
            "the git working tree has uncommitted changes ({}); commit or stash them to review flycluster's changes on their own",
            shown.join(", ")
        ),
    ))
}
