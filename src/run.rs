//! Turning the parsed command line into work: init's modes (dry run, check, yes, interactive) all
//! consume one plan; doctor, cookie and completions are thin.

use crate::cli::{Cli, ColorChoice, Command, CookieArgs, CookieMode, Format, InitArgs, OutputArgs};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::init::{self, InitOptions};
use crate::output::{self, ColorWhen, Output, OutputOptions, Style};
use crate::plan::{Action, Plan};
use crate::project::{self, DetectOptions};
use crate::prompt::{self, FileAnswer};
use crate::report::{self, Context};
use crate::{apply, cookie, doctor, preview, verify};
use clap::{CommandFactory, Parser};
use std::io::Write;

/// Diffs longer than this many changed lines are offered as a file at the prompt.
const LONG_DIFF_LINES: usize = 500;

/// Run the command line: the exit status, after the error that stopped the run (if one did) is
/// printed as that command's output prints, so `--color` holds for it too.
pub fn run() -> Exit {
    let cli = Cli::parse();
    let opts = match &cli.command {
        Command::Init(args) => output_options(&args.output),
        Command::Doctor(args) => output_options(&args.output),
        Command::Verify(args) => output_options(&args.output),
        _ => OutputOptions::default(),
    };
    match dispatch(cli.command) {
        Ok(exit) => exit,
        Err(e) => {
            Output::new(opts).error(&e);
            e.exit_code()
        }
    }
}

fn dispatch(command: Command) -> Result<Exit> {
    match command {
        Command::Init(args) => run_init(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Cookie(args) => run_cookie(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "flycluster", &mut std::io::stdout());
            Ok(Exit::Done)
        }
        Command::Man => {
            let page =
                man_page().map_err(|e| Error::io("stdout", "write the manual page to", e))?;
            std::io::stdout()
                .write_all(&page)
                .map_err(|e| Error::io("stdout", "write the manual page to", e))?;
            Ok(Exit::Done)
        }
    }
}

/// One roff page: the command's own sections, then for each subcommand its synopsis, description
/// and options under a heading of its own, so `man flycluster` documents everything.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    // clap_mangen lists each subcommand as a page of its own (`flycluster-init(1)`); here they are
    // sections of this page.
    let mut list = Vec::new();
    man.render_subcommands_section(&mut list)?;
    let mut list = String::from_utf8_lossy(&list).into_owned();
    for name in cmd.get_subcommands().map(|s| s.get_name()).chain(["help"]) {
        list = list.replace(
            &format!("flycluster\\-{name}(1)"),
            &format!("\\fBflycluster {name}\\fR"),
        );
    }
    page.extend_from_slice(list.as_bytes());
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("flycluster {}", sub.get_name());
        let sub = sub.clone().bin_name(name.clone());
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub);
        // The subcommand's sections, each demoted to a subsection of its heading.
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        page.extend_from_slice(part.as_bytes());
    }
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// `--format`, `--color` and `-q` as the output knows them.
pub(crate) fn output_options(args: &OutputArgs) -> OutputOptions {
    OutputOptions {
        json: args.format == Format::Json,
        quiet: args.quiet,
        color: match args.color {
            ColorChoice::Auto => ColorWhen::Auto,
            ColorChoice::Always => ColorWhen::Always,
            ColorChoice::Never => ColorWhen::Never,
        },
    }
}

fn run_init(args: InitArgs) -> Result<Exit> {
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
    if interactive && args.output.format == Format::Json {
        return Err(Error::usage(
            "`--format json` needs `--dry-run`, `--check` or `--yes`",
        ));
    }
    let out = Output::new(output_options(&args.output));
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
        Some(mode) => mode,
        None if args.set_secret => CookieMode::Secret,
        None if interactive => prompt::ask_cookie_mode()?,
        None => CookieMode::Secret,
    };
    if args.set_secret {
        if cookie_mode != CookieMode::Secret {
            return Err(Error::usage("`--set-secret` goes with `--cookie secret`"));
        }
        if find_on_path("fly").is_none() {
            return Err(Error::usage("`--set-secret` needs the fly CLI, and `fly` is not on PATH")
                .with_help("install flyctl (https://fly.io/docs/flyctl/install/) or drop `--set-secret` and run the printed `fly secrets set` command"));
        }
    }
    // Asked only where it decides something: a project without an Ecto repo has no database.
    let database = match args.database {
        Some(asked) => init::database_of(asked),
        None if interactive && project.has_network_repo() => {
            prompt::ask_database(init::default_database(&project))?
        }
        None => init::default_database(&project),
    };
    let opts = InitOptions {
        fly_app: fly_app.clone(),
        cookie_mode,
        strategy: init::resolve_strategy(&project, args.strategy),
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
    let mut plan = init::plan(&project, &opts, &cookie)?;
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
        if !choose_files(&mut plan, &out)? {
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

pub(crate) fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
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
fn git_dirty_warning(root: &std::path::Path) -> Option<String> {
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
    Some(format!(
        "the git working tree has uncommitted changes ({}); commit or stash them to review flycluster's changes on their own",
        shown.join(", ")
    ))
}

fn run_cookie(args: CookieArgs) -> Result<Exit> {
    let cookie = cookie::generate();
    match args.fly {
        None => println!("{cookie}"),
        Some(path) => {
            let project = project::detect(&path, &DetectOptions { otp_app: None })?;
            println!(
                "{}",
                cookie::secrets_command(&cookie, &project::default_fly_app(&project))
            );
        }
    }
    Ok(Exit::Done)
}
