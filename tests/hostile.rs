//! Hostile input through the real binary: every refusal of bad input (README's Safety section) exits 2, names the
//! file (and the line where there is one) and writes nothing, byte for byte, mode for mode, with no
//! new file, folder or temporary file; the bytes a file keeps when it is edited (CRLF, mixed endings,
//! BOM, no final newline, mode); and the transaction: a write failing part-way (FLYCLUSTER_FAIL_WRITE,
//! honoured by debug builds) or a file changing under the prompt puts every file back.

mod common;
use common::{TestProject, require_tool};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take before the test fails (a read that blocks is a failure, not a hang).
const DEADLINE: Duration = Duration::from_secs(60);

/// What a run of the binary printed and how it ended.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn describe(&self) -> String {
        format!(
            "status: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run the binary with `args`, no stdin, `env` set, killed after [`DEADLINE`].
fn run_with(args: &[&str], env: &[(&str, &str)], uid: Option<u32>) -> Outcome {
    // Root reads files whatever their mode; an unprivileged user is needed to see a refusal. It
    // runs a copy of the binary in a folder it can reach (the build folder may be under /root).
    let reachable = tempfile::tempdir().unwrap();
    let mut cmd = match uid {
        Some(uid) => {
            chmod(reachable.path(), 0o755);
            let bin = reachable.path().join("flycluster");
            std::fs::copy(env!("CARGO_BIN_EXE_flycluster"), &bin).unwrap();
            chmod(&bin, 0o755);
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "--",
            ])
            .arg(&bin);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_flycluster")),
    };
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("FLYCLUSTER_FAIL_WRITE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + DEADLINE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "flycluster {args:?} did not finish in {DEADLINE:?} (a blocking read?)\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `flycluster init ARGS PROJECT`.
fn init(project: &Path, args: &[&str]) -> Outcome {
    init_env(project, args, &[])
}

fn init_env(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    let path = project.to_str().unwrap();
    all.push(path);
    run_with(&all, env, None)
}

/// One entry of a folder tree, as it is on disk: nothing followed through a symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { mode: u32, bytes: Vec<u8> },
    Dir { mode: u32 },
    Symlink { target: PathBuf },
    Other { mode: u32 },
}

/// Every entry under `root`, keyed by its relative path: bytes, modes, folders and symlinks, so two
/// snapshots are equal only if nothing was written, created, removed or left behind.
fn tree(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let ft = meta.file_type();
            let e = if ft.is_symlink() {
                Entry::Symlink {
                    target: std::fs::read_link(&path).unwrap(),
                }
            } else if ft.is_dir() {
                stack.push(path.clone());
                Entry::Dir { mode }
            } else if ft.is_file() {
                Entry::File {
                    mode,
                    bytes: read_as_owner(&path, mode),
                }
            } else {
                Entry::Other { mode }
            };
            out.insert(rel, e);
        }
    }
    out
}

/// The bytes of a file, even one whose mode forbids reading (the test may run unprivileged).
fn read_as_owner(path: &Path, mode: u32) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(b) => b,
        Err(_) => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o400)).unwrap();
            let b = std::fs::read(path).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
            b
        }
    }
}

/// Which entries differ between two snapshots, for a readable failure.
fn differences(before: &BTreeMap<String, Entry>, after: &BTreeMap<String, Entry>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => out.push(format!("removed {k}")),
            Some(w) if w != v => out.push(format!("changed {k}")),
            _ => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            out.push(format!("created {k}"));
        }
    }
    out
}

fn assert_untouched(root: &Path, before: &BTreeMap<String, Entry>, what: &str) {
    let after = tree(root);
    assert!(
        &after == before,
        "{what}: the tree changed: {:?}",
        differences(before, &after)
    );
}

