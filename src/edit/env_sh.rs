//! Editor for `rel/env.sh.eex` (kind `env-sh`): gives the file flycluster's block, which makes the
//! release export what Erlang clustering on Fly.io needs and does nothing off Fly.
//!
//! The block sits between marker comments and is flycluster's: it is replaced whole when the
//! template changes. Lines that earlier Fly setups wrote (Fly's pre-2023 libcluster guide, `fly
//! launch`'s unguarded and guarded exports, an older flycluster block) are recognised and replaced
//! by it; lines flycluster does not recognise stay, with a warning naming them. What the file sets
//! is judged by [`crate::shell`], the same reading doctor uses.

use super::{Database, EditCtx, Edited, Outcome};
use crate::error::{Error, Result};
use crate::facts::{FindingId, InitOnly};
use crate::plan::{ManualStep, Warning};
use crate::shell::{self, BlockOptions, Script, Seg, Statement, StatementKind};
use crate::templates;
use std::ops::RangeInclusive;
use std::path::Path;

const NEW_FILE_TEMPLATE: &str = "env.sh.eex.j2";

/// Comments that earlier Fly setups wrote just above their lines; they go with them.
const OLDER_BLOCK_HEADER: &str = "# Erlang clustering on Fly.io (flycluster).";
const KNOWN_COMMENTS: [&str; 2] = [
    "# configure node for distributed erlang with IPV6 support",
    OLDER_BLOCK_HEADER,
];

/// Plans `rel/env.sh.eex`: the release.init file plus the block when missing; else the block in
/// place of the file's own (or of the earlier setup's lines), unless what the file sets already
/// works on Fly and off it.
pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let opts = block_options(ctx);
    let Some(before) = before else {
        return Ok(Edited::new(Outcome::Write(new_file(opts))));
    };
    let script = read(path, before)?;
    if settled(&script, opts) {
        return Ok(Edited::new(Outcome::Unchanged));
    }

    let replaced = replaced_lines(&script, before);
    let block = shell::render_block(opts);
    let at_first = replaced.first().map(|r| *r.start());
    let mut attempts = vec![at_first, None];
    attempts.dedup();
    let mut last_failure = String::new();
    for at in attempts {
        let after = splice(before, &replaced, at, &block);
        match read(path, &after) {
            Ok(check) if settled(&check, opts) => {
                let warnings = warnings(path, (before, &script), &replaced, (&after, &check));
                let mut edited = Edited::from_text(Some(before), after);
                edited.warnings = warnings;
                return Ok(edited);
            }
            Ok(check) => last_failure = not_settled_reason(&check, opts),
            Err(e) => last_failure = e.to_string(),
        }
    }
    Ok(Edited::new(Outcome::Manual(ManualStep {
        id: FindingId::EnvShExports,
        path: path.to_path_buf(),
        location: format!("at the end of `{}`", path.display()),
        snippet: block,
        reason: last_failure,
    })))
}

/// What the block holds for this run.
pub fn block_options(ctx: &EditCtx) -> BlockOptions {
    BlockOptions {
        // Only a database on Fly's private network is reached over IPv6; an IPv4-only host given
        // ECTO_IPV6=true fails with a misleading `:nxdomain`.
        ecto_ipv6: ctx.database == Database::Fly,
        image_suffix: ctx.node_image_suffix,
    }
}

/// What `mix release.init` writes, then the block.
fn new_file(opts: BlockOptions) -> String {
    templates::render(
        NEW_FILE_TEMPLATE,
        minijinja::context! { block => shell::render_block(opts) },
    )
}

fn read(path: &Path, text: &str) -> Result<Script> {
    shell::read(text).map_err(|e| {
        Error::input(path, Some(e.line), e.message)
            .with_help("fix the shell there (`sh -n` shows it), then run `flycluster init` again")
    })
}

/// The variables the block must make effective on Fly.
fn needed(opts: BlockOptions) -> impl Iterator<Item = &'static str> {
    shell::CLUSTERING_VARS
        .into_iter()
        .filter(move |v| opts.ecto_ipv6 || *v != "ECTO_IPV6")
}

/// Configured: everything needed takes effect on Fly, nothing clustering-specific leaks off Fly,
/// and the block, when there is one, is the current one.
fn settled(script: &Script, opts: BlockOptions) -> bool {
    let block_ok = script
        .block
        .as_ref()
        .is_none_or(|b| b.rendered_with == Some(opts));
    block_ok
        && needed(opts).all(|v| script.on_fly.accepted(v))
        && (script.block.is_some() || script.node_name_broken_off_fly().is_none())
}

