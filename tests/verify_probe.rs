//! The expression `flycluster verify` evaluates on each node, run by real Elixir: through
//! `--rpc-eval` against a running node (what `bin/APP rpc` does), the expression passed through a
//! POSIX shell as the single-quoted word verify sends, and as `eval` in a fresh VM. The result
//! line is read back with verify's own parser, so the two ends are tested together.
//!
//! The nodes use an epmd of the test's own on a free port (`ERL_EPMD_PORT`), started and ended
//! here. Needs `elixir` and `epmd` (Debian's elixir, erlang-base).

mod common;
use common::require_tool;
use flycluster::verify::probe::{self, NodeReport, Via};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Children ended (by their PID) when the test ends, also on a failed assertion.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait (bounded) until `child` prints `line` on stdout.
fn wait_for_line(child: &mut Child, line: &str, what: &str) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200))
            && l == line
        {
            return;
        }
    }
    panic!("{what} did not print {line:?} within 60 s");
}

/// `sh -c LINE` with `env` added; its stdout, after it succeeded.
fn sh(line: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new("sh")
        .args(["-c", line])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const COOKIE: &str = "probe-cookie";
/// `sha256("probe-cookie")`'s first 12 hex digits, from `printf probe-cookie | sha256sum`.
const COOKIE_HASH: &str = "sha256:f94e03d92587";

#[test]
fn the_expression_reports_a_running_node_through_rpc() {
    if !(require_tool("elixir") && require_tool("epmd") && require_tool("sh")) {
        return;
    }
    let port = free_port().to_string();
    let tag = std::process::id();
    let (a, b) = (
        format!("probe-a-{tag}@127.0.0.1"),
        format!("probe-b-{tag}@127.0.0.1"),
    );
    let mut children = Children(Vec::new());
    children.0.push(
        Command::new("epmd")
            .args(["-port", &port])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut peer = Command::new("elixir")
        .args([
            "--name",
            &b,
            "--cookie",
            COOKIE,
            "-e",
            "IO.puts(:ready); Process.sleep(:infinity)",
        ])
        .env("ERL_EPMD_PORT", &port)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_line(&mut peer, "ready", "the peer node");
    children.0.push(peer);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/verify_probe_node.exs"
    );
    let mut node = Command::new("elixir")
        .args(["--name", &a, "--cookie", COOKIE, script])
        .env("ERL_EPMD_PORT", &port)
        .env("PEER", &b)
        .env("FLY_IMAGE_REF", "registry.fly.io/probe:deployment-01HXYZ")
        .env("FLY_MACHINE_ID", "d891394fe06158")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_line(&mut node, "ready", "the probed node");
    children.0.push(node);

    // As verify sends it: one single-quoted word, split by a POSIX shell.
    let line = format!(
        "exec elixir --hidden --name probe-c-{tag}@127.0.0.1 --cookie {COOKIE} --rpc-eval {a} {}",
        probe::quoted_expression("probe_app")
    );
    let stdout = sh(&line, &[("ERL_EPMD_PORT", &port)]);
    let mut report = probe::parse(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    report.clustering.sort();
    assert_eq!(
        report,
        NodeReport {
            via: Via::Rpc,
            node: a.clone(),
            nodes: vec![b.clone()],
            cookie_hash: COOKIE_HASH.into(),
            query: "probe.internal".into(),
            query_from: "dns_cluster".into(),
            aaaa: vec![],
            clustering: vec![
                ("dns_cluster".into(), "ignored".into()),
                ("dns_cluster".into(), "running".into()),
                ("libcluster".into(), "running".into()),
            ],
            proto_dist: vec![],
            release_version: "1.2.3".into(),
            fly_image_ref: "registry.fly.io/probe:deployment-01HXYZ".into(),
            fly_machine_id: "d891394fe06158".into(),
        }
    );
    assert_eq!(
        stdout.lines().count(),
        1,
        "one line and nothing else: {stdout}"
    );
}

#[test]
fn the_expression_reports_what_a_fresh_vm_boots_with_through_eval() {
    if !(require_tool("elixir") && require_tool("sh")) {
        return;
    }
    let line = format!("exec elixir -e {}", probe::quoted_expression("probe_app"));
    let stdout = sh(
        &line,
        &[
            ("RELEASE_COOKIE", COOKIE),
            (
                "RELEASE_NODE",
                "probe-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
            ),
            ("DNS_CLUSTER_QUERY", "probe.internal"),
            ("ERL_AFLAGS", "-proto_dist inet6_tcp -proto_dist inet_tcp"),
            ("RELEASE_VSN", "0.9.0"),
            ("FLY_IMAGE_REF", "registry.fly.io/probe:v42"),
            ("FLY_MACHINE_ID", "148e21ea7e5589"),
            // Nothing answers there: the lookup is empty at once.
            (
                "ERL_INETRC",
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/no_dns.inetrc"),
            ),
        ],
    );
    assert_eq!(
        probe::parse(&stdout),
        Ok(NodeReport {
            via: Via::Eval,
            node: "probe-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2".into(),
            nodes: vec![],
            cookie_hash: COOKIE_HASH.into(),
            query: "probe.internal".into(),
            query_from: "env".into(),
            aaaa: vec![],
            clustering: vec![],
            proto_dist: vec!["inet6_tcp".into(), "inet_tcp".into()],
            release_version: "0.9.0".into(),
            fly_image_ref: "registry.fly.io/probe:v42".into(),
            fly_machine_id: "148e21ea7e5589".into(),
        })
    );
}