/// The refusal every hostile case must get: exit 2, exactly `stderr` (the error naming the file,
/// and line where there is one, then its `help:` line; the project's path as `[PROJECT]`), nothing
/// on stdout, and not one byte of the project changed.
#[track_caller]
fn assert_refused(project: &Path, args: &[&str], stderr: &str) -> Outcome {
    let before = tree(project);
    let out = init(project, args);
    assert_eq!(
        (
            out.code,
            common::redact(&out.stderr, Some(project)),
            out.stdout.as_str()
        ),
        (2, stderr.to_string(), ""),
        "init {args:?}"
    );
    assert_untouched(project, &before, &format!("init {args:?}"));
    out
}

/// The help line of each kind of refusal.
const HELP_SYNTAX: &str =
    "help: fix the syntax error (`mix compile` shows it) and run flycluster again\n";
const HELP_TOML: &str = "help: fix the TOML at that line, then run `flycluster init` again\n";
const HELP_APP_NAME: &str = "help: Fly app names use lowercase letters, digits and dashes, start with a letter and are at most 63 characters\n";
const HELP_SYMLINK_OUT: &str =
    "help: replace the symlink with the file itself, or edit it by hand\n";
const HELP_DANGLING: &str = "help: remove the dangling symlink, or point it at the file\n";

/// The modes of a run that would write everything: the refusal must come before the first write.
const WRITING: &[&str] = &["--yes", "--app", "hello17"];

fn phx17() -> TestProject {
    TestProject::from_fixture("phx17")
}

/// A folder outside the project, for symlinks to lead to.
fn outside() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("flycluster-outside-")
        .tempdir()
        .unwrap()
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

// ----- refusals -----

#[test]
fn a_folder_without_mix_exs_is_refused() {
    let project = TestProject::empty();
    project.write("Dockerfile", "FROM debian\n");
    project.write("lib/app.ex", "defmodule App do\nend\n");
    assert_refused(
        project.path(),
        WRITING,
        "error: `[PROJECT]/mix.exs`: not found: this folder is not a Mix project\nhelp: run flycluster in (or pass the path of) the folder that holds mix.exs\n",
    );
}

#[test]
fn mix_exs_without_an_app_is_refused() {
    let project = phx17();
    let mix = project
        .read("mix.exs")
        .replace("      app: :hello17,\n", "");
    project.write("mix.exs", mix);
    assert_refused(
        project.path(),
        WRITING,
        "error: `mix.exs`: has no `app:` in its `project` function\nhelp: a Mix project names its OTP app with `app: :my_app` in `def project`\n",
    );
}

#[test]
fn malformed_fly_toml_is_refused_with_its_line() {
    let project = phx17();
    project.write(
        "fly.toml",
        "app = 'hello17'\nprimary_region = 'ams'\n\n[env\n  PHX_HOST = 'hello17.fly.dev'\n",
    );
    let refusal = format!(
        "error: `fly.toml` line 4: not valid TOML: unclosed table, expected `]`\n{HELP_TOML}"
    );
    assert_refused(project.path(), WRITING, &refusal);
    // The same file under --dry-run and --check: the read-only modes refuse it the same way.
    assert_refused(project.path(), &["--dry-run"], &refusal);
    assert_refused(project.path(), &["--check"], &refusal);
}

#[test]
fn fly_toml_whose_env_is_not_a_table_is_refused_with_its_line() {
    let project = phx17();
    project.write("fly.toml", "app = 'hello17'\n\nenv = 'PORT=8080'\n");
    assert_refused(
        project.path(),
        WRITING,
        "error: `fly.toml` line 3: `env` is string, not a table\nhelp: write the environment as an `[env]` table of `KEY = 'value'` entries\n",
    );
}

#[test]
fn mix_exs_that_does_not_parse_is_refused_with_its_line() {
    let project = phx17();
    // The `[` of `def project` is never closed.
    let mix =
        project
            .read("mix.exs")
            .replacen("      deps: deps()\n    ]\n", "      deps: deps()\n", 1);
    project.write("mix.exs", mix);
    assert_refused(
        project.path(),
        WRITING,
        &format!("error: `mix.exs` line 13: is not valid Elixir (syntax error)\n{HELP_SYNTAX}"),
    );
}