fn not_settled_reason(script: &Script, opts: BlockOptions) -> String {
    let missing: Vec<&str> = needed(opts)
        .filter(|v| !script.on_fly.accepted(v))
        .collect();
    let lines: Vec<String> = missing
        .iter()
        .filter_map(|v| script.on_fly.var(v))
        .flat_map(|v| v.conditional_lines.iter().chain(v.unset_line.iter()))
        .map(|l| format!("line {l}"))
        .chain(
            script
                .on_fly
                .proto_dist_elsewhere
                .iter()
                .map(|(var, a)| format!("line {} (-proto_dist in {var})", a.line)),
        )
        .collect();
    format!(
        "with the flycluster block added, {} still would not take effect on Fly{}; change those lines by hand, then add the block",
        missing.join(", "),
        if lines.is_empty() {
            String::new()
        } else {
            format!(" because of {}", lines.join(", "))
        }
    )
}

// ---------------------------------------------------------------------------------------------
// Earlier setups.

/// The 0-based line ranges the block replaces: flycluster's own block, and the statements earlier
/// Fly setups wrote (with the comment they wrote above them), in file order.
fn replaced_lines(script: &Script, text: &str) -> Vec<RangeInclusive<usize>> {
    let lines: Vec<&str> = text.split('\n').collect();
    let ip_vars = hosts_file_ip_vars(&script.statements);
    let statements = &script.statements;
    let mut chosen: Vec<usize> = (0..statements.len())
        .filter(|&i| {
            let older_flycluster = i > 0
                && matches!(&statements[i].kind, StatementKind::FlyGuard(body) if sets_only_its_own(body, &lines))
                && matches!(&statements[i - 1].kind, StatementKind::Comment(c) if c.starts_with(OLDER_BLOCK_HEADER));
            older_flycluster || recognised(&statements[i], &ip_vars)
        })
        .collect();
    // `RELEASE_DISTRIBUTION=name` alone is no Fly setting: it goes only with the node names it
    // serves. A RELEASE_NODE the block does not replace (another platform's) keeps it.
    let in_chosen = |line: usize| {
        chosen
            .iter()
            .any(|&i| statements[i].lines.contains(&(line - 1)))
    };
    let kept_node = script.off_fly.var("RELEASE_NODE").is_some_and(|v| {
        let mut all = v
            .effective
            .iter()
            .chain(&v.overridden)
            .chain(&v.conditional);
        all.any(|a| !in_chosen(a.line)) || v.not_on_fly.iter().any(|(a, _)| !in_chosen(a.line))
    });
    if kept_node {
        chosen.retain(|&i| !only_assigns(&statements[i], "RELEASE_DISTRIBUTION"));
    }

    let mut ranges: Vec<RangeInclusive<usize>> =
        script.block.iter().map(|b| b.lines.clone()).collect();
    for i in chosen {
        let stmt = &statements[i];
        let mut start = *stmt.lines.start();
        if let Some(prev) = i.checked_sub(1).map(|p| &statements[p])
            && let StatementKind::Comment(c) = &prev.kind
            && KNOWN_COMMENTS.iter().any(|k| c.starts_with(k))
            && *prev.lines.end() + 1 == start
        {
            start = *prev.lines.start();
        }
        ranges.push(start..=*stmt.lines.end());
    }
    ranges.sort_by_key(|r| *r.start());
    ranges
}

fn only_assigns(stmt: &Statement, name: &str) -> bool {
    matches!(&stmt.kind, StatementKind::Assign { assignments, .. } if assignments.iter().all(|(n, _)| n == name))
}

/// An older flycluster block assigns only the clustering variables, the flag variables it cleaned
/// and its own `flycluster_` helpers, and its other commands (a function, `case`s, a loop,
/// `unset`s) all work on those helpers; a line of the user's inside it keeps the whole from being
/// taken for flycluster's.
fn sets_only_its_own(body: &[Statement], lines: &[&str]) -> bool {
    let mentions_helpers = |s: &Statement| {
        lines
            .get(*s.lines.start()..=*s.lines.end())
            .is_some_and(|ls| ls.iter().any(|l| l.contains("flycluster_")))
    };
    body.iter().all(|s| match &s.kind {
        StatementKind::Comment(_) => true,
        StatementKind::Assign { assignments, .. } => assignments.iter().all(|(name, _)| {
            shell::CLUSTERING_VARS.contains(&name.as_str())
                || shell::OTHER_FLAG_VARS.contains(&name.as_str())
                || name.starts_with("flycluster_")
        }),
        StatementKind::FlyGuard(_) | StatementKind::Other => mentions_helpers(s),
    })
}

/// Variables set from `/etc/hosts`' fly-local-6pn entry (Fly's pre-2023 guide: `ip=$(grep ...)`).
fn hosts_file_ip_vars(statements: &[Statement]) -> Vec<String> {
    statements
        .iter()
        .filter_map(|s| match &s.kind {
            StatementKind::Assign { assignments, .. } => Some(assignments),
            _ => None,
        })
        .flatten()
        .filter(|(_, value)| shell::normalized(value).contains("fly-local-6pn"))
        .map(|(name, _)| name.clone())
        .collect()
}

