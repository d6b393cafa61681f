//! `init --dry-run` wall time against a bare process start, measured in the same run.
//!
//! Run with `cargo bench --bench init_dry_run`. Reports the median of repeated runs for: a bare
//! process start (`true`), `flycluster --version` (our own start-up), `init --dry-run` on
//! examples/hello_elixir, and on application.ex files of 1,000 to 20,000 children lines (to show
//! growth is linear). Targets: the example under 5 ms and at most 20x a bare start; 20,000 children
//! within 40x the example. README's Performance section records the figures.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median_run(mut make: impl FnMut() -> Command, runs: usize) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut cmd = make();
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null());
        let start = Instant::now();
        let status = cmd.status().expect("the command starts");
        times.push(start.elapsed());
        assert!(status.success(), "benchmarked command failed: {cmd:?}");
    }
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The example project with `n` children in its application.ex.
fn big_project(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello_elixir");
    copy_dir(&example, dir.path());
    let mut children = String::new();
    for i in 0..n {
        children.push_str(&format!(
            "      {{HelloElixir.Worker{i}, name: :worker_{i}}},\n"
        ));
    }
    let app = format!(
        "defmodule HelloElixir.Application do\n  use Application\n\n  @impl true\n  def start(_type, _args) do\n    children = [\n      HelloElixir.Repo,\n{children}      {{Phoenix.PubSub, name: HelloElixir.PubSub}},\n      HelloElixirWeb.Endpoint\n    ]\n\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n"
    );
    std::fs::write(dir.path().join("lib/hello_elixir/application.ex"), app).unwrap();
    dir
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_flycluster");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello_elixir");
    let runs = 41;

    let bare = median_run(|| Command::new("true"), runs);
    let version = median_run(
        || {
            let mut c = Command::new(bin);
            c.arg("--version");
            c
        },
        runs,
    );
    let dry_run = |path: &Path| {
        let path = path.to_path_buf();
        move || {
            let mut c = Command::new(bin);
            c.args(["init", "--dry-run", "--color", "never"]).arg(&path);
            c
        }
    };
    let example_time = median_run(dry_run(&example), runs);

    println!("bare process start (`true`)          {:>8.2} ms", ms(bare));
    println!(
        "flycluster --version                 {:>8.2} ms",
        ms(version)
    );
    println!(
        "init --dry-run examples/hello_elixir {:>8.2} ms  ({:.1}x a bare start)",
        ms(example_time),
        example_time.as_secs_f64() / bare.as_secs_f64()
    );
    let mut per_line = Vec::new();
    for n in [1_000, 5_000, 20_000] {
        let project = big_project(n);
        let t = median_run(dry_run(project.path()), 11);
        let per_child = (t.saturating_sub(example_time)).as_secs_f64() * 1e6 / n as f64;
        per_line.push(per_child);
        println!(
            "init --dry-run, {n:>6} children      {:>8.2} ms  ({per_child:.2} us per extra child)",
            ms(t)
        );
    }
    println!(
        "growth: {:.2} us/child at 1,000 vs {:.2} us/child at 20,000 (flat means linear)",
        per_line[0], per_line[2]
    );
}