#[test]
fn application_ex_that_does_not_parse_is_refused_with_its_line() {
    let project = phx17();
    let rel = "lib/hello17/application.ex";
    let src = project.read(rel);
    // Line 12 opens a `{ (` that is never closed.
    let broken: String = src
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 11 {
                format!("{} {{ (\n", l)
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    project.write(rel, broken);
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `lib/hello17/application.ex` line 12: is not valid Elixir (syntax error: the `(` here is never closed; the code that does not parse runs from line 1 to line 38)\n{HELP_SYNTAX}"
        ),
    );
}

#[test]
fn runtime_exs_that_does_not_parse_is_refused_with_its_line() {
    let project = phx17();
    let mut src = project.read("config/runtime.exs");
    let lines = src.lines().count();
    src.push_str("if config_env() == :prod do\n  config :hello17, key: [1, 2\nend\n");
    project.write("config/runtime.exs", src);
    // The line of the `end` that comes where the `]` should: the last of the code appended.
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `config/runtime.exs` line {}: is not valid Elixir (syntax error)\n{HELP_SYNTAX}",
            lines + 3
        ),
    );
}

/// phx17 with a Latin-1 `é` on line 3 of `rel` (after two valid lines; a file phx17 lacks gets
/// them first): refused, naming the file and the line.
fn not_utf8(rel: &str) {
    let project = phx17();
    let path = project.path().join(rel);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|_| b"# one\n# two\n".to_vec());
    let cut = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .map(|(i, _)| i + 1)
        .unwrap();
    bytes.splice(cut..cut, b"# caf\xe9\n".iter().copied());
    project.write(rel, bytes);
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `{rel}` line 3: is not valid UTF-8 text\nhelp: flycluster edits UTF-8 text files only; convert the file and run again\n"
        ),
    );
}

common::cases! {
    mod a_file_that_is_not_utf8_is_refused_with_its_line = not_utf8 {
        dockerfile: ("Dockerfile"),
        mix_exs: ("mix.exs"),
        runtime_exs: ("config/runtime.exs"),
        application_ex: ("lib/hello17/application.ex"),
        fly_toml: ("fly.toml"),
        env_sh: ("rel/env.sh.eex"),
        formatter_exs: (".formatter.exs"),
    }
}

/// phx17 with a folder (holding a file) where `rel` should be: refused, naming it.
fn a_folder_at(rel: &str) {
    let project = phx17();
    let path = project.path().join(rel);
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("inside"), "a file in the folder\n").unwrap();
    assert_refused(
        project.path(),
        WRITING,
        &format!("error: `{rel}`: is a directory, expected a file\n"),
    );
}

common::cases! {
    mod a_path_that_is_a_folder_is_refused = a_folder_at {
        mix_exs: ("mix.exs"),
        dockerfile: ("Dockerfile"),
        fly_toml: ("fly.toml"),
        runtime_exs: ("config/runtime.exs"),
        env_sh: ("rel/env.sh.eex"),
        application_ex: ("lib/hello17/application.ex"),
    }
}

