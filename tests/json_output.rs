//! `flycluster init --format json`: stdout is exactly one JSON document (the schema README.md's
//! "JSON output" section describes), human text goes to stderr, and the cookie is in the document
//! only when it must be set as a secret or was written to a file.

mod common;
use common::{TestProject, insta_settings, redact, run_bin};
use serde_json::Value;

/// stdout must parse as one JSON value with nothing else around it.
fn parse_document(stdout: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not exactly one JSON document ({e}):\n{stdout}"))
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

fn string<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {value}"))
}

fn string_or_null<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    match &value[key] {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => panic!("`{key}` is neither a string nor null: {other}"),
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array in {value}"))
}

/// The schema README.md documents: every key present, with its type, and nothing else.
fn check_schema(doc: &Value) {
    assert_eq!(
        keys(doc),
        [
            "applied",
            "cookie",
            "cookie_mode",
            "database",
            "files",
            "fly_app",
            "manual_steps",
            "mode",
            "next_steps",
            "otp_app",
            "warnings"
        ],
        "top-level keys"
    );
    assert!(["dry-run", "check", "apply"].contains(&string(doc, "mode")));
    assert!(doc["applied"].is_boolean());
    assert_eq!(
        doc["applied"].as_bool(),
        Some(string(doc, "mode") == "apply")
    );
    assert!(!string(doc, "otp_app").is_empty());
    assert!(!string(doc, "fly_app").is_empty());
    assert!(["secret", "fly-toml", "none"].contains(&string(doc, "cookie_mode")));
    assert!(["fly", "external", "none"].contains(&string(doc, "database")));
    if let Some(cookie) = string_or_null(doc, "cookie") {
        assert_cookie(cookie);
    }
    for file in array(doc, "files") {
        assert_eq!(
            keys(file),
            ["action", "diff", "kind", "note", "path"],
            "file entry {file}"
        );
        let path = string(file, "path");
        assert!(!path.is_empty() && !path.starts_with('/'), "{path}");
        assert!(
            [
                "env-sh",
                "deps",
                "application",
                "runtime",
                "dockerfile",
                "fly-toml"
            ]
            .contains(&string(file, "kind")),
            "{file}"
        );
        let action = string(file, "action");
        assert!(
            ["created", "updated", "unchanged", "skipped", "manual"].contains(&action),
            "{file}"
        );
        let diff = string(file, "diff");
        match action {
            "created" => assert!(
                diff.starts_with(&format!("--- /dev/null\n+++ b/{path}\n")),
                "{file}"
            ),
            "updated" => assert!(
                diff.starts_with(&format!("--- a/{path}\n+++ b/{path}\n")),
                "{file}"
            ),
            _ => assert_eq!(diff, "", "{file}"),
        }
        string_or_null(file, "note");
    }
    let finding_ids: Vec<&str> = flycluster::facts::FindingId::ALL
        .iter()
        .map(|id| id.name())
        .collect();
    let init_only: Vec<&str> = flycluster::facts::InitOnly::ALL
        .iter()
        .map(|id| id.name())
        .collect();
    for warning in array(doc, "warnings") {
        assert_eq!(
            keys(warning),
            ["file", "id", "line", "message"],
            "warning {warning}"
        );
        let id = string(warning, "id");
        assert!(
            finding_ids.contains(&id) || init_only.contains(&id),
            "{warning}"
        );
        let file = string_or_null(warning, "file");
        assert!(
            warning["line"].is_null() || (file.is_some() && warning["line"].as_u64() > Some(0)),
            "a line is in a file, 1-based: {warning}"
        );
        assert!(!string(warning, "message").is_empty(), "{warning}");
    }
    for step in array(doc, "manual_steps") {
        assert_eq!(
            keys(step),
            ["id", "location", "path", "reason", "snippet"],
            "manual step {step}"
        );
        assert!(finding_ids.contains(&string(step, "id")), "{step}");
        for key in ["location", "path", "reason"] {
            assert!(!string(step, key).is_empty(), "{step}");
        }
    }
    let steps = array(doc, "next_steps");
    assert!(!steps.is_empty());
    for step in steps {
        assert!(step.is_string(), "{step}");
    }
}

