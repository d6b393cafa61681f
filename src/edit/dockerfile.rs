//! Editor for the `dockerfile` kind: makes the final stage of the Dockerfile set `ECTO_IPV6="true"`
//! and an `ERL_AFLAGS` with `-proto_dist inet6_tcp`, because Fly's private network is IPv6.
//!
//! The Dockerfile is read as instructions (comments, blank lines and `\` continuations as BuildKit
//! reads them), each mapped back to its bytes, so an edit replaces exactly the `KEY=value` it fixes
//! or inserts whole lines; every other byte stays.

use super::{Database, EditCtx, Edited, Outcome};
use crate::error::{Error, Result};
use crate::facts::FindingId;
use crate::plan::Warning;
use crate::templates;
use std::ops::Range;
use std::path::Path;

const ECTO_IPV6: &str = "ECTO_IPV6";
const ERL_AFLAGS: &str = "ERL_AFLAGS";
const PROTO_DIST: &str = "-proto_dist";
const PROTO_DIST_FLAG: &str = "-proto_dist inet6_tcp";
/// The comment flycluster writes above its `ENV` lines (templates/dockerfile_env.j2), and the one
/// it writes when the database is not on Fly.
const FLY_COMMENT: &str =
    "# Fly's private network is IPv6: Ecto and Erlang distribution must connect over IPv6";
const ERL_ONLY_COMMENT: &str =
    "# Fly's private network is IPv6: Erlang distribution must connect over IPv6";

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let Some(text) = before else {
        return Ok(Edited::new(Outcome::Skip(
            "no `Dockerfile`; `mix phx.gen.release --docker` makes one".to_owned(),
        )));
    };
    let dockerfile = Dockerfile::parse(text);
    let Some(stage) = dockerfile.final_stage() else {
        return Err(Error::input(
            path,
            None,
            "no `FROM` instruction, so there is no final stage to set the IPv6 environment in",
        )
        .with_help("check that this is the Dockerfile that builds the release image"));
    };
    let settings: Vec<Setting> = dockerfile
        .stage_chain(&stage)
        .into_iter()
        .flat_map(|stage| dockerfile.instructions[stage.instructions.clone()].iter())
        .flat_map(|instruction| instruction.env_settings(text))
        .collect();
    let effective = |key: &str| settings.iter().rev().find(|s| s.key == key);

    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut warnings = Vec::new();
    let legacy_warning = |s: &Setting| {
        Warning::new(
            FindingId::DockerfileLegacyEnv,
            format!(
                "`ENV {} {}` uses the legacy `ENV key value` form, which BuildKit warns about \
                 (LegacyKeyValueFormat); write it as `ENV {}={}`",
                s.key,
                s.raw_value,
                s.key,
                requoted(&s.raw_value)
            ),
        )
        .at(path, Some(s.line))
    };

    // Settings that are right but written in the legacy form, rewritten below.
    let mut legacy_ok: Vec<&Setting> = Vec::new();

    let add_ecto = match effective(ECTO_IPV6) {
        // Only a database on Fly's IPv6 network wants it; an external one is left out of the image
        // (`removals` below), no database is left alone.
        _ if ctx.database == Database::External => false,
        None => ctx.database == Database::Fly,
        Some(s) if ctx.database == Database::None => {
            if s.legacy {
                warnings.push(legacy_warning(s));
            }
            false
        }
        Some(s) => {
            let value = unquote(&s.raw_value);
            if value == "true" || value == "1" {
                legacy_ok.push(s);
            } else if ctx.force {
                edits.push((s.span.clone(), format!("{ECTO_IPV6}=\"true\"")));
            } else {
                warnings.push(
                    Warning::new(
                        FindingId::EctoIpv6Value,
                        format!(
                            "`{ECTO_IPV6}` is `{value}` in the final stage, but Ecto must connect \
                             over IPv6 on Fly's private network (`\"true\"`); left as is (run with \
                             `--force` to replace it)"
                        ),
                    )
                    .at(path, Some(s.line)),
                );
            }
            false
        }
    };

    let add_aflags = match effective(ERL_AFLAGS) {
        None => true,
        Some(s) => {
            let value = unquote(&s.raw_value);
            // Rewriting a value that runs over lines with comment lines between them would drop
            // the comments (BuildKit skips them): the user makes that edit.
            let comments_inside = comments_inside(text, &s.span);
            let rewrites = match proto_dist(&value) {
                ProtoDist::Ipv6 => false,
                ProtoDist::Missing => true,
                ProtoDist::Other(_) => ctx.force,
            };
            if comments_inside && rewrites {
                let fixed = if value.split_whitespace().any(|w| w == PROTO_DIST) {
                    replace_proto_dist(&value)
                } else {
                    format!("{} {PROTO_DIST_FLAG}", value.trim())
                        .trim_start()
                        .to_owned()
                };
                let mut snippet = Vec::new();
                if add_ecto {
                    snippet.push(format!("ENV {ECTO_IPV6}=\"true\""));
                }
                snippet.push(format!("ENV {ERL_AFLAGS}=\"{}\"", escape(&fixed)));
                return Ok(Edited::new(Outcome::Manual(crate::plan::ManualStep {
                    id: FindingId::ErlAflags,
                    path: path.to_path_buf(),
                    location: format!("line {}, the final stage's `{ERL_AFLAGS}`", s.line),
                    snippet: snippet.join("\n"),
                    reason: format!(
                        "`{ERL_AFLAGS}` runs over lines with comments between them, which \
                         rewriting it would drop"
                    ),
                })));
            }
            match proto_dist(&value) {
                ProtoDist::Ipv6 => legacy_ok.push(s),
                ProtoDist::Missing => edits.push((
                    s.span.clone(),
                    format!("{ERL_AFLAGS}={}", with_flag(&s.raw_value)),
                )),
                ProtoDist::Other(other) => {
                    if ctx.force {
                        let flags = replace_proto_dist(&value);
                        edits.push((
                            s.span.clone(),
                            format!("{ERL_AFLAGS}=\"{}\"", escape(&flags)),
                        ));
                    } else {
                        warnings.push(
                            Warning::new(
                                FindingId::ErlAflags,
                                format!(
                                    "`{ERL_AFLAGS}` sets `{PROTO_DIST} {other}`, but Erlang \
                                     distribution must use `{PROTO_DIST_FLAG}` on Fly's private \
                                     network; left as is (run with `--force` to replace it)"
                                ),
                            )
                            .at(path, Some(s.line)),
                        );
                    }
                }
            }
            false
        }
    };

    if ctx.database == Database::External {
        for (range, replacement, removed) in dockerfile.ecto_ipv6_removals(&stage) {
            edits.push((range, replacement));
            let Some(line) = removed else { continue };
            warnings.push(
                Warning::new(
                    FindingId::EctoIpv6External,
                    format!(
                        "`{ECTO_IPV6}` taken out of the final stage: the database is outside Fly \
                         (`--database external`), and with ECTO_IPV6 Postgrex asks only for IPv6 \
                         addresses, so an IPv4-only host fails with `:nxdomain`"
                    ),
                )
                .at(path, Some(line)),
            );
        }
    }

    // flyctl appended such lines until mid-2023: each is rewritten as `KEY="value"` in place, so
    // the setting stays once in the file. One whose value runs over lines with comment lines
    // between them would lose the comments (BuildKit skips them): it stays, with a warning.
    // A line the database choice already takes out is not rewritten as well.
    let taken: Vec<std::ops::Range<usize>> = edits.iter().map(|(range, _)| range.clone()).collect();
    let untouched = |span: &std::ops::Range<usize>| {
        !taken
            .iter()
            .any(|range| range.start < span.end && span.start < range.end)
    };
    for s in legacy_ok
        .into_iter()
        .filter(|s| s.legacy && untouched(&s.span))
    {
        if comments_inside(text, &s.span) {
            warnings.push(legacy_warning(s));
        } else {
            edits.push((
                s.span.clone(),
                format!("{}={}", s.key, requoted(&s.raw_value)),
            ));
        }
    }

    if add_ecto || add_aflags {
        let block = templates::render(
            "dockerfile_env.j2",
            minijinja::context! {
                ecto_ipv6 => add_ecto,
                erl_aflags => add_aflags,
                ecto_on_fly => ctx.database == Database::Fly,
            },
        );
        edits.push(dockerfile.insertion(&stage, &block, path)?);
    }

    let mut after = text.to_owned();
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, replacement) in edits {
        after.replace_range(range, &replacement);
    }
    let mut edited = Edited::from_text(Some(text), after);
    edited.warnings = warnings;
    Ok(edited)
}

