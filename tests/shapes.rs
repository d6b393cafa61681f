//! The shapes real projects come in: one fixture per shape under tests/fixtures/shapes/,
//! each run through `init --yes` with the specific outcome asserted (the child in the right list and
//! place, a file left byte-for-byte, CRLF kept, a manual step with its snippet), the `--dry-run` diff
//! snapshotted, and a second run that changes nothing. Each run also keeps the one-verdict contract:
//! `doctor` on the result reports no problem, or init exited 3 and doctor's problems are the manual
//! steps it listed. The Elixir judgement (one more test per shape and setup) has the real Elixir
//! read every result: it parses, and stays formatted where the input was formatted.
//!
//! The clustering setups earlier Fly guides, `fly launch` and `mix phx.new` left in projects
//! (FLY-SETUPS.md, one generation after another) run through the same harness, from
//! tests/fixtures/setups/.

mod common;
use common::{TestProject, elixir_files, elixir_verdicts, insta_settings, require_tool, run_bin};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const APP: &str = "hello-app";

/// Fixtures whose Elixir input is unformatted on purpose; the result only has to parse.
const UNFORMATTED_INPUT: &[&str] = &["last_child_same_line_comment"];

/// The kinds each group of shapes is about, for the snapshotted dry run.
const ELIXIR: &str = "deps,application,runtime";
const ENV_SH: &str = "env-sh";
const DOCKERFILE: &str = "dockerfile";
const FLY_TOML: &str = "fly-toml";

fn dns_child(app: &str) -> String {
    format!("{{DNSCluster, query: Application.get_env(:{app}, :dns_cluster_query) || :ignore}}")
}

const DNS_DEP: &str = "{:dns_cluster, \"~> 0.2.0\"}";

fn query_config(app: &str) -> String {
    format!("config :{app}, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")")
}

/// What one shape's run left behind, for its assertions.
struct Outcome {
    project: TestProject,
    before: BTreeMap<String, Vec<u8>>,
    run: common::Run,
    /// The manual steps still to do after the run (`init --dry-run --format json` on the result).
    manual_steps: Vec<serde_json::Value>,
    /// init's JSON plan and doctor's JSON findings on the fixture before the run.
    plan_before: serde_json::Value,
    doctor_before: serde_json::Value,
}

impl Outcome {
    fn read(&self, rel: &str) -> String {
        self.project.read(rel)
    }

    fn exists(&self, rel: &str) -> bool {
        self.project.path().join(rel).exists()
    }

    fn original(&self, rel: &str) -> String {
        String::from_utf8(self.before[rel].clone()).unwrap()
    }

    /// stdout and stderr of the apply run.
    fn output(&self) -> String {
        format!("{}{}", self.run.stdout, self.run.stderr)
    }

    fn assert_untouched(&self, rel: &str) {
        assert!(
            self.project.read_bytes(rel) == self.before[rel],
            "{rel} was changed, it must stay byte-for-byte:\n{}",
            self.read(rel)
        );
    }

    /// Every file under `dir` (relative, `/`-terminated) is as it was, and none was added.
    fn assert_tree_untouched(&self, dir: &str) {
        let now: BTreeMap<String, Vec<u8>> = self
            .project
            .snapshot_files()
            .into_iter()
            .filter(|(p, _)| p.starts_with(dir))
            .collect();
        let was: BTreeMap<String, Vec<u8>> = self
            .before
            .iter()
            .filter(|(p, _)| p.starts_with(dir))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        assert!(
            now == was,
            "files under {dir} changed: {:?}",
            now.keys().collect::<Vec<_>>()
        );
    }

    /// Every line of the original is still there, in order (a trailing comma added to a line is
    /// allowed: that is how an element is appended after it; so is an option appended to a
    /// one-line `config` call).
    fn assert_lines_kept(&self, rel: &str) {
        assert_lines_kept(&self.original(rel), &self.read(rel), rel);
    }

    /// `rel` is exactly its original with each `from` (there once) replaced by `to`.
    fn assert_edited(&self, rel: &str, edits: &[(&str, &str)]) {
        assert_eq!(
            self.read(rel),
            common::edited(&self.original(rel), edits),
            "{rel}"
        );
    }

    /// The manual step: exit 3, one step whose snippet is exactly `snippet` (init's JSON), and the
    /// text output lists it: its heading `manual step: `PATH`: REASON` and each line of its snippet
    /// are whole lines of it. The step, for its other fields.
    fn assert_manual_step(&self, snippet: &str) -> &serde_json::Value {
        assert_eq!(self.run.code, 3, "{}", self.run.transcript());
        let steps: Vec<&serde_json::Value> = self
            .manual_steps
            .iter()
            .filter(|s| s["snippet"] == snippet)
            .collect();
        assert_eq!(
            steps.len(),
            1,
            "no single manual step with the snippet `{snippet}`: {:?}",
            self.manual_steps
        );
        let text = |key: &str| steps[0][key].as_str().unwrap().to_string();
        let heading = format!("manual step: `{}`: {}", text("path"), text("reason"));
        let out = self.output();
        for line in std::iter::once(heading.as_str()).chain(snippet.lines()) {
            assert!(
                out.lines().any(|l| l.trim() == line.trim()),
                "the manual step's line `{line}` is not a line of the output:\n{out}"
            );
        }
        steps[0]
    }
}

fn assert_lines_kept(before: &str, after: &str, label: &str) {
    let norm = |l: &str| {
        l.trim_end_matches(['\r', ' '])
            .trim_end_matches(',')
            .to_string()
    };
    let mut after_lines = after.lines().map(norm);
    for line in before.lines().map(norm) {
        assert!(
            after_lines
                .any(|l| l == line || (l.starts_with(&line) && l[line.len()..].starts_with(", "))),
            "{label}: the original line `{line}` is gone or out of order:\n{after}"
        );
    }
}

/// `needle` occurs exactly once in `text`; its byte offset.
fn once(text: &str, needle: &str, label: &str) -> usize {
    let n = text.matches(needle).count();
    assert_eq!(
        n, 1,
        "{label}: `{needle}` occurs {n} times, expected once:\n{text}"
    );
    text.find(needle).unwrap()
}

/// The DNSCluster child occurs once in `text`, after `after` and before `before` (their first
/// occurrences).
fn assert_child_between(
    text: &str,
    child: &str,
    after: Option<&str>,
    before: Option<&str>,
    label: &str,
) {
    let at = once(text, child, label);
    if let Some(after) = after {
        let a = text
            .find(after)
            .unwrap_or_else(|| panic!("{label}: `{after}` is gone:\n{text}"));
        assert!(
            a < at,
            "{label}: the child must come after `{after}`:\n{text}"
        );
    }
    if let Some(before) = before {
        let b = text
            .find(before)
            .unwrap_or_else(|| panic!("{label}: `{before}` is gone:\n{text}"));
        assert!(
            at < b,
            "{label}: the child must come before `{before}`:\n{text}"
        );
    }
    // Alone on its line (so not in a comment), with or without the comma after it.
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let line = text[line_start..].lines().next().unwrap().trim_start();
    assert!(
        line == child || line == format!("{child},"),
        "{label}: the child is not alone on its line `{line}`:\n{text}"
    );
}

/// The query config sits inside the top-level `if config_env() == :prod do` block, indented once.
fn assert_config_in_prod_block(text: &str, app: &str, label: &str) {
    let line = format!("  {}\n", query_config(app));
    let at = once(text, &line, label);
    let start = text
        .find("\nif config_env() == :prod do\n")
        .unwrap_or_else(|| panic!("{label}: no prod block:\n{text}"));
    let end = start + text[start..].find("\nend\n").unwrap();
    assert!(
        start < at && at < end,
        "{label}: the config is outside the prod block:\n{text}"
    );
}

/// How to run one shape.
struct Shape {
    /// The folder under tests/fixtures/ (`shapes` or `setups`).
    group: &'static str,
    name: &'static str,
    /// The Fly app name both runs and doctor get (`--app`): the one the fixture's fly.toml names.
    app: &'static str,
    /// Extra arguments for both runs (`--force`, `--otp-app`).
    args: &'static [&'static str],
    /// The kinds the snapshotted dry run shows.
    only: &'static str,
    /// The exit code of `init --yes`.
    code: i32,
    /// A suffix for the snapshot name when one fixture is run with different arguments.
    variant: &'static str,
}

const fn shape(name: &'static str, only: &'static str, code: i32) -> Shape {
    Shape {
        group: "shapes",
        name,
        app: APP,
        args: &[],
        only,
        code,
        variant: "",
    }
}

/// Copy the fixture, take the dry run's transcript, apply, check `expect`, apply again and check that
/// nothing changed; the dry run's snapshot is compared last, so a wrong outcome is reported first.
fn run_shape(shape: Shape, expect: impl FnOnce(&Outcome)) {
    let fixture = format!("{}/{}", shape.group, shape.name);

    let dry_project = TestProject::from_fixture(&fixture);
    let untouched = dry_project.snapshot_files();
    let mut dry_args = vec!["--dry-run", "--app", shape.app, "--only", shape.only];
    dry_args.extend_from_slice(shape.args);
    let dry = dry_project.init(&dry_args);
    assert_eq!(
        dry_project.snapshot_files(),
        untouched,
        "--dry-run wrote to {fixture}"
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let run = run_bin(args, Some(dry_project.path()));
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{fixture}: not JSON ({e}):\n{}", run.transcript()))
    };
    let mut plan_args = vec!["init", "--dry-run", "--format", "json", "--app", shape.app];
    plan_args.extend_from_slice(shape.args);
    let plan_before = json(&plan_args);
    let mut doctor_args = doctor_command(shape.args);
    doctor_args.extend_from_slice(&["--app", shape.app]);
    let doctor_before = json(&doctor_args);

    let project = TestProject::from_fixture(&fixture);
    let before: BTreeMap<String, Vec<u8>> = project.snapshot_files().into_iter().collect();
    let mut args = vec!["--yes", "--app", shape.app];
    args.extend_from_slice(shape.args);
    let run = project.init(&args);
    assert_eq!(
        run.code,
        shape.code,
        "{fixture}: exit code\n{}",
        run.transcript()
    );
    let manual_steps = {
        let mut json_args = vec!["init", "--dry-run", "--format", "json", "--app", shape.app];
        json_args.extend_from_slice(shape.args);
        let run = run_bin(&json_args, Some(project.path()));
        let doc: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{fixture}: not JSON ({e}):\n{}", run.transcript()));
        doc["manual_steps"].as_array().unwrap().clone()
    };
    let outcome = Outcome {
        project,
        before,
        run,
        manual_steps,
        plan_before,
        doctor_before,
    };
    expect(&outcome);
    assert_one_verdict(&shape, &outcome);

    let after_first = outcome.project.snapshot_files();
    let second = outcome.project.init(&args);
    assert_eq!(
        second.code,
        shape.code,
        "{fixture}: second run\n{}",
        second.transcript()
    );
    assert_eq!(
        outcome.project.snapshot_files(),
        after_first,
        "the second run changed {fixture}"
    );
    assert_eq!(
        common::changed_lines(&second.stdout),
        Vec::<&str>::new(),
        "{fixture}: the second run reports changes:\n{}",
        second.stdout
    );

    // `shape_NAME` for shapes, `setup_NAME` for the earlier setups.
    let prefix = shape.group.trim_end_matches('s');
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            format!("{prefix}_{}{}", shape.name, shape.variant),
            dry.transcript()
        );
    });
}

