//! End to end: the setup `flycluster init` writes really forms an Erlang cluster. tests/e2e/cluster.sh
//! boots the generated release as Fly machines in network namespaces on a private IPv6 network with
//! a `.internal` DNS, and reports each node's `Node.list()`; see tests/e2e/README.md.
//!
//! Two tests, one per clustering strategy, each running the script three times: with a deployment
//! image ref, with a custom image label, and as a negative control that must fail (dns_cluster: the
//! IPv6 distribution flag removed; libcluster: the runtime-derived `node_basename` replaced by a
//! fixed string). A third runs `flycluster verify` against the formed cluster (`--verify`), through
//! the stand-in `fly` of tests/support/fly, in five cases. All runs take one lock, so they run one after the other even though cargo runs
//! tests in parallel: they would fight over CPU and the 60 s cluster deadline otherwise.
//! Needs root, iproute2, dnsmasq, Elixir/mix and python3: under CI=true a missing one fails the
//! test, locally it is skipped loudly.

mod common;
use common::{
    FlyCall, finding_ids, fly_calls, require_tool, verify_missing_pairs as missing_pairs,
};
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Held by each test for all its runs: one run of the script at a time in this process.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Each run of the script must end within this (it needs about 20 s, or 80 s for the negative
/// control, which waits out the full 60 s deadline).
const RUN_LIMIT: Duration = Duration::from_secs(180);

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Root and every tool the script uses, by the `require_tool` convention.
fn prerequisites() -> bool {
    if !is_root() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tests/e2e/cluster.sh needs root (network namespaces), and CI=true requires it");
        }
        eprintln!(
            "\n!!!!! SKIPPED: e2e_cluster needs root (network namespaces); this test checked nothing. Run `sudo cargo test --test e2e_cluster`. !!!!!\n"
        );
        return false;
    }
    // Debian packages: ip is iproute2, dnsmasq is dnsmasq-base, epmd comes with erlang-base.
    [
        "ip", "dnsmasq", "elixir", "mix", "epmd", "python3", "timeout",
    ]
    .iter()
    .all(|tool| require_tool(tool))
}

struct ScriptRun {
    code: i32,
    output: String,
}

/// `bash tests/e2e/cluster.sh ARGS BINARY`, stdout and stderr together, ended (SIGTERM, so its
/// cleanup runs) if it overruns RUN_LIMIT.
fn run_script(args: &[&str]) -> ScriptRun {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log_dir = tempfile::Builder::new()
        .prefix("flycluster-e2e-log-")
        .tempdir()
        .unwrap();
    let log_path = log_dir.path().join("cluster.log");
    let log = File::create(&log_path).unwrap();
    let mut child = Command::new("bash")
        .arg(root.join("tests/e2e/cluster.sh"))
        .args(args)
        .arg(env!("CARGO_BIN_EXE_flycluster"))
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let grace = Instant::now();
            while child.try_wait().unwrap().is_none() && grace.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(200));
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "cluster.sh {args:?} ran over {RUN_LIMIT:?}:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap();
    println!(
        "==== cluster.sh {} ({:.0?}, exit {:?})\n{output}",
        args.join(" "),
        started.elapsed(),
        status.code()
    );
    ScriptRun {
        code: status.code().unwrap_or(-1),
        output,
    }
}

fn summary(run: &ScriptRun) -> &str {
    run.output
        .lines()
        .find(|l| l.starts_with("cluster: "))
        .unwrap_or("(no summary line)")
}

#[test]
fn generated_setup_forms_a_cluster_on_a_fly_like_ipv6_network() {
    if !prerequisites() {
        return;
    }
    // A panic in the other test poisons the lock; the runs are still independent.
    let _serial = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());

    // A Fly deployment image: the node is hello-elixir-01HXYZ@<private IP>.
    let run = run_script(&[]);
    assert_eq!(
        run.code, 0,
        "the generated setup did not cluster:\n{}",
        run.output
    );
    assert_eq!(
        summary(&run),
        "cluster: 3/3 nodes connected, isolated node ok (image label deployment-01HXYZ)",
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("  hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2  Node.list=["),
        "{}",
        run.output
    );

    // A custom image label (no `-` in the tag): the node name must still be valid and cluster.
    // `--database fly` said outright (the first run had it as init's default): the Repo's
    // socket_options are [:inet6].
    let run = run_script(&[
        "--image-ref",
        "registry.fly.io/hello-elixir:v42",
        "--database",
        "fly",
    ]);
    assert_eq!(
        run.code, 0,
        "with a custom image label the setup did not cluster:\n{}",
        run.output
    );
    assert_eq!(
        summary(&run),
        "cluster: 3/3 nodes connected, isolated node ok (image label v42, database fly)",
        "{}",
        run.output
    );

    // Negative control: without `-proto_dist inet6_tcp` the same machines boot but cannot reach
    // each other, and the script must say so and fail (exit 1: the setup, not the test, failed).
    let run = run_script(&["--break-ipv6"]);
    assert_eq!(
        run.code, 1,
        "the negative control did not fail as the setup's failure:\n{}",
        run.output
    );
    assert!(
        summary(&run).starts_with("cluster: 0/3 nodes connected: NOT CLUSTERED"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("all 4 machines up"),
        "the negative control must fail on connecting, not on booting:\n{}",
        run.output
    );
}