/// One `KEY=value` of an `ENV` instruction, as `flycluster doctor` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvLine {
    pub key: String,
    /// The value with quotes removed and escapes resolved (`$VARS` left as written).
    pub value: String,
    /// The value as written.
    pub raw_value: String,
    /// `ENV KEY value`, the form BuildKit warns about.
    pub legacy: bool,
    /// 1-based line of the key.
    pub line: usize,
    /// Set in the final stage or a stage the final stage is built `FROM`, so the image has it.
    pub in_final_image: bool,
    /// The stage's `AS` name, lower-cased.
    pub stage_name: Option<String>,
}

/// Every `ENV` setting of the Dockerfile in file order, each marked with whether the final image
/// carries it. Read-only.
pub fn env_lines(text: &str) -> Vec<EnvLine> {
    let dockerfile = Dockerfile::parse(text);
    let chain: Vec<usize> = dockerfile
        .final_stage()
        .map(|stage| {
            dockerfile
                .stage_chain(&stage)
                .iter()
                .map(|s| s.from)
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for stage in dockerfile.stages() {
        for instruction in &dockerfile.instructions[stage.instructions.clone()] {
            for setting in instruction.env_settings(text) {
                out.push(EnvLine {
                    value: unquote(&setting.raw_value),
                    key: setting.key,
                    raw_value: setting.raw_value,
                    legacy: setting.legacy,
                    line: setting.line,
                    in_final_image: chain.contains(&stage.from),
                    stage_name: stage.name.clone(),
                });
            }
        }
    }
    out
}

/// A Dockerfile split into lines and instructions.
struct Dockerfile<'a> {
    text: &'a str,
    lines: Vec<Line<'a>>,
    instructions: Vec<Instruction>,
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Byte offset of the line in the file.
    start: usize,
    /// The line without its `\n`.
    text: &'a str,
    kind: LineKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Comment,
    /// A line of the instruction with this index (comments and blank lines inside a `\`
    /// continuation belong to the instruction they interrupt).
    Instruction(usize),
}

/// One instruction, with its `\` continuations joined the way BuildKit joins them.
struct Instruction {
    /// Upper-cased, e.g. `ENV`.
    keyword: String,
    first_line: usize,
    last_line: usize,
    /// The instruction as BuildKit sees it: continuation lines joined, comments inside dropped.
    logical: String,
    /// File offset of each byte of `logical`.
    offsets: Vec<usize>,
    /// The file ends inside its `\` continuation.
    unterminated: bool,
}

/// A `FROM` and the instructions up to the next one.
#[derive(Clone)]
struct Stage {
    /// The image it starts from, as written.
    base: String,
    /// The `AS` name, lower-cased.
    name: Option<String>,
    /// Index of its `FROM` in `Dockerfile::instructions`.
    from: usize,
    instructions: Range<usize>,
}

/// One `KEY=value` of an `ENV` instruction.
#[derive(Debug)]
struct Setting {
    key: String,
    /// The value as written (quotes and escapes included).
    raw_value: String,
    /// `ENV KEY value`, the form BuildKit warns about.
    legacy: bool,
    /// File bytes of the whole setting, key to end of value.
    span: Range<usize>,
    /// 1-based line of the key.
    line: usize,
}

impl<'a> Dockerfile<'a> {
    fn parse(text: &'a str) -> Dockerfile<'a> {
        let mut lines: Vec<Line<'a>> = Vec::new();
        let mut start = 0;
        for raw in text.split_inclusive('\n') {
            lines.push(Line {
                start,
                text: raw.strip_suffix('\n').unwrap_or(raw),
                kind: LineKind::Blank,
            });
            start += raw.len();
        }

        let mut instructions = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let trimmed = lines[i].text.trim_start();
            if trimmed.is_empty() {
                lines[i].kind = LineKind::Blank;
                i += 1;
                continue;
            }
            if trimmed.starts_with('#') {
                lines[i].kind = LineKind::Comment;
                i += 1;
                continue;
            }
            let index = instructions.len();
            let first_line = i;
            let mut logical = String::new();
            let mut offsets = Vec::new();
            let mut unterminated = false;
            loop {
                let line = lines[i];
                lines[i].kind = LineKind::Instruction(index);
                i += 1;
                let Some(body) = continued(line.text) else {
                    logical.push_str(line.text);
                    offsets.extend(line.start..line.start + line.text.len());
                    break;
                };
                logical.push_str(body);
                offsets.extend(line.start..line.start + body.len());
                // BuildKit skips comment and empty lines inside a continuation.
                while i < lines.len() && is_blank_or_comment(lines[i].text) {
                    lines[i].kind = LineKind::Instruction(index);
                    i += 1;
                }
                if i == lines.len() {
                    unterminated = true;
                    break;
                }
            }
            let keyword = logical
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            instructions.push(Instruction {
                keyword,
                first_line,
                last_line: i - 1,
                logical,
                offsets,
                unterminated,
            });
        }
        Dockerfile {
            text,
            lines,
            instructions,
        }
    }

    fn stages(&self) -> Vec<Stage> {
        let mut stages: Vec<Stage> = Vec::new();
        for (index, instruction) in self.instructions.iter().enumerate() {
            if instruction.keyword != "FROM" {
                continue;
            }
            if let Some(last) = stages.last_mut() {
                last.instructions.end = index;
            }
            let words: Vec<&str> = instruction
                .logical
                .split_whitespace()
                .skip(1)
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => {
                    Some(name.to_ascii_lowercase())
                }
                _ => None,
            };
            stages.push(Stage {
                base: words.first().copied().unwrap_or_default().to_owned(),
                name,
                from: index,
                instructions: index..self.instructions.len(),
            });
        }
        stages
    }

    fn final_stage(&self) -> Option<Stage> {
        self.stages().pop()
    }

    /// The stage and the earlier stages it is built `FROM`, oldest first: their `ENV`s carry over.
    fn stage_chain(&self, stage: &Stage) -> Vec<Stage> {
        let stages = self.stages();
        let mut chain = vec![stage.clone()];
        loop {
            let current = chain.last().expect("the chain starts with one stage");
            let base = current.base.to_ascii_lowercase();
            let parent = stages
                .iter()
                .rev()
                .filter(|s| s.from < current.from)
                .find(|s| s.name.as_deref() == Some(base.as_str()));
            match parent {
                Some(parent) => chain.push(parent.clone()),
                None => break,
            }
        }
        chain.reverse();
        chain
    }

    /// The edits that take every `ECTO_IPV6` that turns IPv6 on (`true`, `1`) out of `stage` and the
    /// stages it is built from, with the 1-based line of each removed setting: the whole `ENV` line when it sets
    /// nothing else (flycluster's comment above it then no longer names Ecto), else the one
    /// `KEY=value`, its line too when it stands alone on a continuation line.
    fn ecto_ipv6_removals(&self, stage: &Stage) -> Vec<(Range<usize>, String, Option<usize>)> {
        let line_span = |first: usize, last: usize| {
            let end = self.lines[last].start + self.lines[last].text.len();
            self.lines[first].start..(end + 1).min(self.text.len())
        };
        let mut out = Vec::new();
        for stage in self.stage_chain(stage) {
            for instruction in &self.instructions[stage.instructions.clone()] {
                let settings = instruction.env_settings(self.text);
                for setting in &settings {
                    if setting.key != ECTO_IPV6
                        || !matches!(unquote(&setting.raw_value).as_str(), "true" | "1")
                    {
                        continue;
                    }
                    if settings.len() == 1 {
                        let (first, last) = (instruction.first_line, instruction.last_line);
                        out.push((line_span(first, last), String::new(), Some(setting.line)));
                        if first > 0 && self.lines[first - 1].text == FLY_COMMENT {
                            out.push((
                                line_span(first - 1, first - 1),
                                format!("{ERL_ONLY_COMMENT}\n"),
                                None,
                            ));
                        }
                        continue;
                    }
                    let index = setting.line - 1;
                    let line = self.lines[index];
                    let in_line = setting.span.start - line.start..setting.span.end - line.start;
                    let rest = line.text[in_line.end..].trim();
                    if line.text[..in_line.start].trim().is_empty()
                        && (rest.is_empty() || rest == "\\")
                        && setting.span.end <= line.start + line.text.len()
                        && index != instruction.first_line
                    {
                        out.push((line_span(index, index), String::new(), Some(setting.line)));
                        continue;
                    }
                    let before = &self.text[..setting.span.start];
                    let gap = before.len() - before.trim_end_matches([' ', '\t']).len();
                    out.push((
                        setting.span.start - gap..setting.span.end,
                        String::new(),
                        Some(setting.line),
                    ));
                }
            }
        }
        // A rewritten comment is its own edit, one line up: keep the edits in file order.
        out.sort_by_key(|(range, _, _)| range.start);
        out
    }

    /// Where the new `ENV` lines go: before the first `USER`, `CMD` or `ENTRYPOINT` of the final
    /// stage and the comments right above it, else at the end; a blank line on either side.
    fn insertion(&self, stage: &Stage, block: &str, path: &Path) -> Result<(Range<usize>, String)> {
        let before_instruction = self.instructions[stage.instructions.clone()]
            .iter()
            .find(|i| matches!(i.keyword.as_str(), "USER" | "CMD" | "ENTRYPOINT"));
        match before_instruction {
            Some(instruction) => {
                let mut line = instruction.first_line;
                while line > 0 && self.lines[line - 1].kind == LineKind::Comment {
                    line -= 1;
                }
                let at = self.lines[line].start;
                let gap = if line > 0 && self.lines[line - 1].kind != LineKind::Blank {
                    "\n"
                } else {
                    ""
                };
                Ok((at..at, format!("{gap}{block}\n")))
            }
            None => {
                if let Some(last) = self.instructions.last().filter(|i| i.unterminated) {
                    return Err(Error::input(
                        path,
                        Some(last.last_line + 1),
                        "the file ends inside a `\\` line continuation, so lines added at the end \
                         would join that instruction",
                    )
                    .with_help("remove the `\\` at the end of the last instruction"));
                }
                let at = self.text.len();
                let mut gap = String::new();
                if !self.text.is_empty() && !self.text.ends_with('\n') {
                    gap.push('\n');
                }
                if self.lines.last().is_some_and(|l| l.kind != LineKind::Blank) {
                    gap.push('\n');
                }
                Ok((at..at, format!("{gap}{block}")))
            }
        }
    }
}

