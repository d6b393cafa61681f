//! What the user reads about a verify run: the Machines, the matrix of who sees whom, the pairs that
//! are not connected with their reasons, the findings in doctor's line style, and the same as one
//! JSON document for `--format json`.

use super::analysis::{Answer, Asked, Context, Finding, Pair, Verdict};
use super::fly::Machine;
use crate::doctor;
use crate::exit::Exit;
use crate::output::Text;
use serde_json::{Value, json};

/// The whole text report; `quiet` keeps only the findings and the verdict.
pub fn text(
    ctx: &Context<'_>,
    asked: &[Asked],
    others: &[Machine],
    verdict: &Verdict,
    quiet: bool,
) -> Text {
    let mut out = String::new();
    if !quiet {
        out.push_str(&machines_table(ctx, asked, others));
        if asked.len() > 1 {
            out.push('\n');
            out.push_str(&matrix(asked, verdict));
            let missing: Vec<&Pair> = verdict.pairs.iter().filter(|p| !p.connected()).collect();
            if !missing.is_empty() {
                out.push_str("\nnot connected:\n");
                for p in missing {
                    out.push_str(&format!(
                        "  {} - {}  {}\n",
                        p.a + 1,
                        p.b + 1,
                        p.reasons.join(", ")
                    ));
                }
            }
        }
    }
    let mut text = Text::from(out);
    let findings = doctor::finding_lines(&finding_lines(&verdict.findings));
    if !findings.is_empty() {
        text.push("\n");
        text.append(findings);
    }
    text.push("\n");
    text.push(&summary(asked, verdict));
    text
}

/// The findings that need attention, as doctor prints a finding (the location is the Machines it is
/// about).
fn finding_lines(findings: &[Finding]) -> Vec<doctor::FindingLine<'_>> {
    findings
        .iter()
        .filter(|f| f.severity != doctor::Severity::Ok)
        .map(|f| doctor::FindingLine {
            severity: f.severity,
            id: f.id,
            location: f.machines.join(", "),
            message: &f.message,
            fix: Some(&f.fix),
        })
        .collect()
}

