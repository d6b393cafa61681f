//! Reading the project's files safely: only inside the project root (no symlink leads out), only
//! regular files of a sane size, only UTF-8 text. Every failure names the file.

use crate::error::{Error, Result};
use crate::plan::Original;
use crate::textfile::TextFile;
use std::path::{Path, PathBuf};

/// Files larger than this are not project configuration; refuse rather than load them.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The absolute path of `rel` under `root`, refused when it (or a folder on the way) is a symlink
/// that resolves outside the root. `root` must be canonical.
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let abs = root.join(rel);
    // The deepest part of the path that exists decides where it really leads.
    let mut existing = abs.as_path();
    while std::fs::symlink_metadata(existing).is_err() {
        existing = match existing.parent() {
            Some(p) => p,
            None => break,
        };
    }
    let real = existing
        .canonicalize()
        .map_err(|e| Error::io(existing, "resolve", e))?;
    if !real.starts_with(root) {
        return Err(Error::input(
            rel,
            None,
            format!(
                "leads outside the project (to `{}`); flycluster never reads or writes through it",
                real.display()
            ),
        )
        .with_help("replace the symlink with the file itself, or edit it by hand"));
    }
    Ok(abs)
}

/// Read `rel` under `root`. `Ok(None)` when it does not exist.
pub fn read(root: &Path, rel: &str) -> Result<Option<Original>> {
    let abs = resolve_inside(root, rel)?;
    let meta = match std::fs::metadata(&abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(rel, "read", e)),
    };
    if meta.is_dir() {
        return Err(Error::input(rel, None, "is a directory, expected a file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::input(
            rel,
            None,
            format!(
                "is {} bytes, over the {} byte limit for a configuration file",
                meta.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let bytes = std::fs::read(&abs).map_err(|e| Error::io(rel, "read", e))?;
    let format = TextFile::decode(Path::new(rel), &bytes)?;
    Ok(Some(Original {
        bytes,
        format,
        mode: mode_of(&meta),
    }))
}

#[cfg(unix)]
pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
pub fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o644
}
