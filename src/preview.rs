//! Unified, git-style diffs of planned changes; colour is decided by the caller at print time.

use crate::plan::FileChange;

/// The unified diff of one change (empty when nothing changes).
pub fn unified_diff(change: &FileChange) -> String {
    if change.before_text == change.after_text {
        return String::new();
    }
    let old_name = if change.original.is_some() {
        format!("a/{}", change.path)
    } else {
        "/dev/null".to_string()
    };
    let new_name = format!("b/{}", change.path);
    let diff = similar::TextDiff::from_lines(&change.before_text, &change.after_text);
    diff.unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string()
}

/// How many lines a diff adds or removes.
pub fn changed_lines(diff: &str) -> usize {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') && !l.starts_with("+++"))
                || (l.starts_with('-') && !l.starts_with("---"))
        })
        .count()
}

/// ANSI colours for a diff: headers bold, hunks cyan, removals red, additions green.
pub fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let code = if body.starts_with("+++") || body.starts_with("---") {
            "1"
        } else if body.starts_with("@@") {
            "36"
        } else if body.starts_with('+') {
            "32"
        } else if body.starts_with('-') {
            "31"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m{nl}"));
        }
    }
    out
}