fn machines_table(ctx: &Context<'_>, asked: &[Asked], others: &[Machine]) -> String {
    let not_started = if others.is_empty() {
        String::new()
    } else {
        format!(", {} not started", others.len())
    };
    let mut out = format!(
        "{}: {} Machine{} started{not_started}; each asked with `{} rpc` through `fly ssh console`\n\n",
        ctx.fly_app,
        asked.len(),
        if asked.len() == 1 { "" } else { "s" },
        ctx.script
    );
    let mut rows = vec![[
        "#".to_string(),
        "machine".into(),
        "state".into(),
        "region".into(),
        "image".into(),
        "node".into(),
    ]];
    for (i, a) in asked.iter().enumerate() {
        let node = match &a.answer {
            Answer::Node(r) => r.node.clone(),
            Answer::NotDistributed { boot, .. } => {
                format!("{} (boots so; rpc cannot reach it)", boot.node)
            }
            Answer::Unreachable { .. } => "(no answer)".into(),
        };
        rows.push(row(&(i + 1).to_string(), &a.machine, node));
    }
    for m in others {
        rows.push(row("-", m, String::new()));
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let mut line = String::from(" ");
        for (c, cell) in r.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if c < 5 {
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 1));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn row(number: &str, m: &Machine, node: String) -> [String; 6] {
    let image = if m.image_tag.is_empty() {
        m.image.clone()
    } else {
        m.image_tag.clone()
    };
    [
        number.to_string(),
        m.id.clone(),
        m.state.clone(),
        m.region.clone(),
        image,
        node,
    ]
}

/// Row `i` column `j`: does node `i` list node `j` (`✓`), not (`✗`), or is its view unknown (`?`).
fn matrix(asked: &[Asked], verdict: &Verdict) -> String {
    let n = asked.len();
    let width = n.to_string().len();
    let mut out = String::from("who sees whom (a row's Node.list() has the column's node):\n");
    out.push_str(&format!("  {:>width$} ", ""));
    for j in 0..n {
        out.push_str(&format!(" {:>width$}", j + 1));
    }
    out.push('\n');
    for i in 0..n {
        out.push_str(&format!("  {:>width$} ", i + 1));
        for j in 0..n {
            let cell = if i == j {
                "-"
            } else {
                let pair = verdict
                    .pairs
                    .iter()
                    .find(|p| (p.a, p.b) == (i.min(j), i.max(j)))
                    .expect("a pair for every two Machines");
                let sees = if i < j { pair.a_sees_b } else { pair.b_sees_a };
                match sees {
                    Some(true) => "✓",
                    Some(false) => "✗",
                    None => "?",
                }
            };
            out.push_str(&format!(" {cell:>width$}"));
        }
        out.push('\n');
    }
    out
}

fn summary(asked: &[Asked], verdict: &Verdict) -> String {
    let total = verdict.pairs.len();
    let connected = verdict.pairs.iter().filter(|p| p.connected()).count();
    if asked.len() == 1 && verdict.complete() {
        "1 node started: nothing to cluster with\n".into()
    } else if asked.len() == 1 {
        "1 Machine started, and its node did not answer\n".into()
    } else if verdict.complete() {
        format!(
            "all {} nodes see each other: the cluster is complete\n",
            asked.len()
        )
    } else {
        format!("{connected} of {total} pairs connected: the cluster is not complete\n")
    }
}

/// `{"app", "machines", "pairs", "findings", "summary", ...}`.
pub fn json_document(
    ctx: &Context<'_>,
    asked: &[Asked],
    others: &[Machine],
    verdict: &Verdict,
    exit: Exit,
) -> Value {
    let mut machines: Vec<Value> = asked
        .iter()
        .zip(&verdict.cookie_groups)
        .map(|(a, group)| machine_json(&a.machine, Some(&a.answer), *group))
        .collect();
    machines.extend(others.iter().map(|m| machine_json(m, None, None)));
    let id = |i: usize| asked[i].machine.id.clone();
    json!({
        "app": ctx.fly_app,
        "otp_app": ctx.otp_app,
        "release_script": ctx.script,
        "machines": machines,
        "pairs": verdict.pairs.iter().map(|p| json!({
            "a": id(p.a),
            "b": id(p.b),
            "a_sees_b": p.a_sees_b,
            "b_sees_a": p.b_sees_a,
            "connected": p.connected(),
            "reasons": p.reasons,
        })).collect::<Vec<_>>(),
        "findings": verdict.findings.iter().map(|f| json!({
            "id": f.id,
            "severity": f.severity.name(),
            "machines": f.machines,
            "message": f.message,
            "fix": f.fix,
        })).collect::<Vec<_>>(),
        "summary": {
            "started": asked.len(),
            "not_started": others.len(),
            "pairs": verdict.pairs.len(),
            "connected_pairs": verdict.pairs.iter().filter(|p| p.connected()).count(),
            "complete": verdict.complete(),
            "exit_code": exit.code(),
        },
    })
}

fn machine_json(m: &Machine, answer: Option<&Answer>, cookie_group: Option<char>) -> Value {
    let report = answer.and_then(Answer::report);
    let error = match answer {
        Some(Answer::Unreachable { message }) => Some(message.as_str()),
        Some(Answer::NotDistributed { rpc_error, .. }) => Some(rpc_error.as_str()),
        _ => None,
    };
    json!({
        "id": m.id,
        "name": m.name,
        "state": m.state,
        "region": m.region,
        "private_ip": m.private_ip,
        "image": m.image,
        "process_group": m.process_group,
        "answer": answer.map(Answer::kind),
        "error": error,
        "node": report.map(|r| r.node.as_str()),
        "nodes": answer.and_then(Answer::view).map(|r| r.nodes.clone()),
        "cookie_group": cookie_group.map(String::from),
        "query": report.map(|r| r.query.as_str()),
        "query_from": report.map(|r| r.query_from.as_str()),
        "aaaa": report.map(|r| r.aaaa.clone()),
        "clustering": report.map(|r| r.clustering.iter().map(|(library, state)| json!({
            "library": library,
            "state": state,
        })).collect::<Vec<_>>()),
        "proto_dist": report.map(|r| r.proto_dist.clone()),
        "release_version": report.map(|r| r.release_version.as_str()),
        "fly_image_ref": report.map(|r| r.fly_image_ref.as_str()),
    })
}