/// A FIFO would block a read forever: refused at once, without opening it.
#[test]
fn a_fifo_where_a_file_should_be_is_refused_without_blocking() {
    let project = phx17();
    let status = Command::new("mkfifo")
        .arg(project.path().join("fly.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_refused(
        project.path(),
        WRITING,
        "error: `fly.toml`: is not a regular file (a FIFO, socket or device), expected a file\n",
    );
}

/// A file the user cannot read. As root the mode does not stop reads, so the run drops to an
/// unprivileged user (`setpriv`, util-linux) with the project made reachable by it; a non-root run
/// tests the file as is.
#[test]
fn an_unreadable_file_is_refused() {
    let project = phx17();
    let root_user = effective_uid() == 0;
    let uid = if root_user {
        if !require_tool("setpriv") {
            return;
        }
        // The temporary folder is 0700 and root's; let `nobody` in and let it write (it must be
        // refused for the mode of one file only, not for a folder it cannot enter).
        for (rel, e) in tree(project.path()) {
            let p = project.path().join(&rel);
            match e {
                Entry::Dir { .. } => chmod(&p, 0o777),
                Entry::File { .. } => chmod(&p, 0o666),
                _ => {}
            }
        }
        chmod(project.path(), 0o777);
        Some(65534)
    } else {
        None
    };
    chmod(&project.path().join("config/runtime.exs"), 0o000);
    let before = tree(project.path());
    let mut args = vec!["init"];
    args.extend_from_slice(WRITING);
    args.push(project.path().to_str().unwrap());
    let out = run_with(&args, &[], uid);
    assert_eq!(out.code, 2, "{}", out.describe());
    insta::assert_snapshot!(common::redact(&out.stderr, Some(project.path())), @"error: could not read `config/runtime.exs`: Permission denied (os error 13)");
    assert_untouched(project.path(), &before, "unreadable runtime.exs");
}

fn effective_uid() -> u32 {
    // No libc dependency for one number: the owner of a file this process just created.
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid()
}

/// `--app=NAME` with an invalid name: refused before anything else, the name shown as given, and
/// nothing it could inject run.
fn invalid_app_name(name: &str) {
    let arg = format!("--app={name}");
    let refusal = format!("error: `{name}` is not a valid Fly app name\n{HELP_APP_NAME}");
    // Checked before the project is even looked at: a folder that does not exist, and (without
    // --yes) no terminal to prompt on, are both reported only after the name.
    for args in [vec![arg.as_str(), "--yes"], vec![arg.as_str()]] {
        let mut all = vec!["init"];
        all.extend_from_slice(&args);
        all.push("/nonexistent/flycluster/project");
        let out = run_with(&all, &[], None);
        assert_eq!((out.code, out.stderr), (2, refusal.clone()), "{args:?}");
    }
    let project = phx17();
    assert_refused(project.path(), &[&arg, "--yes"], &refusal);
    assert!(!project.path().join("pwned").exists());
}

common::cases! {
    mod an_invalid_app_name_is_refused_before_anything_else = invalid_app_name {
        upper_case: ("Hello17"),
        underscore: ("hello_17"),
        a_command_after_a_semicolon: ("hello17;rm -rf ~"),
        a_command_substitution: ("$(touch pwned)"),
        backticks: ("`id`"),
        a_space: ("a b"),
        a_newline: ("a\nb"),
        a_quote: ("hello17'"),
        a_path: ("../hello17"),
        empty: (""),
        a_leading_dash: ("-hello"),
        a_trailing_dash: ("hello-"),
        a_leading_digit: ("17hello"),
        not_ascii: ("héllo"),
        sixty_four_characters: (&"a".repeat(64)),
    }
}

/// At most 63 characters is fine.
#[test]
fn an_app_name_of_sixty_three_characters_is_valid() {
    let project = phx17();
    let ok = "a".repeat(63);
    let out = init(project.path(), &["--dry-run", "--app", &ok]);
    assert_eq!(out.code, 0, "{}", out.describe());
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let limit = flycluster::files::MAX_FILE_BYTES as usize;
    let project = phx17();
    let mut big = project.read_bytes("Dockerfile");
    let line = b"# padding padding padding padding padding padding padding padding padding\n";
    while big.len() <= limit {
        big.extend_from_slice(line);
    }
    project.write("Dockerfile", &big);
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `Dockerfile`: is {} bytes, over the {limit} byte limit for a configuration file\n",
            big.len()
        ),
    );

    // Exactly at the limit is still a configuration file.
    let project = phx17();
    big.truncate(limit - 1);
    big.push(b'\n');
    assert_eq!(big.len(), limit);
    project.write("Dockerfile", &big);
    let out = init(project.path(), &["--check", "-q", "--only", "dockerfile"]);
    assert_eq!(out.code, 1, "{}", out.describe());
}

