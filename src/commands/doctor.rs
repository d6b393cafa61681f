//! `flycluster doctor` at the command line: the options from the arguments, the checks through
//! [`crate::doctor`], the findings printed.

use crate::cli::DoctorArgs;
use crate::commands;
use crate::doctor::{self, DoctorOptions};
use crate::error::Result;
use crate::exit::Exit;
use crate::output::Output;
use crate::project::{self, DetectOptions};

/// `flycluster doctor`: every check, then the findings as text or one JSON document.
pub fn run(args: DoctorArgs, out: &Output) -> Result<Exit> {
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let project = project::detect(
        &args.path,
        &DetectOptions {
            otp_app: args.otp_app.as_deref(),
        },
    )?;
    let findings = doctor::diagnose(
        &project,
        &DoctorOptions {
            fly_app: args.app.clone(),
            database: args.database.map(commands::database),
        },
    )?;
    if out.is_json() {
        out.json(&doctor::json_document(&findings));
    } else {
        // `-q` keeps what needs attention, which is also what a person must see.
        out.report(doctor::text_report(&findings, out.is_quiet()));
    }
    Ok(doctor::exit_code(&findings))
}