/// The one-verdict contract. init exited 0: doctor on the result reports no problem. init exited 3:
/// each problem doctor reports is one of the manual steps init listed, in the same file, and its
/// fix holds the step's snippet (the same words). And each warning init gave about a fact doctor
/// judges is one of doctor's findings, with the same id, file and line.
fn assert_one_verdict(shape: &Shape, o: &Outcome) {
    let path = o.project.path();
    let json = |args: &[&str]| -> serde_json::Value {
        let run = run_bin(args, Some(path));
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{}", shape.name, run.transcript()))
    };
    let mut doctor_args = doctor_command(shape.args);
    doctor_args.extend_from_slice(&["--app", shape.app]);
    let doctor = json(&doctor_args);
    let unexplained = common::unexplained_problems(&doctor, o.run.code, &o.manual_steps);
    let name = format!("{}{}", shape.name, shape.variant);
    assert!(
        unexplained.is_empty(),
        "{name}: init exited {}, and doctor then reports problems init did not list as manual steps:\n{}\n{}",
        o.run.code,
        unexplained.join("\n"),
        o.run.transcript()
    );
    let unreported =
        common::warnings_doctor_does_not_report(&o.plan_before, &[&o.doctor_before, &doctor]);
    assert!(
        unreported.is_empty(),
        "{name}: init warns about facts doctor does not report with the same id, file and line:\n{}\n--- doctor before init ---\n{:#}",
        unreported.join("\n"),
        o.doctor_before
    );
}

