//! The command-line surface around init: refusing to prompt without a terminal, `cookie`,
//! `completions`, `--set-secret` through a stand-in `fly`, colour, and the dirty-git-tree warning.

mod common;
use common::{TestProject, require_tool, run_bin};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn flycluster() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flycluster"));
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FLYCLUSTER_FAIL_WRITE")
        .stdin(Stdio::null());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn describe(out: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn is_cookie(s: &str) -> bool {
    s.len() == 56
        && s.ends_with("==")
        && s[..54]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

// ----- no terminal -----

/// init's refusal to prompt without a terminal: exit 2 and this message, whole.
fn assert_refused(code: i32, stderr: &str) {
    assert_eq!(
        (code, stderr),
        (
            2,
            "error: no terminal to ask questions on: pass `--yes` to apply without prompting or `--dry-run` to only print the diffs\nhelp: `--check` exits 1 when init would change something, for CI\n"
        )
    );
}

#[test]
fn without_a_terminal_init_refuses_to_prompt() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let run = project.init(&[]);
    assert_refused(run.code, &run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(project.snapshot_files(), before, "the refusal wrote files");
}

/// stdin is a pipe nobody writes to or closes: the refusal must come at once, not after waiting
/// for input.
#[test]
fn a_pipe_that_never_closes_does_not_block() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let mut child = flycluster()
        .arg("init")
        .arg(project.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _open_stdin = child.stdin.take();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("init blocked waiting on a pipe for stdin");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_refused(status.code().unwrap(), &stderr);
    assert_eq!(project.snapshot_files(), before);
}

/// `init ARGS` on phx17 without a terminal exits `code`: it never asks.
fn needs_no_terminal(args: &[&str], code: i32) {
    let project = TestProject::from_fixture("phx17");
    let run = project.init(args);
    assert_eq!(run.code, code, "{args:?}: {}", run.transcript());
}

common::cases! {
    mod yes_dry_run_and_check_need_no_terminal = needs_no_terminal {
        dry_run: (&["--dry-run"], 0),
        check: (&["--check"], 1),
        yes: (&["--yes"], 0),
    }
}

// ----- cookie -----

#[test]
fn cookie_prints_a_new_url_safe_cookie() {
    let run = |_: ()| flycluster().arg("cookie").output().unwrap();
    let (a, b) = (run(()), run(()));
    assert!(a.status.success(), "{}", describe(&a));
    let a = text(&a.stdout);
    let b = text(&b.stdout);
    let cookie = a.strip_suffix('\n').expect("one line");
    assert!(is_cookie(cookie), "{a:?}");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE
        .decode(cookie)
        .unwrap();
    assert_eq!(bytes.len(), 40);
    assert_ne!(a, b, "two cookies in a row are the same");
}

#[test]
fn cookie_fly_prints_the_secrets_command_for_the_detected_app() {
    let secrets_command = |out: Output| -> String {
        assert!(out.status.success(), "{}", describe(&out));
        let line = text(&out.stdout);
        let re =
            regex::Regex::new(r"^fly secrets set RELEASE_COOKIE=(\S+) --app (\S+)\n$").unwrap();
        let caps = re.captures(&line).unwrap_or_else(|| panic!("{line:?}"));
        assert!(is_cookie(&caps[1]), "{line:?}");
        caps[2].to_string()
    };
    // The app from fly.toml, with the path given.
    let hello = TestProject::from_fixture("examples/hello_elixir");
    let out = flycluster()
        .args(["cookie", "--fly"])
        .arg(hello.path())
        .output()
        .unwrap();
    assert_eq!(secrets_command(out), "hello-elixir");
    // No fly.toml: the OTP app with `_` as `-`; the path defaults to the current folder.
    let phx = TestProject::from_fixture("phx17");
    let out = flycluster()
        .args(["cookie", "--fly"])
        .current_dir(phx.path())
        .output()
        .unwrap();
    assert_eq!(secrets_command(out), "hello17");
    // Not a project: a clear error.
    let empty = TestProject::empty();
    let out = flycluster()
        .args(["cookie", "--fly"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    insta::assert_snapshot!(common::redact(&text(&out.stderr), Some(empty.path())), @"
    error: `[PROJECT]/mix.exs`: not found: this folder is not a Mix project
    help: run flycluster in (or pass the path of) the folder that holds mix.exs
    ");
}

// ----- completions -----

/// `flycluster completions SHELL`: a script naming the subcommands and the main flags, which the
/// shell itself parses (zsh and fish are optional on the machine; bash is required).
fn completions(shell: &str) {
    let out = flycluster().args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "{shell}: {}", describe(&out));
    let script = text(&out.stdout);
    assert!(script.len() > 200, "{shell}: {script}");
    // fish spells long options `-l dry-run`.
    let long = |name: &str| match shell {
        "fish" => format!("-l {name}"),
        _ => format!("--{name}"),
    };
    let words = [
        "init",
        "doctor",
        "cookie",
        &long("dry-run"),
        &long("yes"),
        &long("format"),
    ]
    .map(str::to_string);
    for word in words {
        assert!(
            script.contains(&word),
            "{shell} completions lack {word}:\n{script}"
        );
    }
    let syntax_check: &[&str] = match shell {
        "bash" => &["bash", "-n"],
        "zsh" => &["zsh", "-n"],
        _ => &["fish", "--no-execute"],
    };
    if shell == "bash" && !require_tool("bash") {
        return;
    }
    if shell != "bash" && !has_tool(syntax_check[0]) {
        // zsh and fish are optional on the machine; bash is checked above.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("flycluster.{shell}"));
    std::fs::write(&file, &script).unwrap();
    let check = Command::new(syntax_check[0])
        .args(&syntax_check[1..])
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "{shell}: {}", describe(&check));
}

common::cases! {
    mod completions_for_each_shell = completions {
        bash: ("bash"),
        zsh: ("zsh"),
        fish: ("fish"),
    }
}

#[test]
fn completions_for_a_shell_clap_does_not_know_is_a_usage_error() {
    let out = flycluster().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

// ----- man page and help -----

/// `flycluster man` is generated from the clap definitions: a section per subcommand, holding
/// every option that subcommand takes, so no subcommand or flag can be left out of it.
#[test]
fn the_man_page_documents_every_subcommand_and_option() {
    use clap::CommandFactory;
    let out = flycluster().arg("man").output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let page = text(&out.stdout);
    let title = format!(
        ".TH flycluster 1  \"flycluster {}\" ",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        page.lines()
            .filter(|l| l.starts_with(".TH "))
            .collect::<Vec<_>>(),
        [title.as_str()],
        "{page}"
    );
    let cli = flycluster::cli::Cli::command();
    let mut subcommands = Vec::new();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        subcommands.push(name);
        let heading = format!(".SH \"FLYCLUSTER {}\"\n", name.to_uppercase());
        let start = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section for `{name}`:\n{page}"));
        let section = &page[start + heading.len()..];
        let section = &section[..section.find(".SH ").unwrap_or(section.len())];
        let entry = format!("\\fBflycluster {name}\\fR");
        assert!(
            page.lines().any(|l| l == entry),
            "`{name}` missing from SUBCOMMANDS"
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                let flag = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(
                    section.contains(&flag),
                    "`{name}`'s section lacks {flag}:\n{section}"
                );
            }
        }
    }
    assert_eq!(
        subcommands,
        ["init", "doctor", "verify", "cookie", "completions", "man"]
    );
    assert!(
        !page.contains("(1)\n"),
        "no reference to pages that do not exist:\n{page}"
    );
}

#[test]
fn help_names_strategies_as_the_flag_spells_them() {
    let out = flycluster().args(["init", "--help"]).output().unwrap();
    let help = text(&out.stdout);
    let start = help
        .find("      --strategy <STRATEGY>")
        .expect("a --strategy option");
    let block: Vec<&str> = help[start..].lines().take(8).collect();
    assert_eq!(
        block,
        [
            "      --strategy <STRATEGY>",
            "          Clustering library [default: what the project uses, else dns_cluster]",
            "",
            "          Possible values:",
            "          - dns_cluster: Phoenix's dns_cluster library (what `mix phx.new` uses since 1.7.8)",
            "          - libcluster:  libcluster with a DNSPoll topology",
            "",
            "      --database <WHERE>",
        ]
    );
}

fn has_tool(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

// ----- --set-secret -----

/// A folder holding a stand-in `fly` that records its arguments (one a line) and exits with `code`.
fn stand_in_fly(code: i32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("fly-args");
    let script = dir.path().join("fly");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\n' \"$arg\" >> '{}'; done\necho 'Secrets are staged for the next deployment'\nexit {code}\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (dir, log)
}

fn path_with_first(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn recorded_args(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_secret_args(args: &[String], app: &str) -> String {
    assert_eq!(args.len(), 6, "{args:?}");
    assert_eq!(args[..3], ["secrets", "set", "--stage"], "{args:?}");
    let cookie = args[3]
        .strip_prefix("RELEASE_COOKIE=")
        .unwrap_or_else(|| panic!("{args:?}"));
    assert!(is_cookie(cookie), "{args:?}");
    assert_eq!(args[4..], ["--app", app], "{args:?}");
    cookie.to_string()
}

#[test]
fn set_secret_runs_fly_and_the_cookie_never_reaches_the_terminal() {
    let (fly_dir, log) = stand_in_fly(0);
    let project = TestProject::from_fixture("phx17");
    let out = flycluster()
        .args(["init", "--yes", "--set-secret", "--app", "x"])
        .arg(project.path())
        .env("PATH", path_with_first(fly_dir.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let cookie = assert_secret_args(&recorded_args(&log), "x");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !stdout.contains(&cookie) && !stderr.contains(&cookie),
        "{}",
        describe(&out)
    );
    // Staged, and no `fly secrets set` step left to run.
    assert_eq!(
        next_steps(&stdout),
        [
            "1. mix deps.get   # fetch the new dependency and update mix.lock",
            "2. the release cookie is staged as a Fly secret; it takes effect with the next deploy",
            "3. fly secrets list --app x   # DATABASE_URL must name the Fly Postgres database; the Repo reaches it over IPv6",
            "4. fly deploy",
            "5. fly scale count 2 --app x",
            "6. fly ssh console --pty -C \"/app/bin/hello17 remote\" --app x   # then: Node.list()",
            "7. flycluster verify   # every Machine's view: which node sees which, and why a pair is not connected",
        ]
    );
    // Nor is it in any file.
    for (path, bytes) in project.snapshot_files() {
        assert!(!String::from_utf8_lossy(&bytes).contains(&cookie), "{path}");
    }
    assert_eq!(fly_toml_app(&project), "app = 'x'");
}

#[test]
fn set_secret_keeps_stdout_one_json_document() {
    let (fly_dir, log) = stand_in_fly(0);
    let project = TestProject::from_fixture("examples/hello_elixir");
    let out = flycluster()
        .args(["init", "--yes", "--set-secret", "--format", "json"])
        .arg(project.path())
        .env("PATH", path_with_first(fly_dir.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let cookie = assert_secret_args(&recorded_args(&log), "hello-elixir");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)));
    assert_eq!(doc["cookie"], serde_json::Value::Null, "{doc}");
    assert!(!doc.to_string().contains(&cookie));
    // fly's own message is human text: stderr, after the diffs.
    let stderr = text(&out.stderr);
    let diffs = stderr
        .strip_suffix("Secrets are staged for the next deployment\n")
        .unwrap_or_else(|| panic!("{}", describe(&out)));
    assert!(
        diffs.starts_with("--- a/rel/env.sh.eex\n"),
        "{}",
        describe(&out)
    );
    assert_eq!(diffs.split("\n\n").count(), 1, "{}", describe(&out));
}

#[test]
fn set_secret_without_fly_is_an_error_before_anything_is_written() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let empty_path = tempfile::tempdir().unwrap();
    let out = flycluster()
        .args(["init", "--yes", "--set-secret", "--app", "x"])
        .arg(project.path())
        .env("PATH", empty_path.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    insta::assert_snapshot!(text(&out.stderr), @"
    error: `--set-secret` needs the fly CLI, and `fly` is not on PATH
    help: install flyctl (https://fly.io/docs/flyctl/install/) or drop `--set-secret` and run the printed `fly secrets set` command
    ");
    assert_eq!(
        project.snapshot_files(),
        before,
        "files written without fly"
    );
}

/// fly is there but fails (not logged in, say): the files are written, so this is a step left to
/// do by hand (exit 3) with the command to run, not "nothing written" (exit 2).
#[test]
fn a_failing_fly_leaves_a_manual_step() {
    let (fly_dir, log) = stand_in_fly(1);
    let project = TestProject::from_fixture("phx17");
    let out = flycluster()
        .args(["init", "--yes", "--set-secret", "--app", "x"])
        .arg(project.path())
        .env("PATH", path_with_first(fly_dir.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let cookie = assert_secret_args(&recorded_args(&log), "x");
    insta::assert_snapshot!(common::redact(&text(&out.stderr), Some(project.path())), @"
    Secrets are staged for the next deployment
    manual step: `fly secrets set --stage RELEASE_COOKIE=… --app x` failed (exit status: 1); the files were written, the secret was not set: run the `fly secrets set` command of the next steps
    ");
    // The command to run by hand, with the cookie init made.
    let stdout = text(&out.stdout);
    assert_eq!(
        next_steps(&stdout)[1],
        format!(
            "2. fly secrets set RELEASE_COOKIE={cookie} --app x   # once per app: nodes must share one cookie"
        ),
        "{stdout}"
    );
    // The files are written.
    let original = std::fs::read_to_string(common::fixture_dir("phx17/mix.exs")).unwrap();
    assert_eq!(
        project.read("mix.exs"),
        original.replace(
            "      {:plug_cowboy, \"~> 2.5\"}\n",
            "      {:plug_cowboy, \"~> 2.5\"},\n      {:dns_cluster, \"~> 0.2.0\"}\n"
        )
    );
}

#[test]
fn set_secret_goes_with_the_secret_cookie_mode_only() {
    let run = run_bin(
        &["init", "--yes", "--set-secret", "--cookie", "fly-toml"],
        Some(TestProject::from_fixture("phx17").path()),
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    let run = run_bin(&["init", "--dry-run", "--set-secret"], None);
    assert_eq!(run.code, 2, "{}", run.transcript());
}

/// The numbered lines after `Next steps:`, without their indentation.
fn next_steps(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip_while(|l| *l != "Next steps:")
        .skip(1)
        .map(str::trim_start)
        .collect()
}

/// fly.toml's `app = ...` line.
fn fly_toml_app(project: &TestProject) -> String {
    let fly_toml = project.read("fly.toml");
    let lines: Vec<&str> = fly_toml.lines().filter(|l| l.starts_with("app")).collect();
    assert_eq!(lines.len(), 1, "{fly_toml}");
    lines[0].to_string()
}

// ----- colour -----

fn dry_run_output(args: &[&str], env: &[(&str, &str)]) -> Output {
    let project = TestProject::from_fixture("phx17");
    let mut cmd = flycluster();
    cmd.args(["init", "--dry-run"])
        .args(args)
        .arg(project.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    out
}

/// `coloured` is `plain` with each diff line styled: `---`/`+++` headers bold, hunk headers cyan,
/// removed lines red, added lines green; every other line as it is.
fn assert_diff_coloured(coloured: &str, plain: &str) {
    let expected: String = plain
        .lines()
        .map(|l| {
            let style = if l.starts_with("--- ") || l.starts_with("+++ ") {
                "1"
            } else if l.starts_with("@@ ") {
                "36"
            } else if l.starts_with('-') {
                "31"
            } else if l.starts_with('+') {
                "32"
            } else {
                return format!("{l}\n");
            };
            format!("\x1b[{style}m{l}\x1b[0m\n")
        })
        .collect();
    assert_eq!(coloured, expected);
}

#[test]
fn color_always_colours_the_diff_on_stdout() {
    // Each run makes its own cookie.
    let cookie = regex::Regex::new(r"RELEASE_COOKIE=\S+").unwrap();
    let stdout = |out: Output| {
        cookie
            .replace_all(&text(&out.stdout), "RELEASE_COOKIE=[COOKIE]")
            .to_string()
    };
    let plain = stdout(dry_run_output(&["--color", "never"], &[]));
    let coloured = stdout(dry_run_output(&["--color", "always"], &[]));
    assert_diff_coloured(&coloured, &plain);
    // An explicit flag wins over NO_COLOR.
    let coloured = stdout(dry_run_output(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert_diff_coloured(&coloured, &plain);
}

/// The dry run with `args` and `env`, its output piped: no escape code on stdout or stderr.
fn no_escape_codes(args: &[&str], env: &[(&str, &str)]) {
    let out = dry_run_output(args, env);
    for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !stream.contains(&0x1b),
            "escape codes on {name} with {args:?} {env:?}:\n{:?}",
            text(stream)
        );
    }
}

common::cases! {
    mod no_escape_codes_when_piped_never_or_no_color = no_escape_codes {
        piped: (&[], &[]),
        auto: (&["--color", "auto"], &[]),
        never: (&["--color", "never"], &[]),
        auto_with_no_color: (&["--color", "auto"], &[("NO_COLOR", "1")]),
    }
}

// ----- git -----

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", describe(&out));
}

#[test]
fn a_dirty_git_tree_gets_a_warning_listing_the_changes() {
    if !require_tool("git") {
        return;
    }
    let project = TestProject::from_fixture("phx17");
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "."]);
    git(project.path(), &["commit", "-q", "-m", "fixture"]);

    let config = project.read("config/config.exs");
    project.write("config/config.exs", config + "\n# edited\n");
    // A dry run writes nothing, so it does not need (or run) the check.
    let dry = project.init(&["--dry-run"]);
    assert_eq!(
        (dry.code, dry.stderr.as_str()),
        (0, ""),
        "{}",
        dry.transcript()
    );
    // A warning, on stderr, not a refusal: --yes still applies.
    let dirty = project.init(&["--yes"]);
    assert_eq!(dirty.code, 0, "{}", dirty.transcript());
    assert_eq!(
        dirty.stderr,
        "warning: the git working tree has uncommitted changes (M config/config.exs); commit or stash them to review flycluster's changes on their own\n"
    );
    assert!(
        !dirty.stdout.contains("uncommitted"),
        "warnings belong on stderr"
    );
    assert_eq!(
        project
            .read("lib/hello17/application.ex")
            .lines()
            .filter(|l| l.trim_start().starts_with("{DNSCluster"))
            .collect::<Vec<_>>(),
        [
            "      {DNSCluster, query: Application.get_env(:hello17, :dns_cluster_query) || :ignore},"
        ]
    );
}

#[test]
fn a_clean_git_tree_gets_no_warning() {
    if !require_tool("git") {
        return;
    }
    let project = TestProject::from_fixture("phx17");
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "."]);
    git(project.path(), &["commit", "-q", "-m", "fixture"]);
    let clean = project.init(&["--yes"]);
    assert_eq!(
        (clean.code, clean.stderr.as_str()),
        (0, ""),
        "{}",
        clean.transcript()
    );
}

/// In a larger repository only the project's own folder counts.
#[test]
fn changes_outside_the_project_do_not_count() {
    if !require_tool("git") {
        return;
    }
    let repo = TestProject::empty();
    common::copy_fixture(&common::fixture_dir("phx17"), &repo.path().join("apps/web"));
    repo.write("notes.txt", "one\n");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "fixture"]);
    repo.write("notes.txt", "two\n");
    let run = run_bin(&["init", "--yes"], Some(&repo.path().join("apps/web")));
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, ""),
        "{}",
        run.transcript()
    );
    git(repo.path(), &["checkout", "-q", "--", "apps"]);
    git(repo.path(), &["clean", "-qfd", "--", "apps"]);
    repo.write("apps/web/mix.exs", repo.read("apps/web/mix.exs") + "\n");
    let run = run_bin(&["init", "--yes"], Some(&repo.path().join("apps/web")));
    assert_eq!(
        run.stderr,
        "warning: the git working tree has uncommitted changes (M apps/web/mix.exs); commit or stash them to review flycluster's changes on their own\n"
    );
}
