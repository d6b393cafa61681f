//! `flycluster verify` through the binary, against the stand-in `fly` of tests/support/fly with
//! canned answers: the errors that stop it (exit 2), what it concludes from the nodes' answers,
//! that it asks the Machines in parallel and within `--jobs`, and that `--timeout` ends a call.
//! The real expression on real nodes is tested in tests/e2e_cluster.rs and tests/verify_probe.rs.

mod common;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{FlyCall, TestProject, finding_ids, fly_calls, verify_missing_pairs as missing_pairs};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const APP: &str = "hello-done";
const IPS: [&str; 4] = [
    "fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
    "fdaa:0:1da8:a7b:ac4:eb41:19d3:2",
    "fdaa:0:1da8:a7b:ab2:a8e:6666:2",
    "fdaa:0:1da8:a7b:ac2:cdf6:c422:2",
];

fn id(i: usize) -> String {
    format!("e2e0000000000{}", i + 1)
}

fn node(i: usize, basename: &str) -> String {
    format!("{basename}@{}", IPS[i])
}

/// The stand-in's state folder.
struct Fly {
    state: tempfile::TempDir,
}

impl Fly {
    fn new() -> Fly {
        let state = tempfile::Builder::new()
            .prefix("flycluster-fly-")
            .tempdir()
            .unwrap();
        std::fs::write(state.path().join("app"), APP).unwrap();
        Fly { state }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.state.path().join(rel)
    }

    /// `machines list --json`: flyctl Machines `(state, image tag)` with ids and IPs by position.
    fn machines(&self, machines: &[(&str, &str)]) -> &Self {
        let list: Vec<Value> = machines
            .iter()
            .enumerate()
            .map(|(i, (state, tag))| {
                json!({
                    "id": id(i),
                    "name": format!("machine-{}", i + 1),
                    "state": state,
                    "region": "sea",
                    "image_ref": {"registry": "registry.fly.io", "repository": APP, "tag": tag},
                    "instance_id": "01J000",
                    "private_ip": IPS[i],
                    "config": {"metadata": {"fly_process_group": "app", "fly_platform_version": "v2"}},
                    "host_status": "ok",
                    "cordoned": false
                })
            })
            .collect();
        std::fs::write(
            self.path("machines.json"),
            serde_json::to_string_pretty(&list).unwrap(),
        )
        .unwrap();
        for (i, (state, _)) in machines.iter().enumerate() {
            if *state == "started" {
                std::fs::create_dir_all(self.path(&format!("machines/{}", id(i)))).unwrap();
            }
        }
        self
    }

    /// What Machine `i` prints for `rpc` or `eval`, and how that call exits.
    fn answer(&self, i: usize, via: &str, stdout: &str, stderr: &str, rc: i32) -> &Self {
        let dir = self.path(&format!("machines/{}", id(i)));
        std::fs::write(dir.join(format!("{via}.stdout")), stdout).unwrap();
        std::fs::write(dir.join(format!("{via}.stderr")), stderr).unwrap();
        std::fs::write(dir.join(format!("{via}.rc")), rc.to_string()).unwrap();
        self
    }

    fn touch(&self, i: usize, file: &str, content: &str) -> &Self {
        std::fs::write(self.path(&format!("machines/{}/{file}", id(i))), content).unwrap();
        self
    }

    /// Each ssh call, in the order they returned.
    fn calls(&self) -> Vec<FlyCall> {
        fly_calls(&std::fs::read_to_string(self.path("calls.log")).unwrap_or_default())
    }
}