/// A statement an earlier Fly setup wrote: every assignment in it is one of theirs, or it is a
/// Fly guard holding only such statements.
fn recognised(stmt: &Statement, ip_vars: &[String]) -> bool {
    match &stmt.kind {
        // Each of those setups wrote its assignments one a line.
        StatementKind::Assign { assignments, .. } => {
            stmt.lines.start() == stmt.lines.end()
                && !assignments.is_empty()
                && assignments
                    .iter()
                    .all(|(name, value)| earlier_setting(name, value, ip_vars))
        }
        StatementKind::FlyGuard(body) => {
            body.iter()
                .any(|s| !matches!(s.kind, StatementKind::Comment(_)))
                && body
                    .iter()
                    .all(|s| matches!(s.kind, StatementKind::Comment(_)) || recognised(s, ip_vars))
        }
        StatementKind::Comment(_) | StatementKind::Other => false,
    }
}

/// The settings of FLY-SETUPS.md's generations, value by value.
fn earlier_setting(name: &str, value: &[Seg], ip_vars: &[String]) -> bool {
    let v = shell::normalized(value);
    match name {
        "ERL_AFLAGS" | "ELIXIR_ERL_OPTIONS" => v == "-proto_dist inet6_tcp",
        "ECTO_IPV6" => v == "true",
        "DNS_CLUSTER_QUERY" => v == "${FLY_APP_NAME}.internal",
        "RELEASE_DISTRIBUTION" => v == "name",
        "RELEASE_NODE" => {
            v == "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
                || v == "${FLY_APP_NAME}@${FLY_PRIVATE_IP}"
                || ip_vars.iter().any(|ip| v == format!("${{FLY_APP_NAME}}@${{{ip}}}"))
                // `fly launch`'s fallback after its guarded block: `${RELEASE_NODE:-<%= @release.name %>@$(hostname)}`
                || (v.starts_with("${RELEASE_NODE:-<%= @release.name %>@") && v.contains("hostname"))
        }
        // The lookup itself; another assignment to the same variable is the user's.
        _ => ip_vars.iter().any(|ip| ip == name) && v.contains("fly-local-6pn"),
    }
}

/// `before` without the `replaced` lines, with `block` where the first of them was (`Some`) or at
/// the end of the file (`None`).
fn splice(
    before: &str,
    replaced: &[RangeInclusive<usize>],
    at: Option<usize>,
    block: &str,
) -> String {
    let lines: Vec<&str> = before.split_inclusive('\n').collect();
    let mut out = String::with_capacity(before.len() + block.len());
    for (n, line) in lines.iter().enumerate() {
        if Some(n) == at {
            out.push_str(block);
        }
        if !replaced.iter().any(|r| r.contains(&n)) {
            out.push_str(line);
        }
    }
    if at.is_none() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(block);
    }
    // Removing lines can leave blank lines behind: keep at most one in a row, and none at the end
    // that the file did not have.
    let mut out = collapse_blank_runs(&out);
    while out.ends_with("\n\n") && !before.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn collapse_blank_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
    }
    out
}

/// One warning for each line the block overrides on Fly but flycluster did not write or recognise.
fn warnings(
    path: &Path,
    (before_text, before): (&str, &Script),
    replaced: &[RangeInclusive<usize>],
    (after_text, after): (&str, &Script),
) -> Vec<Warning> {
    let mut out = Vec::new();
    let is_replaced = |line: usize| replaced.iter().any(|r| r.contains(&(line - 1)));
    for name in shell::CLUSTERING_VARS {
        let Some(var) = before.on_fly.var(name) else {
            continue;
        };
        let kept = var
            .effective
            .iter()
            .chain(&var.overridden)
            .chain(&var.conditional)
            .filter(|a| !a.managed && !is_replaced(a.line));
        for a in kept {
            let why = if a.raw.contains("FLY_IMAGE_REF##*-") {
                " (`${FLY_IMAGE_REF##*-}` makes an invalid node name when the image has a custom label, such as `:v42`)"
            } else {
                ""
            };
            out.push(
                Warning::new(
                    InitOnly::EnvShUnrecognised,
                    format!(
                        "`{}` is a line flycluster does not recognise; it stays, and the flycluster block overrides it on Fly{why}",
                        a.raw
                    ),
                )
                .at(path, Some(a.line)),
            );
        }
    }
    if let Some(a) = after.node_name_broken_off_fly() {
        out.push(
            Warning::new(
                FindingId::EnvShUnguarded,
                "RELEASE_NODE is built from Fly's variables outside a Fly guard; off Fly they are empty and the node name is invalid",
            )
            .at(path, line_before(before_text, after_text, a.line)),
        );
    }
    out
}

/// The line of `before` that line `after_line` of `after` was, when the edit kept it.
fn line_before(before: &str, after: &str, after_line: usize) -> Option<usize> {
    let diff = similar::TextDiff::from_lines(before, after);
    diff.iter_all_changes()
        .find(|c| c.tag() == similar::ChangeTag::Equal && c.new_index() == Some(after_line - 1))
        .and_then(|c| c.old_index())
        .map(|i| i + 1)
}

#[cfg(test)]
#[path = "env_sh_tests.rs"]
mod tests;