/// The diffs `init --dry-run` prints as text on the project: its stdout up to the first empty line
/// (a diff's context lines start with a space, even blank ones).
fn text_diffs(project: &TestProject) -> String {
    let run = project.init(&["--dry-run"]);
    let diffs = common::diffs_of(&run.stdout);
    assert!(diffs.starts_with("--- "), "{}", run.transcript());
    format!("{diffs}\n")
}

fn assert_cookie(cookie: &str) {
    assert_eq!(cookie.len(), 56, "{cookie}");
    assert!(
        cookie
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='),
        "{cookie}"
    );
}

#[test]
fn dry_run_prints_one_document_and_the_diffs_on_stderr() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    let before = project.snapshot_files();
    let run = project.init(&["--dry-run", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(project.snapshot_files(), before, "--dry-run wrote");
    let doc = parse_document(&run.stdout);
    check_schema(&doc);
    assert_eq!(doc["mode"], "dry-run");
    // The human diffs belong on stderr: the text dry run's diffs, and nothing else.
    assert_eq!(run.stderr, text_diffs(&project));
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            "json_dry_run_hello_elixir",
            redact(&run.stdout, Some(project.path()))
        );
    });
}

#[test]
fn yes_prints_one_document_after_applying() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    let dry_diffs = text_diffs(&project);
    let dry = parse_document(&project.init(&["--dry-run", "--format", "json"]).stdout);
    let run = project.init(&["--yes", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let doc = parse_document(&run.stdout);
    check_schema(&doc);
    assert_eq!(doc["mode"], "apply");
    assert_eq!(doc["applied"], true);
    let original =
        std::fs::read_to_string(common::fixture_dir("examples/hello_elixir/mix.exs")).unwrap();
    assert_eq!(
        project.read("mix.exs"),
        original.replace(
            "      {:plug_cowboy, \"~> 2.5\"}\n",
            "      {:plug_cowboy, \"~> 2.5\"},\n      {:dns_cluster, \"~> 0.2.0\"}\n"
        )
    );
    // Applying reports what the dry run planned; only the mode and this run's cookie differ.
    let comparable = |doc: &Value| {
        let mut doc = doc.clone();
        for key in ["mode", "applied"] {
            doc.as_object_mut().unwrap().remove(key);
        }
        redact(&doc.to_string(), None)
    };
    assert_eq!(comparable(&doc), comparable(&dry));
    // The summary and next steps are in the document, and not repeated as text: stderr holds the
    // diffs the dry run showed, and nothing else.
    assert_eq!(run.stderr, dry_diffs);

    // A second run: every file unchanged, still one document.
    let again = project.init(&["--yes", "--format", "json"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    let doc = parse_document(&again.stdout);
    check_schema(&doc);
    for file in array(&doc, "files") {
        assert_eq!(file["action"], "unchanged", "{file}");
    }
}

#[test]
fn check_prints_one_document_and_exits_1_on_drift() {
    let project = TestProject::from_fixture("phx17");
    let run = project.init(&["--check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let doc = parse_document(&run.stdout);
    check_schema(&doc);
    assert_eq!(doc["mode"], "check");
    assert_eq!(
        run.stderr,
        format!(
            "{}flycluster: the project is not fully set up for clustering (see above); run `flycluster init`\n",
            text_diffs(&project)
        )
    );

    let project = TestProject::from_fixture("configured");
    let run = project.init(&["--check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    check_schema(&parse_document(&run.stdout));
}

/// The modes and options each fixture runs with, the schema checked every time.
const MODES: &[&[&str]] = &[
    &["--dry-run"],
    &["--check"],
    &["--dry-run", "--cookie", "fly-toml", "--app", "some-app"],
    &["--dry-run", "--cookie", "none", "--skip", "dockerfile"],
    &["--yes", "--app", "some-app"],
];

/// `init ARGS --format json` on a fresh copy of `fixture`, for each of [`MODES`]: the exit code
/// each gives, and one document that follows the schema.
fn follows_the_schema(fixture: &str, codes: [i32; 5]) {
    let got: Vec<i32> = MODES
        .iter()
        .map(|args| {
            let project = TestProject::from_fixture(fixture);
            let mut all = args.to_vec();
            all.extend(["--format", "json"]);
            let run = project.init(&all);
            check_schema(&parse_document(&run.stdout));
            run.code
        })
        .collect();
    assert_eq!(got, codes, "{fixture}: the exit code of each of {MODES:?}");
}

common::cases! {
    mod every_fixture_and_mode_follows_the_schema = follows_the_schema {
        phx15: ("phx15", [0, 1, 0, 0, 0]),
        phx16: ("phx16", [0, 1, 0, 0, 0]),
        phx17: ("phx17", [0, 1, 0, 0, 0]),
        phx18_dnscluster: ("phx18_dnscluster", [0, 1, 0, 0, 0]),
        configured: ("configured", [0; 5]),
        fly_launch_configured: ("fly_launch_configured", [0, 1, 0, 0, 0]),
        example_hello_elixir: ("examples/hello_elixir", [0, 1, 0, 0, 0]),
    }
}

#[test]
fn manual_steps_carry_the_snippet_and_where_it_goes() {
    let project = TestProject::from_fixture("phx17");
    // A children list built by a function: nothing safe to edit.
    project.write(
        "lib/hello17/application.ex",
        "defmodule Hello17.Application do\n  use Application\n\n  @impl true\n  def start(_type, _args) do\n    Supervisor.start_link(children(), strategy: :one_for_one, name: Hello17.Supervisor)\n  end\n\n  defp children, do: [Hello17Web.Endpoint]\nend\n",
    );
    let run = project.init(&["--dry-run", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let doc = parse_document(&run.stdout);
    check_schema(&doc);
    let steps = array(&doc, "manual_steps");
    assert_eq!(steps.len(), 1, "{doc}");
    assert_eq!(steps[0]["path"], "lib/hello17/application.ex");
    assert_eq!(
        string(&steps[0], "snippet"),
        "{DNSCluster, query: Application.get_env(:hello17, :dns_cluster_query) || :ignore},"
    );
    let file = array(&doc, "files")
        .iter()
        .find(|f| f["kind"] == "application")
        .unwrap();
    assert_eq!(file["action"], "manual");
    assert_eq!(
        run.stderr,
        format!(
            "{}manual step: `lib/hello17/application.ex`: the children list on line 9 is too long for one line with the new element, and where it stands `mix format` would break the code around it first; assign the list to a variable (`children = [...]`) or break it one element a line\n  in the children list on line 9, after the PubSub child and before the Endpoint, add:\n    {{DNSCluster, query: Application.get_env(:hello17, :dns_cluster_query) || :ignore}},\n",
            text_diffs(&project)
        )
    );
}

/// The cookie is in the document only when it must be set as a secret or was written to a file.
#[test]
fn the_cookie_is_in_the_document_only_when_it_must_be() {
    // secret (the default): the command to run holds the same cookie.
    let project = TestProject::from_fixture("examples/hello_elixir");
    let doc = parse_document(&project.init(&["--dry-run", "--format", "json"]).stdout);
    let cookie = string_or_null(&doc, "cookie").expect("secret mode shows the cookie");
    assert_cookie(cookie);
    assert_eq!(
        doc["next_steps"][1],
        format!(
            "fly secrets set RELEASE_COOKIE={cookie} --app hello-elixir   # once per app: nodes must share one cookie"
        ),
        "{doc}"
    );

    // none: no cookie anywhere.
    let doc = parse_document(
        &project
            .init(&["--dry-run", "--cookie", "none", "--format", "json"])
            .stdout,
    );
    assert_eq!(doc["cookie"], Value::Null);
    assert_eq!(doc["cookie_mode"], "none");
    assert!(!doc.to_string().contains("RELEASE_COOKIE="), "{doc}");

    // fly-toml: the cookie written into fly.toml.
    let run = project.init(&["--yes", "--cookie", "fly-toml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let doc = parse_document(&run.stdout);
    let cookie = string_or_null(&doc, "cookie").expect("the cookie written to fly.toml");
    let fly_toml = project.read("fly.toml");
    assert_eq!(
        fly_toml
            .lines()
            .filter(|l| l.trim_start().starts_with("RELEASE_COOKIE"))
            .collect::<Vec<_>>(),
        [format!("  RELEASE_COOKIE = '{cookie}'")],
        "{fly_toml}"
    );
    // ... and not when this run wrote nothing (the cookie stays where it was).
    let run = project.init(&["--yes", "--cookie", "fly-toml", "--format", "json"]);
    let doc = parse_document(&run.stdout);
    assert_eq!(doc["cookie"], Value::Null, "{doc}");
}

#[test]
fn json_never_goes_with_prompting() {
    // Without a terminal the refusal comes first; the JSON flag does not change it.
    let project = TestProject::from_fixture("phx17");
    let run = project.init(&["--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(run.stdout, "");
}

#[test]
fn errors_leave_stdout_empty() {
    let run = run_bin(
        &[
            "init",
            "--dry-run",
            "--format",
            "json",
            "--app",
            "Not_Valid",
        ],
        Some(TestProject::from_fixture("phx17").path()),
    );
    insta::assert_snapshot!(run.transcript(), @"
    status: 2
    ----- stdout -----
    ----- stderr -----
    error: `Not_Valid` is not a valid Fly app name
    help: Fly app names use lowercase letters, digits and dashes, start with a letter and are at most 63 characters
    ");
}

/// README.md's "JSON output" tables name exactly the keys the document has.
#[test]
fn the_readme_documents_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("JSON output") || s.starts_with("## JSON output"))
        .expect("README.md has a `## JSON output` section");
    // Each `| key | type | meaning |` table: the backticked names in its first column.
    let mut tables: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    for line in section.lines() {
        if line.starts_with("| key | type | meaning |") {
            tables.push(Vec::new());
            in_table = true;
        } else if in_table && line.starts_with("| `") {
            let name = line[3..].split('`').next().unwrap().to_string();
            tables.last_mut().unwrap().push(name);
        } else if !line.starts_with('|') {
            in_table = false;
        }
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let project = TestProject::from_fixture("phx17");
    project.write(
        "lib/hello17/application.ex",
        "defmodule Hello17.Application do\n  use Application\n\n  def start(_type, _args) do\n    Supervisor.start_link(children(), strategy: :one_for_one)\n  end\n\n  defp children, do: []\nend\n",
    );
    // A cookie in plain text: a warning.
    project.write(
        "fly.toml",
        "app = \"hello17\"\n\n[env]\n  RELEASE_COOKIE = \"plain\"\n",
    );
    let doc = parse_document(&project.init(&["--dry-run", "--format", "json"]).stdout);
    let names = |v: &Value| keys(v).into_iter().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        tables.len(),
        4,
        "the document, a file entry, a warning, a manual step"
    );
    assert_eq!(sorted(tables[0].clone()), names(&doc), "top-level keys");
    assert_eq!(
        sorted(tables[1].clone()),
        names(&doc["files"][0]),
        "file entry keys"
    );
    assert_eq!(
        sorted(tables[2].clone()),
        names(&doc["warnings"][0]),
        "warning keys"
    );
    assert_eq!(
        sorted(tables[3].clone()),
        names(&doc["manual_steps"][0]),
        "manual step keys"
    );
}
