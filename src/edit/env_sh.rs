//! Editor for `rel/env.sh.eex` (kind `env-sh`): makes the release export what Erlang clustering on
//! Fly.io needs, inside a block guarded by `FLY_APP_NAME` so the release still boots anywhere else.
//!
//! An existing file is read the way `sh` would run it (comments, quotes, continuations, here-documents,
//! `if`/`case`/loops, subshells, functions) to find, for each variable, the last assignment that takes
//! effect on Fly. Only what is not already effective is written: into the file's own Fly-guarded block
//! when nothing after it interferes, else as a new block at the end of the file, where it wins over
//! whatever the file set earlier for other platforms.

use super::{EditCtx, Edited, Outcome};
use crate::error::{Error, Result};
use crate::plan::ManualStep;
use crate::templates;
use std::path::Path;

const BLOCK_TEMPLATE: &str = "env_sh_block.sh.j2";
const NEW_FILE_TEMPLATE: &str = "env.sh.eex.j2";

/// Plans `rel/env.sh.eex`: the release.init file plus the block when missing, else only what the file
/// does not already set effectively on Fly, with a warning for each line the block overrides. Shell it
/// cannot follow becomes a manual step with the block to paste.
pub fn plan(_ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let Some(before) = before else {
        return Ok(Edited::new(Outcome::Write(new_file())));
    };
    let analysis = match Analysis::of(before) {
        Ok(analysis) => analysis,
        Err(e) => return Ok(Edited::new(Outcome::Manual(manual_step(path, &e)))),
    };
    let needed = analysis.needed();
    if needed.is_empty() {
        return Ok(Edited::new(Outcome::Unchanged));
    }

    let (after, replaced) = match analysis.guard_to_update(&needed) {
        Some(guard) => analysis.update_guard(before, guard, &needed),
        None => (append_block(before, &needed), Vec::new()),
    };
    let warnings = analysis.warnings(path, &needed, &replaced);

    // The edit must leave the file configured, or a second run would edit it again.
    match Analysis::of(&after) {
        Ok(check) if check.needed().is_empty() => {}
        _ => {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "the clustering block does not take effect in the edited file".into(),
            });
        }
    }

    let mut edited = Edited::from_text(Some(before), after);
    edited.warnings = warnings;
    Ok(edited)
}

/// What `mix release.init` writes, then the full clustering block.
fn new_file() -> String {
    templates::render(NEW_FILE_TEMPLATE, block_context(&Var::ALL))
}

/// The guarded block that sets `vars` (in their fixed order), header comment included.
fn render_block(vars: &[Var]) -> String {
    templates::render(BLOCK_TEMPLATE, block_context(vars))
}

fn block_context(vars: &[Var]) -> minijinja::Value {
    minijinja::context! {
        erl_aflags => vars.contains(&Var::ErlAflags),
        ecto_ipv6 => vars.contains(&Var::EctoIpv6),
        dns_cluster_query => vars.contains(&Var::DnsClusterQuery),
        release_distribution => vars.contains(&Var::ReleaseDistribution),
        release_node => vars.contains(&Var::ReleaseNode),
    }
}

/// The lines between the block's `if` and `fi`, re-indented from the template's two spaces to `indent`.
fn block_body(vars: &[Var], indent: &str) -> Vec<String> {
    let block = render_block(vars);
    let lines: Vec<&str> = block.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("if "))
        .expect("the block template has an `if` line")
        + 1;
    let end = lines
        .iter()
        .rposition(|l| *l == "fi")
        .expect("the block template ends with `fi`");
    lines[start..end]
        .iter()
        .map(|l| match l.strip_prefix("  ") {
            Some(rest) => format!("{indent}{rest}"),
            None => (*l).to_string(),
        })
        .collect()
}

fn append_block(before: &str, vars: &[Var]) -> String {
    let mut out = before.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    let body = out.strip_suffix('\n').unwrap_or(&out);
    let last_line = body.rsplit('\n').next().unwrap_or("");
    if !last_line.trim().is_empty() {
        out.push('\n');
    }
    out.push_str(&render_block(vars));
    out
}

fn manual_step(path: &Path, e: &SyntaxError) -> ManualStep {
    ManualStep {
        path: path.to_path_buf(),
        location: format!("at the end of `{}`", path.display()),
        snippet: render_block(&Var::ALL),
        reason: format!(
            "line {}: {}; flycluster cannot follow the shell there, so it leaves the file alone",
            e.line + 1,
            e.message
        ),
    }
}

/// The five variables the guide asks for, in the order the block sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    ErlAflags,
    EctoIpv6,
    DnsClusterQuery,
    ReleaseDistribution,
    ReleaseNode,
}

impl Var {
    const ALL: [Var; 5] = [
        Var::ErlAflags,
        Var::EctoIpv6,
        Var::DnsClusterQuery,
        Var::ReleaseDistribution,
        Var::ReleaseNode,
    ];

    fn name(self) -> &'static str {
        match self {
            Var::ErlAflags => "ERL_AFLAGS",
            Var::EctoIpv6 => "ECTO_IPV6",
            Var::DnsClusterQuery => "DNS_CLUSTER_QUERY",
            Var::ReleaseDistribution => "RELEASE_DISTRIBUTION",
            Var::ReleaseNode => "RELEASE_NODE",
        }
    }

    /// erl and the application read these from their environment, so an unexported assignment does
    /// nothing. The release script itself exports RELEASE_DISTRIBUTION and RELEASE_NODE after it
    /// sources env.sh, so for those a plain assignment is enough.
    fn needs_export(self) -> bool {
        matches!(self, Var::ErlAflags | Var::EctoIpv6 | Var::DnsClusterQuery)
    }

    fn accepts(self, value: &[Seg]) -> bool {
        match self {
            Var::ErlAflags => erl_aflags_ok(value),
            Var::EctoIpv6 => normalized(value) == "true",
            Var::DnsClusterQuery => normalized(value) == "${FLY_APP_NAME}.internal",
            Var::ReleaseDistribution => normalized(value) == "name",
            Var::ReleaseNode => release_node_ok(value),
        }
    }
}

/// Flag variables besides ERL_AFLAGS that reach erl. erl ignores `-proto_dist` when it is given more
/// than once (and then listens on IPv4), so one of these carrying it conflicts with ERL_AFLAGS.
const OTHER_FLAG_VARS: [&str; 3] = ["ELIXIR_ERL_OPTIONS", "ERL_FLAGS", "ERL_ZFLAGS"];

fn tracked(name: &str) -> bool {
    Var::ALL.iter().any(|v| v.name() == name) || OTHER_FLAG_VARS.contains(&name)
}

/// A piece of a shell word after quote removal: literal text, or an expansion kept as written
/// (`$NAME` spelled `${NAME}`, so both spellings compare equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    Exp(String),
}

/// One string for comparisons; a literal `$` (from quotes or escapes) is shown as `\$` so it never
/// equals an expansion.
pub fn normalized(value: &[Seg]) -> String {
    value
        .iter()
        .map(|s| match s {
            Seg::Lit(l) => l.replace('$', "\\$"),
            Seg::Exp(e) => e.clone(),
        })
        .collect()
}

/// The value's flags as erl would split them; an expansion is a token of its own (`None`).
fn flag_tokens(value: &[Seg]) -> Vec<Option<&str>> {
    let mut tokens = Vec::new();
    for seg in value {
        match seg {
            Seg::Lit(l) => tokens.extend(l.split_whitespace().map(Some)),
            Seg::Exp(_) => tokens.push(None),
        }
    }
    tokens
}

pub fn proto_dist_count(value: &[Seg]) -> usize {
    flag_tokens(value)
        .iter()
        .filter(|t| **t == Some("-proto_dist"))
        .count()
}

pub fn has_inet6_tcp(value: &[Seg]) -> bool {
    flag_tokens(value)
        .windows(2)
        .any(|w| w[0] == Some("-proto_dist") && w[1] == Some("inet6_tcp"))
}

pub fn refers_to_erl_aflags(value: &[Seg]) -> bool {
    value.iter().any(|s| match s {
        Seg::Exp(e) => mentions_name(e, "ERL_AFLAGS"),
        Seg::Lit(_) => false,
    })
}

/// ERL_AFLAGS must carry `-proto_dist inet6_tcp` exactly once. A value built on the inherited
/// ERL_AFLAGS does not count: when the Dockerfile's ENV already has the flag, erl gets it twice.
fn erl_aflags_ok(value: &[Seg]) -> bool {
    proto_dist_count(value) == 1 && has_inet6_tcp(value) && !refers_to_erl_aflags(value)
}