impl Instruction {
    /// The settings of an `ENV` instruction, in order; nothing for other instructions.
    fn env_settings(&self, text: &str) -> Vec<Setting> {
        if self.keyword != "ENV" {
            return Vec::new();
        }
        let logical = self.logical.as_str();
        let keyword_end = logical.len() - logical.trim_start().len() + "ENV".len();
        let args_start = keyword_end
            + (logical[keyword_end..].len() - logical[keyword_end..].trim_start().len());
        let args = logical[args_start..].trim_end();
        let words = shell_words(args);
        let Some(first) = words.first() else {
            return Vec::new();
        };

        let setting = |key: Range<usize>, value: Range<usize>, legacy: bool| {
            let (key, value) = (
                args_start + key.start..args_start + key.end,
                args_start + value.start..args_start + value.end,
            );
            let start = self.offsets[key.start];
            let end = self.offsets[value.end.max(key.end) - 1] + 1;
            Setting {
                key: logical[key.clone()].to_owned(),
                raw_value: logical[value].to_owned(),
                legacy,
                span: start..end,
                line: text[..start].matches('\n').count() + 1,
            }
        };

        if !args[first.clone()].contains('=') {
            // `ENV KEY value`: the value is the rest of the instruction.
            let key_end = args.find(char::is_whitespace).unwrap_or(args.len());
            let value_start = args.len() - args[key_end..].trim_start().len();
            return vec![setting(0..key_end, value_start..args.len(), true)];
        }
        words
            .into_iter()
            .filter_map(|word| {
                let eq = args[word.clone()].find('=')?;
                let key = word.start..word.start + eq;
                (!key.is_empty()).then(|| setting(key, word.start + eq + 1..word.end, false))
            })
            .collect()
    }
}

