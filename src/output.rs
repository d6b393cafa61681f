//! Everything flycluster prints goes through here: which stream human text goes to (stdout, or
//! stderr when stdout carries a JSON document), what `-q` leaves out, and colour, decided when the
//! text is printed from `--color`, `NO_COLOR` and whether that stream is a terminal. Text built
//! elsewhere carries [`Style`]s, never escape codes, so the same text prints plain into a pipe, a
//! JSON document or a test.

use crate::error::Error;
use std::io::{IsTerminal, Write};

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set to something.
    #[default]
    Auto,
    Always,
    Never,
}

/// How a command's output is shown, from `--format`, `--color` and `-q`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// stdout carries one JSON document; human text goes to stderr.
    pub json: bool,
    /// Only what needs attention (errors, warnings, manual steps, a question's diff).
    pub quiet: bool,
    pub color: ColorWhen,
}

/// What a piece of text is, for colour: a label the eye looks for, or a kind of diff line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Error,
    Warning,
    ManualStep,
    /// A doctor or verify finding that holds.
    Ok,
    /// A doctor or verify finding that stops clustering.
    Problem,
    DiffHeader,
    DiffHunk,
    DiffAdded,
    DiffRemoved,
}

impl Style {
    /// The SGR parameters of the style.
    fn sgr(self) -> &'static str {
        match self {
            Style::Error | Style::Problem => "1;31",
            Style::Warning => "1;33",
            Style::ManualStep => "1;35",
            Style::Ok | Style::DiffAdded => "32",
            Style::DiffHeader => "1",
            Style::DiffHunk => "36",
            Style::DiffRemoved => "31",
        }
    }
}

/// Text to print, in pieces that may carry a style.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pieces: Vec<(Option<Style>, String)>,
}

impl Text {
    pub fn new() -> Text {
        Text::default()
    }

    pub fn push(&mut self, text: &str) {
        if !text.is_empty() {
            self.pieces.push((None, text.to_string()));
        }
    }

    pub fn push_styled(&mut self, style: Style, text: &str) {
        if !text.is_empty() {
            self.pieces.push((Some(style), text.to_string()));
        }
    }

    pub fn append(&mut self, other: Text) {
        self.pieces.extend(other.pieces);
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The text with each styled piece between its escape codes, or plain.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for (style, text) in &self.pieces {
            match style {
                Some(style) if color => {
                    out.push_str(&format!("\x1b[{}m{text}\x1b[0m", style.sgr()))
                }
                _ => out.push_str(text),
            }
        }
        out
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        let mut t = Text::new();
        t.push(text);
        t
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::from(text.as_str())
    }
}

/// `label: ` with the label styled (`warning: `, `manual step: `).
pub fn labelled(style: Style, label: &str, rest: &str) -> Text {
    let mut t = Text::new();
    t.push_styled(style, label);
    t.push(": ");
    t.push(rest);
    t
}

/// A unified diff with each line styled by what it is: headers, hunk lines, removals, additions.
/// The line ending stays outside the style, so a pager's line never ends inside an escape code.
pub fn diff_text(diff: &str) -> Text {
    let mut out = Text::new();
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("+++") || body.starts_with("---") {
            Some(Style::DiffHeader)
        } else if body.starts_with("@@") {
            Some(Style::DiffHunk)
        } else if body.starts_with('+') {
            Some(Style::DiffAdded)
        } else if body.starts_with('-') {
            Some(Style::DiffRemoved)
        } else {
            None
        };
        match style {
            Some(style) => {
                out.push_styled(style, body);
                out.push(nl);
            }
            None => out.push(line),
        }
    }
    out
}

/// `error: ...` and its `help:` line.
pub fn error_text(e: &Error) -> Text {
    let mut text = labelled(Style::Error, "error", &format!("{e}\n"));
    if let Some(help) = e.help() {
        text.push(&format!("help: {help}\n"));
    }
    text
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }

    fn write(self, text: &str) {
        // A closed pipe is not worth a panic: the reader has gone.
        match self {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Stream::Stderr => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }
}

/// Where a command's text goes, and how it looks there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    opts: OutputOptions,
}

impl Output {
    pub fn new(opts: OutputOptions) -> Output {
        Output { opts }
    }