#[test]
fn a_symlinked_file_leading_out_is_never_read_nor_written() {
    let away = outside();
    let marker = "FROM outside-marker-never-read";
    std::fs::write(away.path().join("Dockerfile"), format!("{marker}\n")).unwrap();
    // A FIFO outside: opening it to read would block, so finishing proves it was never read.
    let status = Command::new("mkfifo")
        .arg(away.path().join("fly.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    let outside_before = tree(away.path());

    for (rel, target) in [("Dockerfile", "Dockerfile"), ("fly.toml", "fly.toml")] {
        let project = phx17();
        let link = project.path().join(rel);
        let _ = std::fs::remove_file(&link);
        symlink(&away.path().join(target), &link);
        for args in [WRITING, &["--dry-run", "--app", "hello17"]] {
            // Whole, so the marker is in neither stream.
            assert_refused(
                project.path(),
                args,
                &format!(
                    "error: `{rel}`: leads outside the project (to `{}`); flycluster never reads or writes through it\n{HELP_SYMLINK_OUT}",
                    away.path().join(target).display()
                ),
            );
        }
    }
    assert_untouched(away.path(), &outside_before, "the folder outside");
}

#[test]
fn a_symlinked_folder_leading_out_is_never_written_through() {
    let away = outside();
    // rel/ leads to an empty folder outside: env.sh.eex would be created there.
    std::fs::create_dir(away.path().join("rel")).unwrap();
    // config/ leads to a copy outside: runtime.exs would be read and edited there (detection
    // refuses it first, at config.exs, where it looks for the Repos the project declares).
    common::copy_dir(
        &common::fixture_dir("phx17").join("config"),
        &away.path().join("config"),
    );
    let outside_before = tree(away.path());
    for (folder, file) in [("rel", "rel/env.sh.eex"), ("config", "config/config.exs")] {
        let project = phx17();
        let _ = std::fs::remove_dir_all(project.path().join(folder));
        symlink(&away.path().join(folder), &project.path().join(folder));
        let target = match folder {
            "rel" => away.path().join("rel"),
            _ => away.path().join(file),
        };
        assert_refused(
            project.path(),
            WRITING,
            &format!(
                "error: `{file}`: leads outside the project (to `{}`); flycluster never reads or writes through it\n{HELP_SYMLINK_OUT}",
                target.display()
            ),
        );
    }
    assert_untouched(away.path(), &outside_before, "the folder outside");
}

/// A symlink to a file that does not exist would create that file wherever it points.
#[test]
fn a_dangling_symlink_is_refused() {
    let away = outside();
    let project = phx17();
    symlink(Path::new("missing-inside"), &project.path().join("rel"));
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `rel`: is a symlink to `missing-inside`, which does not exist; flycluster never writes through it\n{HELP_DANGLING}"
        ),
    );
    std::fs::remove_file(project.path().join("rel")).unwrap();
    symlink(
        &away.path().join("fly.toml"),
        &project.path().join("fly.toml"),
    );
    assert_refused(
        project.path(),
        WRITING,
        &format!(
            "error: `fly.toml`: is a symlink to `{}`, which does not exist; flycluster never writes through it\n{HELP_DANGLING}",
            away.path().join("fly.toml").display()
        ),
    );
    assert_eq!(std::fs::read_dir(away.path()).unwrap().count(), 0);
}

/// A symlink that stays inside the project is followed: the file it points at is edited in place
/// and the link stays a link.
#[test]
fn a_symlink_inside_the_project_is_edited_through_and_kept() {
    let project = phx17();
    std::fs::create_dir(project.path().join("docker")).unwrap();
    std::fs::rename(
        project.path().join("Dockerfile"),
        project.path().join("docker/Dockerfile.release"),
    )
    .unwrap();
    symlink(
        Path::new("docker/Dockerfile.release"),
        &project.path().join("Dockerfile"),
    );
    let before = project.read("docker/Dockerfile.release");
    let out = init(project.path(), WRITING);
    assert_eq!(out.code, 0, "{}", out.describe());
    let link = std::fs::symlink_metadata(project.path().join("Dockerfile")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "the symlink was replaced by a file"
    );
    let after = project.read("docker/Dockerfile.release");
    assert_ne!(after, before);
    // Edited as the Dockerfile of a plain copy is.
    let plain = phx17();
    assert_eq!(init(plain.path(), WRITING).code, 0);
    assert_eq!(after, plain.read("Dockerfile"));
    assert!(
        tree(project.path()).keys().all(|k| !k
            .rsplit('/')
            .next()
            .unwrap()
            .starts_with(".flycluster-")),
        "a temporary file was left"
    );
}