/// Comment or blank lines inside the `\` continuation of the setting at `span`.
fn comments_inside(text: &str, span: &Range<usize>) -> bool {
    text[span.clone()]
        .split('\n')
        .skip(1)
        .any(is_blank_or_comment)
}

/// The text before a trailing `\` (BuildKit allows spaces after it), or `None` for a last line.
fn continued(line: &str) -> Option<&str> {
    line.trim_end_matches([' ', '\t']).strip_suffix('\\')
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Words split on unquoted whitespace, as BuildKit splits `ENV` arguments; quotes and escapes stay.
fn shell_words(s: &str) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if start.is_none() {
            if c.is_whitespace() {
                continue;
            }
            start = Some(i);
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(_) => {}
            None if c.is_whitespace() => {
                words.push(start.take().expect("inside a word")..i);
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '\\' => {
                chars.next();
            }
            None => {}
        }
    }
    if let Some(start) = start {
        words.push(start..s.len());
    }
    words
}

/// The value a shell word stands for: quotes removed, escapes resolved, `$VARS` left as written.
fn unquote(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$')) => {
                            out.extend(chars.next());
                        }
                        c => out.push(c),
                    }
                }
            }
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Escape a value for the inside of `"..."`.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The text between `q` and `q` when `raw` is one quoted string, nothing before or after.
fn quoted_inner(raw: &str, q: char) -> Option<&str> {
    let inner = raw.strip_prefix(q)?.strip_suffix(q)?;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == q {
            return None;
        }
        if q == '"' && c == '\\' {
            chars.next();
        }
    }
    // A trailing `\` would have escaped the closing quote.
    let escapes_quote = q == '"' && inner.ends_with('\\') && {
        let backslashes = inner.chars().rev().take_while(|&c| c == '\\').count();
        backslashes % 2 == 1
    };
    (!escapes_quote).then_some(inner)
}

/// A value written in the `KEY="value"` form: as it was when already quoted, else double-quoted.
fn requoted(raw: &str) -> String {
    if quoted_inner(raw, '"').is_some() || quoted_inner(raw, '\'').is_some() {
        raw.to_owned()
    } else {
        format!("\"{}\"", escape(&unquote(raw)))
    }
}

