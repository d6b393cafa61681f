//! A finding: one result of one check, with its severity, the file and line it is about, a message
//! and a one-line fix.

use crate::boot::Origin;
pub use crate::facts::{Check, FindingId};

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
    pub id: FindingId,
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
        id: FindingId,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            id,
            severity,
            file: None,
            line: None,
            message: message.into(),
            fix: None,
        }
    }

    pub(in crate::doctor) fn ok(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Ok, message)
    }

    pub(in crate::doctor) fn warning(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Warning, message)
    }

    pub(in crate::doctor) fn problem(id: FindingId, message: impl Into<String>) -> Self {
        Finding::new(id, Severity::Problem, message)
    }

    /// The check the finding belongs to; findings are reported in check order.
    pub fn check(&self) -> Check {
        self.id.check()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_listed_in_check_order() {
        let names: Vec<&str> = FindingId::ALL.iter().map(|id| id.name()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }));
        let checks: Vec<u8> = FindingId::ALL
            .iter()
            .map(|id| id.check().number())
            .collect();
        assert!(checks.windows(2).all(|w| w[0] <= w[1]), "{checks:?}");
        assert_eq!((checks[0], checks[checks.len() - 1]), (1, 14));
        assert_eq!(Check::InitPending.number(), 14);
    }
}
