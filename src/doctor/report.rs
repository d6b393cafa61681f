//! What the user reads about a doctor run: one line per finding and a summary, or one JSON
//! document.

use crate::doctor::finding::*;
use crate::exit::Exit;
use crate::output::{Style, Text};

/// A problem fails the run; warnings alone do not.
pub fn exit_code(findings: &[Finding]) -> Exit {
    if findings.iter().any(|f| f.severity == Severity::Problem) {
        Exit::Incomplete
    } else {
        Exit::Done
    }
}

/// One line per finding, in check order, then a summary line. `only_attention` leaves out ok
/// findings and the summary (for `-q`).
pub fn text_report(findings: &[Finding], only_attention: bool) -> Text {
    let lines: Vec<FindingLine<'_>> = findings
        .iter()
        .filter(|f| !only_attention || f.severity != Severity::Ok)
        .map(|f| FindingLine {
            severity: f.severity,
            id: f.id.name(),
            location: f.location(),
            message: &f.message,
            fix: f.fix.as_deref(),
        })
        .collect();
    let mut out = finding_lines(&lines);
    if !only_attention {
        out.push(&summary_line(findings));
    }
    out
}

/// A finding as its line shows it; verify prints its findings in doctor's style too.
pub struct FindingLine<'a> {
    pub severity: Severity,
    pub id: &'a str,
    /// `FILE:LINE`, or what else the finding is about; may be empty.
    pub location: String,
    pub message: &'a str,
    pub fix: Option<&'a str>,
}

/// `severity id  location: message; fix: ...`, the ids in one column.
pub fn finding_lines(lines: &[FindingLine<'_>]) -> Text {
    let width = lines.iter().map(|f| f.id.len()).max().unwrap_or(0);
    let mut out = Text::new();
    for f in lines {
        let style = match f.severity {
            Severity::Ok => Style::Ok,
            Severity::Warning => Style::Warning,
            Severity::Problem => Style::Problem,
        };
        out.push_styled(style, &format!("{:<7}", f.severity.name()));
        let location = if f.location.is_empty() {
            String::new()
        } else {
            format!("{}: ", f.location)
        };
        let fix = f.fix.map(|fix| format!("; fix: {fix}")).unwrap_or_default();
        out.push(&format!(
            " {:<width$}  {location}{}{fix}\n",
            f.id, f.message
        ));
    }
    out
}

pub(in crate::doctor) fn summary_line(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let (problems, warnings, ok) = (
        count(Severity::Problem),
        count(Severity::Warning),
        count(Severity::Ok),
    );
    let verdict = if problems > 0 {
        "clustering on Fly will not work until the problems are fixed"
    } else if warnings > 0 {
        "clustering is set up; the warnings are worth a look"
    } else {
        "clustering is set up"
    };
    format!(
        "\n{}, {}, {} ok: {verdict}\n",
        plural(problems, "problem"),
        plural(warnings, "warning"),
        ok
    )
}

/// `{"findings": [...], "summary": {...}}`.
pub fn json_document(findings: &[Finding]) -> serde_json::Value {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    serde_json::json!({
        "findings": findings.iter().map(|f| serde_json::json!({
            "check": f.check().number(),
            "id": f.id.name(),
            "severity": f.severity.name(),
            "file": f.file,
            "line": f.line,
            "message": f.message,
            "fix": f.fix,
        })).collect::<Vec<_>>(),
        "summary": {
            "problems": count(Severity::Problem),
            "warnings": count(Severity::Warning),
            "ok": count(Severity::Ok),
            "exit_code": exit_code(findings).code(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::setup::ENV_SH;

    #[test]
    fn text_report_is_one_line_per_finding_and_a_summary() {
        let findings = vec![
            Finding::ok(FindingId::EnvShExports, "fine").at(ENV_SH, None),
            Finding::problem(FindingId::ReleaseNodeHost, "bad host")
                .at(ENV_SH, Some(8))
                .fix("use the private IP"),
        ];
        assert_eq!(
            text_report(&findings, false).render(false),
            "ok      env-sh-exports     rel/env.sh.eex: fine\n\
             problem release-node-host  rel/env.sh.eex:8: bad host; fix: use the private IP\n\
             \n1 problem, 0 warnings, 1 ok: clustering on Fly will not work until the problems are fixed\n"
        );
        assert_eq!(
            text_report(&findings, true).render(false),
            "problem release-node-host  rel/env.sh.eex:8: bad host; fix: use the private IP\n"
        );
        assert!(
            text_report(&findings, false)
                .render(true)
                .contains("\x1b[1;31mproblem\x1b[0m")
        );
        assert_eq!(exit_code(&findings), Exit::Incomplete);
        assert_eq!(exit_code(&findings[..1]), Exit::Done);
    }
}