    pub fn is_json(&self) -> bool {
        self.opts.json
    }

    pub fn is_quiet(&self) -> bool {
        self.opts.quiet
    }

    /// Colour on `stream`, asked now: `--color` wins, else a terminal without `NO_COLOR`.
    fn color(&self, stream: Stream) -> bool {
        match self.opts.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// Whether text on stderr is coloured, for the prompts, which draw their own.
    pub fn colors_stderr(&self) -> bool {
        self.color(Stream::Stderr)
    }

    /// stdout, unless stdout carries JSON.
    fn human(&self) -> Stream {
        if self.opts.json {
            Stream::Stderr
        } else {
            Stream::Stdout
        }
    }

    fn print(&self, stream: Stream, text: &Text) {
        if !text.is_empty() {
            stream.write(&text.render(self.color(stream)));
        }
    }

    /// Informational text (left out by `-q`).
    pub fn info(&self, text: impl Into<Text>) {
        if !self.opts.quiet {
            self.print(self.human(), &text.into());
        }
    }

    /// A report the command already cut down for `-q` (doctor's and verify's): shown either way.
    pub fn report(&self, text: impl Into<Text>) {
        self.print(self.human(), &text.into());
    }

    /// Text a person must see even with `-q`, on stderr: warnings, manual steps.
    pub fn notice(&self, text: impl Into<Text>) {
        self.print(Stream::Stderr, &text.into());
    }

    /// A diff (left out by `-q`).
    pub fn diff(&self, diff: &str) {
        if !self.opts.quiet {
            self.diff_to_review(diff);
        }
    }

    /// A diff the user is about to be asked about: shown even with `-q`.
    pub fn diff_to_review(&self, diff: &str) {
        self.print(self.human(), &diff_text(diff));
    }

    /// The one JSON document of a run, on stdout.
    pub fn json(&self, doc: &serde_json::Value) {
        let text = serde_json::to_string_pretty(doc).expect("JSON values always serialize");
        Stream::Stdout.write(&format!("{text}\n"));
    }

    /// The error that stopped the run, on stderr.
    pub fn error(&self, e: &Error) {
        self.print(Stream::Stderr, &error_text(e));
    }

    /// A status line on stderr, rewritten in place while work goes on; only on a terminal, where
    /// the next line or [`Output::clear_status`] replaces it.
    pub fn status(&self, line: &str) {
        if Stream::Stderr.is_terminal() {
            Stream::Stderr.write(&format!("\r\x1b[2K{line}"));
        }
    }

    pub fn clear_status(&self) {
        if Stream::Stderr.is_terminal() {
            Stream::Stderr.write("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styled_pieces_are_coloured_only_when_asked() {
        let mut text = labelled(Style::Warning, "warning", "a cookie in fly.toml\n");
        text.push("plain\n");
        assert_eq!(text.render(false), "warning: a cookie in fly.toml\nplain\n");
        assert_eq!(
            text.render(true),
            "\x1b[1;33mwarning\x1b[0m: a cookie in fly.toml\nplain\n"
        );
    }

    #[test]
    fn an_error_is_labelled_and_keeps_its_help_line_plain() {
        let e = Error::usage("unknown kind `x`").with_help("the kinds are env-sh, deps");
        assert_eq!(
            error_text(&e).render(false),
            "error: unknown kind `x`\nhelp: the kinds are env-sh, deps\n"
        );
        assert_eq!(
            error_text(&e).render(true),
            "\x1b[1;31merror\x1b[0m: unknown kind `x`\nhelp: the kinds are env-sh, deps\n"
        );
    }

    #[test]
    fn diff_lines_are_styled_by_kind_with_the_newline_outside() {
        let diff = "--- a/mix.exs\n+++ b/mix.exs\n@@ -1,2 +1,3 @@\n keep\n-old\n+new";
        assert_eq!(diff_text(diff).render(false), diff);
        assert_eq!(
            diff_text(diff).render(true),
            "\x1b[1m--- a/mix.exs\x1b[0m\n\x1b[1m+++ b/mix.exs\x1b[0m\n\x1b[36m@@ -1,2 +1,3 @@\x1b[0m\n keep\n\x1b[31m-old\x1b[0m\n\x1b[32m+new\x1b[0m"
        );
    }
}
