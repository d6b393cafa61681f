//! Reading a user's file into the form editors work on (LF, no BOM, final newline) and putting every
//! byte convention back on the way out: line endings per line, byte-order mark, final-newline state.

use crate::error::{Error, Result};
use std::path::Path;

const BOM: &str = "\u{feff}";

/// How a file's text was stored, so an edited version can be stored the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    /// The editing form: `\n` line endings, no BOM, always ends in `\n` unless empty.
    pub text: String,
    /// The ending each line of `text` had on disk (`"\n"` or `"\r\n"`); one entry a line.
    endings: Vec<&'static str>,
    pub bom: bool,
    pub final_newline: bool,
    /// The ending new lines get: the file's majority ending.
    pub new_line_ending: &'static str,
    /// Both endings occur in the file.
    pub mixed_endings: bool,
}

impl TextFile {
    /// Decode bytes read from `path`. Not UTF-8 is an error naming the line of the first bad byte.
    pub fn decode(path: &Path, raw: &[u8]) -> Result<TextFile> {
        let s = match std::str::from_utf8(raw) {
            Ok(s) => s,
            Err(e) => {
                let line = raw[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                return Err(
                    Error::input(path, Some(line), "is not valid UTF-8 text").with_help(
                        "flycluster edits UTF-8 text files only; convert the file and run again",
                    ),
                );
            }
        };
        let (bom, s) = match s.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut text = String::with_capacity(s.len() + 1);
        let mut endings = Vec::new();
        let mut crlf = 0usize;
        let mut lf = 0usize;
        let mut rest = s;
        let mut final_newline = true;
        while !rest.is_empty() {
            match rest.find('\n') {
                Some(i) => {
                    let line = &rest[..i];
                    if let Some(body) = line.strip_suffix('\r') {
                        text.push_str(body);
                        endings.push("\r\n");
                        crlf += 1;
                    } else {
                        text.push_str(line);
                        endings.push("\n");
                        lf += 1;
                    }
                    text.push('\n');
                    rest = &rest[i + 1..];
                }
                None => {
                    text.push_str(rest);
                    text.push('\n');
                    endings.push("\n");
                    final_newline = false;
                    rest = "";
                }
            }
        }
        if s.is_empty() {
            final_newline = true;
        }
        let new_line_ending = if crlf > lf { "\r\n" } else { "\n" };
        if !final_newline {
            // The last line has no ending of its own; new lines after it take the majority one.
            if let Some(last) = endings.last_mut() {
                *last = new_line_ending;
            }
        }
        Ok(TextFile {
            text,
            endings,
            bom,
            final_newline,
            new_line_ending,
            mixed_endings: crlf > 0 && lf > 0,
        })
    }

    /// A new file's conventions: LF, no BOM, final newline.
    pub fn new_file() -> TextFile {
        TextFile {
            text: String::new(),
            endings: Vec::new(),
            bom: false,
            final_newline: true,
            new_line_ending: "\n",
            mixed_endings: false,
        }
    }

    /// Store `edited` (editing form) with this file's conventions. Lines that are unchanged keep the
    /// ending they had; inserted lines get the majority ending.
    pub fn encode(&self, edited: &str) -> Vec<u8> {
        let mut edited = edited.to_string();
        if !edited.is_empty() && !edited.ends_with('\n') {
            edited.push('\n');
        }
        let old_lines: Vec<&str> = self.text.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = edited.split_inclusive('\n').collect();
        let mut out = String::with_capacity(edited.len() + 16);
        if self.bom {
            out.push_str(BOM);
        }
        let diff = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
        // The ending written after the last line, which a file without a final newline drops.
        let mut last_ending = "";
        for op in diff {
            for change in op.iter_changes(&old_lines, &new_lines) {
                let (tag, line) = (change.tag(), change.value());
                let body = line.strip_suffix('\n').unwrap_or(line);
                let ending = match tag {
                    similar::ChangeTag::Delete => continue,
                    similar::ChangeTag::Equal => self
                        .endings
                        .get(change.old_index().unwrap_or(0))
                        .copied()
                        .unwrap_or(self.new_line_ending),
                    similar::ChangeTag::Insert => self.new_line_ending,
                };
                out.push_str(body);
                out.push_str(ending);
                last_ending = ending;
            }
        }
        if !self.final_newline {
            // The last line has no ending, whichever one it had when another line followed it.
            // Only that ending goes: a body ending in a lone CR keeps it.
            out.truncate(out.len() - last_ending.len());
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(raw: &str) {
        let f = TextFile::decode(Path::new("x"), raw.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(f.encode(&f.text)).unwrap(), raw);
    }

    #[test]
    fn unchanged_text_gives_back_the_same_bytes() {
        for raw in [
            "",
            "a",
            "a\n",
            // A lone CR after the last line ending is a last line of its own (fuzz `dockerfile`).
            "a\n\r",
            "a\r\nb\n\r",
            "a\r\nb\r\n",
            "a\r\nb",
            "\u{feff}x\ny\n",
            "a\nb\r\nc\n",
            "\n\n",
            "a\r\n\r\n",
        ] {
            roundtrip(raw);
        }
    }

    #[test]
    fn inserted_lines_take_the_majority_ending_and_others_keep_theirs() {
        let f = TextFile::decode(Path::new("x"), b"a\r\nb\nc\r\n").unwrap();
        assert!(f.mixed_endings);
        assert_eq!(f.text, "a\nb\nc\n");
        let out = f.encode("a\nnew\nb\nc\n");
        assert_eq!(out, b"a\r\nnew\r\nb\nc\r\n");
    }

    #[test]
    fn missing_final_newline_stays_missing() {
        let f = TextFile::decode(Path::new("x"), b"a\nb").unwrap();
        assert!(!f.final_newline);
        assert_eq!(f.encode("a\nb\nc\n"), b"a\nb\nc");
    }

    #[test]
    fn bom_is_kept() {
        let f = TextFile::decode(Path::new("x"), "\u{feff}a\n".as_bytes()).unwrap();
        assert_eq!(f.text, "a\n");
        assert_eq!(f.encode("a\nb\n"), "\u{feff}a\nb\n".as_bytes());
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = TextFile::decode(Path::new("mix.exs"), b"ok\nok\n\xff\n").unwrap_err();
        assert_eq!(err.to_string(), "`mix.exs` line 3: is not valid UTF-8 text");
    }
}
