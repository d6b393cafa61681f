//! `flycluster init` over the fixture projects: the dry-run diff and the CLI output are snapshotted,
//! applying writes exactly what the dry run showed, and a second run changes nothing.

mod common;
use common::{TestProject, insta_settings};

fn snapshot_name(fixture: &str) -> String {
    fixture.replace('/', "_")
}

/// The dry run writes nothing; its diff and output are snapshotted.
fn dry_run(fixture: &str) {
    let project = TestProject::from_fixture(fixture);
    let before = project.snapshot_files();
    let run = project.init(&["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(
        project.snapshot_files(),
        before,
        "--dry-run wrote to {fixture}"
    );
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            format!("dry_run_{}", snapshot_name(fixture)),
            run.transcript()
        );
    });
}

/// Applying is snapshotted; a second run changes nothing and `--check` agrees.
fn apply_twice(fixture: &str) {
    let project = TestProject::from_fixture(fixture);
    let first = project.init(&["--yes"]);
    assert!(
        first.code == 0 || first.code == 3,
        "{fixture}: {}",
        first.transcript()
    );
    insta_settings().bind(|| {
        insta::assert_snapshot!(
            format!("apply_{}", snapshot_name(fixture)),
            first.transcript()
        );
    });
    let after_first = project.snapshot_files();
    let second = project.init(&["--yes"]);
    assert_eq!(
        second.code,
        first.code,
        "{fixture}: {}",
        second.transcript()
    );
    assert_eq!(
        project.snapshot_files(),
        after_first,
        "second run changed {fixture}"
    );
    assert!(
        !second.stdout.contains("updated  ") && !second.stdout.contains("created  "),
        "{fixture} second run: {}",
        second.stdout
    );
    let check = project.init(&["--check"]);
    let expected = if first.code == 3 { 1 } else { 0 };
    assert_eq!(check.code, expected, "{fixture}: {}", check.transcript());
}

/// One `#[test]` per fixture and behaviour, so a failure names both.
macro_rules! fixtures {
    ($($name:ident => $dir:literal,)*) => {
        mod dry_run {
            $(#[test] fn $name() { super::dry_run($dir); })*
        }
        mod apply_twice {
            $(#[test] fn $name() { super::apply_twice($dir); })*
        }
    };
}

fixtures! {
    phx15 => "phx15",
    phx16 => "phx16",
    phx17 => "phx17",
    phx18_dnscluster => "phx18_dnscluster",
    configured => "configured",
    fly_launch_configured => "fly_launch_configured",
    example_hello_elixir => "examples/hello_elixir",
}

#[test]
fn check_fails_before_init_and_passes_after() {
    let project = TestProject::from_fixture("phx17");
    let before = project.snapshot_files();
    let check = project.init(&["--check"]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    assert_eq!(project.snapshot_files(), before, "--check wrote");
    assert!(check.stdout.contains("+++ b/lib/hello17/application.ex"));
    assert_eq!(project.init(&["--yes"]).code, 0);
    let check = project.init(&["--check"]);
    assert_eq!(check.code, 0, "{}", check.transcript());
}

/// What `fly launch` wrote (mid-2023 to late 2025) is the guide's five lines at top level: the
/// block takes their place, whole, so the file ends up with one clustering setup and no fragile
/// `${FLY_IMAGE_REF##*-}`.
#[test]
fn a_fly_launch_project_gets_the_block_in_place_of_its_lines() {
    let project = TestProject::from_fixture("fly_launch_configured");
    let run = project.init(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let changed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("+++ "))
        .collect();
    assert_eq!(changed, ["+++ b/rel/env.sh.eex"]);
    let expected = common::with_block("#!/bin/sh\n\n# @flycluster-block@\n");
    assert_eq!(project.read("rel/env.sh.eex"), expected);
    assert_eq!(
        run.stderr, "",
        "the replaced lines are recognised, so nothing to warn about"
    );
    assert_eq!(project.init(&["--check"]).code, 0);
}

#[test]
fn the_configured_project_plans_nothing() {
    let project = TestProject::from_fixture("configured");
    let run = project.init(&["--check"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("+++")).count(),
        0
    );
}

#[test]
fn applying_writes_what_the_dry_run_showed() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    let dry = project.init(&["--dry-run"]);
    let applied = project.init(&["--yes"]);
    // Diff context lines start with a space even when blank, so the first empty line ends the diffs.
    let diff_of = |s: &str| -> String { s.split("\n\n").next().unwrap_or("").to_string() };
    assert!(diff_of(&dry.stdout).contains("+++ b/lib/hello_elixir/application.ex"));
    assert_eq!(diff_of(&dry.stdout), diff_of(&applied.stdout));
}