/// `<name>@<host>` where the name starts with the Fly app name and the host is the private IP.
fn release_node_ok(value: &[Seg]) -> bool {
    // The guide's `${FLY_IMAGE_REF##*-}` keeps everything after the last `-` of the whole image
    // reference: with a custom `--image-label v42` the node is `app-elixir:v42@...`, and the release
    // does not boot (`nodistribution`, seen in tests/e2e). The block's suffix is derived safely.
    if value
        .iter()
        .any(|s| matches!(s, Seg::Exp(e) if e.replace(['{', '}'], "") == "$FLY_IMAGE_REF##*-"))
    {
        return false;
    }
    let Some((i, at)) = value.iter().enumerate().rev().find_map(|(i, s)| match s {
        Seg::Lit(l) => l.rfind('@').map(|at| (i, at)),
        Seg::Exp(_) => None,
    }) else {
        return false;
    };
    let Seg::Lit(l) = &value[i] else {
        unreachable!("found in a literal")
    };
    let mut host = vec![Seg::Lit(l[at + 1..].to_string())];
    host.extend(value[i + 1..].iter().cloned());
    let name_start = if i == 0 {
        Seg::Lit(l[..at].to_string())
    } else {
        value[0].clone()
    };
    normalized(&host) == "${FLY_PRIVATE_IP}" && name_start == Seg::Exp("${FLY_APP_NAME}".into())
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn mentions_name(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

// ---------------------------------------------------------------------------------------------
// Analysis: what the file sets, as the shell would run it.

/// Whether a command runs when the release boots on Fly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// Always runs (top level, a group, or the body of a FLY_APP_NAME guard).
    Effective,
    /// May or may not run: inside another `if`/`case`/loop, or after `&&`/`||`.
    Conditional,
    /// Does not change this shell on Fly: a subshell, pipeline, background job, function body, or
    /// the off-Fly branch of a guard.
    Ignored,
}

#[derive(Debug, Clone)]
enum EventKind {
    Assign {
        value: Vec<Seg>,
        /// The assignment as written, e.g. `RELEASE_DISTRIBUTION=sname`.
        raw: String,
        export: bool,
    },
    Export,
    Unset,
}

#[derive(Debug, Clone)]
struct Event {
    var: String,
    kind: EventKind,
    mode: Mode,
    /// 0-based line of the assignment.
    line: usize,
    /// The guard whose `then` branch holds this command directly (not nested deeper).
    guard: Option<usize>,
    /// The command is this one assignment alone on its line, so the line can be replaced.
    whole_line: bool,
    /// Inside the `then` branch of a FLY_APP_NAME guard, at any depth (for doctor).
    on_fly_only: bool,
    /// Why an ignored command does not run on Fly (for doctor).
    why_ignored: Option<&'static str>,
}

/// An `if` that runs its `then` branch only on Fly.
#[derive(Debug, Clone)]
struct Guard {
    mode: Mode,
    /// Indentation for lines added to the `then` branch.
    body_indent: String,
    /// 0-based line of the `else`/`elif`/`fi` that ends the `then` branch, when it starts its line.
    then_end: Option<usize>,
    /// Events from this index on come after the `fi`.
    end_event: usize,
}

#[derive(Debug)]
struct SyntaxError {
    line: usize,
    message: String,
}

type Parsed<T> = std::result::Result<T, SyntaxError>;

struct Analysis {
    events: Vec<Event>,
    guards: Vec<Guard>,
    /// The EEx tags of the file, which the analysis replaces with markers.
    eex_tags: Vec<String>,
}

/// Where a variable stands at the end of the file.
struct Status {
    good: bool,
    /// The last assignment that always runs on Fly.
    last: Option<usize>,
    /// A conditional assignment or unset follows `last`.
    tainted: bool,
}

impl Analysis {
    fn of(text: &str) -> Parsed<Analysis> {
        Analysis::parse(text, false)
    }

    /// `track_all` records every variable's assignments, not only the ones the editor needs.
    fn parse(text: &str, track_all: bool) -> Parsed<Analysis> {
        let (shell, eex_tags) = hide_eex(text);
        let tokens = lex(&shell)?;
        let lines: Vec<&str> = shell.split('\n').collect();
        let mut parser = Parser {
            tokens: &tokens,
            lines: &lines,
            pos: 0,
            events: Vec::new(),
            guards: Vec::new(),
            track_all,
        };
        parser.parse_list(
            Ctx {
                mode: Mode::Effective,
                guard: None,
                on_fly_only: false,
                why_ignored: None,
            },
            &[],
        )?;
        if let Some(tok) = parser.peek() {
            return Err(SyntaxError {
                line: tok.line,
                message: format!("unexpected `{}`", tok.text()),
            });
        }
        // Ignored events and guards stay in the lists (guards point into them by index); every
        // reader skips them.
        let Parser { events, guards, .. } = parser;
        Ok(Analysis {
            events,
            guards,
            eex_tags,
        })
    }

    /// Events that change this shell on Fly, with their index.
    fn live_events(&self) -> impl Iterator<Item = (usize, &Event)> + '_ {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, ev)| ev.mode != Mode::Ignored)
    }

    fn status(&self, var: Var) -> Status {
        let mut last = None;
        let mut tainted = false;
        let mut exported = false;
        for (i, ev) in self.live_events() {
            if ev.var != var.name() {
                continue;
            }
            match (&ev.kind, ev.mode) {
                (EventKind::Assign { export, .. }, Mode::Effective) => {
                    last = Some(i);
                    tainted = false;
                    exported |= *export;
                }
                (EventKind::Export, Mode::Effective) => exported = true,
                (EventKind::Unset, Mode::Effective) => {
                    last = None;
                    tainted = false;
                    exported = false;
                }
                (EventKind::Assign { .. } | EventKind::Unset, _) => tainted = true,
                (EventKind::Export, _) => {}
            }
        }
        let value_ok = last.is_some_and(|i| match &self.events[i].kind {
            EventKind::Assign { value, .. } => var.accepts(value),
            _ => false,
        });
        let conflict_after = var == Var::ErlAflags
            && self
                .conflicts()
                .any(|i| last.is_none_or(|last_assign| i > last_assign));
        Status {
            good: value_ok && !tainted && (exported || !var.needs_export()) && !conflict_after,
            last,
            tainted,
        }
    }

    /// Assignments that put `-proto_dist` into another flag variable erl reads.
    fn conflicts(&self) -> impl Iterator<Item = usize> + '_ {
        self.live_events().filter_map(|(i, ev)| {
            let EventKind::Assign { value, .. } = &ev.kind else {
                return None;
            };
            (OTHER_FLAG_VARS.contains(&ev.var.as_str()) && proto_dist_count(value) > 0).then_some(i)
        })
    }

    fn needed(&self) -> Vec<Var> {
        Var::ALL
            .into_iter()
            .filter(|v| !self.status(*v).good)
            .collect()
    }

    /// The file's last Fly guard, when its `then` branch can take the missing lines: it ends on a
    /// line of its own and nothing after its `fi` touches what the block would set.
    fn guard_to_update(&self, needed: &[Var]) -> Option<usize> {
        let (id, guard) = self
            .guards
            .iter()
            .enumerate()
            .filter(|(_, g)| g.mode == Mode::Effective)
            .reduce(|best, g| {
                if g.1.end_event > best.1.end_event {
                    g
                } else {
                    best
                }
            })?;
        guard.then_end?;
        let after_fi = self.live_events().skip_while(|(i, _)| *i < guard.end_event);
        for (i, ev) in after_fi {
            let touches = needed.iter().any(|v| v.name() == ev.var);
            let conflicts = needed.contains(&Var::ErlAflags) && self.conflicts().any(|c| c == i);
            if touches || conflicts {
                return None;
            }
        }
        Some(id)
    }

    /// Adds what is missing to the guard's `then` branch: a wrong single-line assignment is replaced
    /// where it stands, everything else goes just before the branch ends. Returns the new text and
    /// the variables replaced in place.
    fn update_guard(&self, before: &str, guard_id: usize, needed: &[Var]) -> (String, Vec<Var>) {
        let guard = &self.guards[guard_id];
        let then_end = guard.then_end.expect("checked by guard_to_update");
        let lines: Vec<&str> = before.split_inclusive('\n').collect();
        let mut replace: Vec<(usize, Var)> = Vec::new();
        let mut at_end: Vec<Var> = Vec::new();
        for &var in needed {
            let status = self.status(var);
            let in_place = status.last.filter(|&i| {
                let ev = &self.events[i];
                var != Var::ErlAflags && ev.guard == Some(guard_id) && ev.whole_line
            });
            match in_place {
                Some(i) if !status.tainted => replace.push((self.events[i].line, var)),
                _ => at_end.push(var),
            }
        }

        let mut out = String::with_capacity(before.len() + 4096);
        for (n, line) in lines.iter().enumerate() {
            if n == then_end && !at_end.is_empty() {
                for new in block_body(&at_end, &guard.body_indent) {
                    out.push_str(&new);
                    out.push('\n');
                }
            }
            match replace.iter().find(|(l, _)| *l == n) {
                Some(&(_, var)) => {
                    let indent: String = line
                        .chars()
                        .take_while(|c| *c == ' ' || *c == '\t')
                        .collect();
                    for new in block_body(&[var], &indent) {
                        out.push_str(&new);
                        out.push('\n');
                    }
                }
                None => out.push_str(line),
            }
        }
        (out, replace.into_iter().map(|(_, v)| v).collect())
    }

    /// Why the edit overrides something the file already sets, naming the lines.
    fn warnings(&self, path: &Path, needed: &[Var], replaced: &[Var]) -> Vec<String> {
        let mut warnings = Vec::new();
        let file = path.display();
        for &var in needed {
            if replaced.contains(&var) {
                continue;
            }
            let Some(i) = self.status(var).last else {
                continue;
            };
            let ev = &self.events[i];
            let EventKind::Assign { value, raw, .. } = &ev.kind else {
                continue;
            };
            let line = ev.line + 1;
            let raw = self.show(raw);
            if var == Var::ErlAflags {
                if proto_dist_count(value) > 0 && !has_inet6_tcp(value) {
                    warnings.push(format!(
                        "`{file}` line {line} sets `{raw}`; erl takes a single -proto_dist, so the Fly block \
                         replaces it with `-proto_dist inet6_tcp` on Fly"
                    ));
                } else if has_inet6_tcp(value) && refers_to_erl_aflags(value) {
                    warnings.push(format!(
                        "`{file}` line {line} sets `{raw}`, which passes -proto_dist twice when the \
                         environment (the Dockerfile's ENV) already has it, and erl then falls back to IPv4; \
                         the Fly block sets it exactly once on Fly"
                    ));
                } else if proto_dist_count(value) > 1 {
                    warnings.push(format!(
                        "`{file}` line {line} sets `{raw}` with -proto_dist twice, and erl then falls back \
                         to IPv4; the Fly block sets it exactly once on Fly"
                    ));
                }
            } else if !var.accepts(value) {
                let why = if raw.contains("FLY_IMAGE_REF##*-") {
                    " (`${FLY_IMAGE_REF##*-}` makes an invalid node name when the image has a custom label, such as `:v42`)"
                } else {
                    ""
                };
                warnings.push(format!(
                    "`{file}` line {line} sets `{raw}`; the Fly block overrides it on Fly{why}"
                ));
            }
        }
        if needed.contains(&Var::ErlAflags) {
            for i in self.conflicts() {
                let ev = &self.events[i];
                let EventKind::Assign { raw, .. } = &ev.kind else {
                    continue;
                };
                warnings.push(format!(
                    "`{file}` line {} sets `{}`; erl falls back to IPv4 when -proto_dist is given twice, so \
                     the Fly block removes it from {} on Fly and sets it once, in ERL_AFLAGS",
                    ev.line + 1,
                    self.show(raw),
                    ev.var
                ));
            }
        }
        warnings
    }

    /// Text as the file has it, EEx tags included.
    fn show(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (i, tag) in self.eex_tags.iter().enumerate() {
            out = out.replace(&eex_marker(i), tag);
        }
        out
    }
}

fn eex_marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// Replaces each `<%= ... %>` with a marker that reads as plain word text (the release name is a
/// word to the shell once EEx has run) and drops other EEx tags, keeping every line break.
fn hide_eex(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut tags = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<%") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix("<%%") {
            out.push_str("<%");
            rest = after;
            continue;
        }
        let Some(end) = tail.find("%>") else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let tag = &tail[..end + 2];
        if tag.starts_with("<%=") {
            out.push_str(&eex_marker(tags.len()));
            tags.push(tag.to_string());
        }
        out.extend(std::iter::repeat_n('\n', tag.matches('\n').count()));
        rest = &tail[end + 2..];
    }
    out.push_str(rest);
    (out, tags)
}

// ---------------------------------------------------------------------------------------------
// Lexer: POSIX shell tokens, with quotes removed into segments and comments and here-documents skipped.

#[derive(Debug, Clone)]
struct Word {
    raw: String,
    segs: Vec<Seg>,
    /// Some part was quoted or escaped (so it is never a reserved word).
    quoted: bool,
}

impl Word {
    fn is(&self, keyword: &str) -> bool {
        !self.quoted && self.raw == keyword
    }

    /// `NAME=value` with NAME written plainly: the name and the value's segments.
    fn assignment(&self) -> Option<(String, Vec<Seg>)> {
        let Some(Seg::Lit(first)) = self.segs.first() else {
            return None;
        };
        let (name, rest) = first.split_once('=')?;
        if !is_name(name) {
            return None;
        }
        let mut value = Vec::new();
        if !rest.is_empty() {
            value.push(Seg::Lit(rest.to_string()));
        }
        value.extend(self.segs[1..].iter().cloned());
        Some((name.to_string(), value))
    }

    /// An assignment word that starts a command: the name must not come from quotes.
    fn plain_assignment(&self) -> Option<(String, Vec<Seg>)> {
        let (name, value) = self.assignment()?;
        self.raw
            .starts_with(&format!("{name}="))
            .then_some((name, value))
    }

