//! Writing the accepted part of a plan: refuse if any file changed since it was read, write each file
//! atomically (temporary file in the same folder, fsync, rename) with its mode, and put back every file
//! already written if a later write fails.

use crate::error::{Error, Result};
use crate::plan::FileChange;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `changes` (each must have `after_bytes`). On success, the paths written.
pub fn apply(changes: &[&FileChange]) -> Result<Vec<PathBuf>> {
    apply_with(changes, &mut write_atomic)
}

/// Writes one file: path, bytes, mode.
pub type WriteFile<'a> = dyn FnMut(&Path, &[u8], u32) -> std::io::Result<()> + 'a;

/// `apply` with the single-file writer passed in, so tests can make a write fail.
pub fn apply_with(changes: &[&FileChange], write: &mut WriteFile<'_>) -> Result<Vec<PathBuf>> {
    for change in changes {
        ensure_unchanged(change)?;
    }
    let fail_at = injected_failure();
    let mut written: Vec<&FileChange> = Vec::new();
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let bytes = change
            .after_bytes
            .as_deref()
            .expect("apply is only given changes that write");
        let mode = change.original.as_ref().map_or(change.new_mode, |o| o.mode);
        let result = create_parent(&change.abs, &mut created_dirs).and_then(|()| {
            if fail_at == Some(i + 1) {
                return Err(std::io::Error::other(
                    "injected failure (FLYCLUSTER_FAIL_WRITE)",
                ));
            }
            write(&change.abs, bytes, mode)
        });
        if let Err(source) = result {
            let restored = restore(&written, &created_dirs);
            return Err(Error::WriteFailed {
                path: change.path.clone().into(),
                source,
                restored,
            });
        }
        written.push(change);
    }
    Ok(written.iter().map(|c| PathBuf::from(&c.path)).collect())
}

/// Debug builds honour `FLYCLUSTER_FAIL_WRITE=N` (fail the Nth write) so the CLI tests can prove
/// the rollback; release builds never read it.
fn injected_failure() -> Option<usize> {
    if cfg!(debug_assertions) {
        std::env::var("FLYCLUSTER_FAIL_WRITE").ok()?.parse().ok()
    } else {
        None
    }
}

/// The file must still be what was read (or still absent).
fn ensure_unchanged(change: &FileChange) -> Result<()> {
    let stale = || Error::Stale {
        path: change.path.clone().into(),
    };
    match (&change.original, std::fs::read(&change.abs)) {
        (Some(o), Ok(now)) if now == o.bytes => Ok(()),
        (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => Err(stale()),
    }
}

fn create_parent(path: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    let mut missing = Vec::new();
    let mut dir = parent;
    while !dir.exists() {
        missing.push(dir.to_path_buf());
        match dir.parent() {
            Some(p) => dir = p,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        std::fs::create_dir(&dir)?;
        created.push(dir);
    }
    Ok(())
}

/// Put back the originals of written files, remove created ones and the folders made for them.
fn restore(written: &[&FileChange], created_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut restored = Vec::new();
    for change in written.iter().rev() {
        let ok = match &change.original {
            Some(o) => write_atomic(&change.abs, &o.bytes, o.mode).is_ok(),
            None => std::fs::remove_file(&change.abs).is_ok(),
        };
        if ok {
            restored.push(PathBuf::from(&change.path));
        }
    }
    for dir in created_dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
    restored.reverse();
    restored
}

/// Temporary file in the same folder, mode set, fsync, rename over the target.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".flycluster-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    set_mode(tmp.as_file(), mode)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Kind, Original};
    use crate::textfile::TextFile;

    fn change(dir: &Path, name: &str, before: Option<&str>, after: &str) -> FileChange {
        let abs = dir.join(name);
        let original = before.map(|b| {
            std::fs::write(&abs, b).unwrap();
            Original {
                bytes: b.as_bytes().to_vec(),
                format: TextFile::decode(&abs, b.as_bytes()).unwrap(),
                mode: 0o644,
            }
        });
        FileChange {
            kind: Kind::Runtime,
            path: name.into(),
            abs,
            action: if before.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            original,
            before_text: before.unwrap_or("").into(),
            after_text: after.into(),
            after_bytes: Some(after.as_bytes().to_vec()),
            new_mode: 0o755,
            note: None,
        }
    }

    #[test]
    fn the_third_write_failing_puts_every_file_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = change(dir.path(), "a", Some("a0"), "a1");
        let b = change(dir.path(), "sub/b", None, "b1");
        let c = change(dir.path(), "c", Some("c0"), "c1");
        let d = change(dir.path(), "d", Some("d0"), "d1");
        let mut n = 0;
        let err = apply_with(&[&a, &b, &c, &d], &mut |p, bytes, mode| {
            n += 1;
            if n == 3 {
                return Err(std::io::Error::other("disk full"));
            }
            write_atomic(p, bytes, mode)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not write `c`: disk full; restored `a`, `sub/b`"
        );
        assert_eq!(std::fs::read_to_string(dir.path().join("a")).unwrap(), "a0");
        assert!(!dir.path().join("sub").exists());
        assert_eq!(std::fs::read_to_string(dir.path().join("c")).unwrap(), "c0");
        assert_eq!(std::fs::read_to_string(dir.path().join("d")).unwrap(), "d0");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".flycluster-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_file_changed_since_it_was_read_stops_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let a = change(dir.path(), "a", Some("a0"), "a1");
        let b = change(dir.path(), "b", Some("b0"), "b1");
        std::fs::write(dir.path().join("b"), "edited meanwhile").unwrap();
        let err = apply(&[&a, &b]).unwrap_err();
        assert!(matches!(err, Error::Stale { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("a")).unwrap(), "a0");
    }

    #[cfg(unix)]
    #[test]
    fn created_files_get_their_mode_and_existing_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut a = change(dir.path(), "a", Some("a0"), "a1");
        std::fs::set_permissions(dir.path().join("a"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
        a.original.as_mut().unwrap().mode = 0o600;
        let b = change(dir.path(), "rel/env.sh.eex", None, "b1");
        apply(&[&a, &b]).unwrap();
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("a"), 0o600);
        assert_eq!(mode("rel/env.sh.eex"), 0o755);
    }
}