/// `flycluster init --strategy libcluster`: the generated `Cluster.Supervisor` child and DNSPoll
/// topology, run against the libcluster stand-in of tests/e2e/libcluster_stub, which reads the
/// topology's query, node_basename and polling_interval as libcluster does.
#[test]
fn generated_libcluster_setup_forms_a_cluster_on_a_fly_like_ipv6_network() {
    if !prerequisites() {
        return;
    }
    let _serial = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());

    // A Fly deployment image: the topology's node_basename must be hello-elixir-01HXYZ, the node's.
    let run = run_script(&["--strategy", "libcluster"]);
    assert_eq!(
        run.code, 0,
        "the generated libcluster setup did not cluster:\n{}",
        run.output
    );
    assert_eq!(
        summary(&run),
        "cluster: 3/3 nodes connected, isolated node ok (image label deployment-01HXYZ, strategy libcluster)",
        "{}",
        run.output
    );
    assert!(
        run.output.contains(
            "n1's libcluster topology fly6pn: query hello-elixir.internal, node_basename hello-elixir-01HXYZ, polling_interval 5000"
        ),
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("  hello-elixir-01HXYZ@fdaa:0:1da8:a7b:ac2:f901:4bf7:2  Node.list=["),
        "{}",
        run.output
    );

    // A custom image label: the basename derived at runtime follows the node name (hello-elixir-v42).
    let run = run_script(&[
        "--strategy",
        "libcluster",
        "--image-ref",
        "registry.fly.io/hello-elixir:v42",
    ]);
    assert_eq!(
        run.code, 0,
        "with a custom image label the libcluster setup did not cluster:\n{}",
        run.output
    );
    assert_eq!(
        summary(&run),
        "cluster: 3/3 nodes connected, isolated node ok (image label v42, strategy libcluster)",
        "{}",
        run.output
    );

    // Negative control: the same setup with node_basename fixed to "hello-elixir" (what a static
    // topology would say) boots and resolves, but DNSPoll asks for nodes that do not exist.
    let run = run_script(&["--strategy", "libcluster", "--break-basename"]);
    assert_eq!(
        run.code, 1,
        "the libcluster negative control did not fail as the setup's failure:\n{}",
        run.output
    );
    assert!(
        summary(&run).starts_with("cluster: 0/3 nodes connected: NOT CLUSTERED"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("all 4 machines up")
            && run
                .output
                .contains("node_basename hello-elixir, polling_interval"),
        "the negative control must fail on connecting, with the fixed basename in effect:\n{}",
        run.output
    );
}

/// One `flycluster verify` case of `cluster.sh --verify DIR`: exit status, parsed JSON document,
/// text report, wall time and the stand-in fly's ssh calls `(machine, via, start, end)`.
struct VerifyCase {
    code: i32,
    doc: serde_json::Value,
    text: String,
    seconds: f64,
    calls: Vec<FlyCall>,
}

fn verify_case(dir: &Path, name: &str) -> VerifyCase {
    let read = |ext: &str| {
        std::fs::read_to_string(dir.join(format!("{name}.{ext}")))
            .unwrap_or_else(|e| panic!("verify case {name}: no {name}.{ext} ({e})"))
    };
    let json = read("json");
    VerifyCase {
        code: read("rc").trim().parse().unwrap(),
        doc: serde_json::from_str(&json).unwrap_or_else(|e| {
            panic!(
                "verify case {name}: stdout is not one JSON document ({e}):\n{json}\n{}",
                read("stderr")
            )
        }),
        text: read("txt"),
        seconds: read("time").trim().parse().unwrap(),
        calls: fly_calls(&read("calls")),
    }
}

fn machine(i: usize) -> String {
    format!("e2e0000000000{i}")
}

