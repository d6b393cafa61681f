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

use crate::edit::Database;
use crate::error::Result;
use crate::project::Project;

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
    findings.sort_by_key(Finding::check);
    Ok(findings)
}