/// `doctor --format json` with the arguments of a shape's runs that doctor takes too
/// (`--otp-app NAME`); `--force` and the like are init's alone.
fn doctor_command(args: &[&'static str]) -> Vec<&'static str> {
    let mut out = vec!["doctor", "--format", "json"];
    out.extend(
        args.windows(2)
            .filter(|w| w[0] == "--otp-app")
            .flatten()
            .copied(),
    );
    out
}

/// The ordinary single-app outcome: the child between `after` and `before` in `app_file`, the dep in
/// mix.exs, the config in runtime.exs's prod block.
fn standard_outcome(o: &Outcome, app_file: &str, after: Option<&str>, before: Option<&str>) {
    assert_child_between(
        &o.read(app_file),
        &dns_child("hello"),
        after,
        before,
        app_file,
    );
    once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
    assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
}

/// The config/runtime.exs init creates for `:hello` with its Repo, where there was none.
const CREATED_RUNTIME_EXS: &str = r#"import Config

# Written by flycluster: dns_cluster finds the other nodes of this Fly app through this DNS name.
if config_env() == :prod do
  config :hello, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

  maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []

  config :hello, Hello.Repo, socket_options: maybe_ipv6
end
"#;

const APP_EX: &str = "lib/hello/application.ex";
const PUBSUB: &str = "{Phoenix.PubSub, name: Hello.PubSub}";
const ENDPOINT: &str = "HelloWeb.Endpoint";

// ------------------------------------------------------------------ application.ex

/// The project most shapes are laid over (`shapes/plain`, their `.fixture-base`): a Phoenix 1.7
/// application with its children in one literal list.
#[test]
fn plain() {
    run_shape(shape("plain", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        o.assert_lines_kept(APP_EX);
        o.assert_lines_kept("mix.exs");
        o.assert_lines_kept("config/runtime.exs");
    });
}

#[test]
fn inline_start_link() {
    run_shape(shape("inline_start_link", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn concat_conditional() {
    run_shape(shape("concat_conditional", ELIXIR, 0), |o| {
        // In the list holding the PubSub, not in the conditional part or the Endpoint's list.
        standard_outcome(o, APP_EX, Some(PUBSUB), Some("] ++\n"));
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn rebound() {
    run_shape(shape("rebound", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some("\n\n    children =\n"));
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn private_fn() {
    run_shape(shape("private_fn", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        let text = o.read(APP_EX);
        assert!(
            text.find("defp children do").unwrap() < text.find("DNSCluster").unwrap(),
            "{text}"
        );
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn private_fn_env_clauses() {
    run_shape(shape("private_fn_env_clauses", ELIXIR, 3), |o| {
        let step = o.assert_manual_step(&format!("{},", dns_child("hello")));
        // Where it goes: the lists are built in `children/1`, not in `start/2`.
        assert_eq!(
            step["location"],
            "in each children list of `children/1` that should cluster, after the PubSub child and before the Endpoint"
        );
        o.assert_untouched(APP_EX);
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
    });
}

#[test]
fn case_branches_one_pubsub() {
    run_shape(shape("case_branches_one_pubsub", ELIXIR, 0), |o| {
        // Only in the branch that starts the PubSub and the Endpoint.
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        let text = o.read(APP_EX);
        assert!(
            text.find("DNSCluster").unwrap() < text.find(":worker ->").unwrap(),
            "{text}"
        );
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn case_branches_ambiguous() {
    run_shape(shape("case_branches_ambiguous", ELIXIR, 3), |o| {
        o.assert_manual_step(&format!("{},", dns_child("hello")));
        o.assert_untouched(APP_EX);
    });
}

#[test]
fn piped_filter() {
    run_shape(shape("piped_filter", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        // In the list the pipe filters, which stays as it was.
        let pubsub = format!("        {PUBSUB},\n");
        o.assert_edited(
            APP_EX,
            &[(
                &pubsub,
                &format!("{pubsub}        {},\n", dns_child("hello")),
            )],
        );
    });
}

#[test]
fn list_flatten() {
    run_shape(shape("list_flatten", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn comments_between() {
    run_shape(shape("comments_between", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
        // Right after the PubSub: the comment below it belongs to the Presence child.
        let pubsub = format!("      {PUBSUB},\n");
        o.assert_edited(
            APP_EX,
            &[(&pubsub, &format!("{pubsub}{}", dns_child_line("hello")))],
        );
    });
}

#[test]
fn last_child_no_comment() {
    run_shape(shape("last_child_no_comment", ELIXIR, 0), |o| {
        o.assert_edited(
            APP_EX,
            &[(
                &format!("      {PUBSUB}\n    ]\n"),
                &format!("      {PUBSUB},\n      {}\n    ]\n", dns_child("hello")),
            )],
        );
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
    });
}

#[test]
fn last_child_trailing_comment() {
    run_shape(shape("last_child_trailing_comment", ELIXIR, 0), |o| {
        let text = o.read(APP_EX);
        assert_child_between(
            &text,
            &dns_child("hello"),
            Some(PUBSUB),
            Some("\n    ]\n"),
            APP_EX,
        );
        // The comma goes after the PubSub, the child before the comments that end the list.
        o.assert_edited(
            APP_EX,
            &[(
                &format!("      {PUBSUB}\n"),
                &format!("      {PUBSUB},\n      {}\n", dns_child("hello")),
            )],
        );
    });
}

/// Unformatted input: a same-line comment after the last child. The comma goes before the comment.
#[test]
fn last_child_same_line_comment() {
    run_shape(shape("last_child_same_line_comment", ELIXIR, 0), |o| {
        let text = o.read(APP_EX);
        assert_child_between(
            &text,
            &dns_child("hello"),
            Some(PUBSUB),
            Some("\n    ]\n"),
            APP_EX,
        );
        // The comma after the PubSub comes before its comment, which stays.
        o.assert_edited(
            APP_EX,
            &[(
                &format!("      {PUBSUB} # messages between LiveViews\n"),
                &format!(
                    "      {PUBSUB}, # messages between LiveViews\n      {}\n",
                    dns_child("hello")
                ),
            )],
        );
    });
}

#[test]
fn supervisor_spec() {
    run_shape(shape("supervisor_spec", ELIXIR, 0), |o| {
        // No PubSub child in Phoenix 1.3 (it lived in the endpoint config): before the Endpoint.
        let text = o.read(APP_EX);
        assert_child_between(
            &text,
            &dns_child("hello"),
            Some("supervisor(Hello.Repo, [])"),
            Some("supervisor(HelloWeb.Endpoint, [])"),
            APP_EX,
        );
        o.assert_lines_kept(APP_EX);
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
        // No runtime.exs before: init creates it.
        assert_eq!(o.read("config/runtime.exs"), CREATED_RUNTIME_EXS);
    });
}

#[test]
fn pubsub_pg2_supervisor_spec() {
    run_shape(shape("pubsub_pg2_supervisor_spec", ELIXIR, 0), |o| {
        let text = o.read(APP_EX);
        assert_child_between(
            &text,
            &dns_child("hello"),
            Some("supervisor(Phoenix.PubSub.PG2, [Hello.PubSub, [pool_size: 1]])"),
            Some("supervisor(HelloWeb.Endpoint, [])"),
            APP_EX,
        );
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn pubsub_pg2_keyword() {
    run_shape(shape("pubsub_pg2_keyword", ELIXIR, 0), |o| {
        standard_outcome(
            o,
            APP_EX,
            Some("{Phoenix.PubSub, [name: Hello.PubSub, adapter: Phoenix.PubSub.PG2]}"),
            Some(ENDPOINT),
        );
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn pubsub_pg2_module() {
    run_shape(shape("pubsub_pg2_module", ELIXIR, 0), |o| {
        standard_outcome(
            o,
            APP_EX,
            Some("{Phoenix.PubSub.PG2, name: Hello.PubSub, pool_size: 1}"),
            Some(ENDPOINT),
        );
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn pubsub_variable() {
    run_shape(shape("pubsub_variable", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some("\n      pubsub,\n"), Some(ENDPOINT));
        o.assert_lines_kept(APP_EX);
    });
}

#[test]
fn pubsub_own_module() {
    run_shape(shape("pubsub_own_module", ELIXIR, 0), |o| {
        standard_outcome(o, APP_EX, Some("\n      Hello.PubSub,\n"), Some(ENDPOINT));
        o.assert_lines_kept(APP_EX);
        o.assert_untouched("lib/hello/pub_sub.ex");
    });
}

#[test]
fn no_endpoint() {
    run_shape(shape("no_endpoint", ELIXIR, 0), |o| {
        // No PubSub, no Endpoint: at the end.
        o.assert_edited(
            APP_EX,
            &[(
                "      Hello.Importer\n    ]\n",
                &format!(
                    "      Hello.Importer,\n      {}\n    ]\n",
                    dns_child("hello")
                ),
            )],
        );
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
    });
}

#[test]
fn module_elsewhere() {
    run_shape(shape("module_elsewhere", ELIXIR, 0), |o| {
        // `mod: {Hello, []}`: the application module is lib/hello.ex.
        standard_outcome(o, "lib/hello.ex", Some(PUBSUB), Some(ENDPOINT));
        assert!(
            !o.exists(APP_EX),
            "created {APP_EX}; the application is lib/hello.ex"
        );
        o.assert_lines_kept("lib/hello.ex");
    });
}

#[test]
fn dnscluster_in_conditional() {
    run_shape(shape("dnscluster_in_conditional", ELIXIR, 0), |o| {
        o.assert_untouched(APP_EX);
        o.assert_untouched("mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
    });
}

#[test]
fn cluster_supervisor_present() {
    run_shape(shape("cluster_supervisor_present", ELIXIR, 0), |o| {
        o.assert_untouched(APP_EX);
        o.assert_untouched("mix.exs");
        assert!(!o.read(APP_EX).contains("DNSCluster"));
    });
}

#[test]
fn unsupported_children_source() {
    run_shape(shape("unsupported_children_source", ELIXIR, 3), |o| {
        o.assert_manual_step(&format!("{},", dns_child("hello")));
        o.assert_untouched(APP_EX);
    });
}

// ------------------------------------------------------------------ Igniter's `add_new_child`

// Igniter (ash-project/igniter) tests its `add_new_child` on the application module it creates,
// with these one-line children lists. Each is a fixture over `igniter_one_module`; the child makes
// each line too long, so the list is laid out as `mix format` lays it out, one element a line.

const IGNITER_APP: &str = "lib/test/application.ex";

/// Igniter's application module with `children` as its list.
fn igniter_app(children: &str) -> String {
    format!(
        "defmodule Test.Application do
  @moduledoc false

  use Application

  @impl true
  def start(_type, _args) do
    children = {children}

    opts = [strategy: :one_for_one, name: Test.Supervisor]
    Supervisor.start_link(children, opts)
  end
end
"
    )
}

/// The fixture's one-line list `elements` gets the child after them, one element a line.
fn igniter_shape(name: &'static str, elements: &[&str]) {
    run_shape(shape(name, ELIXIR, 0), |o| {
        assert_eq!(
            o.read(IGNITER_APP),
            igniter_app(&format!("[{}]", elements.join(", "))).replace(
                &format!("[{}]", elements.join(", ")),
                &format!(
                    "[\n{}      {}\n    ]",
                    elements
                        .iter()
                        .map(|e| format!("      {e},\n"))
                        .collect::<String>(),
                    dns_child("test")
                )
            )
        );
        assert_eq!(
            o.original(IGNITER_APP),
            igniter_app(&format!("[{}]", elements.join(", ")))
        );
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "test", "config/runtime.exs");
    });
}

#[test]
fn igniter_one_module() {
    igniter_shape("igniter_one_module", &["Foo"]);
}

#[test]
fn igniter_tuple_keyword() {
    igniter_shape("igniter_tuple_keyword", &["{Foo, [a: 1]}"]);
}

#[test]
fn igniter_tuple_options() {
    igniter_shape("igniter_tuple_options", &["{Foo, [a: :b]}"]);
}

#[test]
fn igniter_options_updated() {
    igniter_shape("igniter_options_updated", &["{Foo, [a: :b, c: :d]}"]);
}

#[test]
fn igniter_options_set() {
    igniter_shape("igniter_options_set", &["{Foo, [c: :d]}"]);
}

#[test]
fn igniter_two_children() {
    igniter_shape("igniter_two_children", &["Something", "{Foo, [a: :b]}"]);
}

#[test]
fn igniter_three_children() {
    igniter_shape(
        "igniter_three_children",
        &["Something", "{Foo, [a: :b]}", "SomethingAtTheEnd"],
    );
}

#[test]
fn igniter_code_options() {
    igniter_shape("igniter_code_options", &["{Foo, [1 + 2]}"]);
}

#[test]
fn igniter_named() {
    igniter_shape("igniter_named", &["{Foo, [name: Foo.One]}"]);
}

#[test]
fn igniter_duplicate_before() {
    igniter_shape(
        "igniter_duplicate_before",
        &["{Foo, [name: Foo.Two]}", "{Foo, [name: Foo.One]}"],
    );
}

#[test]
fn igniter_duplicate_after() {
    igniter_shape(
        "igniter_duplicate_after",
        &["{Foo, [name: Foo.One]}", "{Foo, [name: Foo.Two]}"],
    );
}

/// Igniter creates the application module when mix.exs names none; flycluster does not write
/// a module for the user: a manual step, with the rest done.
#[test]
fn igniter_no_application() {
    run_shape(shape("igniter_no_application", ELIXIR, 3), |o| {
        let step = o.assert_manual_step(&format!("{},", dns_child("test")));
        assert_eq!(
            (&step["path"], &step["reason"]),
            (
                &"lib/test/application.ex".into(),
                &"mix.exs names no application module (`mod:`)".into()
            )
        );
        assert!(!o.exists(IGNITER_APP));
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
    });
}

// ------------------------------------------------------------------ what projects already start

const APP17: &str = "lib/hello17/application.ex";
const PUBSUB17: &str = "      {Phoenix.PubSub, name: Hello17.PubSub},\n";

fn dns_child_line(app: &str) -> String {
    format!("      {},\n", dns_child(app))
}

/// doctor's findings with `id` on the project: `severity file:line message`.
fn doctor_findings(project: &TestProject, id: &str) -> Vec<String> {
    doctor_findings_for(project, APP, id)
}

/// [`doctor_findings`] for the Fly app `app`.
fn doctor_findings_for(project: &TestProject, app: &str, id: &str) -> Vec<String> {
    let run = run_bin(
        &["doctor", "--format", "json", "--app", app],
        Some(project.path()),
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.transcript()));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .map(|f| {
            let line = f["line"]
                .as_u64()
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            format!(
                "{} {}{line} {}",
                f["severity"].as_str().unwrap(),
                f["file"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// An unused `cluster = {DNSCluster, ...}` starts nothing: doctor says so, and init adds the child.
#[test]
fn dnscluster_unused_variable() {
    let input = TestProject::from_fixture("shapes/dnscluster_unused_variable");
    assert_eq!(
        doctor_findings(&input, "dns-cluster-child"),
        [
            "problem lib/hello17/application.ex the application starts no DNSCluster child, so nodes never look for each other"
        ]
    );
    run_shape(shape("dnscluster_unused_variable", ELIXIR, 0), |o| {
        assert_eq!(
            o.read(APP17),
            o.original(APP17).replace(
                PUBSUB17,
                &format!("{PUBSUB17}{}", dns_child_line("hello17"))
            )
        );
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
    });
}

/// A DNSCluster child without its dependency: the release would not start. init adds it, so
/// doctor's finding is gone.
#[test]
fn dnscluster_without_dep() {
    let input = TestProject::from_fixture("shapes/dnscluster_without_dep");
    assert_eq!(
        doctor_findings(&input, "dns-cluster-dep"),
        [
            "problem mix.exs mix.exs does not depend on dns_cluster, so the DNSCluster child cannot start"
        ]
    );
    run_shape(shape("dnscluster_without_dep", ELIXIR, 0), |o| {
        o.assert_untouched(APP17);
        assert_eq!(
            o.read("mix.exs"),
            o.original("mix.exs").replace(
                "      {:plug_cowboy, \"~> 2.5\"}\n",
                &format!("      {{:plug_cowboy, \"~> 2.5\"}},\n      {DNS_DEP}\n")
            )
        );
        assert_eq!(
            doctor_findings(&o.project, "dns-cluster-dep"),
            ["ok mix.exs depends on dns_cluster"]
        );
    });
}

/// In an umbrella another app may declare dns_cluster: then the app with the child needs none.
#[test]
fn umbrella_sibling_dep() {
    run_shape(shape("umbrella_sibling_dep", ELIXIR, 0), |o| {
        o.assert_untouched("apps/hello/mix.exs");
        o.assert_untouched("apps/hello/lib/hello/application.ex");
        o.assert_tree_untouched("apps/hello_web/");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
        assert_eq!(
            doctor_findings(&o.project, "dns-cluster-dep"),
            ["ok apps/hello/mix.exs depends on dns_cluster"]
        );
    });
}

/// libcluster_postgres brings libcluster: the project is a libcluster project, already set up on
/// the Elixir side (its nodes meet through the database).
#[test]
fn libcluster_postgres() {
    run_shape(shape("libcluster_postgres", ELIXIR, 0), |o| {
        o.assert_untouched("mix.exs");
        o.assert_untouched(APP_EX);
        o.assert_untouched("config/runtime.exs");
        assert_eq!(
            doctor_findings(&o.project, "libcluster-dep"),
            ["ok mix.exs depends on libcluster"]
        );
        assert!(doctor_findings(&o.project, "dns-cluster-dep").is_empty());
    });
}

/// The child reads `:hello18_web`'s key while runtime.exs sets `:hello18`'s: init configures the
/// key the child reads.
#[test]
fn dnscluster_other_app_key() {
    let input = TestProject::from_fixture("shapes/dnscluster_other_app_key");
    assert_eq!(
        doctor_findings(&input, "dns-cluster-config"),
        [
            "problem config/runtime.exs the DNSCluster child reads `Application.get_env(:hello18_web, :dns_cluster_query)`, but no config sets it: the query is nil and DNSCluster does nothing (config/runtime.exs configures `:hello18, :dns_cluster_query` instead)"
        ]
    );
    run_shape(shape("dnscluster_other_app_key", ELIXIR, 0), |o| {
        o.assert_untouched("lib/hello18/application.ex");
        o.assert_untouched("mix.exs");
        assert_eq!(
            o.read("config/runtime.exs"),
            o.original("config/runtime.exs").replace(
                "if config_env() == :prod do\n",
                &format!(
                    "if config_env() == :prod do\n  {}\n\n",
                    query_config("hello18_web")
                )
            )
        );
        assert_eq!(
            doctor_findings(&o.project, "dns-cluster-config"),
            [
                "ok config/runtime.exs:27 configures `:hello18_web, :dns_cluster_query` from DNS_CLUSTER_QUERY, which the DNSCluster child reads"
            ]
        );
    });
}

/// DNSCluster and Cluster.Supervisor in one list: init and doctor warn with the same words, and
/// init adds the libcluster dependency Cluster.Supervisor needs to start at all.
#[test]
fn both_started() {
    run_shape(shape("both_started", ELIXIR, 0), |o| {
        let app = "lib/hello18/application.ex";
        o.assert_untouched(app);
        assert_eq!(
            o.read("mix.exs"),
            o.original("mix.exs").replace(
                "      {:bandit, \"~> 1.5\"}\n",
                "      {:bandit, \"~> 1.5\"},\n      {:libcluster, \"~> 3.5\"}\n"
            )
        );
        let run = run_bin(
            &["doctor", "--format", "json", "--app", APP],
            Some(o.project.path()),
        );
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let finding = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "clustering-both-started")
            .unwrap_or_else(|| panic!("no clustering-both-started finding:\n{}", run.stdout));
        assert_eq!(finding["severity"], "warning");
        assert_eq!(
            (finding["file"].as_str(), finding["line"].as_u64()),
            (Some(app), Some(13))
        );
        let message = finding["message"].as_str().unwrap();
        assert_eq!(
            message,
            "the application starts both DNSCluster (line 13) and libcluster's Cluster.Supervisor (line 15). On Fly, DNSCluster forms the cluster once its query is set (DNS_CLUSTER_QUERY): it connects to every address the query returns, under this node's own name; a libcluster DNSPoll topology on the same query connects those same nodes again only when its `node_basename` is that name, and libcluster's other strategies find no nodes on Fly"
        );
        let init_warning = format!(
            "warning: `{app}` line 13: {message}; {}\n",
            finding["fix"].as_str().unwrap()
        );
        // The other warning: the fixture's fly.toml names its own app.
        assert_eq!(
            o.run.stderr,
            format!(
                "{init_warning}warning: `fly.toml` line 6: `app` is `hello18` but the Fly app is `hello-app`; `DNS_CLUSTER_QUERY` names `hello-app.internal`, which finds no nodes unless both are the same app\n"
            ),
            "init's warning is not doctor's finding"
        );
        // Cluster.Supervisor has no topology, but DNSCluster forms the cluster: not a problem.
        assert_eq!(
            doctor_findings(&o.project, "libcluster-topology"),
            [
                "warning config/runtime.exs no `config :libcluster, topologies: ...` in config/: Cluster.Supervisor has no topology to run (DNSCluster is set up and forms the cluster)"
            ]
        );
    });
}

/// FLY-SETUPS.md, generation 6: the Endpoint before the PubSub. The child goes before the
/// Endpoint (and its comment), so the node is in the cluster before it serves.
#[test]
fn endpoint_before_pubsub() {
    run_shape(shape("endpoint_before_pubsub", ELIXIR, 0), |o| {
        let endpoint = "      # Start the Endpoint (http/https)\n      Hello17Web.Endpoint,\n";
        o.assert_edited(
            APP17,
            &[(
                &format!("      Hello17.Repo,\n{endpoint}"),
                &format!(
                    "      Hello17.Repo,\n{}{endpoint}",
                    dns_child_line("hello17")
                ),
            )],
        );
    });
}

// ------------------------------------------------------------------ mix.exs

/// The dep sits in the body of `defp NAME do ... end`.
fn assert_dep_in_fn(text: &str, name: &str) {
    let at = once(text, DNS_DEP, "mix.exs");
    let start = text
        .find(&format!("defp {name} do\n"))
        .unwrap_or_else(|| panic!("no `defp {name} do`:\n{text}"));
    let end = start + text[start..].find("\n  end\n").unwrap();
    assert!(
        start < at && at < end,
        "the dep must be in `defp {name}`:\n{text}"
    );
}

#[test]
fn deps_only_comments() {
    run_shape(shape("deps_only_comments", ELIXIR, 0), |o| {
        let text = o.read("mix.exs");
        assert_dep_in_fn(&text, "deps");
        o.assert_lines_kept("mix.exs");
    });
}

#[test]
fn deps_with_options() {
    run_shape(shape("deps_with_options", ELIXIR, 0), |o| {
        assert_dep_in_fn(&o.read("mix.exs"), "deps");
        // After the last dep, whose options stay.
        o.assert_edited(
            "mix.exs",
            &[(
                "      {:plug, \"~> 1.15\", override: true}\n",
                &format!("      {{:plug, \"~> 1.15\", override: true}},\n      {DNS_DEP}\n"),
            )],
        );
        standard_outcome(o, APP_EX, Some(PUBSUB), Some(ENDPOINT));
    });
}

#[test]
fn deps_concat_functions() {
    run_shape(shape("deps_concat_functions", ELIXIR, 0), |o| {
        // In the runtime deps (with phoenix), not in the dev-only tools.
        assert_dep_in_fn(&o.read("mix.exs"), "deps");
        o.assert_edited(
            "mix.exs",
            &[(
                "      {:bandit, \"~> 1.1\"}\n",
                &format!("      {{:bandit, \"~> 1.1\"}},\n      {DNS_DEP}\n"),
            )],
        );
    });
}

#[test]
fn deps_helper_module() {
    run_shape(shape("deps_helper_module", ELIXIR, 3), |o| {
        let step = o.assert_manual_step(&format!("{DNS_DEP},"));
        o.assert_untouched("mix.exs");
        o.assert_untouched("mix/deps.exs");
        // Where it goes: the function that returns the deps.
        assert_eq!(
            (&step["reason"], &step["location"]),
            (
                &"the deps are not a list literal returned by a single `defp deps` (built elsewhere)".into(),
                &"in the deps list that `Hello.Deps.all()` returns (`deps:` in `def project`)".into()
            )
        );
        assert_child_between(
            &o.read(APP_EX),
            &dns_child("hello"),
            Some(PUBSUB),
            Some(ENDPOINT),
            APP_EX,
        );
    });
}

#[test]
fn dns_cluster_present() {
    run_shape(shape("dns_cluster_present", ELIXIR, 0), |o| {
        o.assert_untouched("mix.exs");
        assert_child_between(
            &o.read(APP_EX),
            &dns_child("hello"),
            Some(PUBSUB),
            Some(ENDPOINT),
            APP_EX,
        );
    });
}

// ------------------------------------------------------------------ runtime.exs

#[test]
fn runtime_missing() {
    run_shape(shape("runtime_missing", ELIXIR, 0), |o| {
        assert_eq!(o.read("config/runtime.exs"), CREATED_RUNTIME_EXS);
    });
}

#[test]
fn runtime_no_prod_block() {
    run_shape(shape("runtime_no_prod_block", ELIXIR, 0), |o| {
        let text = o.read("config/runtime.exs");
        let at = once(
            &text,
            &format!("\n{}\n", query_config("hello")),
            "config/runtime.exs",
        );
        assert!(text.find("import Config\n").unwrap() < at, "{text}");
        o.assert_lines_kept("config/runtime.exs");
    });
}

#[test]
fn runtime_nested_ifs() {
    run_shape(shape("runtime_nested_ifs", ELIXIR, 0), |o| {
        // In the prod block itself, not in one of the ifs nested in it, nor in the test block.
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
        o.assert_lines_kept("config/runtime.exs");
    });
}

#[test]
fn runtime_keyword_spelling() {
    run_shape(shape("runtime_keyword_spelling", ELIXIR, 0), |o| {
        o.assert_untouched("config/runtime.exs");
        assert_child_between(
            &o.read(APP_EX),
            &dns_child("hello"),
            Some(PUBSUB),
            Some(ENDPOINT),
            APP_EX,
        );
    });
}

/// An Elixir 1.9/1.10 project: config/releases.exs is its runtime config. A new config/runtime.exs
/// would make Mix ignore releases.exs (DATABASE_URL, SECRET_KEY_BASE...), so none may be created;
/// the query goes into releases.exs or is a manual step, and a warning says to move to runtime.exs.
#[test]
fn releases_exs() {
    run_shape(shape("releases_exs", ELIXIR, 0), |o| {
        assert_eq!(
            o.run.stderr,
            "warning: `config/releases.exs`: the runtime config of Elixir 1.9/1.10; flycluster added the setting here. On Elixir 1.11+ rename it to config/runtime.exs (`import Mix.Config` becomes `import Config`)\n",
            "a warning must say to move config/releases.exs to config/runtime.exs"
        );
        assert!(
            !o.exists("config/runtime.exs"),
            "config/runtime.exs was created; Mix now ignores config/releases.exs:\n{}",
            o.read("config/runtime.exs")
        );
        // The query config and the Repo's IPv6 option go into releases.exs.
        o.assert_edited(
            "config/releases.exs",
            &[
                (
                    "import Config\n\n",
                    &format!("import Config\n\n{}\n\n", query_config("hello")),
                ),
                (
                    "    \"\"\"\n\nconfig :hello, Hello.Repo,\n",
                    "    \"\"\"\n\nmaybe_ipv6 = if System.get_env(\"ECTO_IPV6\") in ~w(true 1), do: [:inet6], else: []\n\nconfig :hello, Hello.Repo,\n",
                ),
                (
                    "  pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\")\n",
                    "  pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\"),\n  socket_options: maybe_ipv6\n",
                ),
            ],
        );
    });
}

// ------------------------------------------------------------------ .formatter.exs line_length

#[test]
fn formatter_line_length() {
    run_shape(shape("formatter_line_length", ELIXIR, 0), |o| {
        // Exactly as `mix format` breaks them at line_length 60.
        let pubsub = "      {Phoenix.PubSub,
       name: MyVeryLongApplicationName.PubSub},
";
        let child = "      {DNSCluster,
       query:
         Application.get_env(
           :my_very_long_application_name,
           :dns_cluster_query
         ) || :ignore},
";
        o.assert_edited(
            "lib/my_very_long_application_name/application.ex",
            &[(pubsub, &format!("{pubsub}{child}"))],
        );
        insta::assert_snapshot!(o.read("config/runtime.exs"), @r#"
        import Config

        if config_env() == :prod do
          config :my_very_long_application_name,
                 :dns_cluster_query,
                 System.get_env("DNS_CLUSTER_QUERY")

          maybe_ipv6 =
            if System.get_env("ECTO_IPV6") in ~w(true 1),
              do: [:inet6],
              else: []

          config :my_very_long_application_name,
                 MyVeryLongApplicationName.Repo,
                 url: System.fetch_env!("DATABASE_URL"),
                 pool_size:
                   String.to_integer(
                     System.get_env("POOL_SIZE") || "10"
                   ),
                 socket_options: maybe_ipv6
        end
        "#);
        once(&o.read("mix.exs"), DNS_DEP, "mix.exs");
    });
}

// ------------------------------------------------------------------ rel/env.sh.eex

/// rel/env.sh.eex rendered as `mix release` renders it for these fixtures (they use no other tag).
fn render(eex: &str) -> String {
    let text = eex
        .replace("<%= @release.name %>", "hello")
        .replace("<%= @release.version %>", "0.1.0");
    assert!(
        !text.contains("<%"),
        "an EEx tag this test does not render:\n{text}"
    );
    text
}

const FLY_VARS: &[(&str, &str)] = &[
    ("FLY_APP_NAME", APP),
    ("FLY_PRIVATE_IP", "fdaa:0:1da8:a7b:ac2:f901:4bf7:2"),
    (
        "FLY_IMAGE_REF",
        "registry.fly.io/hello-app:deployment-01H5ZQ",
    ),
];

/// Source the rendered script with `vars` and return ERL_AFLAGS, ECTO_IPV6, DNS_CLUSTER_QUERY,
/// RELEASE_DISTRIBUTION and RELEASE_NODE.
fn exports(dir: &Path, script: &str, vars: &[(&str, &str)]) -> [String; 5] {
    let path = dir.join("env.sh.rendered");
    std::fs::write(&path, script).unwrap();
    let syntax = Command::new("sh").arg("-n").arg(&path).output().unwrap();
    assert!(
        syntax.status.success(),
        "sh -n: {}\n{script}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(". \"$1\" && printf '%s|%s|%s|%s|%s' \"${ERL_AFLAGS-}\" \"${ECTO_IPV6-}\" \"${DNS_CLUSTER_QUERY-}\" \"${RELEASE_DISTRIBUTION-}\" \"${RELEASE_NODE-}\"")
        .arg("sh")
        .arg(&path)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RELEASE_ROOT", "/app")
        .env("RELEASE_NAME", "hello")
        .env("RELEASE_COMMAND", "start");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.status.success(),
        "sourcing env.sh failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<String> = text.split('|').map(str::to_string).collect();
    parts.try_into().unwrap()
}

/// On Fly the five values are what the guide asks (other ERL_AFLAGS kept); off Fly the script
/// exports exactly what the original did.
fn env_sh_outcome(o: &Outcome, off_fly: &[(&str, &str)], aflags_on_fly: &str) {
    o.assert_lines_kept("rel/env.sh.eex");
    env_sh_on_fly(o, aflags_on_fly);
    let after = render(&o.read("rel/env.sh.eex"));
    let before = render(&o.original("rel/env.sh.eex"));
    assert_eq!(
        exports(o.project.path(), &after, off_fly),
        exports(o.project.path(), &before, off_fly),
        "off Fly the script must export what it did before"
    );
}

/// The file keeps its mode and exports what the guide asks on Fly: ERL_AFLAGS exactly `aflags`
/// (`-proto_dist inet6_tcp` once, the other flags kept), and the four other values.
fn env_sh_on_fly(o: &Outcome, aflags_on_fly: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = o.project.path().join("rel/env.sh.eex");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o755,
        "mode"
    );
    let after = render(&o.read("rel/env.sh.eex"));
    let [aflags, ecto, query, dist, node] = exports(o.project.path(), &after, FLY_VARS);
    assert_eq!(aflags, aflags_on_fly, "ERL_AFLAGS on Fly");
    assert_eq!(
        [ecto.as_str(), query.as_str(), dist.as_str(), node.as_str()],
        [
            "true",
            "hello-app.internal",
            "name",
            "hello-app-01H5ZQ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2"
        ],
        "the values on Fly"
    );
}

#[test]
fn env_pod_ip() {
    run_shape(shape("env_pod_ip", ENV_SH, 0), |o| {
        env_sh_outcome(o, &[("POD_IP", "10.1.2.3")], "-proto_dist inet6_tcp");
        let before = render(&o.original("rel/env.sh.eex"));
        assert_eq!(
            exports(o.project.path(), &before, &[("POD_IP", "10.1.2.3")])[4],
            "hello@10.1.2.3"
        );
    });
}

#[test]
fn env_hostname() {
    run_shape(shape("env_hostname", ENV_SH, 0), |o| {
        env_sh_outcome(
            o,
            &[],
            "-kernel shell_history enabled -proto_dist inet6_tcp",
        );
    });
}

#[test]
fn env_old_fly_hosts() {
    // Fly's pre-2023 guide: its lines are replaced by the block, so off Fly the release is back to
    // the name `mix release` gives it (before, it was `@`, which does not boot).
    run_shape(shape("env_old_fly_hosts", ENV_SH, 0), |o| {
        env_sh_on_fly(o, "-proto_dist inet6_tcp");
        o.assert_edited(
            "rel/env.sh.eex",
            &[(
                "ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)\nexport RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=$FLY_APP_NAME@$ip\n",
                &common::with_block(common::BLOCK_PLACEHOLDER),
            )],
        );
        let after = o.read("rel/env.sh.eex");
        let before = render(&o.original("rel/env.sh.eex"));
        assert_eq!(exports(o.project.path(), &before, &[])[3..], ["name", "@"]);
        assert_eq!(
            exports(o.project.path(), &render(&after), &[]),
            ["", "", "", "", ""].map(String::from),
            "off Fly nothing is set"
        );
    });
}

// ------------------------------------------------------------------ umbrella

#[test]
fn umbrella() {
    run_shape(shape("umbrella", ELIXIR, 0), |o| {
        // phx.new --umbrella puts DNSCluster in the app that starts the PubSub.
        let app_ex = "apps/hello/lib/hello/application.ex";
        assert_child_between(
            &o.read(app_ex),
            &dns_child("hello"),
            Some(PUBSUB),
            Some("\n    ]\n"),
            app_ex,
        );
        once(&o.read("apps/hello/mix.exs"), DNS_DEP, "apps/hello/mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "hello", "config/runtime.exs");
        o.assert_tree_untouched("apps/hello_web/");
        o.assert_untouched("mix.exs");
        assert!(
            !o.exists("apps/hello/config"),
            "config goes to the umbrella's config/"
        );
    });
}

#[test]
fn umbrella_otp_app_override() {
    let shape = Shape {
        args: &["--otp-app", "hello_web"],
        variant: "_otp_app_hello_web",
        ..shape("umbrella", ELIXIR, 0)
    };
    run_shape(shape, |o| {
        let app_ex = "apps/hello_web/lib/hello_web/application.ex";
        assert_child_between(
            &o.read(app_ex),
            &dns_child("hello_web"),
            Some("HelloWeb.Telemetry"),
            Some(ENDPOINT),
            app_ex,
        );
        once(
            &o.read("apps/hello_web/mix.exs"),
            DNS_DEP,
            "apps/hello_web/mix.exs",
        );
        assert_config_in_prod_block(
            &o.read("config/runtime.exs"),
            "hello_web",
            "config/runtime.exs",
        );
        o.assert_tree_untouched("apps/hello/");
        o.assert_untouched("mix.exs");
    });
}

#[test]
fn umbrella_no_endpoint() {
    run_shape(shape("umbrella_no_endpoint", ELIXIR, 0), |o| {
        let app_ex = "apps/core/lib/core/application.ex";
        assert_child_between(
            &o.read(app_ex),
            &dns_child("core"),
            Some("{Phoenix.PubSub, name: Core.PubSub}"),
            Some("\n    ]\n"),
            app_ex,
        );
        once(&o.read("apps/core/mix.exs"), DNS_DEP, "apps/core/mix.exs");
        assert_config_in_prod_block(&o.read("config/runtime.exs"), "core", "config/runtime.exs");
        o.assert_tree_untouched("apps/jobs/");
        o.assert_untouched("mix.exs");
    });
}

// ------------------------------------------------------------------ Dockerfile

const ENV_ECTO: &str = "ENV ECTO_IPV6=\"true\"";
const ENV_AFLAGS: &str = "ENV ERL_AFLAGS=\"-proto_dist inet6_tcp\"";
const DOCKERFILE_COMMENT: &str =
    "# Fly's private network is IPv6: Ecto and Erlang distribution must connect over IPv6\n";

/// The text of the final stage (from the last `FROM`).
fn final_stage(dockerfile: &str) -> &str {
    let at = dockerfile.rfind("\nFROM ").expect("no FROM") + 1;
    &dockerfile[at..]
}

#[test]
fn docker_env_builder_only() {
    run_shape(shape("docker_env_builder_only", DOCKERFILE, 0), |o| {
        let before = o.original("Dockerfile");
        let after = o.read("Dockerfile");
        let stage = final_stage(&after);
        let user = stage.find("USER nobody").unwrap();
        assert!(once(stage, ENV_ECTO, "final stage") < user, "{stage}");
        assert!(once(stage, ENV_AFLAGS, "final stage") < user, "{stage}");
        // The builder stages are as they were.
        let prefix = &before[..before.len() - final_stage(&before).len()];
        assert!(
            after.starts_with(prefix),
            "an earlier stage changed:\n{after}"
        );
        o.assert_lines_kept("Dockerfile");
    });
}

#[test]
fn docker_legacy_env() {
    run_shape(shape("docker_legacy_env", DOCKERFILE, 0), |o| {
        let after = o.read("Dockerfile");
        let stage = final_stage(&after);
        // `ENV ECTO_IPV6 true` counts as set: rewritten in place, not set a second time.
        assert_eq!(stage.matches("ECTO_IPV6").count(), 1, "{stage}");
        assert_eq!(
            after,
            o.original("Dockerfile")
                .replace("ENV ECTO_IPV6 true\n", &format!("{ENV_ECTO}\n"))
                .replace(
                    "\nUSER nobody\n",
                    &format!("\n{DOCKERFILE_COMMENT}{ENV_AFLAGS}\n\nUSER nobody\n")
                )
        );
    });
}

#[test]
fn docker_already_set() {
    run_shape(shape("docker_already_set", DOCKERFILE, 0), |o| {
        o.assert_untouched("Dockerfile");
    });
}

#[test]
fn docker_no_user_cmd() {
    run_shape(shape("docker_no_user_cmd", DOCKERFILE, 0), |o| {
        let after = o.read("Dockerfile");
        let stage = final_stage(&after);
        let copy = stage.find("COPY --from=builder").unwrap();
        assert!(copy < once(stage, ENV_ECTO, "final stage"), "{stage}");
        assert!(copy < once(stage, ENV_AFLAGS, "final stage"), "{stage}");
        assert!(
            after.ends_with('\n') && !after.ends_with("\n\n\n"),
            "{after:?}"
        );
        o.assert_lines_kept("Dockerfile");
    });
}

#[test]
fn docker_crlf() {
    run_shape(shape("docker_crlf", DOCKERFILE, 0), |o| {
        let bytes = o.project.read_bytes("Dockerfile");
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                assert!(
                    i > 0 && bytes[i - 1] == b'\r',
                    "a line without CRLF at byte {i}:\n{}",
                    o.read("Dockerfile")
                );
            }
        }
        let after = o.read("Dockerfile");
        let stage = final_stage(&after);
        let user = stage.find("USER nobody").unwrap();
        assert!(
            once(stage, &format!("{ENV_ECTO}\r\n"), "final stage") < user,
            "{stage}"
        );
        assert!(
            once(stage, &format!("{ENV_AFLAGS}\r\n"), "final stage") < user,
            "{stage}"
        );
        o.assert_lines_kept("Dockerfile");
    });
}

// ------------------------------------------------------------------ fly.toml

fn fly_env(o: &Outcome) -> toml_edit::DocumentMut {
    o.read("fly.toml")
        .parse()
        .unwrap_or_else(|e| panic!("fly.toml does not parse: {e}\n{}", o.read("fly.toml")))
}

fn env_value(doc: &toml_edit::DocumentMut, key: &str) -> Option<String> {
    doc.get("env")?.get(key)?.as_str().map(str::to_string)
}

/// The query is in [env]; every original line is kept and only `added` lines are new.
fn fly_outcome(o: &Outcome, added: usize) {
    let doc = fly_env(o);
    assert_eq!(
        env_value(&doc, "DNS_CLUSTER_QUERY").as_deref(),
        Some("hello-app.internal"),
        "{}",
        o.read("fly.toml")
    );
    o.assert_lines_kept("fly.toml");
    let (before, after) = (o.original("fly.toml"), o.read("fly.toml"));
    assert_eq!(
        after.lines().count(),
        before.lines().count() + added,
        "{after}"
    );
}

#[test]
fn fly_services_old() {
    run_shape(shape("fly_services_old", FLY_TOML, 0), |o| {
        fly_outcome(o, 1);
        let doc = fly_env(o);
        assert_eq!(env_value(&doc, "PORT").as_deref(), Some("4000"));
    });
}

#[test]
fn fly_no_env() {
    run_shape(shape("fly_no_env", FLY_TOML, 0), |o| {
        let doc = fly_env(o);
        assert_eq!(
            env_value(&doc, "DNS_CLUSTER_QUERY").as_deref(),
            Some("hello-app.internal")
        );
        o.assert_lines_kept("fly.toml");
    });
}

#[test]
fn fly_empty_env_then_table() {
    run_shape(shape("fly_empty_env_then_table", FLY_TOML, 0), |o| {
        fly_outcome(o, 1);
        let doc = fly_env(o);
        let experimental = doc["experimental"].as_table().unwrap();
        assert_eq!(
            experimental.len(),
            2,
            "[experimental] changed:\n{}",
            o.read("fly.toml")
        );
    });
}

#[test]
fn fly_inline_env() {
    run_shape(shape("fly_inline_env", FLY_TOML, 0), |o| {
        let doc = fly_env(o);
        assert_eq!(
            env_value(&doc, "DNS_CLUSTER_QUERY").as_deref(),
            Some("hello-app.internal")
        );
        assert_eq!(
            env_value(&doc, "PHX_HOST").as_deref(),
            Some("hello-app.fly.dev")
        );
        assert_eq!(env_value(&doc, "PORT").as_deref(), Some("8080"));
        let (before, after) = (o.original("fly.toml"), o.read("fly.toml"));
        let other = |t: &str| {
            t.lines()
                .filter(|l| !l.starts_with("env = "))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            other(&after),
            other(&before),
            "lines other than `env = {{...}}` changed"
        );
    });
}

#[test]
fn fly_conflict() {
    run_shape(shape("fly_conflict", FLY_TOML, 0), |o| {
        o.assert_untouched("fly.toml");
        // The conflict is reported, naming --force.
        assert_eq!(
            o.run.stderr,
            "warning: `fly.toml` line 10: `DNS_CLUSTER_QUERY` is `other-app.internal`, not `hello-app.internal`; left as is (run with `--force` to replace it)\n"
        );
    });
}

#[test]
fn fly_conflict_force() {
    let shape = Shape {
        args: &["--force"],
        variant: "_force",
        ..shape("fly_conflict", FLY_TOML, 0)
    };
    run_shape(shape, |o| {
        let (before, after) = (o.original("fly.toml"), o.read("fly.toml"));
        let expected = before.replace(
            "DNS_CLUSTER_QUERY = 'other-app.internal'",
            "DNS_CLUSTER_QUERY = 'hello-app.internal'",
        );
        assert_eq!(
            after, expected,
            "only the value changes, in the file's own quoting"
        );
    });
}

// ------------------------------------------------------------------ judged by Elixir

/// The Fly app the fixture's fly.toml names, else [`APP`].
fn fly_app_of(project: &Path) -> String {
    std::fs::read_to_string(project.join("fly.toml"))
        .ok()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
        .and_then(|doc| doc.get("app").and_then(|a| a.as_str()).map(str::to_string))
        .unwrap_or_else(|| APP.to_string())
}

/// A shape or earlier-setup fixture, judged by Elixir: its Elixir input is formatted (unless it is
/// unformatted on purpose), and after `init --yes` every .ex/.exs file parses, files that were
/// formatted still are, and the project has its clustering child, or init exited 3 with a manual
/// step.
fn judged_by_elixir(name: &str) {
    if !require_tool("elixir") {
        return;
    }
    // The project as the tests lay it down: an overlay's own files are only part of it.
    let fixture = TestProject::from_fixture(name);
    let inputs = elixir_files(fixture.path());
    let (input, report) = elixir_verdicts(fixture.path(), &inputs);
    let input: BTreeMap<String, String> = input.into_iter().collect();
    assert_eq!(
        input.len(),
        inputs.len(),
        "{name}: no verdict for some inputs:\n{report}"
    );
    let unformatted = UNFORMATTED_INPUT
        .iter()
        .any(|u| name.strip_prefix("shapes/") == Some(u));
    if unformatted {
        assert!(
            input.values().any(|v| v == "unformatted"),
            "{name} is meant to be unformatted"
        );
    } else {
        let bad: Vec<_> = input.iter().filter(|(_, v)| *v != "ok").collect();
        assert!(
            bad.is_empty(),
            "fixture {name} is not formatter-clean:\n{report}"
        );
    }

    let project = TestProject::from_fixture(name);
    let app = fly_app_of(project.path());
    let run = project.init(&["--yes", "--app", &app]);
    assert!(
        run.code == 0 || run.code == 3,
        "{name}: exit {}\n{}",
        run.code,
        run.transcript()
    );
    let files = elixir_files(project.path());
    let (output, report) = elixir_verdicts(project.path(), &files);
    assert_eq!(
        output.len(),
        files.len(),
        "{name}: no verdict for some outputs:\n{report}"
    );
    let rejected: Vec<String> = output
        .iter()
        .filter(|(file, verdict)| {
            let was_formatted = input.get(file).is_none_or(|v| v == "ok");
            !(verdict == "ok" || (!was_formatted && verdict == "unformatted"))
        })
        .map(|(file, verdict)| format!("{verdict} {file}"))
        .collect();
    assert_eq!(
        rejected,
        Vec::<String>::new(),
        "{name}: Elixir rejects the output:\n{report}"
    );
    // Which file holds the child is each shape's own test; here: one of them does.
    let clustered = files.iter().any(|f| {
        f.ends_with(".ex") && {
            let text = project.read(f);
            text.contains("DNSCluster") || text.contains("Cluster.Supervisor")
        }
    });
    let manual = run.code == 3 && run.stderr.lines().any(|l| l.starts_with("manual step: "));
    assert!(
        clustered || manual,
        "{name}: no clustering child and no manual step\n{}",
        run.transcript()
    );
}

common::cases! {
    /// One test per folder of tests/fixtures/shapes/ and tests/fixtures/setups/.
    mod every_shape_is_judged_by_elixir = judged_by_elixir {
        setups_gen1_libcluster: ("setups/gen1_libcluster"),
        setups_gen1_libcluster_literal: ("setups/gen1_libcluster_literal"),
        setups_gen2_flyctl_dockerfile: ("setups/gen2_flyctl_dockerfile"),
        setups_gen3_fly_launch_2023: ("setups/gen3_fly_launch_2023"),
        setups_gen4_fly_launch_2025: ("setups/gen4_fly_launch_2025"),
        setups_gen5_phx_new_1_7: ("setups/gen5_phx_new_1_7"),
        setups_gen5_phx_new_umbrella: ("setups/gen5_phx_new_umbrella"),
        setups_gen6_basename_other_var: ("setups/gen6_basename_other_var"),
        setups_gen6_other_platform: ("setups/gen6_other_platform"),
        setups_gen6_other_platform_fly6pn: ("setups/gen6_other_platform_fly6pn"),
        setups_gen6_own_app_key: ("setups/gen6_own_app_key"),
        setups_gen6_own_app_key_dnspoll: ("setups/gen6_own_app_key_dnspoll"),
        setups_gen6_topologies_in_code: ("setups/gen6_topologies_in_code"),
        setups_gen6_topologies_in_code_dnspoll: ("setups/gen6_topologies_in_code_dnspoll"),
        shapes_both_started: ("shapes/both_started"),
        shapes_case_branches_ambiguous: ("shapes/case_branches_ambiguous"),
        shapes_case_branches_one_pubsub: ("shapes/case_branches_one_pubsub"),
        shapes_cluster_supervisor_present: ("shapes/cluster_supervisor_present"),
        shapes_comments_between: ("shapes/comments_between"),
        shapes_concat_conditional: ("shapes/concat_conditional"),
        shapes_deps_concat_functions: ("shapes/deps_concat_functions"),
        shapes_deps_helper_module: ("shapes/deps_helper_module"),
        shapes_deps_only_comments: ("shapes/deps_only_comments"),
        shapes_deps_with_options: ("shapes/deps_with_options"),
        shapes_dns_cluster_present: ("shapes/dns_cluster_present"),
        shapes_dnscluster_in_conditional: ("shapes/dnscluster_in_conditional"),
        shapes_dnscluster_other_app_key: ("shapes/dnscluster_other_app_key"),
        shapes_dnscluster_unused_variable: ("shapes/dnscluster_unused_variable"),
        shapes_dnscluster_without_dep: ("shapes/dnscluster_without_dep"),
        shapes_docker_already_set: ("shapes/docker_already_set"),
        shapes_docker_crlf: ("shapes/docker_crlf"),
        shapes_docker_env_builder_only: ("shapes/docker_env_builder_only"),
        shapes_docker_legacy_env: ("shapes/docker_legacy_env"),
        shapes_docker_no_user_cmd: ("shapes/docker_no_user_cmd"),
        shapes_endpoint_before_pubsub: ("shapes/endpoint_before_pubsub"),
        shapes_env_hostname: ("shapes/env_hostname"),
        shapes_env_old_fly_hosts: ("shapes/env_old_fly_hosts"),
        shapes_env_pod_ip: ("shapes/env_pod_ip"),
        shapes_fly_conflict: ("shapes/fly_conflict"),
        shapes_fly_empty_env_then_table: ("shapes/fly_empty_env_then_table"),
        shapes_fly_inline_env: ("shapes/fly_inline_env"),
        shapes_fly_no_env: ("shapes/fly_no_env"),
        shapes_fly_services_old: ("shapes/fly_services_old"),
        shapes_formatter_line_length: ("shapes/formatter_line_length"),
        shapes_igniter_code_options: ("shapes/igniter_code_options"),
        shapes_igniter_duplicate_after: ("shapes/igniter_duplicate_after"),
        shapes_igniter_duplicate_before: ("shapes/igniter_duplicate_before"),
        shapes_igniter_named: ("shapes/igniter_named"),
        shapes_igniter_no_application: ("shapes/igniter_no_application"),
        shapes_igniter_one_module: ("shapes/igniter_one_module"),
        shapes_igniter_options_set: ("shapes/igniter_options_set"),
        shapes_igniter_options_updated: ("shapes/igniter_options_updated"),
        shapes_igniter_three_children: ("shapes/igniter_three_children"),
        shapes_igniter_tuple_keyword: ("shapes/igniter_tuple_keyword"),
        shapes_igniter_tuple_options: ("shapes/igniter_tuple_options"),
        shapes_igniter_two_children: ("shapes/igniter_two_children"),
        shapes_inline_start_link: ("shapes/inline_start_link"),
        shapes_last_child_no_comment: ("shapes/last_child_no_comment"),
        shapes_last_child_same_line_comment: ("shapes/last_child_same_line_comment"),
        shapes_last_child_trailing_comment: ("shapes/last_child_trailing_comment"),
        shapes_libcluster_postgres: ("shapes/libcluster_postgres"),
        shapes_list_flatten: ("shapes/list_flatten"),
        shapes_module_elsewhere: ("shapes/module_elsewhere"),
        shapes_no_endpoint: ("shapes/no_endpoint"),
        shapes_piped_filter: ("shapes/piped_filter"),
        shapes_plain: ("shapes/plain"),
        shapes_private_fn: ("shapes/private_fn"),
        shapes_private_fn_env_clauses: ("shapes/private_fn_env_clauses"),
        shapes_pubsub_own_module: ("shapes/pubsub_own_module"),
        shapes_pubsub_pg2_keyword: ("shapes/pubsub_pg2_keyword"),
        shapes_pubsub_pg2_module: ("shapes/pubsub_pg2_module"),
        shapes_pubsub_pg2_supervisor_spec: ("shapes/pubsub_pg2_supervisor_spec"),
        shapes_pubsub_variable: ("shapes/pubsub_variable"),
        shapes_rebound: ("shapes/rebound"),
        shapes_releases_exs: ("shapes/releases_exs"),
        shapes_runtime_keyword_spelling: ("shapes/runtime_keyword_spelling"),
        shapes_runtime_missing: ("shapes/runtime_missing"),
        shapes_runtime_nested_ifs: ("shapes/runtime_nested_ifs"),
        shapes_runtime_no_prod_block: ("shapes/runtime_no_prod_block"),
        shapes_supervisor_spec: ("shapes/supervisor_spec"),
        shapes_umbrella: ("shapes/umbrella"),
        shapes_umbrella_no_endpoint: ("shapes/umbrella_no_endpoint"),
        shapes_umbrella_sibling_dep: ("shapes/umbrella_sibling_dep"),
        shapes_unsupported_children_source: ("shapes/unsupported_children_source"),
    }
}

#[test]
fn every_shape_and_setup_is_judged_by_elixir() {
    let mut on_disk: Vec<String> = Vec::new();
    for group in ["setups", "shapes"] {
        let root = common::fixture_dir(group);
        on_disk.extend(
            std::fs::read_dir(&root)
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().unwrap().is_dir())
                .map(|e| format!("{group}_{}", e.file_name().to_string_lossy())),
        );
    }
    on_disk.sort();
    let mut listed = every_shape_is_judged_by_elixir::NAMES.to_vec();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "add the fixture to `every_shape_is_judged_by_elixir`"
    );
}

// ------------------------------------------------------------------ earlier setups (FLY-SETUPS.md)

/// Every kind: the snapshot shows all that init replaces in a project an earlier setup left.
const ALL_KINDS: &str = "env-sh,deps,application,runtime,dockerfile,fly-toml";

/// One generation of FLY-SETUPS.md, from tests/fixtures/setups/, for the Fly app `app`.
const fn setup(name: &'static str, app: &'static str, code: i32) -> Shape {
    Shape {
        group: "setups",
        app,
        ..shape(name, ALL_KINDS, code)
    }
}

/// flycluster's block as init writes it: `APP-SUFFIX@IP` node names, or `APP@IP` for a libcluster
/// topology that looks for nodes named after the Fly app.
fn block(image_suffix: bool) -> String {
    flycluster::shell::render_block(flycluster::shell::BlockOptions {
        ecto_ipv6: true,
        image_suffix,
    })
}

/// `text` with `topology` first in its prod block.
fn with_topology_first_in_prod_block(text: &str, topology: &str) -> String {
    let prod = "\nif config_env() == :prod do\n";
    once(text, prod, "config/runtime.exs");
    text.replace(prod, &format!("{prod}{topology}"))
}

/// The topologies under `config :APP, KEY` once Elixir's Config.Reader has read `files` of the
/// project in order and merged them (as a release merges its build-time config and runtime.exs),
/// with `vars` the only clustering variables set: `NAME STRATEGY` each. `None` without Elixir.
fn merged_topologies(
    o: &Outcome,
    (app, key): (&str, &str),
    files: &[&str],
    vars: &[(&str, &str)],
) -> Option<Vec<String>> {
    if !require_tool("elixir") {
        return None;
    }
    let mut cmd = Command::new("elixir");
    cmd.arg(common::support("read_topologies.exs"))
        .arg(o.project.path())
        .args([app, key])
        .args(files)
        .env_remove("DNS_CLUSTER_QUERY")
        .env_remove("ENABLE_CLUSTER")
        .env("DATABASE_URL", "ecto://u:p@db/hello")
        .env("SECRET_KEY_BASE", "x".repeat(64));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "Config.Reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

const ON_FLY: &[(&str, &str)] = &[("DNS_CLUSTER_QUERY", "hello-elixir.internal")];
const ON_FLY_CLUSTER_ENABLED: &[(&str, &str)] = &[
    ("DNS_CLUSTER_QUERY", "hello-elixir.internal"),
    ("ENABLE_CLUSTER", "true"),
];

/// The pre-2023 guide's lines in rel/env.sh.eex.
const GEN1_ENV_SH: &str = "ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)
export RELEASE_DISTRIBUTION=name
export RELEASE_NODE=$FLY_APP_NAME@$ip
export ELIXIR_ERL_OPTIONS=\"-proto_dist inet6_tcp\"
";

/// The guide's lines are replaced by the block; on Fly the node keeps the name `APP@IP` the
/// topology's `node_basename` (the Fly app name, as `basename` on line `basename_line`) looks
/// for, so the cluster that formed before still forms.
fn gen1_outcome(o: &Outcome, basename_line: usize, basename: &str) {
    // libcluster kept, no dns_cluster, the topology as it was.
    for rel in [
        "mix.exs",
        "lib/hello16/application.ex",
        "config/runtime.exs",
    ] {
        o.assert_untouched(rel);
    }
    let runtime = o.read("config/runtime.exs");
    let line = runtime.lines().nth(basename_line - 1).unwrap_or_default();
    assert_eq!(line.trim(), format!("node_basename: {basename}"));
    let env_sh = o.read("rel/env.sh.eex");
    assert_eq!(
        env_sh,
        o.original("rel/env.sh.eex")
            .replace(GEN1_ENV_SH, &block(false))
    );
    let [aflags, ecto, query, dist, node] = exports(o.project.path(), &render(&env_sh), FLY_VARS);
    assert_eq!(
        [aflags, ecto, query, dist, node],
        [
            "-proto_dist inet6_tcp",
            "true",
            "hello-app.internal",
            "name",
            "hello-app@fdaa:0:1da8:a7b:ac2:f901:4bf7:2"
        ]
        .map(String::from)
    );
    assert_eq!(
        doctor_findings_for(&o.project, "hello16", "libcluster-node-basename"),
        [format!(
            "ok config/runtime.exs:{basename_line} `node_basename` is the Fly app name, as RELEASE_NODE's name is"
        )]
    );
}

/// Generation 1: Fly's guide before 2023, `node_basename: app_name` from FLY_APP_NAME.
#[test]
fn gen1_libcluster() {
    run_shape(setup("gen1_libcluster", "hello16", 0), |o| {
        gen1_outcome(o, 35, "app_name")
    });
}

/// Generation 1 with the app's name written out as the basename.
#[test]
fn gen1_libcluster_literal() {
    run_shape(setup("gen1_libcluster_literal", "hello16", 0), |o| {
        gen1_outcome(o, 31, "\"hello16\"")
    });
}

/// Generation 2: flyctl's lines appended to the Dockerfile, rewritten in place as `KEY="value"`
/// (once each), so BuildKit has nothing to warn about.
#[test]
fn gen2_flyctl_dockerfile() {
    run_shape(setup("gen2_flyctl_dockerfile", "hello16", 0), |o| {
        let after = o.read("Dockerfile");
        assert_eq!(
            after,
            o.original("Dockerfile").replace(
                "# Appended by flyctl\nENV ECTO_IPV6 true\nENV ERL_AFLAGS \"-proto_dist inet6_tcp\"\n",
                &format!("# Appended by flyctl\n{ENV_ECTO}\n{ENV_AFLAGS}\n")
            )
        );
        assert_eq!(
            (
                after.matches("ECTO_IPV6").count(),
                after.matches("ERL_AFLAGS").count()
            ),
            (1, 1)
        );
        assert_eq!(
            doctor_findings_for(&o.project, "hello16", "dockerfile-legacy-env"),
            ["ok Dockerfile no legacy `ENV KEY value` line for the clustering settings"]
        );
    });
}

/// Generation 3: the guide's five lines at top level, as `fly launch` wrote the file. They go,
/// the block comes: a custom image label no longer makes an invalid node name.
#[test]
fn gen3_fly_launch_2023() {
    run_shape(setup("gen3_fly_launch_2023", "hello17", 0), |o| {
        for rel in [
            "mix.exs",
            "lib/hello17/application.ex",
            "config/runtime.exs",
        ] {
            o.assert_untouched(rel);
        }
        let after = o.read("rel/env.sh.eex");
        assert_eq!(after, format!("#!/bin/sh\n\n{}", block(true)));
        env_sh_on_fly(o, "-proto_dist inet6_tcp");
        let labelled = [
            ("FLY_APP_NAME", APP),
            ("FLY_PRIVATE_IP", "fdaa::2"),
            ("FLY_IMAGE_REF", "registry.fly.io/hello-app:v42"),
        ];
        let node = |script: &str| exports(o.project.path(), &render(script), &labelled)[4].clone();
        assert_eq!(
            node(&o.original("rel/env.sh.eex")),
            "hello-app-app:v42@fdaa::2",
            "before, the name holds the `:` of the image reference: not a valid node name"
        );
        assert_eq!(node(&after), "hello-app-v42@fdaa::2");
    });
}

/// Generation 4: `fly launch`'s guarded exports, RELEASE_DISTRIBUTION outside the guard and the
/// fallback name after it, all replaced by the block. Off Fly the release keeps the name `mix
/// release` gives it: nothing sets RELEASE_NODE or RELEASE_DISTRIBUTION.
#[test]
fn gen4_fly_launch_2025() {
    run_shape(setup("gen4_fly_launch_2025", "hello-launch", 0), |o| {
        let after = o.read("rel/env.sh.eex");
        assert_eq!(after, format!("#!/bin/sh\n\n{}", block(true)));
        env_sh_on_fly(o, "-proto_dist inet6_tcp");
        let [_, _, _, dist, node] = exports(
            o.project.path(),
            &render(&o.original("rel/env.sh.eex")),
            &[],
        );
        assert!(
            dist == "name" && node.starts_with("hello@"),
            "before, off Fly: {dist} {node}"
        );
        assert_eq!(
            exports(o.project.path(), &render(&after), &[]),
            ["", "", "", "", ""].map(String::from),
            "off Fly nothing is set"
        );
    });
}

/// Generation 5: `mix phx.new` 1.7.8+. Its child, config and dependency (0.1.1) are kept as they
/// are; rel/env.sh.eex is created.
#[test]
fn gen5_phx_new_1_7() {
    run_shape(setup("gen5_phx_new_1_7", APP, 0), |o| {
        for rel in ["mix.exs", APP17, "config/runtime.exs"] {
            o.assert_untouched(rel);
        }
        once(
            &o.read("mix.exs"),
            "{:dns_cluster, \"~> 0.1.1\"}",
            "mix.exs",
        );
        assert!(!o.before.contains_key("rel/env.sh.eex"));
        assert!(o.read("rel/env.sh.eex").ends_with(&block(true)));
        env_sh_on_fly(o, "-proto_dist inet6_tcp");
        assert_eq!(
            doctor_findings(&o.project, "dns-cluster-config"),
            [
                "ok config/runtime.exs:54 configures `:hello17, :dns_cluster_query` from DNS_CLUSTER_QUERY, which the DNSCluster child reads"
            ]
        );
    });
}

/// Generation 5 in an umbrella: the child in the core app, the config in the root runtime.exs.
#[test]
fn gen5_phx_new_umbrella() {
    run_shape(setup("gen5_phx_new_umbrella", APP, 0), |o| {
        o.assert_tree_untouched("apps/");
        o.assert_untouched("config/runtime.exs");
        assert!(!o.exists("apps/hello/config"));
        assert!(o.read("rel/env.sh.eex").ends_with(&block(true)));
        assert_eq!(
            doctor_findings(&o.project, "dns-cluster-dep"),
            ["ok apps/hello/mix.exs depends on dns_cluster"]
        );
    });
}

/// Generation 6: a Kubernetes topology behind an env switch. A DNSPoll topology goes beside it,
/// active where DNS_CLUSTER_QUERY is set (on Fly); Config merges the two `config :libcluster`
/// calls, as Elixir itself shows.
#[test]
fn gen6_other_platform() {
    run_shape(setup("gen6_other_platform", "hello-elixir", 0), |o| {
        let runtime = "config/runtime.exs";
        assert_eq!(
            o.read(runtime),
            with_topology_first_in_prod_block(
                &o.original(runtime),
                &common::fly_topology("libcluster", "topologies", "fly6pn")
            )
        );
        o.assert_untouched("mix.exs");
        o.assert_untouched("lib/hello_elixir/application.ex");
        let key = ("libcluster", "topologies");
        if let Some(on_fly) = merged_topologies(o, key, &[runtime], ON_FLY) {
            assert_eq!(on_fly, ["fly6pn Cluster.Strategy.DNSPoll"]);
            assert_eq!(
                merged_topologies(o, key, &[runtime], ON_FLY_CLUSTER_ENABLED).unwrap(),
                [
                    "k8s Cluster.Strategy.Kubernetes.DNS",
                    "fly6pn Cluster.Strategy.DNSPoll"
                ]
            );
        }
        assert_eq!(
            doctor_findings_for(&o.project, "hello-elixir", "libcluster-strategy"),
            [
                "warning config/runtime.exs:24 the libcluster topology uses `Cluster.Strategy.Kubernetes.DNS`, which does not find nodes on Fly's private network; use `Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`",
                "ok config/runtime.exs:39 the libcluster topology uses `Cluster.Strategy.DNSPoll`",
            ]
        );
    });
}

/// Generation 6 with the other platform's topology named `fly6pn`: the added one is `fly_dns`,
/// since Config would merge two topologies of one name into one (Elixir shows both).
#[test]
fn gen6_other_platform_fly6pn() {
    run_shape(
        setup("gen6_other_platform_fly6pn", "hello-elixir", 0),
        |o| {
            let runtime = "config/runtime.exs";
            let after = o.read(runtime);
            assert_eq!(
                after,
                with_topology_first_in_prod_block(
                    &o.original(runtime),
                    &common::fly_topology("libcluster", "topologies", "fly_dns")
                )
            );
            let key = ("libcluster", "topologies");
            if let Some(merged) = merged_topologies(o, key, &[runtime], ON_FLY_CLUSTER_ENABLED) {
                assert_eq!(
                    merged,
                    [
                        "fly6pn Cluster.Strategy.Gossip",
                        "fly_dns Cluster.Strategy.DNSPoll"
                    ]
                );
                // Had it been named `fly6pn` too, the Gossip topology would be gone.
                o.project.write(
                    runtime,
                    after.replace("        fly_dns: [", "        fly6pn: ["),
                );
                assert_eq!(
                    merged_topologies(o, key, &[runtime], ON_FLY_CLUSTER_ENABLED).unwrap(),
                    ["fly6pn Cluster.Strategy.DNSPoll"]
                );
                o.project.write(runtime, &after);
            }
        },
    );
}

/// Generation 6: the supervisor reads topologies from the app's own key, where only a local Epmd
/// topology is. The DNSPoll topology goes under that key, not `:libcluster, :topologies`, and
/// doctor judges that key.
/// libcluster's README shape: the topologies are a list written in start/2, so no config reaches
/// the supervisor. Without a DNSPoll topology among them, adding one there is a manual step, and
/// runtime.exs gets no topology nothing would read.
#[test]
fn gen6_topologies_in_code() {
    run_shape(setup("gen6_topologies_in_code", "hello-elixir", 3), |o| {
        o.assert_untouched("config/runtime.exs");
        o.assert_untouched("lib/hello_elixir/application.ex");
        o.assert_manual_step(&flycluster::edit::runtime::dnspoll_topology_snippet());
        assert!(
            o.output().contains("manual step: `lib/hello_elixir/application.ex`: Cluster.Supervisor is given a topologies list written in the application module, and none of them is DNSPoll, so no topology finds nodes on Fly; config files do not reach that list\n  line 11, in the topologies list Cluster.Supervisor is given, add:\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,"),
            "{}",
            o.output()
        );
    });
}

/// The same with a DNSPoll topology in the list: configured, and runtime.exs gets nothing.
#[test]
fn gen6_topologies_in_code_dnspoll() {
    run_shape(
        setup("gen6_topologies_in_code_dnspoll", "hello-elixir", 0),
        |o| {
            o.assert_untouched("config/runtime.exs");
            o.assert_untouched("lib/hello_elixir/application.ex");
            assert_eq!(
                doctor_findings_for(&o.project, "hello-elixir", "libcluster-topology"),
                [
                    "ok lib/hello_elixir/application.ex:11 Cluster.Supervisor is given a topologies list written in the application module, with a DNSPoll topology among them"
                ]
            );
        },
    );
}

#[test]
fn gen6_own_app_key() {
    run_shape(setup("gen6_own_app_key", "hello-elixir", 0), |o| {
        let runtime = "config/runtime.exs";
        assert_eq!(
            o.read(runtime),
            with_topology_first_in_prod_block(
                &o.original(runtime),
                &common::fly_topology("hello_elixir", "topologies", "fly6pn")
            )
        );
        o.assert_untouched("lib/hello_elixir/application.ex");
        let own = ("hello_elixir", "topologies");
        if let Some(merged) = merged_topologies(o, own, &[runtime], ON_FLY) {
            assert_eq!(
                merged,
                [
                    "local Cluster.Strategy.Epmd",
                    "fly6pn Cluster.Strategy.DNSPoll"
                ]
            );
            let libcluster = ("libcluster", "topologies");
            assert!(
                merged_topologies(o, libcluster, &[runtime], ON_FLY)
                    .unwrap()
                    .is_empty()
            );
        }
        assert_eq!(
            doctor_findings_for(&o.project, "hello-elixir", "libcluster-strategy"),
            [
                "warning config/runtime.exs:23 the libcluster topology uses `Cluster.Strategy.Epmd`, which does not find nodes on Fly's private network; use `Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`",
                "ok config/runtime.exs:33 the libcluster topology uses `Cluster.Strategy.DNSPoll`",
            ]
        );
    });
}

/// Generation 6: the own key already holds a DNSPoll topology that fits Fly: the Elixir side is
/// set up, and doctor finds it there.
#[test]
fn gen6_own_app_key_dnspoll() {
    run_shape(setup("gen6_own_app_key_dnspoll", "hello-elixir", 0), |o| {
        for rel in [
            "mix.exs",
            "lib/hello_elixir/application.ex",
            "config/runtime.exs",
        ] {
            o.assert_untouched(rel);
        }
        assert_eq!(
            doctor_findings_for(&o.project, "hello-elixir", "libcluster-node-basename"),
            [
                "ok config/runtime.exs:38 `node_basename` is derived from the node name env.sh.eex gives"
            ]
        );
    });
}

/// Generation 6: `node_basename` from a variable RELEASE_NODE is not built from. No node init names
/// is sure to match it: a manual step with the line to write, never exit 0.
#[test]
fn gen6_basename_other_var() {
    // The value is unknown (perhaps a secret holding the app name): the nodes keep the `APP@IP`
    // names the pre-2023 setup gave them, so a cluster that formed is not broken meanwhile.
    run_shape(setup("gen6_basename_other_var", "hello16", 3), |o| {
        o.assert_untouched("config/runtime.exs");
        assert!(
            o.read("rel/env.sh.eex")
                .contains("  export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\n"),
            "{}",
            o.read("rel/env.sh.eex")
        );
        let step = o.assert_manual_step(flycluster::edit::runtime::NODE_BASENAME_FIX);
        assert_eq!(
            (&step["path"], &step["reason"]),
            (
                &"config/runtime.exs".into(),
                &"`node_basename` is `System.get_env(\"APP_BASENAME\")`, which flycluster cannot evaluate; the nodes keep the names `hello16@IP` they had, and DNSPoll reaches them only if it gives `hello16`".into()
            )
        );
    });
}
