//! Unified, git-style diffs of planned changes, as plain text: the output styles their lines when it
//! prints them (`output::diff_text`), and JSON carries them as they are.

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