/// `raw` with `-proto_dist inet6_tcp` after its flags, keeping its quoting where it can.
fn with_flag(raw: &str) -> String {
    if unquote(raw).trim().is_empty() {
        return format!("\"{PROTO_DIST_FLAG}\"");
    }
    // A value ending in `-proto_dist` with no carrier gets the carrier, not a second flag (which the
    // next run would read as the carrier `-proto_dist`).
    let flag = if unquote(raw).split_whitespace().last() == Some(PROTO_DIST) {
        "inet6_tcp"
    } else {
        PROTO_DIST_FLAG
    };
    for q in ['"', '\''] {
        if let Some(inner) = quoted_inner(raw, q) {
            return format!("{q}{} {flag}{q}", inner.trim_end());
        }
    }
    format!("\"{} {flag}\"", escape(unquote(raw).trim_end()))
}

#[derive(Debug, PartialEq, Eq)]
enum ProtoDist {
    /// `-proto_dist inet6_tcp`, or another IPv6 carrier such as `inet6_tls`.
    Ipv6,
    Missing,
    /// The first carrier that is not IPv6, e.g. `inet_tcp`.
    Other(String),
}

fn proto_dist(flags: &str) -> ProtoDist {
    let words: Vec<&str> = flags.split_whitespace().collect();
    let carriers: Vec<&str> = words
        .windows(2)
        .filter(|w| w[0] == PROTO_DIST)
        .map(|w| w[1])
        .collect();
    match carriers.iter().find(|c| !c.starts_with("inet6_")) {
        _ if carriers.is_empty() => ProtoDist::Missing,
        Some(other) => ProtoDist::Other((*other).to_owned()),
        None => ProtoDist::Ipv6,
    }
}