/// The result line probe.exs prints, for node `i` with these fields changed.
fn result_line(i: usize, changes: &[(&str, &str)]) -> String {
    let basename = "hello-done-01HXYZ";
    let others: Vec<String> = (0..3)
        .filter(|&j| j != i)
        .map(|j| node(j, basename))
        .collect();
    let mut fields: Vec<(&str, String)> = vec![
        ("mode", "rpc".into()),
        ("node", node(i, basename)),
        ("nodes", others.join(" ")),
        ("cookie", "sha256:0123456789ab".into()),
        ("query", format!("{APP}.internal")),
        ("query_from", "dns_cluster".into()),
        ("aaaa", IPS[..3].join(" ")),
        ("clustering", "dns_cluster:running".into()),
        ("proto_dist", "inet6_tcp".into()),
        ("vsn", "0.1.0".into()),
        ("image", format!("registry.fly.io/{APP}:deployment-01HXYZ")),
        ("machine", id(i)),
    ];
    for (k, v) in changes {
        let slot = fields.iter_mut().find(|(key, _)| key == k).unwrap();
        slot.1 = v.to_string();
    }
    let mut line = String::from("FLYCLUSTER-VERIFY/1");
    for (k, v) in fields {
        line.push_str(&format!(" {k}={}", URL_SAFE_NO_PAD.encode(v)));
    }
    line + " FLYCLUSTER-END\n"
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn path_with(fly: Option<&Path>) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fly");
    let system = "/usr/local/bin:/usr/bin:/bin";
    match fly {
        Some(_) => format!("{}:{system}", dir.display()),
        None => system.to_string(),
    }
}

fn verify(project: &TestProject, fly: &Fly, args: &[&str]) -> Run {
    verify_with_path(project, Some(fly), &path_with(Some(fly.state.path())), args)
}

fn verify_with_path(project: &TestProject, fly: Option<&Fly>, path: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flycluster"));
    cmd.arg("verify").args(args).arg(project.path());
    cmd.env("PATH", path).env_remove("NO_COLOR");
    match fly {
        Some(f) => cmd.env("FLY_STANDIN", f.state.path()),
        None => cmd.env_remove("FLY_STANDIN"),
    };
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn project() -> TestProject {
    TestProject::from_fixture("configured")
}

/// Three started Machines whose nodes all see each other.
fn healthy(fly: &Fly) {
    fly.machines(&[
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
    ]);
    for i in 0..3 {
        fly.answer(i, "rpc", &result_line(i, &[]), "", 0);
    }
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", run.stdout))
}

#[test]
fn a_complete_cluster_exits_0_with_the_matrix() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    let run = verify(&project, &fly, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "no progress line on a pipe");
    common::insta_settings().bind(|| insta::assert_snapshot!("verify_complete", run.stdout));
    // The release path of the Dockerfile's final stage, the expression as one quoted word.
    let command = std::fs::read_to_string(fly.path(&format!("{}.command", id(0)))).unwrap();
    assert!(
        command.starts_with("/app/bin/hello_done rpc 'app = :hello_done; "),
        "{command}"
    );
    assert!(
        command.ends_with("\"FLYCLUSTER-\" <> \"END\"], \" \"))'"),
        "{command}"
    );
}

#[test]
fn another_cookie_is_the_reason_in_text_and_json() {
    let (project, fly) = (project(), Fly::new());
    fly.machines(&[
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
    ]);
    let apart = |i: usize| {
        result_line(
            i,
            &[
                (
                    "nodes",
                    &format!(
                        "{} {}",
                        node((i + 1) % 3, "hello-done-01HXYZ"),
                        node((i + 2) % 3, "hello-done-01HXYZ")
                    ),
                ),
                ("aaaa", &IPS.join(" ")),
            ],
        )
    };
    for i in 0..3 {
        fly.answer(i, "rpc", &apart(i), "", 0);
    }
    fly.answer(
        3,
        "rpc",
        &result_line(
            3,
            &[
                ("nodes", ""),
                ("cookie", "sha256:ffffffffffff"),
                ("aaaa", &IPS.join(" ")),
            ],
        ),
        "",
        0,
    );
    let run = verify(&project, &fly, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    common::insta_settings().bind(|| insta::assert_snapshot!("verify_another_cookie", run.stdout));

    let run = verify(&project, &fly, &["--format", "json"]);
    assert_eq!(run.code, 1);
    let doc = json_of(&run);
    let reason = vec!["cookie-mismatch".to_string()];
    assert_eq!(
        missing_pairs(&doc),
        vec![
            (id(0), id(3), reason.clone()),
            (id(1), id(3), reason.clone()),
            (id(2), id(3), reason.clone()),
        ]
    );
    assert_eq!(finding_ids(&doc), vec!["cookie-mismatch"]);
    assert_eq!(doc["findings"][0]["machines"], json!([id(3)]));
    assert_eq!(doc["summary"]["exit_code"], 1);
    // Cookies are compared by hash; not even the hash is in the output.
    assert!(!run.stdout.contains("0123456789ab") && !run.stdout.contains("ffffffffffff"));
    assert_eq!(
        doc["machines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["cookie_group"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["A", "A", "A", "B"]
    );
}

#[test]
fn the_json_document_holds_machines_pairs_and_findings() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    let doc = json_of(&verify(&project, &fly, &["--format", "json"]));
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "app",
            "findings",
            "machines",
            "otp_app",
            "pairs",
            "release_script",
            "summary"
        ]
    );
    assert_eq!(
        doc["machines"][0],
        json!({
            "id": id(0),
            "name": "machine-1",
            "state": "started",
            "region": "sea",
            "private_ip": IPS[0],
            "image": "registry.fly.io/hello-done:deployment-01HXYZ",
            "process_group": "app",
            "answer": "rpc",
            "error": null,
            "node": node(0, "hello-done-01HXYZ"),
            "nodes": [node(1, "hello-done-01HXYZ"), node(2, "hello-done-01HXYZ")],
            "cookie_group": "A",
            "query": "hello-done.internal",
            "query_from": "dns_cluster",
            "aaaa": IPS[..3],
            "clustering": [{"library": "dns_cluster", "state": "running"}],
            "proto_dist": ["inet6_tcp"],
            "release_version": "0.1.0",
            "fly_image_ref": "registry.fly.io/hello-done:deployment-01HXYZ",
        })
    );
    assert_eq!(
        doc["summary"],
        json!({"started": 3, "not_started": 0, "pairs": 3, "connected_pairs": 3, "complete": true, "exit_code": 0})
    );
    assert_eq!(doc["findings"], json!([]));
}