/// `flycluster verify` against the real cluster: the release booted as Fly machines, a stand-in
/// `fly` (tests/support/fly) that runs `fly ssh console --command` inside a machine's namespace,
/// and five cases, each asserting the reason verify gives (see tests/e2e/README.md).
#[test]
fn verify_names_the_reason_each_pair_is_missing_on_a_fly_like_network() {
    if !prerequisites() {
        return;
    }
    let _serial = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = tempfile::Builder::new()
        .prefix("flycluster-e2e-verify-")
        .tempdir()
        .unwrap();
    let run = run_script(&["--verify", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "the cluster did not form:\n{}", run.output);
    let context = |case: &VerifyCase| format!("{}\n{}", case.text, run.output);
    let reason = |id: &str| vec![id.to_string()];

    // n4 boots with another cookie: every pair with it is missing, for that reason alone.
    let cookie = verify_case(dir.path(), "cookie");
    assert_eq!(cookie.code, 1, "{}", context(&cookie));
    assert_eq!(
        missing_pairs(&cookie.doc),
        vec![
            (machine(1), machine(4), reason("cookie-mismatch")),
            (machine(2), machine(4), reason("cookie-mismatch")),
            (machine(3), machine(4), reason("cookie-mismatch")),
        ],
        "{}",
        context(&cookie)
    );
    assert_eq!(finding_ids(&cookie.doc), vec!["cookie-mismatch"]);
    assert_eq!(
        cookie.doc["findings"][0]["machines"],
        serde_json::json!([machine(4)])
    );

    // n4 stopped: listed as stopped, not asked, out of every node's DNS answer; the rest complete.
    let stopped = verify_case(dir.path(), "stopped");
    assert_eq!(stopped.code, 0, "{}", context(&stopped));
    assert_eq!(finding_ids(&stopped.doc), vec!["machine-stopped"]);
    assert_eq!(
        stopped.doc["findings"][0]["message"],
        format!(
            "Machine {} is stopped: it runs no node and is not part of the cluster, and its address fdaa:0:1da8:a7b:ac2:cdf6:c422:2 is not in the DNS answer on {}, {}, {}",
            machine(4),
            machine(1),
            machine(2),
            machine(3)
        )
    );
    assert_eq!(stopped.doc["machines"][3]["state"], "stopped");
    assert_eq!(
        stopped.doc["machines"][3]["answer"],
        serde_json::Value::Null
    );

    // n1..n3 only: complete, nothing to say, and the three calls were in flight at once.
    let connected = verify_case(dir.path(), "connected");
    assert_eq!(connected.code, 0, "{}", context(&connected));
    assert_eq!(connected.doc["findings"], serde_json::json!([]));
    assert_eq!(connected.doc["summary"]["connected_pairs"], 3);
    assert_eq!(connected.calls.len(), 3, "{:?}", connected.calls);
    let last_start = connected.calls.iter().map(|c| c.2).fold(f64::MIN, f64::max);
    let first_end = connected.calls.iter().map(|c| c.3).fold(f64::MAX, f64::min);
    assert!(
        last_start < first_end,
        "the fly ssh calls did not overlap: {:?}",
        connected.calls
    );
    let slowest = connected
        .calls
        .iter()
        .map(|c| c.3 - c.2)
        .fold(0.0, f64::max);
    let serial: f64 = connected.calls.iter().map(|c| c.3 - c.2).sum();
    println!(
        "verify against 3 nodes: {:.2} s wall; slowest fly ssh call {slowest:.2} s; the calls one after another {serial:.2} s",
        connected.seconds
    );

    // n3 from a second deploy: another basename, named with both images.
    let two = verify_case(dir.path(), "two-images");
    assert_eq!(two.code, 1, "{}", context(&two));
    assert_eq!(
        missing_pairs(&two.doc),
        vec![
            (machine(1), machine(3), reason("basename-mismatch")),
            (machine(2), machine(3), reason("basename-mismatch")),
        ],
        "{}",
        context(&two)
    );
    assert_eq!(finding_ids(&two.doc), vec!["basename-mismatch"]);
    assert_eq!(
        two.doc["findings"][0]["message"],
        format!(
            "the node names have 2 basenames: `hello-elixir-01HXYZ` on {}, {} (image deployment-01HXYZ); `hello-elixir-02ABCD` on {} (image deployment-02ABCD); the Machines run images of different deploys, and a node connects only to `<its own basename>@<address>`",
            machine(1),
            machine(2),
            machine(3)
        )
    );

    // n3 without the IPv6 flag: rpc cannot reach it, eval shows the flag missing.
    let ipv4 = verify_case(dir.path(), "no-ipv6");
    assert_eq!(ipv4.code, 1, "{}", context(&ipv4));
    assert_eq!(
        missing_pairs(&ipv4.doc),
        vec![
            (machine(1), machine(3), reason("ipv4-distribution")),
            (machine(2), machine(3), reason("ipv4-distribution")),
        ],
        "{}",
        context(&ipv4)
    );
    assert_eq!(finding_ids(&ipv4.doc), vec!["ipv4-distribution"]);
    assert_eq!(ipv4.doc["machines"][2]["answer"], "eval");
    assert_eq!(ipv4.doc["machines"][2]["proto_dist"], serde_json::json!([]));
    assert_eq!(
        ipv4.doc["machines"][0]["proto_dist"],
        serde_json::json!(["inet6_tcp"])
    );
}

/// `flycluster init --database external`: no ECTO_IPV6 reaches the machines (image, fly.toml,
/// rel/env.sh.eex), the Repo's socket_options are [] (IPv4, as a database outside Fly needs), and
/// the nodes cluster as with a database on Fly: distribution does not depend on ECTO_IPV6.
#[test]
fn generated_setup_for_an_external_database_clusters_and_leaves_ecto_on_ipv4() {
    if !prerequisites() {
        return;
    }
    let _serial = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let run = run_script(&["--database", "external"]);
    assert_eq!(
        run.code, 0,
        "the setup for an external database did not cluster, or ECTO_IPV6 reached the Repo:\n{}",
        run.output
    );
    assert_eq!(
        summary(&run),
        "cluster: 3/3 nodes connected, isolated node ok (image label deployment-01HXYZ, database external)",
        "{}",
        run.output
    );
}