/// `flags` with `-proto_dist inet6_tcp` once, where the first `-proto_dist` was (for `--force`):
/// every `-proto_dist` goes, with the carrier after it if there is one, and erl gets the flag once.
/// Setting each carrier in place was not idempotent: `-proto_dist -proto_dist inet_tcp` became
/// `-proto_dist -proto_dist inet6_tcp`, which the next run read as the carrier `-proto_dist`.
fn replace_proto_dist(flags: &str) -> String {
    let words: Vec<&str> = flags.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len() + 1);
    let mut placed = false;
    let mut i = 0;
    while i < words.len() {
        if words[i] != PROTO_DIST {
            out.push(words[i]);
            i += 1;
            continue;
        }
        i += 1;
        if words
            .get(i)
            .is_some_and(|carrier| !carrier.starts_with('-'))
        {
            i += 1;
        }
        if !placed {
            out.extend([PROTO_DIST, "inet6_tcp"]);
            placed = true;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

    /// The runner stage of `mix phx.gen.release --docker` (Phoenix 1.7), builder stage shortened.
    const PHX_GEN_RELEASE: &str = r#"ARG ELIXIR_VERSION=1.16.2
ARG OTP_VERSION=26.2.5
ARG DEBIAN_VERSION=bullseye-20240513-slim

ARG BUILDER_IMAGE="hexpm/elixir:${ELIXIR_VERSION}-erlang-${OTP_VERSION}-debian-${DEBIAN_VERSION}"
ARG RUNNER_IMAGE="debian:${DEBIAN_VERSION}"

FROM ${BUILDER_IMAGE} as builder

# install build dependencies
RUN apt-get update -y && apt-get install -y build-essential git \
    && apt-get clean && rm -f /var/lib/apt/lists/*_*

# prepare build dir
WORKDIR /app

# install hex + rebar
RUN mix local.hex --force && \
    mix local.rebar --force

# set build ENV
ENV MIX_ENV="prod"

COPY mix.exs mix.lock ./
RUN mix deps.get --only $MIX_ENV
COPY lib lib
RUN mix compile
COPY rel rel
RUN mix release

# start a new build stage so that the final image will only contain
# the compiled release and other runtime necessities
FROM ${RUNNER_IMAGE}

RUN apt-get update -y && \
  apt-get install -y libstdc++6 openssl libncurses5 locales ca-certificates \
  && apt-get clean && rm -f /var/lib/apt/lists/*_*

# Set the locale
RUN sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen

ENV LANG en_US.UTF-8
ENV LANGUAGE en_US:en
ENV LC_ALL en_US.UTF-8

WORKDIR "/app"
RUN chown nobody /app

# set runner ENV
ENV MIX_ENV="prod"

# Only copy the final release from the build stage
COPY --from=builder --chown=nobody:root /app/_build/${MIX_ENV}/rel/hello_elixir ./

USER nobody

# If using an environment that doesn't automatically reap zombie processes, it is
# advised to add an init process such as tini via `apt-get install`
# above and adding an entrypoint. See https://github.com/krallin/tini for details
# ENTRYPOINT ["/tini", "--"]

CMD ["/app/bin/server"]
"#;

    const COMMENT: &str =
        "# Fly's private network is IPv6: Ecto and Erlang distribution must connect over IPv6\n";
    const ECTO_LINE: &str = "ENV ECTO_IPV6=\"true\"\n";
    const AFLAGS_LINE: &str = "ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";

    fn both_lines() -> String {
        format!("{COMMENT}{ECTO_LINE}{AFLAGS_LINE}")
    }

    fn path() -> &'static Path {
        Path::new("Dockerfile")
    }

    fn forced() -> EditCtx {
        EditCtx {
            force: true,
            ..test_ctx()
        }
    }

    fn plan_with(ctx: &EditCtx, before: &str) -> Edited {
        plan(ctx, path(), Some(before)).expect("plans")
    }

    /// The new text, after checking that planning it again changes nothing.
    fn written(ctx: &EditCtx, before: &str) -> (String, Vec<String>) {
        let edited = plan_with(ctx, before);
        let Outcome::Write(after) = edited.outcome else {
            panic!("expected a write, got {:?}", edited.outcome);
        };
        let again = plan_with(ctx, &after);
        assert_eq!(again.outcome, Outcome::Unchanged, "second run on:\n{after}");
        (after, crate::plan::texts(&edited.warnings))
    }

    fn unchanged(ctx: &EditCtx, before: &str) -> Vec<String> {
        let edited = plan_with(ctx, before);
        assert_eq!(edited.outcome, Outcome::Unchanged);
        crate::plan::texts(&edited.warnings)
    }

    #[test]
    fn phx_gen_release_dockerfile_gets_both_before_user() {
        let (after, warnings) = written(&test_ctx(), PHX_GEN_RELEASE);
        let expected = PHX_GEN_RELEASE.replace(
            "./\n\nUSER nobody\n",
            &format!("./\n\n{}\nUSER nobody\n", both_lines()),
        );
        assert_eq!(after, expected);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn comments_right_above_user_stay_with_it() {
        let before = "FROM debian\nCOPY a b\n# drop root\n# for safety\nUSER nobody\nCMD [\"x\"]\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(
            after,
            format!(
                "FROM debian\nCOPY a b\n\n{}\n# drop root\n# for safety\nUSER nobody\nCMD [\"x\"]\n",
                both_lines()
            )
        );
    }

    #[test]
    fn entrypoint_or_cmd_without_user() {
        let before = "FROM debian\nWORKDIR /app\n\nENTRYPOINT [\"/tini\", \"--\"]\nCMD [\"/app/bin/server\"]\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(
            after,
            format!(
                "FROM debian\nWORKDIR /app\n\n{}\nENTRYPOINT [\"/tini\", \"--\"]\nCMD [\"/app/bin/server\"]\n",
                both_lines()
            )
        );
    }

    #[test]
    fn final_stage_without_user_or_cmd_gets_them_at_the_end() {
        let before = "FROM elixir AS build\nRUN mix release\nCMD [\"iex\"]\n\nFROM debian\nCOPY --from=build /app/_build/prod/rel/hello_elixir /app\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(after, format!("{before}\n{}", both_lines()));

        let ends_blank = "FROM debian\nCOPY a b\n\n";
        let (after, _) = written(&test_ctx(), ends_blank);
        assert_eq!(after, format!("{ends_blank}{}", both_lines()));
    }

    #[test]
    fn settings_only_in_the_builder_stage_are_added_to_the_final_stage() {
        let before = "FROM elixir AS builder\nENV ECTO_IPV6=\"true\" ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nRUN mix release\n\nFROM debian\nCMD [\"/app/bin/server\"]\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(
            after,
            format!(
                "FROM elixir AS builder\nENV ECTO_IPV6=\"true\" ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nRUN mix release\n\nFROM debian\n\n{}\nCMD [\"/app/bin/server\"]\n",
                both_lines()
            )
        );
    }

    #[test]
    fn settings_of_the_stage_the_final_stage_is_built_from_count() {
        let before = "FROM debian AS base\nENV ECTO_IPV6=true ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n\nFROM elixir AS build\nRUN mix release\n\nFROM base\nCMD [\"/app/bin/server\"]\n";
        assert!(unchanged(&test_ctx(), before).is_empty());
    }

    /// flyctl appended these until mid-2023 (FLY-SETUPS.md, generation 2): they are right, but
    /// BuildKit warns about the form, so each is rewritten in place, never set a second time.
    #[test]
    fn legacy_lines_appended_by_flyctl_are_rewritten_in_place() {
        let before = format!(
            "{PHX_GEN_RELEASE}\n# Appended by flyctl\nENV ECTO_IPV6 true\nENV ERL_AFLAGS \"-proto_dist inet6_tcp\"\n"
        );
        let (after, warnings) = written(&test_ctx(), &before);
        assert_eq!(
            after,
            format!("{PHX_GEN_RELEASE}\n# Appended by flyctl\n{ECTO_LINE}{AFLAGS_LINE}")
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn one_legacy_setting_and_one_missing() {
        let before = "FROM debian\nENV ECTO_IPV6 true\nCMD [\"x\"]\n";
        let (after, warnings) = written(&test_ctx(), before);
        assert_eq!(
            after,
            format!("FROM debian\n{ECTO_LINE}\n{COMMENT}{AFLAGS_LINE}\nCMD [\"x\"]\n")
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    /// A legacy value over `\` lines is joined onto one line as BuildKit joins it; with a comment
    /// line inside, rewriting would drop the comment, so the line stays with the warning.
    #[test]
    fn legacy_value_continued_over_lines() {
        let before =
            "FROM debian\nENV ERL_AFLAGS \\\n  \"-proto_dist inet6_tcp\"\nENV ECTO_IPV6=true\n";
        let (after, warnings) = written(&test_ctx(), before);
        assert_eq!(
            after,
            "FROM debian\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nENV ECTO_IPV6=true\n"
        );
        assert!(warnings.is_empty(), "{warnings:?}");

        let with_comment = "FROM debian\nENV ERL_AFLAGS \\\n  # IPv6\n  \"-proto_dist inet6_tcp\"\nENV ECTO_IPV6=true\n";
        let warnings = unchanged(&test_ctx(), with_comment);
        assert_eq!(
            warnings,
            [
                "`Dockerfile` line 2: `ENV ERL_AFLAGS \"-proto_dist inet6_tcp\"` uses the legacy \
                 `ENV key value` form, which BuildKit warns about (LegacyKeyValueFormat); write it as \
                 `ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"`"
            ]
        );
    }

    #[test]
    fn multi_key_line_gets_only_its_erl_aflags_rewritten() {
        let before =
            "FROM debian\nENV A=1 ERL_AFLAGS='+pc unicode' B=\"2 3\" ECTO_IPV6=1\nCMD [\"x\"]\n";
        let (after, warnings) = written(&test_ctx(), before);
        assert_eq!(
            after,
            "FROM debian\nENV A=1 ERL_AFLAGS='+pc unicode -proto_dist inet6_tcp' B=\"2 3\" ECTO_IPV6=1\nCMD [\"x\"]\n"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn continuation_lines_with_a_comment_inside() {
        let before = "FROM debian\nENV LANG=C.UTF-8 \\\n    # IPv6 for Ecto\n    ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"+pc unicode\" \\\n    MIX_ENV=prod\nUSER nobody\n";
        let (after, warnings) = written(&test_ctx(), before);
        assert_eq!(
            after,
            "FROM debian\nENV LANG=C.UTF-8 \\\n    # IPv6 for Ecto\n    ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"+pc unicode -proto_dist inet6_tcp\" \\\n    MIX_ENV=prod\nUSER nobody\n"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn erl_aflags_with_other_flags_keeps_them() {
        for (setting, fixed) in [
            (
                "ENV ERL_AFLAGS=\"-kernel shell_history enabled\"",
                "ENV ERL_AFLAGS=\"-kernel shell_history enabled -proto_dist inet6_tcp\"",
            ),
            (
                "ENV ERL_AFLAGS=+pc",
                "ENV ERL_AFLAGS=\"+pc -proto_dist inet6_tcp\"",
            ),
            (
                "ENV ERL_AFLAGS=\"\"",
                "ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"",
            ),
            (
                "ENV ERL_AFLAGS -kernel shell_history enabled",
                "ENV ERL_AFLAGS=\"-kernel shell_history enabled -proto_dist inet6_tcp\"",
            ),
            (
                "ENV ERL_AFLAGS \"+pc unicode\"",
                "ENV ERL_AFLAGS=\"+pc unicode -proto_dist inet6_tcp\"",
            ),
            (
                "env ERL_AFLAGS=\"$ERL_AFLAGS +pc\"",
                "env ERL_AFLAGS=\"$ERL_AFLAGS +pc -proto_dist inet6_tcp\"",
            ),
            (
                "ENV ERL_AFLAGS=+pc\\ unicode",
                "ENV ERL_AFLAGS=\"+pc unicode -proto_dist inet6_tcp\"",
            ),
        ] {
            let before = format!("FROM debian\nENV ECTO_IPV6=\"true\"\n{setting}\nCMD [\"x\"]\n");
            let (after, warnings) = written(&test_ctx(), &before);
            assert_eq!(
                after,
                format!("FROM debian\nENV ECTO_IPV6=\"true\"\n{fixed}\nCMD [\"x\"]\n")
            );
            assert!(warnings.is_empty(), "{warnings:?}");
        }
    }

    #[test]
    fn erl_aflags_with_another_carrier_is_a_conflict_unless_forced() {
        let before = "FROM debian\nENV ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"-proto_dist inet_tcp +pc unicode\"\nCMD [\"x\"]\n";
        let warnings = unchanged(&test_ctx(), before);
        assert_eq!(
            warnings,
            [
                "`Dockerfile` line 3: `ERL_AFLAGS` sets `-proto_dist inet_tcp`, but Erlang \
              distribution must use `-proto_dist inet6_tcp` on Fly's private network; left as is \
              (run with `--force` to replace it)"
            ]
        );
        let (after, _) = written(&forced(), before);
        assert_eq!(
            after,
            "FROM debian\nENV ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"-proto_dist inet6_tcp +pc unicode\"\nCMD [\"x\"]\n"
        );
    }

    #[test]
    fn ipv6_tls_distribution_is_accepted() {
        let before = "FROM debian\nENV ECTO_IPV6=true ERL_AFLAGS=\"-proto_dist inet6_tls -ssl_dist_optfile /app/ssl.conf\"\n";
        assert!(unchanged(&test_ctx(), before).is_empty());
    }

    #[test]
    fn ecto_ipv6_false_is_a_conflict_left_alone() {
        let before = "FROM debian\nENV ECTO_IPV6=false\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nUSER nobody\n";
        let warnings = unchanged(&test_ctx(), before);
        assert_eq!(
            warnings,
            [
                "`Dockerfile` line 2: `ECTO_IPV6` is `false` in the final stage, but Ecto must connect \
              over IPv6 on Fly's private network (`\"true\"`); left as is (run with `--force` to \
              replace it)"
            ]
        );
    }

    #[test]
    fn ecto_ipv6_false_is_replaced_with_force() {
        let before = "FROM debian\nENV MIX_ENV=prod ECTO_IPV6=\"false\" PORT=4000\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nUSER nobody\n";
        let (after, warnings) = written(&forced(), before);
        assert_eq!(
            after,
            "FROM debian\nENV MIX_ENV=prod ECTO_IPV6=\"true\" PORT=4000\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nUSER nobody\n"
        );
        assert!(warnings.is_empty(), "{warnings:?}");

        let legacy = "FROM debian\nENV ECTO_IPV6 false\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
        let (after, _) = written(&forced(), legacy);
        assert_eq!(
            after,
            "FROM debian\nENV ECTO_IPV6=\"true\"\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n"
        );
    }

    #[test]
    fn the_last_setting_in_the_stage_wins() {
        let before = "FROM debian\nENV ECTO_IPV6=false\nENV ECTO_IPV6=true\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
        assert!(unchanged(&test_ctx(), before).is_empty());
    }

    #[test]
    fn lower_case_instructions_are_instructions() {
        let before = "from debian as runner\nenv ECTO_IPV6=\"true\"\nuser nobody\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(
            after,
            format!(
                "from debian as runner\nenv ECTO_IPV6=\"true\"\n\n{COMMENT}{AFLAGS_LINE}\nuser nobody\n"
            )
        );
    }

    #[test]
    fn a_commented_out_setting_does_not_count() {
        let before =
            "FROM debian\n# ENV ECTO_IPV6=\"true\"\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
        let (after, _) = written(&test_ctx(), before);
        assert_eq!(after, format!("{before}\n{COMMENT}{ECTO_LINE}"));
    }

    fn on(database: Database) -> EditCtx {
        EditCtx {
            database,
            ..test_ctx()
        }
    }

    const ERL_ONLY: &str =
        "# Fly's private network is IPv6: Erlang distribution must connect over IPv6\n";

    #[test]
    fn a_database_outside_fly_gets_no_ecto_ipv6() {
        for database in [Database::External, Database::None] {
            let (after, warnings) = written(&on(database), PHX_GEN_RELEASE);
            let expected = PHX_GEN_RELEASE.replace(
                "./\n\nUSER nobody\n",
                &format!("./\n\n{ERL_ONLY}{AFLAGS_LINE}\nUSER nobody\n"),
            );
            assert_eq!(after, expected, "{database:?}");
            assert!(warnings.is_empty(), "{warnings:?}");
        }
    }

    #[test]
    fn an_external_database_takes_an_ecto_ipv6_that_turns_ipv6_on_out_of_the_image() {
        // What flycluster wrote for a database on Fly, run again with `--database external`.
        let before = format!("FROM debian\nCOPY a b\n\n{}\nUSER nobody\n", both_lines());
        let (after, warnings) = written(&on(Database::External), &before);
        assert_eq!(
            after,
            format!("FROM debian\nCOPY a b\n\n{ERL_ONLY}{AFLAGS_LINE}\nUSER nobody\n")
        );
        assert_eq!(
            warnings,
            [
                "`Dockerfile` line 5: `ECTO_IPV6` taken out of the final stage: the database is outside \
              Fly (`--database external`), and with ECTO_IPV6 Postgrex asks only for IPv6 addresses, \
              so an IPv4-only host fails with `:nxdomain`"
            ]
        );
        for (before, expected) in [
            (
                "FROM debian\nENV A=1 ECTO_IPV6=1 B=2\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
                "FROM debian\nENV A=1 B=2\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
            ),
            (
                "FROM debian\nENV A=1 \\\n    ECTO_IPV6=\"true\" \\\n    ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
                "FROM debian\nENV A=1 \\\n    ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
            ),
            (
                "FROM debian AS base\nENV ECTO_IPV6 true\n\nFROM base\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
                "FROM debian AS base\n\nFROM base\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n",
            ),
        ] {
            let (after, warnings) = written(&on(Database::External), before);
            assert_eq!(after, expected);
            assert_eq!(warnings.len(), 1, "{warnings:?}");
        }
    }

    #[test]
    fn ecto_ipv6_that_turns_ipv6_off_stays_for_a_database_elsewhere() {
        let before = "FROM debian\nENV ECTO_IPV6=false\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nUSER nobody\n";
        for database in [Database::External, Database::None] {
            assert!(unchanged(&on(database), before).is_empty(), "{database:?}");
        }
        // A builder stage's setting is not in the image: nothing to take out.
        let builder = "FROM elixir AS build\nENV ECTO_IPV6=true\n\nFROM debian\nENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n";
        assert!(unchanged(&on(Database::External), builder).is_empty());
    }

    #[test]
    fn no_from_is_an_error_naming_the_file() {
        let err = plan(&test_ctx(), path(), Some("RUN echo hi\nCMD [\"x\"]\n")).unwrap_err();
        assert!(
            matches!(&err, Error::Input { path, line: None, .. } if path == Path::new("Dockerfile"))
        );
        assert!(
            err.to_string()
                .starts_with("`Dockerfile`: no `FROM` instruction"),
            "{err}"
        );
        assert!(err.help().is_some());
    }

    #[test]
    fn file_ending_inside_a_continuation_is_an_error() {
        let before = "FROM debian\nRUN apt-get update && \\\n";
        let err = plan(&test_ctx(), path(), Some(before)).unwrap_err();
        assert!(matches!(err, Error::Input { line: Some(2), .. }), "{err:?}");
    }

    #[test]
    fn missing_dockerfile_is_skipped_with_a_note() {
        let edited = plan(&test_ctx(), path(), None).unwrap();
        let Outcome::Skip(note) = edited.outcome else {
            panic!("expected a skip, got {:?}", edited.outcome);
        };
        assert!(note.contains("mix phx.gen.release --docker"), "{note}");
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let s = r#"A=1 B="2 3" C='x y' D=a\ b E="q\"uote d""#;
        let words: Vec<&str> = shell_words(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(
            words,
            [
                "A=1",
                "B=\"2 3\"",
                "C='x y'",
                "D=a\\ b",
                "E=\"q\\\"uote d\""
            ]
        );
    }

    #[test]
    fn unquote_resolves_quotes_like_buildkit() {
        assert_eq!(
            unquote("\"-proto_dist inet6_tcp\""),
            "-proto_dist inet6_tcp"
        );
        assert_eq!(unquote("'$HOME'"), "$HOME");
        assert_eq!(unquote(r#""a\"b\\c\d""#), r#"a"b\c\d"#);
        assert_eq!(unquote(r"a\ b"), "a b");
        assert_eq!(unquote("tr\"u\"e"), "true");
    }

    #[test]
    fn proto_dist_carriers() {
        assert_eq!(proto_dist("-proto_dist inet6_tcp"), ProtoDist::Ipv6);
        assert_eq!(proto_dist("+pc unicode"), ProtoDist::Missing);
        assert_eq!(
            proto_dist("-proto_dist inet_tcp"),
            ProtoDist::Other("inet_tcp".into())
        );
        assert_eq!(proto_dist("-proto_dist"), ProtoDist::Missing);
    }
}