// ----- bytes kept -----

/// `fixture` applied with `--yes` after `prepare`, and the same without it (plain LF), for
/// comparing the two.
fn apply_both(
    fixture: &str,
    prepare: impl Fn(&TestProject),
) -> (TestProject, TestProject, Outcome) {
    let plain = TestProject::from_fixture(fixture);
    let out = init(plain.path(), WRITING);
    assert_eq!(out.code, 0, "{}", out.describe());
    let project = TestProject::from_fixture(fixture);
    prepare(&project);
    let out = init(project.path(), WRITING);
    assert_eq!(out.code, 0, "{}", out.describe());
    (project, plain, out)
}

fn to_crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

#[test]
fn a_crlf_file_keeps_crlf_on_every_line_including_new_ones() {
    let files = [
        "Dockerfile",
        "mix.exs",
        "lib/hello17/application.ex",
        "config/runtime.exs",
    ];
    let (project, plain, out) = apply_both("phx17", |p| {
        for rel in files {
            p.write(rel, to_crlf(&p.read(rel)));
        }
    });
    // No line ends in a bare LF: each is the plain run's, with CRLF.
    for rel in files {
        assert_eq!(project.read(rel), to_crlf(&plain.read(rel)), "{rel}");
    }
    // Not a mixed file: no warning.
    assert_eq!(out.stderr, "", "{}", out.describe());
    // A second run finds nothing to do.
    let again = init(project.path(), &["--check", "--app", "hello17"]);
    assert_eq!(again.code, 0, "{}", again.describe());
}

#[test]
fn a_mixed_ending_file_keeps_each_lines_ending_and_says_which_new_lines_get() {
    let rel = "Dockerfile";
    // CRLF everywhere but every fifth line: CRLF is the majority.
    let mixed = |text: &str| -> String {
        text.split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| {
                if i % 5 == 0 {
                    l.to_string()
                } else {
                    to_crlf(l)
                }
            })
            .collect()
    };
    let (project, plain, out) = apply_both("phx17", |p| {
        p.write(rel, mixed(&p.read(rel)));
    });
    let before = mixed(&TestProject::from_fixture("phx17").read(rel));
    let after = project.read(rel);
    // Old lines keep their own ending, in order; every line that was not there gets CRLF.
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let mut old_iter = old.iter().peekable();
    for line in after.split_inclusive('\n') {
        if old_iter.peek() == Some(&&line) {
            old_iter.next();
        } else {
            assert!(line.ends_with("\r\n"), "a new line without CRLF: {line:?}");
        }
    }
    assert!(
        old_iter.peek().is_none(),
        "old lines lost: {:?}",
        old_iter.collect::<Vec<_>>()
    );
    assert_eq!(after.replace("\r\n", "\n"), plain.read(rel));
    assert_eq!(
        out.stderr,
        "warning: `Dockerfile`: LF and CRLF line endings are mixed; lines flycluster adds use CRLF\n"
    );
}

#[test]
fn a_utf8_bom_is_kept() {
    let files = ["mix.exs", "config/runtime.exs", "Dockerfile"];
    let (project, plain, _) = apply_both("phx17", |p| {
        for rel in files {
            p.write(rel, format!("\u{feff}{}", p.read(rel)));
        }
    });
    for rel in files {
        assert_eq!(
            project.read(rel),
            format!("\u{feff}{}", plain.read(rel)),
            "{rel}"
        );
    }
}

