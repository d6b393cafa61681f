//! `flycluster verify` at the command line: the app and release from the project, the Machines
//! through the fly CLI ([`crate::verify`]), a progress line while they answer, then the report.

use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::files;
use crate::output::Output;
use crate::project::{self, DetectOptions};
use crate::verify::analysis::{self, Asked, Context};
use crate::verify::fly::{self, Machine};
use crate::verify::{ask_all, ask_machine, release, report};
use std::time::Duration;

/// `flycluster verify`: find the app and its Machines, ask the started ones in parallel, report.
pub fn run(args: VerifyArgs, out: &Output) -> Result<Exit> {
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let project = project::detect(&args.path, &DetectOptions { otp_app: None })?;
    let fly_app = args
        .app
        .clone()
        .unwrap_or_else(|| project::default_fly_app(&project));
    project::validate_fly_app(&fly_app)?;
    let dockerfile = files::read(&project.root, "Dockerfile")?.map(|f| f.format.text);
    let script = release::script_path(dockerfile.as_deref(), &project.otp_app);
    let fly = fly::find()?;
    let machines = fly::list_machines(&fly, &fly_app)?;
    let (started, others): (Vec<Machine>, Vec<Machine>) =
        machines.into_iter().partition(Machine::is_started);
    if started.is_empty() {
        let listed = if others.is_empty() {
            "the app has no Machine".to_string()
        } else {
            format!(
                "its {} Machine{} {} not started",
                others.len(),
                if others.len() == 1 { "" } else { "s" },
                if others.len() == 1 { "is" } else { "are" }
            )
        };
        return Err(Error::fly(format!(
            "no started Machine of `{fly_app}` to ask: {listed}"
        ))
        .with_help(format!(
            "deploy with `fly deploy`, or start one with `fly machine start ID --app {fly_app}`"
        )));
    }

    let progress = Progress {
        out,
        total: started.len(),
    };
    let timeout = Duration::from_secs(args.timeout);
    let ask = |m: &Machine| ask_machine(&fly, &fly_app, &project.otp_app, &script, m, timeout);
    let answers = ask_all(&started, usize::from(args.jobs), &ask, |done| {
        progress.show(done)
    });
    progress.clear();

    let asked: Vec<Asked> = started
        .into_iter()
        .zip(answers)
        .map(|(machine, answer)| Asked { machine, answer })
        .collect();
    let ctx = Context {
        fly_app: &fly_app,
        otp_app: &project.otp_app,
        script: &script,
    };
    let verdict = analysis::analyze(&ctx, &asked, &others);
    let code = if verdict.complete() {
        Exit::Done
    } else {
        Exit::Incomplete
    };
    if out.is_json() {
        out.json(&report::json_document(
            &ctx, &asked, &others, &verdict, code,
        ));
    } else {
        out.report(report::text(
            &ctx,
            &asked,
            &others,
            &verdict,
            out.is_quiet(),
        ));
    }
    Ok(code)
}

/// One line on stderr, rewritten in place, while the Machines answer (the output shows it only on
/// a terminal).
struct Progress<'o> {
    out: &'o Output,
    total: usize,
}

impl Progress<'_> {
    fn show(&self, done: usize) {
        self.out.status(&format!(
            "asking {} Machine{} through `fly ssh console`: {done} answered",
            self.total,
            if self.total == 1 { "" } else { "s" }
        ));
    }

    fn clear(&self) {
        self.out.clear_status();
    }
}
