//! Reading the project's files safely: only inside the project root (no symlink leads out), only
//! regular files of a sane size, only UTF-8 text. Every failure names the file.

use crate::error::{Error, Result};
use crate::plan::Original;
use crate::textfile::TextFile;
use std::path::{Path, PathBuf};

/// Files larger than this are not project configuration; refuse rather than load them.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The real path of `rel` under `root`: through any symlink that stays inside the root (so a write
/// replaces the file the link points at and the link itself stays), refused when it (or a folder on
/// the way) is a symlink that resolves outside the root or leads nowhere. `root` must be canonical.
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
    let real = match existing.canonicalize() {
        Ok(real) => real,
        // A symlink whose target is missing: writing would create a file wherever it points.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let target =
                std::fs::read_link(existing).map_err(|_| Error::io(existing, "resolve", e))?;
            let shown = existing.strip_prefix(root).unwrap_or(existing);
            return Err(Error::input(
                shown,
                None,
                format!(
                    "is a symlink to `{}`, which does not exist; flycluster never writes through it",
                    target.display()
                ),
            )
            .with_help("remove the dangling symlink, or point it at the file"));
        }
        Err(e) => return Err(Error::io(existing, "resolve", e)),
    };
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
    let missing = abs
        .strip_prefix(existing)
        .expect("`existing` is `abs` or one of its ancestors");
    Ok(if missing.as_os_str().is_empty() {
        real
    } else {
        real.join(missing)
    })
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
    // A FIFO would block the read forever; a device or socket is no configuration file either.
    if !meta.is_file() {
        return Err(Error::input(
            rel,
            None,
            "is not a regular file (a FIFO, socket or device), expected a file",
        ));
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        (dir, root)
    }

    #[test]
    fn a_symlink_inside_resolves_to_its_target_so_the_link_survives_a_write() {
        let (_dir, root) = root();
        std::fs::create_dir(root.join("docker")).unwrap();
        std::fs::write(root.join("docker/Dockerfile"), "FROM x\n").unwrap();
        std::os::unix::fs::symlink("docker/Dockerfile", root.join("Dockerfile")).unwrap();
        std::os::unix::fs::symlink("docker", root.join("rel")).unwrap();
        assert_eq!(
            resolve_inside(&root, "Dockerfile").unwrap(),
            root.join("docker/Dockerfile")
        );
        // A file still to be created under a symlinked folder.
        assert_eq!(
            resolve_inside(&root, "rel/env.sh.eex").unwrap(),
            root.join("docker/env.sh.eex")
        );
        assert_eq!(
            resolve_inside(&root, "new/file").unwrap(),
            root.join("new/file")
        );
    }

    #[test]
    fn symlinks_leading_out_or_nowhere_are_refused() {
        let (_dir, root) = root();
        let (_away, outside) = super::tests::root();
        std::fs::write(outside.join("f"), "x").unwrap();
        std::os::unix::fs::symlink(outside.join("f"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("outdir")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling")).unwrap();
        for rel in ["out", "outdir/new", "../x"] {
            let err = resolve_inside(&root, rel).unwrap_err().to_string();
            assert!(err.contains("leads outside the project"), "{rel}: {err}");
        }
        let err = resolve_inside(&root, "dangling/env.sh.eex")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`dangling`: is a symlink to `missing`, which does not exist; flycluster never writes through it"
        );
    }

    #[test]
    fn only_regular_files_are_read() {
        let (_dir, root) = root();
        std::fs::create_dir(root.join("d")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(root.join("p"))
            .status()
            .unwrap();
        assert!(fifo.success());
        assert!(
            read(&root, "d")
                .unwrap_err()
                .to_string()
                .contains("is a directory")
        );
        assert!(
            read(&root, "p")
                .unwrap_err()
                .to_string()
                .contains("not a regular file")
        );
        assert!(read(&root, "absent").unwrap().is_none());
    }
}
