//! A finding: one result of one check, with its severity, the file and line it is about, a message
//! and a one-line fix.

use crate::doctor::inputs::Origin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Problem => "problem",
        }
    }
}

/// One result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check it belongs to (1 to 14); findings are reported in this order.
    pub check: u8,
    /// Stable, kebab-case: `release-node-host`.
    pub id: &'static str,
    pub severity: Severity,
    /// Path relative to the project root.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    pub message: String,
    /// One line; `None` for ok findings.
    pub fix: Option<String>,
}

impl Finding {
    pub(in crate::doctor) fn new(
        check: u8,
        id: &'static str,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            check,
            id,
            severity,
            file: None,
            line: None,
            message: message.into(),
            fix: None,
        }
    }

    pub(in crate::doctor) fn ok(check: u8, id: &'static str, message: impl Into<String>) -> Self {
        Finding::new(check, id, Severity::Ok, message)
    }

    pub(in crate::doctor) fn warning(
        check: u8,
        id: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(check, id, Severity::Warning, message)
    }

    pub(in crate::doctor) fn problem(
        check: u8,
        id: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(check, id, Severity::Problem, message)
    }

    pub(in crate::doctor) fn at(mut self, file: impl Into<String>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }

    pub(in crate::doctor) fn at_origin(self, origin: &Origin) -> Self {
        self.at(origin.file(), Some(origin.line()))
    }

    pub(in crate::doctor) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub(in crate::doctor) fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => String::new(),
        }
    }
}