    fn literal(&self) -> String {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.as_str(),
                Seg::Exp(e) => e.as_str(),
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
enum TokKind {
    Word(Word),
    Op(&'static str),
    Newline,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokKind,
    /// 0-based line where the token starts.
    line: usize,
    /// Only blanks come before it on its line.
    line_start: bool,
}

impl Token {
    fn text(&self) -> String {
        match &self.kind {
            TokKind::Word(w) => w.raw.clone(),
            TokKind::Op(op) => (*op).to_string(),
            TokKind::Newline => "newline".into(),
        }
    }

    fn word(&self) -> Option<&Word> {
        match &self.kind {
            TokKind::Word(w) => Some(w),
            _ => None,
        }
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.kind, TokKind::Op(o) if o == op)
    }
}

struct WordBuf {
    raw: String,
    segs: Vec<Seg>,
    quoted: bool,
    line: usize,
    line_start: bool,
}

impl WordBuf {
    fn lit(&mut self, c: char) {
        match self.segs.last_mut() {
            Some(Seg::Lit(l)) => l.push(c),
            _ => self.segs.push(Seg::Lit(c.to_string())),
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
    line_has_token: bool,
    word: Option<WordBuf>,
    tokens: Vec<Token>,
    /// `Some(strip_tabs)` right after `<<` / `<<-`: the next word is a here-document delimiter.
    heredoc_next: Option<bool>,
    /// Here-documents whose bodies start after the current line: (delimiter, strip tabs, line).
    heredocs: Vec<(String, bool, usize)>,
}

const OPERATORS: [&str; 18] = [
    "<<-", ";;", ";&", "&&", "||", "<<", "<&", "<>", ">>", ">&", ">|", ";", "&", "|", "(", ")",
    "<", ">",
];

fn is_redirection(op: &str) -> bool {
    op.starts_with('<') || op.starts_with('>')
}

fn lex(src: &str) -> Parsed<Vec<Token>> {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        i: 0,
        line: 0,
        line_has_token: false,
        word: None,
        tokens: Vec::new(),
        heredoc_next: None,
        heredocs: Vec::new(),
    };
    while let Some(c) = lx.cur() {
        match c {
            ' ' | '\t' => {
                lx.finish_word();
                lx.i += 1;
            }
            '\n' => {
                lx.finish_word();
                lx.tokens.push(Token {
                    kind: TokKind::Newline,
                    line: lx.line,
                    line_start: false,
                });
                lx.i += 1;
                lx.line += 1;
                lx.line_has_token = false;
                lx.read_heredocs()?;
            }
            '#' if lx.word.is_none() => {
                while lx.cur().is_some_and(|c| c != '\n') {
                    lx.i += 1;
                }
            }
            '\\' => match lx.at(1) {
                Some('\n') => {
                    lx.i += 2;
                    lx.line += 1;
                }
                Some(n) => {
                    let w = lx.word();
                    w.raw.push('\\');
                    w.raw.push(n);
                    w.lit(n);
                    w.quoted = true;
                    lx.i += 2;
                }
                None => lx.i += 1,
            },
            '\'' => lx.single_quoted()?,
            '"' => lx.double_quoted()?,
            '$' => lx.push_dollar(false)?,
            '`' => lx.push_backtick()?,
            ';' | '&' | '|' | '(' | ')' | '<' | '>' => lx.operator(),
            _ => {
                let w = lx.word();
                w.raw.push(c);
                w.lit(c);
                lx.i += 1;
            }
        }
    }
    lx.finish_word();
    if let Some((delim, _, line)) = lx.heredocs.first() {
        return Err(SyntaxError {
            line: *line,
            message: format!("here-document `{delim}` is not terminated"),
        });
    }
    Ok(lx.tokens)
}

impl Lexer {
    fn cur(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.i + offset).copied()
    }

    fn word(&mut self) -> &mut WordBuf {
        if self.word.is_none() {
            self.word = Some(WordBuf {
                raw: String::new(),
                segs: Vec::new(),
                quoted: false,
                line: self.line,
                line_start: !self.line_has_token,
            });
            self.line_has_token = true;
        }
        self.word.as_mut().expect("just set")
    }

    fn finish_word(&mut self) {
        let Some(w) = self.word.take() else {
            return;
        };
        let word = Word {
            raw: w.raw,
            segs: w.segs,
            quoted: w.quoted,
        };
        if let Some(strip_tabs) = self.heredoc_next.take() {
            self.heredocs.push((word.literal(), strip_tabs, w.line));
        }
        self.tokens.push(Token {
            kind: TokKind::Word(word),
            line: w.line,
            line_start: w.line_start,
        });
    }

    fn operator(&mut self) {
        self.finish_word();
        let rest: String = self.chars[self.i..].iter().take(3).collect();
        let op = OPERATORS
            .iter()
            .find(|op| rest.starts_with(**op))
            .copied()
            .expect("called on an operator character");
        // bash's `;&` falls through to the next arm; for this analysis it ends the arm like `;;`.
        let kind = if op == ";&" { ";;" } else { op };
        self.tokens.push(Token {
            kind: TokKind::Op(kind),
            line: self.line,
            line_start: !self.line_has_token,
        });
        self.line_has_token = true;
        self.i += op.len();
        if op == "<<" || op == "<<-" {
            self.heredoc_next = Some(op == "<<-");
        }
    }

    fn read_heredocs(&mut self) -> Parsed<()> {
        for (delim, strip_tabs, line) in std::mem::take(&mut self.heredocs) {
            loop {
                if self.i >= self.chars.len() {
                    return Err(SyntaxError {
                        line,
                        message: format!("here-document `{delim}` is not terminated"),
                    });
                }
                let start = self.i;
                while self.cur().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let text: String = self.chars[start..self.i].iter().collect();
                if self.cur() == Some('\n') {
                    self.i += 1;
                    self.line += 1;
                }
                let text = if strip_tabs {
                    text.trim_start_matches('\t')
                } else {
                    &text
                };
                if text == delim {
                    break;
                }
            }
        }
        Ok(())
    }

    fn unterminated(&self, line: usize, what: &str) -> SyntaxError {
        SyntaxError {
            line,
            message: format!("{what} is not closed"),
        }
    }

    fn single_quoted(&mut self) -> Parsed<()> {
        let line = self.line;
        self.word().quoted = true;
        self.word().raw.push('\'');
        self.i += 1;
        loop {
            let Some(c) = self.cur() else {
                return Err(self.unterminated(line, "a single quote"));
            };
            self.i += 1;
            let w = self.word();
            w.raw.push(c);
            if c == '\'' {
                return Ok(());
            }
            w.lit(c);
            if c == '\n' {
                self.line += 1;
            }
        }
    }

    fn double_quoted(&mut self) -> Parsed<()> {
        let line = self.line;
        self.word().quoted = true;
        self.word().raw.push('"');
        self.i += 1;
        loop {
            let Some(c) = self.cur() else {
                return Err(self.unterminated(line, "a double quote"));
            };
            match c {
                '"' => {
                    self.word().raw.push('"');
                    self.i += 1;
                    return Ok(());
                }
                '\\' => {
                    let n = self.at(1);
                    let w = self.word();
                    w.raw.push('\\');
                    match n {
                        Some('\n') => {
                            w.raw.push('\n');
                            self.line += 1;
                        }
                        Some(n @ ('$' | '`' | '"' | '\\')) => {
                            w.raw.push(n);
                            w.lit(n);
                        }
                        Some(n) => {
                            w.raw.push(n);
                            w.lit('\\');
                            w.lit(n);
                        }
                        None => return Err(self.unterminated(line, "a double quote")),
                    }
                    self.i += 2;
                }
                '$' => self.push_dollar(true)?,
                '`' => self.push_backtick()?,
                _ => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    let w = self.word();
                    w.raw.push(c);
                    w.lit(c);
                    self.i += 1;
                }
            }
        }
    }

    /// Reads an expansion starting at `$`: returns it as written and as a segment.
    /// A `$...` expansion at the cursor, added to the current word (a literal `$` stays literal).
    fn push_dollar(&mut self, in_double_quotes: bool) -> Parsed<()> {
        let (raw, seg) = self.dollar(in_double_quotes)?;
        let w = self.word();
        w.raw.push_str(&raw);
        match seg {
            Seg::Lit(l) => l.chars().for_each(|c| w.lit(c)),
            exp => w.segs.push(exp),
        }
        Ok(())
    }

    /// A `` `...` `` command substitution at the cursor, added to the current word.
    fn push_backtick(&mut self) -> Parsed<()> {
        let raw = self.backtick()?;
        let w = self.word();
        w.raw.push_str(&raw);
        w.segs.push(Seg::Exp(raw));
        Ok(())
    }

    fn dollar(&mut self, in_double_quotes: bool) -> Parsed<(String, Seg)> {
        let start = self.i;
        let line = self.line;
        match self.at(1) {
            Some('{') => {
                self.i += 2;
                let mut depth = 1;
                loop {
                    let Some(c) = self.cur() else {
                        return Err(self.unterminated(line, "`${`"));
                    };
                    match c {
                        '\\' => self.i += 1,
                        '"' => self.skip_quoted('"', line)?,
                        '\'' if !in_double_quotes => self.skip_quoted('\'', line)?,
                        '$' if self.at(1) == Some('{') => {
                            depth += 1;
                            self.i += 1;
                        }
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        '\n' => self.line += 1,
                        _ => {}
                    }
                    self.i += 1;
                }
                let raw: String = self.chars[start..self.i].iter().collect();
                let inner = &raw[2..raw.len() - 1];
                let seg = if is_name(inner) {
                    Seg::Exp(format!("${{{inner}}}"))
                } else {
                    Seg::Exp(raw.clone())
                };
                Ok((raw, seg))
            }
            Some('(') => {
                self.i += 1;
                let mut depth = 0;
                loop {
                    let Some(c) = self.cur() else {
                        return Err(self.unterminated(line, "`$(`"));
                    };
                    match c {
                        '\\' => self.i += 1,
                        '"' | '\'' => self.skip_quoted(c, line)?,
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        '\n' => self.line += 1,
                        _ => {}
                    }
                    self.i += 1;
                }
                let raw: String = self.chars[start..self.i].iter().collect();
                Ok((raw.clone(), Seg::Exp(raw)))
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                self.i += 1;
                while self.cur().is_some_and(is_name_char) {
                    self.i += 1;
                }
                let name: String = self.chars[start + 1..self.i].iter().collect();
                Ok((format!("${name}"), Seg::Exp(format!("${{{name}}}"))))
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.i += 2;
                let raw = format!("${c}");
                Ok((raw.clone(), Seg::Exp(raw)))
            }
            _ => {
                self.i += 1;
                Ok(("$".into(), Seg::Lit("$".into())))
            }
        }
    }

    /// Moves past a quoted string inside an expansion; leaves `i` on the closing quote.
    fn skip_quoted(&mut self, quote: char, line: usize) -> Parsed<()> {
        self.i += 1;
        loop {
            match self.cur() {
                None => {
                    let what = if quote == '"' {
                        "a double quote"
                    } else {
                        "a single quote"
                    };
                    return Err(self.unterminated(line, what));
                }
                Some(c) if c == quote => return Ok(()),
                Some('\\') if quote == '"' => self.i += 1,
                Some('\n') => self.line += 1,
                Some(_) => {}
            }
            self.i += 1;
        }
    }

    fn backtick(&mut self) -> Parsed<String> {
        let start = self.i;
        let line = self.line;
        self.i += 1;
        loop {
            match self.cur() {
                None => return Err(self.unterminated(line, "a backquote")),
                Some('`') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => self.i += 1,
                Some('\n') => self.line += 1,
                Some(_) => {}
            }
            self.i += 1;
        }
        Ok(self.chars[start..self.i].iter().collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: the POSIX grammar's command structure, recording assignments of the tracked variables.

#[derive(Debug, Clone, Copy)]
struct Ctx {
    mode: Mode,
    /// The guard whose `then` branch this list is, directly.
    guard: Option<usize>,
    /// Inside the `then` branch of a FLY_APP_NAME guard, at any depth.
    on_fly_only: bool,
    /// Why commands here do not run on Fly, once they are ignored.
    why_ignored: Option<&'static str>,
}

impl Ctx {
    /// A context one level deeper, at least as uncertain as `mode`.
    fn nested(self, mode: Mode) -> Ctx {
        Ctx {
            mode: self.mode.max(mode),
            guard: None,
            ..self
        }
    }

    /// A context whose commands do not change this shell on Fly, for the reason given.
    fn ignored(self, why: &'static str) -> Ctx {
        Ctx {
            why_ignored: self.why_ignored.or(Some(why)),
            ..self.nested(Mode::Ignored)
        }
    }
}

const RESERVED: [&str; 9] = [
    "then", "elif", "else", "fi", "do", "done", "esac", "}", "in",
];

struct Parser<'a> {
    tokens: &'a [Token],
    lines: &'a [&'a str],
    pos: usize,
    events: Vec<Event>,
    guards: Vec<Guard>,
    track_all: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        self.peek()
            .and_then(Token::word)
            .is_some_and(|w| w.is(keyword))
    }

    fn peek_op(&self, op: &str) -> bool {
        self.peek().is_some_and(|t| t.is_op(op))
    }

    fn skip_newlines(&mut self) {
        while matches!(
            self.peek(),
            Some(Token {
                kind: TokKind::Newline,
                ..
            })
        ) {
            self.pos += 1;
        }
    }

    fn line_here(&self) -> usize {
        self.peek()
            .or_else(|| self.tokens.last())
            .map_or(0, |t| t.line)
    }

    fn error(&self, message: String) -> SyntaxError {
        SyntaxError {
            line: self.line_here(),
            message,
        }
    }

    fn expect_keyword(&mut self, keyword: &str, opener: &str, opened_at: usize) -> Parsed<()> {
        if self.peek_keyword(keyword) {
            self.pos += 1;
            Ok(())
        } else {
            Err(SyntaxError {
                line: opened_at,
                message: format!("`{opener}` without a matching `{keyword}`"),
            })
        }
    }

    /// Lowers the events and guards recorded since `events`/`guards` to `mode`; `why` says why
    /// they no longer run on Fly when `mode` is ignored.
    fn demote(&mut self, events: usize, guards: usize, mode: Mode, why: &'static str) {
        for ev in &mut self.events[events..] {
            ev.mode = ev.mode.max(mode);
            if mode == Mode::Ignored && ev.why_ignored.is_none() {
                ev.why_ignored = Some(why);
            }
        }
        for g in &mut self.guards[guards..] {
            g.mode = g.mode.max(mode);
        }
    }

    /// Commands up to a reserved word in `terminators`, `)`, `;;`, or the end.
    fn parse_list(&mut self, ctx: Ctx, terminators: &[&str]) -> Parsed<()> {
        loop {
            self.skip_newlines();
            let Some(tok) = self.peek() else {
                return Ok(());
            };
            if tok.is_op(")") || tok.is_op(";;") {
                return Ok(());
            }
            if tok
                .word()
                .is_some_and(|w| terminators.iter().any(|t| w.is(t)))
            {
                return Ok(());
            }
            let (events, guards) = (self.events.len(), self.guards.len());
            self.parse_and_or(ctx)?;
            match self.peek() {
                Some(t) if t.is_op("&") => {
                    // A background job runs in a subshell.
                    self.demote(
                        events,
                        guards,
                        Mode::Ignored,
                        "in a background job (`&`), which runs in a subshell",
                    );
                    self.pos += 1;
                }
                Some(t) if t.is_op(";") || matches!(t.kind, TokKind::Newline) => self.pos += 1,
                _ => {}
            }
        }
    }

    fn parse_and_or(&mut self, ctx: Ctx) -> Parsed<()> {
        self.parse_pipeline(ctx)?;
        while self.peek_op("&&") || self.peek_op("||") {
            self.pos += 1;
            self.skip_newlines();
            self.parse_pipeline(ctx.nested(Mode::Conditional))?;
        }
        Ok(())
    }

    fn parse_pipeline(&mut self, ctx: Ctx) -> Parsed<()> {
        if self.peek_keyword("!") {
            self.pos += 1;
        }
        let (events, guards) = (self.events.len(), self.guards.len());
        self.parse_command(ctx)?;
        if self.peek_op("|") {
            while self.peek_op("|") {
                self.pos += 1;
                self.skip_newlines();
                self.parse_command(ctx)?;
            }
            // Each part of a pipeline runs in a subshell.
            self.demote(
                events,
                guards,
                Mode::Ignored,
                "in a pipeline, whose parts run in subshells",
            );
        }
        Ok(())
    }

    fn parse_command(&mut self, ctx: Ctx) -> Parsed<()> {
        let Some(tok) = self.peek() else {
            return Err(self.error("a command is missing at the end of the file".into()));
        };
        let line = tok.line;
        match &tok.kind {
            TokKind::Word(w) if w.is("if") => self.parse_if(ctx)?,
            TokKind::Word(w) if w.is("case") => self.parse_case(ctx)?,
            TokKind::Word(w) if w.is("for") => self.parse_for(ctx)?,
            TokKind::Word(w) if w.is("while") || w.is("until") => {
                let keyword = w.raw.clone();
                self.pos += 1;
                self.parse_list(ctx.nested(Mode::Conditional), &["do"])?;
                self.expect_keyword("do", &keyword, line)?;
                self.parse_list(ctx.nested(Mode::Conditional), &["done"])?;
                self.expect_keyword("done", &keyword, line)?;
            }
            TokKind::Word(w) if w.is("{") => {
                self.pos += 1;
                self.parse_list(ctx.nested(Mode::Effective), &["}"])?;
                self.expect_keyword("}", "{", line)?;
            }
            TokKind::Word(w) if RESERVED.iter().any(|r| w.is(r)) => {
                return Err(self.error(format!("unexpected `{}`", w.raw)));
            }
            TokKind::Word(_)
                if self.tokens.get(self.pos + 1).is_some_and(|t| t.is_op("("))
                    && self.tokens.get(self.pos + 2).is_some_and(|t| t.is_op(")")) =>
            {
                // A function definition: its body runs only when called.
                self.pos += 3;
                self.skip_newlines();
                self.parse_command(ctx.ignored("in a function body, which runs only when called"))?;
                return Ok(());
            }
            TokKind::Word(_) => return self.parse_simple(ctx),
            TokKind::Op("(") => {
                self.pos += 1;
                self.parse_list(
                    ctx.ignored(
                        "in a subshell `( ... )`, whose assignments do not reach the release",
                    ),
                    &[],
                )?;
                if !self.peek_op(")") {
                    return Err(SyntaxError {
                        line,
                        message: "`(` without a matching `)`".into(),
                    });
                }
                self.pos += 1;
            }
            _ => return Err(self.error(format!("unexpected `{}`", tok.text()))),
        }
        // Redirections after a compound command.
        while let Some(Token {
            kind: TokKind::Op(op),
            ..
        }) = self.peek()
        {
            if !is_redirection(op) {
                break;
            }
            self.pos += 1;
            if self.peek().and_then(Token::word).is_some() {
                self.pos += 1;
            }
        }
        Ok(())
    }

    fn parse_if(&mut self, ctx: Ctx) -> Parsed<()> {
        let if_tok = self.pos;
        let if_line = self.tokens[if_tok].line;
        self.pos += 1;
        let cond_start = self.pos;
        self.parse_list(ctx.nested(Mode::Conditional), &["then"])?;
        let polarity = fly_guard(&self.tokens[cond_start..self.pos]);
        self.expect_keyword("then", "if", if_line)?;

        let guard_id = (polarity == Some(true)).then(|| {
            self.guards.push(Guard {
                mode: ctx.mode,
                body_indent: self.body_indent(if_line),
                then_end: None,
                end_event: 0,
            });
            self.guards.len() - 1
        });
        let then_ctx = match polarity {
            Some(true) => Ctx {
                mode: ctx.mode,
                guard: guard_id,
                on_fly_only: true,
                why_ignored: ctx.why_ignored,
            },
            Some(false) => ctx.ignored("in a branch that runs only off Fly"),
            None => ctx.nested(Mode::Conditional),
        };
        self.parse_list(then_ctx, &["elif", "else", "fi"])?;
        if let (Some(id), Some(end)) = (guard_id, self.peek()) {
            self.guards[id].then_end = end.line_start.then_some(end.line);
        }

        // On Fly a positive guard's other branches never run; a negative guard's `else` always does.
        let other_branches = match polarity {
            Some(true) => ctx.ignored("in a branch that runs only off Fly"),
            _ => ctx.nested(Mode::Conditional),
        };
        let mut saw_elif = false;
        loop {
            if self.peek_keyword("elif") {
                saw_elif = true;
                self.pos += 1;
                self.parse_list(other_branches, &["then"])?;
                self.expect_keyword("then", "elif", if_line)?;
                self.parse_list(other_branches, &["elif", "else", "fi"])?;
            } else if self.peek_keyword("else") {
                self.pos += 1;
                let else_ctx = match polarity {
                    Some(false) if !saw_elif => Ctx {
                        mode: ctx.mode,
                        guard: None,
                        on_fly_only: true,
                        why_ignored: ctx.why_ignored,
                    },
                    _ => other_branches,
                };
                self.parse_list(else_ctx, &["fi"])?;
                self.expect_keyword("fi", "if", if_line)?;
                break;
            } else {
                self.expect_keyword("fi", "if", if_line)?;
                break;
            }
        }
        if let Some(id) = guard_id {
            self.guards[id].end_event = self.events.len();
        }
        Ok(())
    }

    /// Indentation of the first command in the `then` branch starting at `pos`, or the `if` line's
    /// indentation plus two spaces.
    fn body_indent(&self, if_line: usize) -> String {
        let mut pos = self.pos;
        while matches!(
            self.tokens.get(pos),
            Some(Token {
                kind: TokKind::Newline,
                ..
            })
        ) {
            pos += 1;
        }
        let indent_of = |line: usize| -> String {
            self.lines
                .get(line)
                .map(|l| l.chars().take_while(|c| *c == ' ' || *c == '\t').collect())
                .unwrap_or_default()
        };
        match self.tokens.get(pos) {
            Some(t)
                if t.line > if_line && t.line_start && !t.word().is_some_and(|w| w.is("fi")) =>
            {
                indent_of(t.line)
            }
            _ => format!("{}  ", indent_of(if_line)),
        }
    }

    fn parse_case(&mut self, ctx: Ctx) -> Parsed<()> {
        let line = self.tokens[self.pos].line;
        self.pos += 1;
        if self.peek().and_then(Token::word).is_none() {
            return Err(self.error("`case` needs a word to match".into()));
        }
        self.pos += 1;
        self.skip_newlines();
        self.expect_keyword("in", "case", line)?;
        let arm = ctx.nested(Mode::Conditional);
        loop {
            self.skip_newlines();
            if self.peek_keyword("esac") {
                self.pos += 1;
                return Ok(());
            }
            if self.peek().is_none() {
                return Err(SyntaxError {
                    line,
                    message: "`case` without a matching `esac`".into(),
                });
            }
            if self.peek_op("(") {
                self.pos += 1;
            }
            loop {
                if self.peek().and_then(Token::word).is_none() {
                    return Err(self.error("a `case` pattern is missing".into()));
                }
                self.pos += 1;
                if self.peek_op("|") {
                    self.pos += 1;
                } else if self.peek_op(")") {
                    self.pos += 1;
                    break;
                } else {
                    return Err(self.error("a `case` pattern must end with `)`".into()));
                }
            }
            self.parse_list(arm, &["esac"])?;
            if self.peek_op(";;") {
                self.pos += 1;
            } else if !self.peek_keyword("esac") {
                return Err(SyntaxError {
                    line,
                    message: "`case` without a matching `esac`".into(),
                });
            }
        }
    }

    fn parse_for(&mut self, ctx: Ctx) -> Parsed<()> {
        let line = self.tokens[self.pos].line;
        self.pos += 1;
        if self.peek().and_then(Token::word).is_none() {
            return Err(self.error("`for` needs a variable name".into()));
        }
        self.pos += 1;
        self.skip_newlines();
        if self.peek_keyword("in") {
            self.pos += 1;
            while self.peek().and_then(Token::word).is_some() {
                self.pos += 1;
            }
        }
        if self.peek_op(";") {
            self.pos += 1;
        }
        self.skip_newlines();
        self.expect_keyword("do", "for", line)?;
        self.parse_list(ctx.nested(Mode::Conditional), &["done"])?;
        self.expect_keyword("done", "for", line)
    }

    fn parse_simple(&mut self, ctx: Ctx) -> Parsed<()> {
        let first = self.pos;
        let mut words: Vec<(Word, usize)> = Vec::new();
        loop {
            match self.peek().map(|t| &t.kind) {
                Some(TokKind::Word(w)) => {
                    words.push((w.clone(), self.tokens[self.pos].line));
                    self.pos += 1;
                }
                Some(&TokKind::Op(op)) if is_redirection(op) => {
                    self.pos += 1;
                    if self.peek().and_then(Token::word).is_none() {
                        return Err(self.error(format!("`{op}` needs a target")));
                    }
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let start_line = self.tokens[first].line;
        let alone_on_line = self.tokens[first].line_start
            && self.tokens[first..self.pos]
                .iter()
                .all(|t| t.line == start_line)
            && self
                .peek()
                .is_none_or(|t| matches!(t.kind, TokKind::Newline));

        let assignments = words
            .iter()
            .take_while(|(w, _)| w.plain_assignment().is_some())
            .count();
        let single = |n: usize| words.len() == n && alone_on_line;
        if assignments == words.len() {
            for (w, line) in &words {
                let (name, value) = w.plain_assignment().expect("counted as an assignment");
                self.assign(ctx, name, value, w.raw.clone(), false, *line, single(1));
            }
            return Ok(());
        }
        let (command, _) = &words[assignments];
        if command.quoted || assignments > 0 {
            // `VAR=x cmd` sets VAR for that command only.
            return Ok(());
        }
        let args = &words[assignments + 1..];
        match command.raw.as_str() {
            "export" | "readonly" => {
                let export = command.raw == "export";
                for (w, line) in args {
                    if let Some((name, value)) = w.assignment() {
                        self.assign(ctx, name, value, w.raw.clone(), export, *line, single(2));
                    } else if export && is_name(&w.literal()) && !w.quoted {
                        self.record(ctx, w.literal(), EventKind::Export, *line, false);
                    }
                }
            }
            "unset" => {
                if args.iter().any(|(w, _)| w.is("-f")) {
                    return Ok(());
                }
                for (w, line) in args {
                    if is_name(&w.literal()) {
                        self.record(ctx, w.literal(), EventKind::Unset, *line, false);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn assign(
        &mut self,
        ctx: Ctx,
        name: String,
        value: Vec<Seg>,
        raw: String,
        export: bool,
        line: usize,
        whole_line: bool,
    ) {
        let kind = EventKind::Assign { value, raw, export };
        self.record(ctx, name, kind, line, whole_line);
    }

    fn record(&mut self, ctx: Ctx, var: String, kind: EventKind, line: usize, whole_line: bool) {
        if !self.track_all && !tracked(&var) {
            return;
        }
        self.events.push(Event {
            var,
            kind,
            mode: ctx.mode,
            line,
            guard: ctx.guard,
            whole_line,
            on_fly_only: ctx.on_fly_only,
            why_ignored: ctx.why_ignored,
        });
    }
}

/// `Some(true)` for a test that holds only on Fly (`[ -n "$FLY_APP_NAME" ]` and its spellings),
/// `Some(false)` for one that holds only off Fly (`[ -z "$FLY_APP_NAME" ]`), else `None`.
fn fly_guard(condition: &[Token]) -> Option<bool> {
    let mut words = Vec::new();
    for tok in condition {
        match &tok.kind {
            TokKind::Word(w) => words.push(w),
            TokKind::Newline => {}
            TokKind::Op(";") if words.is_empty() => return None,
            TokKind::Op(";") => {}
            TokKind::Op(_) => return None,
        }
    }
    let args: &[&Word] = match words.as_slice() {
        [open, args @ .., close] if open.is("[") && close.is("]") => args,
        [test, args @ ..] if test.is("test") => args,
        _ => return None,
    };
    let is_fly = |w: &Word| {
        let [Seg::Exp(e)] = w.segs.as_slice() else {
            return false;
        };
        // Unquoted, `[ -n $FLY_APP_NAME ]` is `[ -n ]` off Fly, which is true: not a guard.
        w.quoted
            && (["${FLY_APP_NAME}", "${FLY_APP_NAME:-}", "${FLY_APP_NAME-}"].contains(&e.as_str())
                || e.starts_with("${FLY_APP_NAME:+")
                || e.starts_with("${FLY_APP_NAME+"))
    };
    match args {
        [x] if is_fly(x) => Some(true),
        [n, x] if n.is("-n") && is_fly(x) => Some(true),
        [z, x] if z.is("-z") && is_fly(x) => Some(false),
        [bang, z, x] if bang.is("!") && z.is("-z") && is_fly(x) => Some(true),
        [bang, n, x] if bang.is("!") && n.is("-n") && is_fly(x) => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Read-only view for `flycluster doctor`: the same analysis, answering "what does the file set on Fly".

/// The file could not be followed as shell: 1-based line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub line: usize,
    pub message: String,
}

/// One assignment as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// 1-based line.
    pub line: usize,
    /// The assignment as written, EEx tags included (`RELEASE_NODE="${FLY_APP_NAME}@..."`).
    pub raw: String,
    /// The value after quote removal, expansions kept as written.
    pub value: Vec<Seg>,
    /// Made with `export NAME=...`.
    pub export: bool,
    /// Inside the `then` branch of a FLY_APP_NAME guard (at any depth), so it never runs off Fly.
    pub on_fly_only: bool,
}

/// Where one variable stands when the release boots on Fly, as `sh` runs the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyVar {
    pub name: String,
    /// The last assignment that always runs on Fly; `None` when there is none, or an `unset` that
    /// always runs came after it.
    pub effective: Option<Assignment>,
    /// Earlier assignments that always run on Fly, overridden by `effective` (or by an `unset`).
    pub overridden: Vec<Assignment>,
    /// 1-based line of an `unset` that always runs and clears the variable at the end.
    pub unset_line: Option<usize>,
    /// Exported by the end of the file (`export NAME=...` or `export NAME`), for the value it has.
    pub exported: bool,
    /// Assignments or unsets after `effective` that may or may not run (an `if`, `case`, loop,
    /// `&&` or `||`): 1-based lines.
    pub conditional_lines: Vec<usize>,
    /// Every assignment that may or may not run (anywhere in the file, before `effective` too).
    pub conditional: Vec<Assignment>,
    /// Assignments that never change this shell on Fly, with why (an off-Fly branch, a subshell,
    /// a pipeline, a function body).
    pub not_on_fly: Vec<(Assignment, &'static str)>,
    /// For the five clustering variables: the editor's own verdict (effective, exported where erl
    /// needs it, an accepted value, no conflicting -proto_dist). `init` changes the file exactly
    /// when one of these is false. Always false for other variables.
    pub accepted: bool,
}

/// Every variable the file sets, as seen when the release boots on Fly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyView {
    pub vars: Vec<FlyVar>,
    /// Assignments that put `-proto_dist` into another flag variable erl reads
    /// (`ELIXIR_ERL_OPTIONS`, `ERL_FLAGS`, `ERL_ZFLAGS`), live on Fly: the variable and its assignment.
    pub proto_dist_elsewhere: Vec<(String, Assignment)>,
}

impl FlyView {
    pub fn var(&self, name: &str) -> Option<&FlyVar> {
        self.vars.iter().find(|v| v.name == name)
    }
}

/// The five variables SPEC item 1 asks for, in the order the block sets them.
pub const CLUSTERING_VARS: [&str; 5] = [
    "ERL_AFLAGS",
    "ECTO_IPV6",
    "DNS_CLUSTER_QUERY",
    "RELEASE_DISTRIBUTION",
    "RELEASE_NODE",
];

/// Reads `src` (rel/env.sh.eex) as `sh` would run it on Fly and reports, for every variable it
/// touches, the assignment that takes effect and what gets in the way. Read-only; the editor's own
/// judgement of the five clustering variables is in [`FlyVar::accepted`].
pub fn effective_on_fly(src: &str) -> std::result::Result<FlyView, ShellError> {
    let analysis = Analysis::parse(src, true).map_err(|e| ShellError {
        line: e.line + 1,
        message: e.message,
    })?;
    let assignment = |ev: &Event| -> Option<Assignment> {
        let EventKind::Assign { value, raw, export } = &ev.kind else {
            return None;
        };
        Some(Assignment {
            line: ev.line + 1,
            raw: analysis.show(raw),
            value: value.clone(),
            export: *export,
            on_fly_only: ev.on_fly_only,
        })
    };
    let mut names: Vec<&str> = Vec::new();
    for ev in &analysis.events {
        if !names.contains(&ev.var.as_str()) {
            names.push(&ev.var);
        }
    }
    let vars = names
        .into_iter()
        .map(|name| {
            let mut var = FlyVar {
                name: name.to_string(),
                effective: None,
                overridden: Vec::new(),
                unset_line: None,
                exported: false,
                conditional_lines: Vec::new(),
                conditional: Vec::new(),
                not_on_fly: Vec::new(),
                accepted: Var::ALL
                    .iter()
                    .find(|v| v.name() == name)
                    .is_some_and(|v| analysis.status(*v).good),
            };
            for ev in analysis.events.iter().filter(|ev| ev.var == name) {
                match (&ev.kind, ev.mode) {
                    (EventKind::Assign { export, .. }, Mode::Effective) => {
                        var.overridden.extend(var.effective.take());
                        var.effective = assignment(ev);
                        var.unset_line = None;
                        var.conditional_lines.clear();
                        var.exported |= *export;
                    }
                    (EventKind::Export, Mode::Effective) => var.exported = true,
                    (EventKind::Unset, Mode::Effective) => {
                        var.overridden.extend(var.effective.take());
                        var.unset_line = Some(ev.line + 1);
                        var.conditional_lines.clear();
                        var.exported = false;
                    }
                    (EventKind::Assign { .. } | EventKind::Unset, Mode::Conditional) => {
                        var.conditional_lines.push(ev.line + 1);
                        var.conditional.extend(assignment(ev));
                    }
                    (EventKind::Assign { .. }, Mode::Ignored) => {
                        let why = ev.why_ignored.unwrap_or("where it does not run on Fly");
                        var.not_on_fly.extend(assignment(ev).map(|a| (a, why)));
                    }
                    _ => {}
                }
            }
            var
        })
        .collect();
    let proto_dist_elsewhere = analysis
        .conflicts()
        .filter_map(|i| {
            let ev = &analysis.events[i];
            assignment(ev).map(|a| (ev.var.clone(), a))
        })
        .collect();
    Ok(FlyView {
        vars,
        proto_dist_elsewhere,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;
    use std::process::Command;

    /// Byte for byte what `mix release.init` writes to `rel/env.sh.eex` (Elixir 1.14 to 1.18).
    const RELEASE_INIT: &str = r#"#!/bin/sh

# # Sets and enables heart (recommended only in daemon mode)
# case $RELEASE_COMMAND in
#   daemon*)
#     HEART_COMMAND="$RELEASE_ROOT/bin/$RELEASE_NAME $RELEASE_COMMAND"
#     export HEART_COMMAND
#     export ELIXIR_ERL_OPTIONS="-heart"
#     ;;
#   *)
#     ;;
# esac

# # Set the release to load code on demand (interactive) instead of preloading (embedded).
# export RELEASE_MODE=interactive

# # Set the release to work across nodes.
# # RELEASE_DISTRIBUTION must be "sname" (local), "name" (distributed) or "none".
# export RELEASE_DISTRIBUTION=name
# export RELEASE_NODE=<%= @release.name %>
"#;

    /// The guide's five lines, word for word.
    const GUIDE_LINES: &str = r#"# configure node for distributed erlang with IPV6 support
export ERL_AFLAGS="-proto_dist inet6_tcp"
export ECTO_IPV6="true"
export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
export RELEASE_DISTRIBUTION="name"
export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
"#;

    /// The five exports, set the way that works on Fly (no fragile image suffix).
    const CONFIGURED_LINES: &str = r#"# configure node for distributed erlang with IPV6 support
export ERL_AFLAGS="-proto_dist inet6_tcp"
export ECTO_IPV6="true"
export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
export RELEASE_DISTRIBUTION="name"
export RELEASE_NODE="${FLY_APP_NAME}@${FLY_PRIVATE_IP}"
"#;

    const PATH: &str = "rel/env.sh.eex";

    use Var::{DnsClusterQuery, EctoIpv6, ErlAflags, ReleaseDistribution, ReleaseNode};

    fn run(before: Option<&str>) -> Edited {
        plan(&test_ctx(), Path::new(PATH), before).expect("plan succeeds")
    }

    /// Plans the edit, checks that planning again on the result changes nothing, returns both.
    fn edit(before: &str) -> (String, Vec<String>) {
        let edited = run(Some(before));
        let Outcome::Write(after) = edited.outcome else {
            panic!("expected a write, got {:?}", edited.outcome);
        };
        assert_settled(&after);
        (after, edited.warnings)
    }

    fn assert_settled(text: &str) {
        assert_eq!(
            run(Some(text)),
            Edited::new(Outcome::Unchanged),
            "a second run must change nothing:\n{text}"
        );
    }

    fn appended(before: &str, vars: &[Var]) -> String {
        format!("{before}\n{}", render_block(vars))
    }

    fn warning(line: usize, assignment: &str) -> String {
        format!("`{PATH}` line {line} sets `{assignment}`; the Fly block overrides it on Fly")
    }

    #[test]
    fn missing_file_is_release_init_plus_the_block() {
        let edited = run(None);
        assert!(edited.warnings.is_empty());
        let Outcome::Write(text) = edited.outcome else {
            panic!("expected a write");
        };
        assert_eq!(text, format!("{RELEASE_INIT}\n{}", render_block(&Var::ALL)));
        assert!(text.contains("# export RELEASE_NODE=<%= @release.name %>\n"));
        assert_settled(&text);
    }

    #[test]
    fn the_block_is_exactly_this() {
        let block = render_block(&Var::ALL);
        assert!(block.starts_with(
            "# Erlang clustering on Fly.io (flycluster). FLY_APP_NAME is only set on Fly, so the release \
             still boots elsewhere.\nif [ -n \"${FLY_APP_NAME:-}\" ]; then\n"
        ));
        assert!(block.ends_with("\nfi\n"));
        for line in [
            "  export ERL_AFLAGS=\"${flycluster_kept:+$flycluster_kept }-proto_dist inet6_tcp\"\n",
            "  export ECTO_IPV6=\"true\"\n",
            "  export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\n",
            "  export RELEASE_DISTRIBUTION=\"name\"\n",
            "  export RELEASE_NODE=\"${FLY_APP_NAME}${flycluster_suffix:+-$flycluster_suffix}@${FLY_PRIVATE_IP}\"\n",
        ] {
            assert_eq!(block.matches(line).count(), 1, "{line}");
        }
        assert!(!block.contains("<%"), "the block goes into an EEx file");
        assert!(!block.contains('\t'));
    }

    #[test]
    fn partial_blocks_carry_only_their_parts() {
        let node = render_block(&[ReleaseNode]);
        assert!(node.contains("flycluster_suffix=\"${FLY_IMAGE_REF-}\""));
        assert!(!node.contains("ERL_AFLAGS") && !node.contains("ECTO_IPV6"));
        let ecto = render_block(&[EctoIpv6]);
        assert_eq!(
            ecto,
            "# Erlang clustering on Fly.io (flycluster). FLY_APP_NAME is only set on Fly, so the release \
             still boots elsewhere.\nif [ -n \"${FLY_APP_NAME:-}\" ]; then\n  export ECTO_IPV6=\"true\"\nfi\n"
        );
    }

    #[test]
    fn release_init_file_gets_the_whole_block() {
        let (after, warnings) = edit(RELEASE_INIT);
        assert_eq!(after, appended(RELEASE_INIT, &Var::ALL));
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_five_exports_are_configured() {
        assert_eq!(
            run(Some(&format!("{RELEASE_INIT}\n{CONFIGURED_LINES}"))),
            Edited::new(Outcome::Unchanged)
        );
        assert_eq!(run(Some(CONFIGURED_LINES)), Edited::new(Outcome::Unchanged));
    }

    /// The guide's `${FLY_IMAGE_REF##*-}` breaks with a custom image label (the release does not
    /// boot): only RELEASE_NODE is fixed, in a guarded block that overrides the line on Fly.
    #[test]
    fn guide_lines_get_only_a_robust_release_node() {
        let (after, warnings) = edit(GUIDE_LINES);
        assert_eq!(after, appended(GUIDE_LINES, &[Var::ReleaseNode]));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("line 6"), "{warnings:?}");
        assert!(warnings[0].contains("RELEASE_NODE"), "{warnings:?}");
    }

    #[test]
    fn file_from_fly_launch_gets_only_a_robust_release_node() {
        let fly_launch = format!(
            "#!/bin/sh\n\n{GUIDE_LINES}\n# Uncomment to send crash dumps to stderr\n\
             # This can be useful for debugging, but may log sensitive information\n\
             # export ERL_CRASH_DUMP=/dev/stderr\n# export ERL_CRASH_DUMP_BYTES=4096\n"
        );
        let (after, _) = edit(&fly_launch);
        assert_eq!(after, appended(&fly_launch, &[Var::ReleaseNode]));
    }

    #[test]
    fn dollar_spellings_are_configured() {
        let text = "export ERL_AFLAGS='-proto_dist inet6_tcp'\n\
                    export ECTO_IPV6=true\n\
                    export DNS_CLUSTER_QUERY=$FLY_APP_NAME.internal\n\
                    RELEASE_DISTRIBUTION=name\n\
                    RELEASE_NODE=$FLY_APP_NAME@$FLY_PRIVATE_IP\n";
        assert_eq!(run(Some(text)), Edited::new(Outcome::Unchanged));
    }

    #[test]
    fn commented_out_lines_do_not_count() {
        let commented: String = CONFIGURED_LINES
            .lines()
            .map(|l| format!("# {l}\n"))
            .collect();
        let before = format!("{RELEASE_INIT}\n{commented}");
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &Var::ALL));
        assert!(warnings.is_empty());
    }

    #[test]
    fn text_that_is_not_a_command_does_not_count() {
        let before = "cat <<EOF >/dev/null\nexport ECTO_IPV6=true\nEOF\n\
                      echo 'export RELEASE_DISTRIBUTION=name'\n\
                      echo \"\nexport ECTO_IPV6=true\n\"\n\
                      VAR=x export_this=1\n";
        let (after, _) = edit(before);
        assert_eq!(after, appended(before, &Var::ALL));
    }

    #[test]
    fn multi_assignment_and_separate_export_count() {
        let before = "export ECTO_IPV6=\"true\" RELEASE_DISTRIBUTION=name\n\
                      DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\n\
                      export DNS_CLUSTER_QUERY\n\
                      export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\" \\\n  \
                      ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
        assert_eq!(run(Some(before)), Edited::new(Outcome::Unchanged));
    }

    #[test]
    fn unexported_values_the_beam_reads_do_not_count() {
        // RELEASE_* are exported by the release script; ECTO_IPV6 must be exported by env.sh.
        let before = "ECTO_IPV6=true\nRELEASE_DISTRIBUTION=name\n";
        let (after, warnings) = edit(before);
        assert_eq!(
            after,
            appended(before, &[ErlAflags, EctoIpv6, DnsClusterQuery, ReleaseNode])
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn erl_aflags_with_other_flags_gets_the_flag_added_and_keeps_them() {
        let before = CONFIGURED_LINES.replace(
            "export ERL_AFLAGS=\"-proto_dist inet6_tcp\"",
            "export ERL_AFLAGS=\"-kernel shell_history enabled\"",
        );
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ErlAflags]));
        assert!(warnings.is_empty(), "{warnings:?}");
        let out = source(
            &after,
            &fly_env(Some("registry.fly.io/hello-elixir:deployment-01HABC")),
        );
        if let Some(out) = out {
            assert_eq!(
                out,
                "-kernel shell_history enabled -proto_dist inet6_tcp|true|hello-elixir.internal|name|\
                 hello-elixir@fdaa:0:1::2"
            );
        }
    }

    #[test]
    fn wrong_release_distribution_is_warned_and_overridden() {
        let before = format!(
            "{}{}",
            RELEASE_INIT.replace(
                "# export RELEASE_MODE=interactive\n",
                "# export RELEASE_MODE=interactive\nexport RELEASE_DISTRIBUTION=sname\n"
            ),
            CONFIGURED_LINES.replace("export RELEASE_DISTRIBUTION=\"name\"\n", "")
        );
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ReleaseDistribution]));
        assert_eq!(warnings, [warning(16, "RELEASE_DISTRIBUTION=sname")]);
    }

    #[test]
    fn wrong_values_after_the_guide_lines_are_warned() {
        let before =
            format!("{CONFIGURED_LINES}ECTO_IPV6=false\nexport RELEASE_NODE=app@127.0.0.1\n");
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[EctoIpv6, ReleaseNode]));
        assert_eq!(
            warnings,
            [
                warning(7, "ECTO_IPV6=false"),
                warning(8, "RELEASE_NODE=app@127.0.0.1")
            ]
        );
    }

    #[test]
    fn conditional_assignments_do_not_count() {
        let before = "if [ \"$MIX_ENV\" = prod ]; then\n  export RELEASE_DISTRIBUTION=name\nfi\n\
                      case $RELEASE_COMMAND in\n  start) export ECTO_IPV6=true ;;\nesac\n\
                      [ -n \"$X\" ] && export DNS_CLUSTER_QUERY=\"$FLY_APP_NAME.internal\"\n\
                      for x in a; do export ERL_AFLAGS=\"-proto_dist inet6_tcp\"; done\n\
                      (export RELEASE_NODE=\"$FLY_APP_NAME@$FLY_PRIVATE_IP\")\n";
        let (after, warnings) = edit(before);
        assert_eq!(after, appended(before, &Var::ALL));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_conditional_assignment_after_a_good_one_needs_the_block() {
        let before = format!(
            "{CONFIGURED_LINES}if [ -n \"$POD_IP\" ]; then\n  export RELEASE_NODE=\"app@$POD_IP\"\nfi\n"
        );
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ReleaseNode]));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn pipelines_functions_and_background_jobs_do_not_count() {
        let before = "setup() {\n  export ECTO_IPV6=true\n}\n\
                      echo x | export RELEASE_DISTRIBUTION=name\n\
                      export DNS_CLUSTER_QUERY=\"$FLY_APP_NAME.internal\" &\n";
        let (after, _) = edit(before);
        assert_eq!(after, appended(before, &Var::ALL));
    }

    #[test]
    fn pod_ip_file_keeps_working_off_fly() {
        let before = "#!/bin/sh\n\nexport RELEASE_DISTRIBUTION=name\n\
                      export RELEASE_NODE=<%= @release.name %>@${POD_IP}\n";
        let (after, warnings) = edit(before);
        assert_eq!(
            after,
            appended(before, &[ErlAflags, EctoIpv6, DnsClusterQuery, ReleaseNode])
        );
        assert_eq!(
            warnings,
            [warning(4, "RELEASE_NODE=<%= @release.name %>@${POD_IP}")]
        );
        let out = source(
            &after,
            &fly_env(Some("registry.fly.io/hello-elixir:deployment-01HABC")),
        );
        if let Some(out) = out {
            assert_eq!(
                out,
                "-proto_dist inet6_tcp|true|hello-elixir.internal|name|hello-elixir-01HABC@fdaa:0:1::2"
            );
        }
        if let Some(out) = source(&after, &[("POD_IP", "10.0.0.7")]) {
            assert_eq!(out, "|||name|hello@10.0.0.7");
        }
    }

    #[test]
    fn pod_ip_file_with_its_own_condition_gets_the_whole_block() {
        let before = "if [ -n \"$POD_IP\" ]; then\n  export RELEASE_DISTRIBUTION=name\n  \
                      export RELEASE_NODE=<%= @release.name %>@${POD_IP}\nfi\n";
        let (after, warnings) = edit(before);
        assert_eq!(after, appended(before, &Var::ALL));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn hostname_file_is_overridden_on_fly() {
        let before = "#!/bin/sh\nexport RELEASE_DISTRIBUTION=name\n\
                      export RELEASE_NODE=<%= @release.name %>@$(hostname -f)\n";
        let (after, warnings) = edit(before);
        assert_eq!(
            after,
            appended(before, &[ErlAflags, EctoIpv6, DnsClusterQuery, ReleaseNode])
        );
        assert_eq!(
            warnings,
            [warning(
                3,
                "RELEASE_NODE=<%= @release.name %>@$(hostname -f)"
            )]
        );
        if let Some(out) = source(&after, &fly_env(Some("registry.fly.io/hello-elixir:v42"))) {
            assert_eq!(
                out,
                "-proto_dist inet6_tcp|true|hello-elixir.internal|name|hello-elixir-v42@fdaa:0:1::2"
            );
        }
    }

    const OLD_FLY_STYLE: &str = "#!/bin/sh\n\nip=$(grep fly-local-6pn /etc/hosts | cut -f 1)\n\
                                 export RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=$FLY_APP_NAME@$ip\n\
                                 export ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"\n";

    #[test]
    fn old_fly_style_file_is_overridden_and_its_proto_dist_moved() {
        let (after, warnings) = edit(OLD_FLY_STYLE);
        assert_eq!(
            after,
            appended(
                OLD_FLY_STYLE,
                &[ErlAflags, EctoIpv6, DnsClusterQuery, ReleaseNode]
            )
        );
        assert_eq!(
            warnings,
            [
                warning(5, "RELEASE_NODE=$FLY_APP_NAME@$ip"),
                format!(
                    "`{PATH}` line 6 sets `ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"`; erl falls back \
                     to IPv4 when -proto_dist is given twice, so the Fly block removes it from \
                     ELIXIR_ERL_OPTIONS on Fly and sets it once, in ERL_AFLAGS"
                )
            ]
        );
        let script = format!("{after}echo \"E=[$ELIXIR_ERL_OPTIONS]\"\n");
        if let Some(out) = source(
            &script,
            &fly_env(Some("registry.fly.io/hello-elixir:deployment-01HABC")),
        ) {
            assert_eq!(
                out,
                "E=[]\n-proto_dist inet6_tcp|true|hello-elixir.internal|name|hello-elixir-01HABC@fdaa:0:1::2"
            );
        }
    }

    #[test]
    fn erl_aflags_with_another_proto_dist_is_warned() {
        let before = CONFIGURED_LINES.replace("inet6_tcp\"", "inet_tcp\"");
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ErlAflags]));
        assert_eq!(
            warnings,
            [format!(
                "`{PATH}` line 2 sets `ERL_AFLAGS=\"-proto_dist inet_tcp\"`; erl takes a single \
                 -proto_dist, so the Fly block replaces it with `-proto_dist inet6_tcp` on Fly"
            )]
        );
        if let Some(out) = source(&after, &fly_env(None)) {
            assert!(out.starts_with("-proto_dist inet6_tcp|"), "{out}");
        }
    }

    #[test]
    fn erl_aflags_appended_to_the_inherited_value_is_warned() {
        // With the Dockerfile's ENV ERL_AFLAGS="-proto_dist inet6_tcp", this passes the flag twice.
        let before = CONFIGURED_LINES.replace(
            "\"-proto_dist inet6_tcp\"",
            "\"$ERL_AFLAGS -proto_dist inet6_tcp\"",
        );
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ErlAflags]));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with(&format!("`{PATH}` line 2 sets `ERL_AFLAGS=")),
            "{warnings:?}"
        );
        let mut env = fly_env(None);
        env.push(("ERL_AFLAGS", "-proto_dist inet6_tcp"));
        if let Some(out) = source(&after, &env) {
            assert!(out.starts_with("-proto_dist inet6_tcp|"), "{out}");
        }
    }

    #[test]
    fn partial_guarded_block_is_completed_in_place() {
        let before = "#!/bin/sh\n\nif [ -n \"$FLY_APP_NAME\" ]; then\n    export RELEASE_DISTRIBUTION=name\n\
                      \x20   export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\nfi\n\nexport OTHER=1\n";
        let (after, warnings) = edit(before);
        let added: String = block_body(&[ErlAflags, EctoIpv6, DnsClusterQuery], "    ")
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let expected = before.replace(
            "FLY_PRIVATE_IP}\"\nfi\n",
            &format!("FLY_PRIVATE_IP}}\"\n{added}fi\n"),
        );
        assert_eq!(after, expected);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn wrong_line_in_guarded_block_is_replaced() {
        let before = "if [ -n \"${FLY_APP_NAME:-}\" ]; then\n  export ECTO_IPV6=\"true\"\n  \
                      export RELEASE_DISTRIBUTION=sname\n  export RELEASE_NODE=x@y # mine\nelse\n  \
                      export RELEASE_DISTRIBUTION=sname\nfi\n";
        let (after, warnings) = edit(before);
        let node: String = block_body(&[ReleaseNode], "  ")
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let end: String = block_body(&[ErlAflags, DnsClusterQuery], "  ")
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let expected = format!(
            "if [ -n \"${{FLY_APP_NAME:-}}\" ]; then\n  export ECTO_IPV6=\"true\"\n  \
             export RELEASE_DISTRIBUTION=\"name\"\n{node}{end}else\n  export RELEASE_DISTRIBUTION=sname\nfi\n"
        );
        assert_eq!(after, expected);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn guarded_block_with_a_later_override_gets_a_new_block() {
        let before = format!(
            "if [ -n \"$FLY_APP_NAME\" ]; then\n{}fi\nexport RELEASE_DISTRIBUTION=sname\n",
            CONFIGURED_LINES
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        );
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[ReleaseDistribution]));
        assert_eq!(warnings, [warning(9, "RELEASE_DISTRIBUTION=sname")]);
    }

    #[test]
    fn one_line_guard_gets_a_new_block() {
        let before = "if [ -n \"$FLY_APP_NAME\" ]; then export ECTO_IPV6=true; fi\n";
        let (after, _) = edit(before);
        assert_eq!(
            after,
            appended(
                before,
                &[ErlAflags, DnsClusterQuery, ReleaseDistribution, ReleaseNode]
            )
        );
    }

    #[test]
    fn unquoted_guard_is_not_a_guard() {
        // `[ -n $FLY_APP_NAME ]` is true off Fly too, so the lines inside are conditional.
        let before = "if [ -n $FLY_APP_NAME ]; then\n  export ECTO_IPV6=true\nfi\n";
        let (after, _) = edit(before);
        assert_eq!(after, appended(before, &Var::ALL));
    }

    #[test]
    fn negative_guard_else_branch_counts() {
        let body: String = CONFIGURED_LINES
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect();
        let before = format!(
            "if [ -z \"$FLY_APP_NAME\" ]; then\n  export RELEASE_DISTRIBUTION=sname\nelse\n{body}fi\n"
        );
        assert_eq!(run(Some(&before)), Edited::new(Outcome::Unchanged));
    }

    #[test]
    fn unset_after_a_good_value_needs_the_block() {
        let before = format!("{CONFIGURED_LINES}unset ECTO_IPV6\n");
        let (after, warnings) = edit(&before);
        assert_eq!(after, appended(&before, &[EctoIpv6]));
        assert!(warnings.is_empty());
    }

    #[test]
    fn file_without_final_blank_line_or_empty() {
        let (after, _) = edit("");
        assert_eq!(after, render_block(&Var::ALL));
        let (after, _) = edit("export A=1\n\n");
        assert_eq!(after, format!("export A=1\n\n{}", render_block(&Var::ALL)));
    }

    #[test]
    fn shell_it_cannot_follow_is_a_manual_step() {
        let edited = run(Some("export A=\"unclosed\nexport B=1\n"));
        let Outcome::Manual(step) = edited.outcome else {
            panic!("expected a manual step, got {:?}", edited.outcome);
        };
        assert_eq!(step.path, Path::new(PATH));
        assert_eq!(step.snippet, render_block(&Var::ALL));
        assert!(
            step.reason
                .starts_with("line 1: a double quote is not closed"),
            "{}",
            step.reason
        );
        for broken in [
            "fi\n",
            "if true; then\n",
            "case x in\n",
            "cat <<EOF\nno end\n",
        ] {
            assert!(
                matches!(run(Some(broken)).outcome, Outcome::Manual(_)),
                "{broken:?}"
            );
        }
    }

    #[test]
    fn lines_outside_the_edit_stay_byte_identical() {
        let before = "#!/bin/sh\r\nweird  spacing\t# kept\nexport   X='a  b'   \n";
        let (after, _) = edit(before);
        assert!(after.starts_with(before));
    }

    #[test]
    fn a_brace_group_runs_in_this_shell() {
        let before = format!("{{\n{CONFIGURED_LINES}}} >/dev/null\n");
        assert_eq!(run(Some(&before)), Edited::new(Outcome::Unchanged));
    }

    #[test]
    fn odd_shell_never_panics_and_every_write_settles() {
        let odd = [
            "",
            "\n\n",
            "# only a comment",
            "export\n",
            "export -p\n",
            "unset -f setup\nunset RELEASE_NODE\n",
            "a=(1 2)\n",
            "setup() { export ECTO_IPV6=true; }\nsetup\n",
            "x=$(case a in a) echo;; esac)\n",
            "cat <<-'EOF'\n\texport ECTO_IPV6=true\n\tEOF\n",
            "echo \"${x:-it's}\" $((1 + 2)) `date` \\\" 'a#b' a#b\n",
            "while read -r l; do :; done < f\n",
            "case $x in (a|b) export ECTO_IPV6=true ;; *) ;; esac\n",
            "if a; then b; elif c; then d; else e; fi\n",
            "! true\ntrue && false || true\necho a | cat &\n",
            "export RELEASE_NODE=\"<%= @release.name %>@127.0.0.1\"\n",
            "<%= if true do %>\nexport ECTO_IPV6=true\n<% end %>\n",
            "<%# a comment %>\nexport ECTO_IPV6=<%= :true %>\n",
            "if [ -n \"$FLY_APP_NAME\" ]\nthen\n\n  :\nfi # done\n",
            "if [ -n \"$FLY_APP_NAME\" ]; then\n  if [ -n \"$FLY_APP_NAME\" ]; then\n    :\n  fi\nfi\n",
            "if [ -n \"$FLY_APP_NAME\" ]; then :; fi | cat\n",
            "for x in a b; do\n  export ERL_FLAGS=\"-proto_dist inet6_tcp\"\ndone\n",
            "export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nexport ERL_ZFLAGS=\"-proto_dist inet6_tcp\"\n",
            "fi\n",
            "done\n",
            "}\n",
            ")\n",
            "if true; then\n",
            "echo 'open\n",
            "echo ${open\n",
            "echo $(open\n",
            "echo `open\n",
            "cat <<EOF\nnever closed\n",
            "echo >\n",
        ];
        for before in odd {
            match run(Some(before)).outcome {
                Outcome::Write(after) => assert_settled(&after),
                Outcome::Unchanged | Outcome::Manual(_) => {}
                Outcome::Skip(reason) => panic!("{before:?}: unexpected skip: {reason}"),
            }
        }
    }

    // ---- real tools -------------------------------------------------------------------------

    /// Whether `tool` runs. In CI (CI=true) a missing tool fails the test; elsewhere it is skipped loudly.
    fn have(tool: &str, probe: &[&str]) -> bool {
        let ok = Command::new(tool)
            .args(probe)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{tool} is required in CI but is not installed");
            }
            eprintln!("SKIPPED: {tool} not installed");
        }
        ok
    }

    /// What the release sees once EEx has run: the release name in place of the tag.
    fn as_released(text: &str) -> String {
        text.replace("<%= @release.name %>", "hello")
    }

    fn write_script(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("f"), as_released(text)).expect("write script");
        dir
    }

    fn fly_env(image_ref: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
        let mut env = vec![
            ("FLY_APP_NAME", "hello-elixir"),
            ("FLY_PRIVATE_IP", "fdaa:0:1::2"),
        ];
        if let Some(image_ref) = image_ref {
            env.push(("FLY_IMAGE_REF", image_ref));
        }
        env
    }

    /// Sources `text` as the release script does (under `set -e`) in a clean environment and returns
    /// what it printed, then the five variables; None when `sh` is missing.
    fn source(text: &str, env: &[(&str, &str)]) -> Option<String> {
        source_with("set -e", text, env)
    }

    /// Also under `set -u`: the block itself must not trip over an unset variable.
    fn source_strict(text: &str, env: &[(&str, &str)]) -> Option<String> {
        source_with("set -eu", text, env)
    }

    fn source_with(options: &str, text: &str, env: &[(&str, &str)]) -> Option<String> {
        if !have("sh", &["-c", "true"]) {
            return None;
        }
        let dir = write_script(text);
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{options}; . ./f; echo \"${{ERL_AFLAGS-}}|${{ECTO_IPV6-}}|${{DNS_CLUSTER_QUERY-}}|\
                 ${{RELEASE_DISTRIBUTION-}}|${{RELEASE_NODE-}}\"; set | grep '^flycluster_' || true",
            ))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .output()
            .expect("run sh");
        let stdout = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        assert!(
            out.status.success(),
            "sourcing failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(stdout)
    }

    fn check_syntax(text: &str) {
        let dir = write_script(text);
        if have("sh", &["-c", "true"]) {
            let out = Command::new("sh")
                .args(["-n", "f"])
                .current_dir(dir.path())
                .output()
                .expect("run sh -n");
            assert!(
                out.status.success(),
                "sh -n: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if have("shellcheck", &["--version"]) {
            let out = Command::new("shellcheck")
                .args(["-s", "sh", "f"])
                .current_dir(dir.path())
                .output()
                .expect("run shellcheck");
            assert!(
                out.status.success(),
                "shellcheck:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }

    #[test]
    fn rendered_file_and_blocks_pass_sh_n_and_shellcheck() {
        let Outcome::Write(file) = run(None).outcome else {
            panic!("expected a write");
        };
        check_syntax(&file);
        check_syntax(&render_block(&Var::ALL));
        for var in Var::ALL {
            check_syntax(&render_block(&[var]));
        }
    }

    #[test]
    fn new_file_on_fly_exports_the_five() {
        let Outcome::Write(file) = run(None).outcome else {
            panic!("expected a write");
        };
        let common = "-proto_dist inet6_tcp|true|hello-elixir.internal|name";
        for (image_ref, node) in [
            (
                Some("registry.fly.io/hello-elixir:deployment-01HABC"),
                "hello-elixir-01HABC@fdaa:0:1::2",
            ),
            (
                Some("registry.fly.io/hello-elixir:v42"),
                "hello-elixir-v42@fdaa:0:1::2",
            ),
            (
                Some("registry.fly.io/app:v42"),
                "hello-elixir-v42@fdaa:0:1::2",
            ),
            (
                Some("registry.fly.io/hello-elixir@sha256:0123abcdef"),
                "hello-elixir-0123abcdef@fdaa:0:1::2",
            ),
            (
                Some("registry.fly.io/hello-elixir:deployment-01HABC@sha256:0123abcdef"),
                "hello-elixir-01HABC@fdaa:0:1::2",
            ),
            (
                Some("registry.fly.io/app:v1.2.3"),
                "hello-elixir-v1_2_3@fdaa:0:1::2",
            ),
            (Some("localhost:5000/app"), "hello-elixir@fdaa:0:1::2"),
            (Some(""), "hello-elixir@fdaa:0:1::2"),
            (None, "hello-elixir@fdaa:0:1::2"),
        ] {
            let Some(out) = source_strict(&file, &fly_env(image_ref)) else {
                return;
            };
            assert_eq!(
                out,
                format!("{common}|{node}"),
                "FLY_IMAGE_REF={image_ref:?}"
            );
        }
    }

    #[test]
    fn new_file_off_fly_sets_nothing() {
        let Outcome::Write(file) = run(None).outcome else {
            panic!("expected a write");
        };
        if let Some(out) = source_strict(&file, &[]) {
            assert_eq!(out, "||||");
        }
    }

    #[test]
    fn erl_aflags_from_the_environment_are_kept() {
        let Outcome::Write(file) = run(None).outcome else {
            panic!("expected a write");
        };
        let mut env = fly_env(None);
        env.push(("ERL_AFLAGS", "-kernel shell_history enabled"));
        if let Some(out) = source(&file, &env) {
            assert_eq!(
                out.split('|').next(),
                Some("-kernel shell_history enabled -proto_dist inet6_tcp")
            );
        }
        // Already there (the Dockerfile's ENV): not given twice, or erl would fall back to IPv4.
        let mut env = fly_env(None);
        env.push((
            "ERL_AFLAGS",
            "-proto_dist inet6_tcp -kernel shell_history enabled",
        ));
        if let Some(out) = source(&file, &env) {
            assert_eq!(
                out.split('|').next(),
                Some("-kernel shell_history enabled -proto_dist inet6_tcp")
            );
        }
        // Conflicting or repeated flags anywhere erl reads them end up as exactly one.
        let mut env = fly_env(None);
        env.push((
            "ERL_AFLAGS",
            "-proto_dist inet_tcp -a b -proto_dist inet6_tcp",
        ));
        env.push(("ERL_FLAGS", "-proto_dist inet6_tcp -c d"));
        let script = format!("{file}echo \"F=[$ERL_FLAGS]\"\n");
        if let Some(out) = source(&script, &env) {
            assert!(
                out.starts_with("F=[-c d]\n-a b -proto_dist inet6_tcp|"),
                "{out}"
            );
        }
    }

    #[test]
    fn edited_fixtures_are_valid_shell() {
        let pod_ip = "export RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=<%= @release.name %>@${POD_IP}\n";
        let guarded =
            "if [ -n \"$FLY_APP_NAME\" ]; then\n  export RELEASE_DISTRIBUTION=sname\nfi\n";
        for before in [RELEASE_INIT, OLD_FLY_STYLE, pod_ip, guarded] {
            let (after, _) = edit(before);
            let dir = write_script(&after);
            if have("sh", &["-c", "true"]) {
                let out = Command::new("sh")
                    .args(["-n", "f"])
                    .current_dir(dir.path())
                    .output()
                    .expect("run sh -n");
                assert!(out.status.success(), "{after}");
            }
        }
    }

    // ----- the read-only view doctor uses -----

    fn view(src: &str) -> FlyView {
        effective_on_fly(src).expect("the test file parses")
    }

    #[test]
    fn view_of_the_full_block_accepts_all_five() {
        let file = new_file();
        let v = view(&file);
        for name in CLUSTERING_VARS {
            let var = v.var(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(var.accepted, "{name}");
            let a = var.effective.as_ref().expect("effective");
            assert!(a.on_fly_only, "{name} is inside the guard");
            assert!(var.conditional_lines.is_empty(), "{name}");
        }
        // Helper variables are tracked too, for doctor's node-name analysis.
        let suffix = v.var("flycluster_suffix").expect("tracked");
        assert_eq!(
            suffix
                .unset_line
                .map(|l| file.lines().nth(l - 1).unwrap().trim()),
            Some("unset flycluster_suffix")
        );
        assert!(!suffix.conditional.is_empty());
    }

    #[test]
    fn view_follows_overrides_unsets_and_branches() {
        let src = "#!/bin/sh\n\
                   export RELEASE_DISTRIBUTION=name\n\
                   if [ -z \"${FLY_APP_NAME:-}\" ]; then\n  export RELEASE_NODE=local@127.0.0.1\nfi\n\
                   (export ECTO_IPV6=true)\n\
                   # export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\n\
                   [ -n \"$X\" ] && export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n\
                   export RELEASE_DISTRIBUTION=sname\n\
                   export DNS_CLUSTER_QUERY=x\nunset DNS_CLUSTER_QUERY\n";
        let v = view(src);
        let dist = v.var("RELEASE_DISTRIBUTION").unwrap();
        assert_eq!(dist.effective.as_ref().unwrap().line, 9);
        assert_eq!(
            dist.overridden.iter().map(|a| a.line).collect::<Vec<_>>(),
            vec![2]
        );
        assert!(!dist.accepted);
        let node = v.var("RELEASE_NODE").unwrap();
        assert!(node.effective.is_none());
        assert_eq!(node.not_on_fly[0].0.line, 4);
        assert_eq!(node.not_on_fly[0].1, "in a branch that runs only off Fly");
        let ecto = v.var("ECTO_IPV6").unwrap();
        assert!(ecto.not_on_fly[0].1.starts_with("in a subshell"));
        let aflags = v.var("ERL_AFLAGS").unwrap();
        assert!(aflags.effective.is_none());
        assert_eq!(aflags.conditional_lines, vec![8]);
        let query = v.var("DNS_CLUSTER_QUERY").unwrap();
        assert_eq!(query.unset_line, Some(11));
        assert!(query.effective.is_none());
    }

    #[test]
    fn view_reports_proto_dist_in_other_flag_variables() {
        let v = view(
            "export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nexport ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"\n",
        );
        assert_eq!(v.proto_dist_elsewhere.len(), 1);
        assert_eq!(v.proto_dist_elsewhere[0].0, "ELIXIR_ERL_OPTIONS");
        assert_eq!(v.proto_dist_elsewhere[0].1.line, 2);
        assert!(!v.var("ERL_AFLAGS").unwrap().accepted);
    }

    #[test]
    fn view_agrees_with_the_editor() {
        for src in [RELEASE_INIT, CONFIGURED_LINES, OLD_FLY_STYLE] {
            let needed = Analysis::of(src).unwrap().needed();
            let v = view(src);
            for var in Var::ALL {
                let accepted = v.var(var.name()).is_some_and(|x| x.accepted);
                assert_eq!(accepted, !needed.contains(&var), "{}:\n{src}", var.name());
            }
        }
    }

    #[test]
    fn view_shows_eex_tags_and_reports_shell_errors_with_1_based_lines() {
        let v = view("export RELEASE_NODE=<%= @release.name %>@127.0.0.1\n");
        assert_eq!(
            v.var("RELEASE_NODE")
                .unwrap()
                .effective
                .as_ref()
                .unwrap()
                .raw,
            "RELEASE_NODE=<%= @release.name %>@127.0.0.1"
        );
        let e = effective_on_fly("true\nif true; then\n  x=1\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
