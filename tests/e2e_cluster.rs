//! End to end: the setup `flycluster init` writes really forms an Erlang cluster. tests/e2e/cluster.sh
//! boots the generated release as Fly machines in network namespaces on a private IPv6 network with
//! a `.internal` DNS, and reports each node's `Node.list()`; see tests/e2e/README.md.
//!
//! Two tests, one per clustering strategy, each running the script three times: with a deployment
//! image ref, with a custom image label, and as a negative control that must fail (dns_cluster: the
//! IPv6 distribution flag removed; libcluster: the runtime-derived `node_basename` replaced by a
//! fixed string). All runs take one lock, so they run one after the other even though cargo runs
//! tests in parallel: they would fight over CPU and the 60 s cluster deadline otherwise.
//! Needs root, iproute2, dnsmasq, Elixir/mix and python3: under CI=true a missing one fails the
//! test, locally it is skipped loudly.

mod common;
use common::require_tool;
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

/// `flycluster init --database external`: no ECTO_IPV6 reaches the machines (image, fly.toml,
/// rel/env.sh.eex), the Repo's socket_options are [] (IPv4, as a database outside Fly needs), and
/// the nodes cluster as with a database on Fly: distribution does not depend on ECTO_IPV6.
#[test]
#[ignore = "needs rel/env.sh.eex's block to leave ECTO_IPV6 out for --database external (env_sh.rs, the lead's rewrite); the run clusters 3/3 today and fails only on the Repo's socket_options"]
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
