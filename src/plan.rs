//! The in-memory plan: every file the run would touch, what would happen to it, and what the user
//! must hear. Dry run, `--check`, JSON output, the prompt and apply all read this one structure.

use crate::facts::{FindingId, Id};
use crate::textfile::TextFile;
use std::path::{Path, PathBuf};

/// The six kinds of edit, as named on the command line (`--only`, `--skip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    EnvSh,
    Deps,
    Application,
    Runtime,
    Dockerfile,
    FlyToml,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::EnvSh,
        Kind::Deps,
        Kind::Application,
        Kind::Runtime,
        Kind::Dockerfile,
        Kind::FlyToml,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::EnvSh => "env-sh",
            Kind::Deps => "deps",
            Kind::Application => "application",
            Kind::Runtime => "runtime",
            Kind::Dockerfile => "dockerfile",
            Kind::FlyToml => "fly-toml",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
    Skipped,
    Manual,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Unchanged => "unchanged",
            Action::Skipped => "skipped",
            Action::Manual => "manual",
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update)
    }
}

/// Something the run tells the user that did not stop it: which fact (by the id doctor reports it
/// with, when doctor judges it too), where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub id: Id,
    /// Relative to the project root, `/`-separated; `None` for the run as a whole.
    pub file: Option<String>,
    /// 1-based, in the file as the run read it; `None` for the file as a whole or a line the run
    /// writes.
    pub line: Option<usize>,
    pub message: String,
}

impl Warning {
    pub fn new(id: impl Into<Id>, message: impl Into<String>) -> Self {
        Warning {
            id: id.into(),
            file: None,
            line: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, file: &Path, line: Option<usize>) -> Self {
        self.file = Some(file.to_string_lossy().into_owned());
        self.line = line;
        self
    }

    /// As printed: `` `fly.toml` line 2: ... ``.
    pub fn text(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("`{file}` line {line}: {}", self.message),
            (Some(file), None) => format!("`{file}`: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A step the tool could not do safely: the exact snippet and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualStep {
    /// The finding doctor reports until the step is done.
    pub id: FindingId,
    pub path: PathBuf,
    pub location: String,
    pub snippet: String,
    pub reason: String,
}

/// The state of one file as read, kept so apply can refuse a stale write and restore on failure.
#[derive(Debug, Clone)]
pub struct Original {
    pub bytes: Vec<u8>,
    pub format: TextFile,
    pub mode: u32,
}

/// One file in the plan.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub kind: Kind,
    /// Path relative to the project root, `/`-separated, as shown in diffs.
    pub path: String,
    /// Absolute path on disk.
    pub abs: PathBuf,
    pub action: Action,
    /// None when the file does not exist yet.
    pub original: Option<Original>,
    /// Editing-form text before and after (before is empty for a new file).
    pub before_text: String,
    pub after_text: String,
    /// The bytes to write, with the file's own conventions; set when `action.writes()`.
    pub after_bytes: Option<Vec<u8>>,
    /// Mode for a created file.
    pub new_mode: u32,
    /// Why the file is skipped, or a note on the change.
    pub note: Option<String>,
}

/// Everything a run would do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub warnings: Vec<Warning>,
    pub manual: Vec<ManualStep>,
}

impl Plan {
    pub fn pending(&self) -> impl Iterator<Item = &FileChange> {
        self.changes.iter().filter(|c| c.action.writes())
    }

    pub fn has_pending(&self) -> bool {
        self.pending().next().is_some()
    }
}

/// The warnings as printed, for tests that compare the words.
#[cfg(test)]
pub(crate) fn texts(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(Warning::text).collect()
}
