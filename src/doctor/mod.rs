//! `flycluster doctor`: read-only checks that the clustering setup is complete and consistent across
//! files, over the same detection as init. Every finding carries a stable id, a severity, the file
//! and line it is about, a message, and a one-line fix.
//!
//! The environment is judged as the release sees it when it boots on Fly: the final image's `ENV`,
//! then fly.toml's `[env]` (Fly sets it over the image's), then rel/env.sh.eex as `sh` runs it.

mod checks;
mod finding;
mod inputs;
mod report;

use crate::cli::DoctorArgs;
use crate::edit::Database;
use crate::error::Result;
use crate::exit::Exit;
use crate::init::{self};
use crate::output::Output;
use crate::project::{self, DetectOptions, Project};

use checks::check_init_pending;
pub use finding::{Finding, Severity};
use inputs::Inputs;
pub use report::{FindingLine, exit_code, finding_lines, json_document, text_report};

/// What doctor needs beyond the project itself.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// `--app`; else fly.toml's `app`.
    pub fly_app: Option<String>,
    /// `--database`; else inferred from the project ([`DatabaseChoice`]).
    pub database: Option<Database>,
}

pub fn run(args: DoctorArgs) -> Result<Exit> {
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let project = project::detect(
        &args.path,
        &DetectOptions {
            otp_app: args.otp_app.as_deref(),
        },
    )?;
    let findings = diagnose(
        &project,
        &DoctorOptions {
            fly_app: args.app.clone(),
            database: args.database.map(init::database_of),
        },
    )?;
    let out = Output::new(crate::run::output_options(&args.output));
    if out.is_json() {
        out.json(&json_document(&findings));
    } else {
        // `-q` keeps what needs attention, which is also what a person must see.
        out.report(text_report(&findings, out.is_quiet()));
    }
    Ok(exit_code(&findings))
}

/// Every check over the project, in check order. Errors are bad input (a file that does not parse
/// as what it should be), exactly as init reports them.
pub fn diagnose(project: &Project, opts: &DoctorOptions) -> Result<Vec<Finding>> {
    let inputs = Inputs::read(project, opts)?;
    let mut findings = Vec::new();
    inputs.check_env_sh(&mut findings);
    inputs.check_erl_aflags(&mut findings);
    inputs.check_release_node(&mut findings);
    inputs.check_release_distribution(&mut findings);
    inputs.check_dns_cluster_query(&mut findings);
    inputs.check_clustering_library(&mut findings);
    inputs.check_cookie(&mut findings);
    inputs.check_ecto_ipv6(&mut findings);
    inputs.check_legacy_env(&mut findings);
    inputs.check_machines_stay_up(&mut findings);
    inputs.check_process_groups(&mut findings);
    inputs.check_published_ports(&mut findings)?;
    inputs.check_endpoint_ip(&mut findings);
    let database = inputs.database_choice().database();
    check_init_pending(project, opts, database, &mut findings)?;
    findings.sort_by_key(|f| f.check);
    Ok(findings)
}