#[test]
fn a_node_rpc_cannot_reach_is_asked_with_eval_and_ipv4_is_the_reason() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    for i in 0..2 {
        fly.answer(
            i,
            "rpc",
            &result_line(i, &[("nodes", &node(1 - i, "hello-done-01HXYZ"))]),
            "",
            0,
        );
    }
    fly.answer(
        2,
        "rpc",
        "",
        "--rpc-eval : RPC failed with reason :nodedown\n",
        1,
    );
    fly.answer(
        2,
        "eval",
        &format!(
            "warning: something\r\n{}",
            result_line(
                2,
                &[
                    ("mode", "eval"),
                    ("nodes", ""),
                    ("clustering", ""),
                    ("proto_dist", "")
                ]
            )
        ),
        "",
        0,
    );
    let doc = json_of(&verify(&project, &fly, &["--format", "json"]));
    let reason = vec!["ipv4-distribution".to_string()];
    assert_eq!(
        missing_pairs(&doc),
        vec![(id(0), id(2), reason.clone()), (id(1), id(2), reason)]
    );
    assert_eq!(doc["machines"][2]["answer"], "eval");
    assert_eq!(
        doc["machines"][2]["error"],
        "--rpc-eval : RPC failed with reason :nodedown / Error: ssh shell: Process exited with status 1"
    );
    assert_eq!(
        fly.calls()
            .iter()
            .filter(|c| c.0 == id(2))
            .map(|c| c.1.as_str())
            .collect::<Vec<_>>(),
        vec!["rpc", "eval"]
    );
}

#[test]
fn a_machine_that_cannot_be_reached_carries_flys_message() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    fly.answer(2, "rpc", "", "Error: ssh: handshake failed: EOF\n", 1);
    fly.answer(2, "eval", "", "Error: ssh: handshake failed: EOF\n", 1);
    let doc = json_of(&verify(&project, &fly, &["--format", "json"]));
    assert_eq!(doc["machines"][2]["answer"], "unreachable");
    assert_eq!(
        doc["findings"][0]["message"],
        format!(
            "`/app/bin/hello_done rpc` could not be run on Machine {}: Error: ssh: handshake failed: EOF / Error: ssh shell: Process exited with status 1",
            id(2)
        )
    );
    assert_eq!(doc["summary"]["exit_code"], 1);
}

#[test]
fn a_stopped_machine_is_listed_and_the_started_ones_decide() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    fly.machines(&[
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
        ("started", "deployment-01HXYZ"),
        ("stopped", "deployment-01HXYZ"),
    ]);
    let run = verify(&project, &fly, &["--format", "json"]);
    assert_eq!(run.code, 0);
    let doc = json_of(&run);
    assert_eq!(finding_ids(&doc), vec!["machine-stopped"]);
    assert_eq!(doc["machines"][3]["state"], "stopped");
    assert_eq!(doc["machines"][3]["answer"], Value::Null);
    assert!(
        !fly.calls().iter().any(|c| c.0 == id(3)),
        "a stopped Machine is not asked"
    );
}

