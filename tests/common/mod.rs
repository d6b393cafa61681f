//! Test harness: a project copied from a fixture into a temporary folder, the real binary run on it,
//! and helpers for the real tools (elixir, shellcheck, sh) that must judge the output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture_dir(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("tests/fixtures").join(name);
    if fixture.exists() {
        fixture
    } else {
        root.join(name)
    }
}

/// One `#[test]` per case, gathered in a module named after the behaviour, so a failure names both
/// (`doctor::finding::env_sh_missing`):
///
/// ```ignore
/// common::cases! {
///     mod finding = gives_exactly {
///         healthy: ("healthy", 0),
///         env_sh_missing: ("env_sh_missing", 1),
///     }
/// }
/// ```
///
/// Each case calls the runner (a function of the file the macro is used in) with its arguments.
/// `finding::NAMES` lists the cases, for a guard that every fixture has one.
#[allow(unused_macros)]
macro_rules! cases {
    ($(#[$meta:meta])* mod $module:ident = $runner:ident {
        $($(#[$case_meta:meta])* $name:ident: ($($arg:expr),* $(,)?)),* $(,)?
    }) => {
        $(#[$meta])*
        mod $module {
            $($(#[$case_meta])* #[test] fn $name() { super::$runner($($arg),*) })*

            /// Every case's name, in the order listed.
            #[allow(dead_code)]
            pub const NAMES: &[&str] = &[$(stringify!($name)),*];
        }
    };
}
#[allow(unused_imports)]
pub(crate) use cases;

/// A copy of a fixture project in a temporary folder.
pub struct TestProject {
    pub dir: tempfile::TempDir,
}

impl TestProject {
    pub fn from_fixture(name: &str) -> TestProject {
        let dir = tempfile::Builder::new()
            .prefix("flycluster-test-")
            .tempdir()
            .unwrap();
        copy_fixture(&fixture_dir(name), dir.path());
        TestProject { dir }
    }

    pub fn empty() -> TestProject {
        TestProject {
            dir: tempfile::Builder::new()
                .prefix("flycluster-test-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path().join(rel)).unwrap()
    }

    /// Every file under the project with its bytes, for before/after comparisons.
    pub fn snapshot_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }

    /// Run `flycluster init ARGS PROJECT`.
    pub fn init(&self, args: &[&str]) -> Run {
        let mut all = vec!["init"];
        all.extend_from_slice(args);
        run_bin(&all, Some(self.path()))
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            walk(root, &p, out);
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// The line fixtures hold where a configured rel/env.sh.eex has flycluster's block: copies get the
/// block as the current template renders it, so a template change touches no fixture.
pub const BLOCK_PLACEHOLDER: &str = "# @flycluster-block@\n";

/// A fixture may hold only what its case changes: the file `.fixture-base` in it names another
/// fixture (as [`fixture_dir`] takes it), whose files are laid down first and then replaced by the
/// fixture's own. A template change then touches one base, not every copy of it.
pub const FIXTURE_BASE: &str = ".fixture-base";

/// What a case lacks that its base has: the file `.fixture-remove` beside `.fixture-base` lists
/// paths relative to the project, one a line (a folder goes with all it holds). They are deleted
/// after the base is laid down and before the fixture's own files go on top. A path that is not in
/// the base, or that the fixture itself holds, is a mistake in the fixture: the copy panics.
pub const FIXTURE_REMOVE: &str = ".fixture-remove";

/// The fixture's files with its base's under them, less what it removes, copied to `to`; each
/// rel/env.sh.eex with flycluster's block rendered in place of [`BLOCK_PLACEHOLDER`].
pub fn copy_fixture(fixture: &Path, to: &Path) {
    let base = std::fs::read_to_string(fixture.join(FIXTURE_BASE));
    if let Ok(base) = &base {
        copy_fixture(&fixture_dir(base.trim()), to);
    }
    let removals = fixture_removals(fixture);
    assert!(
        removals.is_empty() || base.is_ok(),
        "{}: a {FIXTURE_REMOVE} needs a {FIXTURE_BASE} to remove from",
        fixture.display()
    );
    for rel in removals {
        let path = to.join(&rel);
        assert!(
            !fixture.join(&rel).exists(),
            "{}: `{rel}` is both removed and in the fixture",
            fixture.display()
        );
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path).unwrap(),
            Ok(_) => std::fs::remove_file(&path).unwrap(),
            Err(_) => panic!(
                "{}: {FIXTURE_REMOVE} names `{rel}`, which its base does not have",
                fixture.display()
            ),
        }
    }
    copy_dir(fixture, to);
}

/// The paths a fixture's `.fixture-remove` lists (none without one), each checked to stay inside
/// the project.
pub fn fixture_removals(fixture: &Path) -> Vec<String> {
    let Ok(list) = std::fs::read_to_string(fixture.join(FIXTURE_REMOVE)) else {
        return Vec::new();
    };
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|rel| {
            let inside = Path::new(rel)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            assert!(
                inside,
                "{}: {FIXTURE_REMOVE} names `{rel}`, which is not a path inside the project",
                fixture.display()
            );
            rel.trim_end_matches('/').to_string()
        })
        .collect()
}

/// Copies a folder as it is, but for the fixture's own `.fixture-base` and `.fixture-remove`,
/// rendering flycluster's block into each rel/env.sh.eex that holds [`BLOCK_PLACEHOLDER`].
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == FIXTURE_BASE || entry.file_name() == FIXTURE_REMOVE {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() == "env.sh.eex" {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(&target, with_block(&text)).unwrap();
            std::fs::set_permissions(&target, entry.metadata().unwrap().permissions()).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The same for the block `init --database external` writes (no ECTO_IPV6).
pub const BLOCK_OUTSIDE_FLY_PLACEHOLDER: &str = "# @flycluster-block-outside-fly@\n";

/// `text` with the placeholder lines replaced by the blocks flycluster writes.
pub fn with_block(text: &str) -> String {
    let block = |ecto_ipv6| {
        flycluster::shell::render_block(flycluster::shell::BlockOptions {
            ecto_ipv6,
            image_suffix: true,
        })
    };
    text.replace(BLOCK_PLACEHOLDER, &block(true))
        .replace(BLOCK_OUTSIDE_FLY_PLACEHOLDER, &block(false))
}

impl std::ops::Deref for TestProject {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.path()
    }
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub project: Option<PathBuf>,
}

impl Run {
    /// Status, stdout and stderr with temporary paths and cookies replaced, for a snapshot.
    pub fn transcript(&self) -> String {
        let text = format!(
            "status: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        );
        redact(&text, self.project.as_deref())
    }
}

pub fn redact(text: &str, project: Option<&Path>) -> String {
    let mut text = text.to_string();
    if let Some(p) = project {
        if let Ok(real) = p.canonicalize() {
            text = text.replace(&real.display().to_string(), "[PROJECT]");
        }
        text = text.replace(&p.display().to_string(), "[PROJECT]");
    }
    let cookie = regex::Regex::new(r"[A-Za-z0-9_-]{54}==").unwrap();
    let text = cookie.replace_all(&text, "[COOKIE]").to_string();
    without_block(&text)
}

/// Each rendering of flycluster's block in a diff (`+` lines, as text or inside a JSON string)
/// becomes one `+[flycluster block]` line, and the hunk holding it loses its line counts, so a
/// change of the template touches only the snapshots that show the block on purpose.
pub fn without_block(text: &str) -> String {
    use flycluster::shell::{BlockOptions, render_block};
    let mut text = text.to_string();
    for ecto_ipv6 in [true, false] {
        for image_suffix in [true, false] {
            let block = render_block(BlockOptions {
                ecto_ipv6,
                image_suffix,
            });
            let added: String = block.lines().map(|l| format!("+{l}\n")).collect();
            text = text.replace(&added, "+[flycluster block]\n");
            let escaped = serde_json::to_string(&added).unwrap();
            let escaped = &escaped[1..escaped.len() - 1];
            text = text.replace(escaped, "+[flycluster block]\\n");
        }
    }
    // A hunk runs from its `@@ -` to the next one (or the end).
    let header = regex::Regex::new(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@").unwrap();
    let starts: Vec<regex::Captures> = header.captures_iter(&text).collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (k, m) in starts.iter().enumerate() {
        let whole = m.get(0).unwrap();
        let end = starts
            .get(k + 1)
            .map_or(text.len(), |n| n.get(0).unwrap().start());
        out.push_str(&text[at..whole.start()]);
        if text[whole.end()..end].contains("+[flycluster block]") {
            out.push_str(&format!("@@ -{} +{} @@", &m[1], &m[2]));
        } else {
            out.push_str(whole.as_str());
        }
        at = whole.end();
    }
    out.push_str(&text[at..]);
    out
}

/// Run the binary with `args` (the project path appended when given) through assert_cmd: stdin is an
/// empty pipe (no terminal), no colour variables.
pub fn run_bin(args: &[&str], project: Option<&Path>) -> Run {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_flycluster"));
    cmd.args(args);
    if let Some(p) = project {
        cmd.arg(p);
    }
    cmd.env_remove("NO_COLOR")
        .env_remove("FLYCLUSTER_FAIL_WRITE");
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        project: project.map(Path::to_path_buf),
    }
}

/// insta settings: snapshots live in `snapshots/` at the crate root.
pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Whether a real tool is installed. Under `CI=true` a missing tool fails the test; locally the
/// test says loudly that it was skipped.
pub fn require_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "`{tool}` is not installed, and CI=true requires it: run .ci/run, or `apt-get install -y {tool}`"
        );
    }
    eprintln!(
        "\n!!!!! SKIPPED: `{tool}` is not installed; this test checked nothing. Install it (apt-get install -y {tool}) to run it. !!!!!\n"
    );
    false
}

/// The path of a helper script in tests/support/.
pub fn support(file: &str) -> String {
    format!("{}/tests/support/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// `original` with each `(from, to)` applied in turn, each `from` found exactly once: what a file
/// must read, whole, after an edit that changes only those places.
pub fn edited(original: &str, edits: &[(&str, &str)]) -> String {
    let mut text = original.to_string();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` is not in the text exactly once:\n{text}"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// The file `rel` of the fixture `fixture` as the tests lay it down.
pub fn fixture_file(fixture: &str, rel: &str) -> String {
    TestProject::from_fixture(fixture).read(rel)
}

/// The diffs of an init run's text output: everything before its first empty line (a diff's
/// context lines start with a space, even blank ones).
pub fn diffs_of(stdout: &str) -> &str {
    stdout.split("\n\n").next().unwrap_or("")
}

/// The report lines of an init run that say a file was written (`created`, `updated`): none on a
/// second run.
pub fn changed_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| matches!(l.split_whitespace().next(), Some("created" | "updated")))
        .collect()
}

/// The DNSPoll topology init adds first in the prod block, under `config :APP, KEY:`, named
/// `name`, with the blank line after it.
pub fn fly_topology(app: &str, key: &str, name: &str) -> String {
    format!(
        r#"  if System.get_env("DNS_CLUSTER_QUERY") do
    config :{app},
      {key}: [
        {name}: [
          strategy: Cluster.Strategy.DNSPoll,
          config: [
            polling_interval: 5_000,
            query: System.get_env("DNS_CLUSTER_QUERY"),
            node_basename: System.get_env("RELEASE_NODE", "") |> String.split("@") |> hd()
          ]
        ]
      ]
  end

"#
    )
}

/// Every .ex/.exs file under `root` (relative paths), skipping deps and _build.
pub fn elixir_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if !matches!(e.file_name().to_str(), Some("deps" | "_build")) {
                    stack.push(p);
                }
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("ex" | "exs")) {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Elixir's verdict on each of `files` of the project at `root`: `ok`, `unformatted` or `syntax`,
/// with the whole report for messages.
pub fn elixir_verdicts(root: &Path, files: &[String]) -> (Vec<(String, String)>, String) {
    let out = Command::new("elixir")
        .arg(support("check_elixir.exs"))
        .arg(root)
        .args(files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "elixir failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts = text
        .lines()
        .filter_map(|l| {
            let (verdict, rest) = l.split_once(' ')?;
            if !matches!(verdict, "ok" | "unformatted" | "syntax") {
                return None;
            }
            let file = rest.split(": ").next().unwrap_or(rest);
            Some((file.to_string(), verdict.to_string()))
        })
        .collect();
    (verdicts, text)
}

/// Ask Elixir about `files` of the project at `root`; panic with its verdict when any is not ok.
pub fn assert_elixir_ok(root: &Path, files: &[String], label: &str) {
    let (verdicts, text) = elixir_verdicts(root, files);
    let bad: Vec<&(String, String)> = verdicts.iter().filter(|(_, v)| v != "ok").collect();
    assert!(
        bad.is_empty(),
        "{label}: Elixir rejects the output:\n{text}"
    );
    assert_eq!(verdicts.len(), files.len(), "{label}: {text}");
}

/// One `fly ssh console` call the stand-in fly (tests/support/fly) logged: machine, `rpc` or
/// `eval`, start and end in seconds since the epoch.
pub type FlyCall = (String, String, f64, f64);

/// The stand-in fly's `calls.log`, one call a line, in the order the calls returned.
pub fn fly_calls(log: &str) -> Vec<FlyCall> {
    log.lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (
                w[0].to_string(),
                w[1].to_string(),
                w[2].parse().unwrap(),
                w[3].parse().unwrap(),
            )
        })
        .collect()
}

/// `(a, b, reasons)` of each pair of a `flycluster verify --format json` document that is not
/// connected.
pub fn verify_missing_pairs(doc: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    doc["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["connected"] == false)
        .map(|p| {
            let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
            let reasons = p["reasons"].as_array().unwrap();
            (
                text(&p["a"]),
                text(&p["b"]),
                reasons.iter().map(text).collect(),
            )
        })
        .collect()
}

/// The ids of a JSON document's `findings`, in order.
pub fn finding_ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Whitespace runs as one space, without a trailing comma: a snippet as a one-line fix spells it.
pub fn one_line(code: &str) -> String {
    code.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(',')
        .to_string()
}

/// The one-verdict contract, judged on `doctor --format json` after `init --yes` exited
/// `init_code` listing `manual_steps` (from init's JSON plan): the problems it does not allow.
/// After exit 0 every problem; after exit 3 each problem that is not one of the manual steps: the
/// same finding id, in the same file, with the step's snippet in its fix (the same words). When
/// doctor judges both libraries (both started, or depended on), either one forms the cluster once
/// it is set up, and doctor then judges what the other lacks as warnings: a step for one
/// library's finding (`dns-cluster-*`, `libcluster-*`) also answers the other library's problems.
pub fn unexplained_problems(
    doctor: &serde_json::Value,
    init_code: i32,
    manual_steps: &[serde_json::Value],
) -> Vec<String> {
    let findings = doctor["findings"].as_array().expect("findings is an array");
    let library = |id: &serde_json::Value| {
        let id = id.as_str().unwrap_or_default();
        ["dns-cluster-", "libcluster-"]
            .into_iter()
            .find(|prefix| id.starts_with(prefix))
    };
    let judged = |prefix: &str| findings.iter().any(|f| library(&f["id"]) == Some(prefix));
    let both_judged = judged("dns-cluster-") && judged("libcluster-");
    findings
        .iter()
        .filter(|f| f["severity"] == "problem")
        .filter(|f| {
            init_code != 3
                || !manual_steps.iter().any(|step| {
                    let same_step = step["id"] == f["id"]
                        && step["path"] == f["file"]
                        && f["fix"].as_str().is_some_and(|fix| {
                            one_line(fix).contains(&one_line(step["snippet"].as_str().unwrap()))
                        });
                    let other_library = both_judged
                        && library(&f["id"]).is_some()
                        && library(&step["id"]).is_some()
                        && library(&step["id"]) != library(&f["id"]);
                    same_step || other_library
                })
        })
        .map(|f| format!("{} {}:{}: {}", f["id"], f["file"], f["line"], f["message"]))
        .collect()
}

/// The same fact, the same words of it: each warning in init's JSON plan (`init_plan`) about a fact
/// doctor judges (an id that is not init's own) is one of doctor's findings (`doctors`: doctor's
/// JSON documents on the same project, before init and after it), with the same id, in the same
/// file, at the same line when the warning names one, and not as ok. The mismatches, as lines.
pub fn warnings_doctor_does_not_report(
    init_plan: &serde_json::Value,
    doctors: &[&serde_json::Value],
) -> Vec<String> {
    let init_only: Vec<&str> = flycluster::facts::InitOnly::ALL
        .iter()
        .map(|id| id.name())
        .collect();
    init_plan["warnings"]
        .as_array()
        .expect("warnings is an array")
        .iter()
        .filter(|w| !init_only.contains(&w["id"].as_str().expect("a warning has an id")))
        .filter(|w| {
            !doctors.iter().any(|doctor| {
                doctor["findings"]
                    .as_array()
                    .expect("findings is an array")
                    .iter()
                    .any(|f| {
                        f["id"] == w["id"]
                            && f["file"] == w["file"]
                            && (w["line"].is_null() || f["line"] == w["line"])
                            && f["severity"] != "ok"
                    })
            })
        })
        .map(|w| format!("{} {}:{}: {}", w["id"], w["file"], w["line"], w["message"]))
        .collect()
}