#[test]
fn a_file_without_a_final_newline_stays_without() {
    let files = [
        "Dockerfile",
        "config/runtime.exs",
        "mix.exs",
        "lib/hello17/application.ex",
    ];
    let (project, plain, _) = apply_both("phx17", |p| {
        for rel in files {
            p.write(rel, p.read(rel).trim_end_matches('\n'));
        }
    });
    for rel in files {
        let after = project.read(rel);
        assert!(!after.ends_with('\n'), "{rel} gained a final newline");
        assert_eq!(after, plain.read(rel).trim_end_matches('\n'), "{rel}");
    }
}

#[test]
fn file_modes_are_kept_and_a_new_env_sh_is_executable() {
    // phx16 has rel/env.sh.eex to edit; phx17 gets a new one.
    let project = TestProject::from_fixture("phx16");
    chmod(&project.path().join("Dockerfile"), 0o600);
    chmod(&project.path().join("rel/env.sh.eex"), 0o750);
    chmod(&project.path().join("mix.exs"), 0o664);
    let out = init(project.path(), &["--yes", "--app", "hello16"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(
        statuses(&out.stdout),
        [
            "updated rel/env.sh.eex",
            "updated mix.exs",
            "updated lib/hello16/application.ex",
            "updated config/runtime.exs",
            "updated Dockerfile",
            "updated fly.toml",
        ]
    );
    assert_eq!(mode_of(&project.path().join("Dockerfile")), 0o600);
    assert_eq!(mode_of(&project.path().join("rel/env.sh.eex")), 0o750);
    assert_eq!(mode_of(&project.path().join("mix.exs")), 0o664);

    let project = phx17();
    let out = init(project.path(), WRITING);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(mode_of(&project.path().join("rel/env.sh.eex")), 0o755);
    assert_eq!(mode_of(&project.path().join("fly.toml")), 0o644);
}

/// The report lines of an init run's stdout (`   updated  mix.exs`) as `ACTION PATH`.
fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            let (action, rest) = l.trim_start().split_once("  ")?;
            matches!(
                action,
                "created" | "updated" | "unchanged" | "skipped" | "manual"
            )
            .then(|| format!("{action} {}", rest.split("  ").next().unwrap()))
        })
        .collect()
}

// ----- the transaction -----

/// phx17 with `--app` writes six files: two created (rel/env.sh.eex in a new rel/, fly.toml) and
/// four updated, in this order.
const PHX17_WRITES: [&str; 6] = [
    "rel/env.sh.eex",
    "mix.exs",
    "lib/hello17/application.ex",
    "config/runtime.exs",
    "Dockerfile",
    "fly.toml",
];