#[test]
fn the_machines_are_asked_in_parallel_and_jobs_bounds_it() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    for i in 0..3 {
        fly.touch(i, "sleep", "1");
    }
    let run = verify(&project, &fly, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let calls = fly.calls();
    assert_eq!(calls.len(), 3);
    // Every call started before any ended: all three were in flight at once.
    let last_start = calls.iter().map(|c| c.2).fold(f64::MIN, f64::max);
    let first_end = calls.iter().map(|c| c.3).fold(f64::MAX, f64::min);
    assert!(
        last_start < first_end,
        "the calls did not overlap: {calls:?}"
    );

    std::fs::remove_file(fly.path("calls.log")).unwrap();
    let run = verify(&project, &fly, &["--jobs", "1"]);
    assert_eq!(run.code, 0);
    let calls = fly.calls();
    for pair in calls.windows(2) {
        assert!(
            pair[1].2 >= pair[0].3,
            "--jobs 1 ran two calls at once: {calls:?}"
        );
    }
}

#[test]
fn a_call_past_the_timeout_is_ended_and_reported() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    fly.touch(1, "hang", "");
    let run = verify(&project, &fly, &["--timeout", "1", "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc = json_of(&run);
    assert_eq!(doc["machines"][1]["answer"], "unreachable");
    assert_eq!(
        doc["machines"][1]["error"],
        "no answer within 1 s (`--timeout`)"
    );
    let reason = vec!["unreachable".to_string()];
    assert_eq!(
        missing_pairs(&doc),
        vec![(id(0), id(1), reason.clone()), (id(1), id(2), reason)]
    );
}

fn assert_refused(run: &Run, message: &str, help: &str) {
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, format!("error: {message}\nhelp: {help}\n"));
}

#[test]
fn no_fly_on_path_is_exit_2() {
    let project = project();
    let run = verify_with_path(&project, None, &path_with(None), &[]);
    assert_refused(
        &run,
        "`fly` is not on PATH: verify asks the deployed Machines through the fly CLI",
        "install flyctl (https://fly.io/docs/flyctl/install/) and log in with `fly auth login`",
    );
}

#[test]
fn not_logged_in_is_exit_2() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    std::fs::write(fly.path("logged_out"), "").unwrap();
    assert_refused(
        &verify(&project, &fly, &[]),
        "the fly CLI is not logged in (`fly machines list --app hello-done --json`: Error: no access token available. Please login with 'flyctl auth login')",
        "log in with `fly auth login`, then run verify again",
    );
}

#[test]
fn no_such_app_is_exit_2() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    assert_refused(
        &verify(&project, &fly, &["--app", "hello-gone"]),
        "no Fly app `hello-gone` (`fly machines list --app hello-gone --json`: Error: failed to list VMs: app not found (Request ID: 01J0STANDIN))",
        "pass the app's name with `--app NAME` (`fly apps list` shows yours), or fix `app` in fly.toml",
    );
}

#[test]
fn no_started_machine_is_exit_2() {
    let (project, fly) = (project(), Fly::new());
    fly.machines(&[
        ("stopped", "deployment-01HXYZ"),
        ("suspended", "deployment-01HXYZ"),
    ]);
    assert_refused(
        &verify(&project, &fly, &[]),
        "no started Machine of `hello-done` to ask: its 2 Machines are not started",
        "deploy with `fly deploy`, or start one with `fly machine start ID --app hello-done`",
    );
    fly.machines(&[]);
    assert_refused(
        &verify(&project, &fly, &[]),
        "no started Machine of `hello-done` to ask: the app has no Machine",
        "deploy with `fly deploy`, or start one with `fly machine start ID --app hello-done`",
    );
}

#[test]
fn an_invalid_app_name_is_refused_before_fly_is_asked() {
    let (project, fly) = (project(), Fly::new());
    healthy(&fly);
    let run = verify(&project, &fly, &["--app", "Bad_Name"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.lines().next(),
        Some("error: `Bad_Name` is not a valid Fly app name")
    );
    assert_eq!(fly.calls(), vec![]);
}
