//! `flycluster doctor`: read-only checks that the clustering setup is complete and consistent across
//! files, over the same detection as init. Every finding carries a stable id, a severity, the file
//! and line it is about, a message, and a one-line fix.
//!
//! The environment is judged as the release sees it when it boots on Fly: the final image's `ENV`,
//! then fly.toml's `[env]` (Fly sets it over the image's), then rel/env.sh.eex as `sh` runs it.
//!
//! Layers: `setup` is doctor's view of the run's one [`Model`] of the project (`boot`: how each variable stands
//! at boot; `elixir_files`: what the parsed Elixir files say) → `checks`, one module per check,
//! judge that model into [`Finding`]s → `report` prints them as text or JSON.

mod checks;
mod elixir_files;
mod finding;
mod report;
mod setup;

use crate::error::Result;
use crate::model::Model;
use crate::project::Project;

pub use finding::{Finding, Severity};
pub use report::{FindingLine, exit_code, finding_lines, json_document, text_report};
pub use setup::DoctorOptions;
use setup::Setup;

/// Every check over the project, in check order. Errors are bad input (a file that does not parse
/// as what it should be), exactly as init reports them.
pub fn diagnose(project: &Project, opts: &DoctorOptions) -> Result<Vec<Finding>> {
    let model = Model::read(project)?;
    let setup = Setup::new(&model, opts)?;
    let mut findings = checks::all(&setup, opts)?;
    findings.sort_by_key(Finding::check);
    Ok(findings)
}