#[test]
fn the_third_write_failing_puts_every_file_back() {
    let project = phx17();
    chmod(&project.path().join("mix.exs"), 0o640);
    let before = tree(project.path());
    let out = init_env(project.path(), WRITING, &[("FLYCLUSTER_FAIL_WRITE", "3")]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert_eq!(
        out.stderr,
        "error: could not write `lib/hello17/application.ex`: injected failure (FLYCLUSTER_FAIL_WRITE); restored `rel/env.sh.eex`, `mix.exs`\n"
    );
    // Byte for byte and mode for mode; rel/ (created for env.sh.eex) is gone; no temporary file.
    assert_untouched(project.path(), &before, "after the rollback");
}

/// The `n`th write failing: every file back as it was, and the error names the file that failed
/// and the ones restored.
fn a_failing_write_at(n: usize) {
    let project = phx17();
    let before = tree(project.path());
    let out = init_env(
        project.path(),
        WRITING,
        &[("FLYCLUSTER_FAIL_WRITE", &n.to_string())],
    );
    assert_eq!(out.code, 2, "write {n}: {}", out.describe());
    let failed = PHX17_WRITES[n - 1];
    let restored: Vec<String> = PHX17_WRITES[..n - 1]
        .iter()
        .map(|p| format!("`{p}`"))
        .collect();
    let expected = if restored.is_empty() {
        format!(
            "could not write `{failed}`: injected failure (FLYCLUSTER_FAIL_WRITE); no file had been written yet"
        )
    } else {
        format!(
            "could not write `{failed}`: injected failure (FLYCLUSTER_FAIL_WRITE); restored {}",
            restored.join(", ")
        )
    };
    assert_eq!(out.stderr, format!("error: {expected}\n"), "write {n}");
    assert_untouched(project.path(), &before, &format!("failure at write {n}"));
}

common::cases! {
    mod a_failing_write_at_any_position_puts_every_file_back = a_failing_write_at {
        first: (1),
        second: (2),
        third: (3),
        fourth: (4),
        fifth: (5),
        sixth: (6),
    }
}

/// With no failure injected, the same run writes all six.
#[test]
fn with_no_failure_the_run_writes_all_six() {
    let project = phx17();
    let out = init(project.path(), WRITING);
    assert_eq!(out.code, 0, "{}", out.describe());
    let written: Vec<String> = statuses(&out.stdout)
        .iter()
        .map(|s| s.split_once(' ').unwrap().1.to_string())
        .collect();
    assert_eq!(written, PHX17_WRITES);
}

#[test]
fn every_write_position_is_a_case() {
    assert_eq!(
        a_failing_write_at_any_position_puts_every_file_back::NAMES.len(),
        PHX17_WRITES.len()
    );
}

/// A file edited by someone else while init waits at its prompt: the stale check refuses every
/// write and names the file. The prompt makes the race deterministic.
#[test]
fn a_file_changed_while_the_prompt_waits_stops_every_write() {
    use std::io::Write;
    let project = phx17();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flycluster"));
    // Every question but the file's answered on the command line.
    cmd.args([
        "init",
        "--app",
        "hello17",
        "--cookie",
        "secret",
        "--database",
        "fly",
    ])
    .arg(project.path())
    .env("TERM", "xterm-256color")
    .env("NO_COLOR", "1")
    .env_remove("FLYCLUSTER_FAIL_WRITE");
    let mut session = expectrl::Session::spawn(cmd).expect("spawn flycluster in a pty");
    let mut seen = Vec::new();
    let read_until =
        |session: &mut expectrl::session::OsSession, seen: &mut Vec<u8>, text: &str| {
            let deadline = Instant::now() + DEADLINE;
            let mut buf = [0u8; 4096];
            loop {
                match session.try_read(&mut buf) {
                    Ok(0) => return false,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Err(_) => return false,
                }
                if String::from_utf8_lossy(seen).contains(text) {
                    return true;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting for {text:?}:\n{}",
                    String::from_utf8_lossy(seen)
                );
            }
        };
    assert!(
        read_until(
            &mut session,
            &mut seen,
            "Apply this change to rel/env.sh.eex?"
        ),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    // Someone saves the Dockerfile while the question is on screen.
    let edited = format!("{}# edited meanwhile\n", project.read("Dockerfile"));
    project.write("Dockerfile", &edited);
    let before = tree(project.path());
    // "all (this and every remaining file)": the third item.
    session.write_all(b"\x1b[B\x1b[B\r").unwrap();
    session.flush().unwrap();
    read_until(&mut session, &mut seen, "\u{0}never printed");
    let text = String::from_utf8_lossy(&seen).to_string();
    // The refusal is the last thing on the terminal: the error and its help line, whole.
    assert!(
        text.ends_with(
            "\r\nerror: `Dockerfile` changed on disk while flycluster was running; nothing was written\r\nhelp: run `flycluster init` again to plan against the new content\r\n"
        ),
        "{text:?}"
    );
    let deadline = Instant::now() + DEADLINE;
    loop {
        match session.get_process().status() {
            Ok(expectrl::process::unix::WaitStatus::Exited(_, code)) => {
                assert_eq!(code, 2, "{text}");
                break;
            }
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => panic!("waiting for flycluster: {other:?}\n{text}"),
        }
    }
    assert_untouched(project.path(), &before, "after the stale refusal");
    assert_eq!(project.read("Dockerfile"), edited);
}
