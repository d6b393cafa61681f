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
    assert_eq!(
        common::changed_lines(&second.stdout),
        Vec::<&str>::new(),
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
    // It shows the diffs the dry run shows.
    let dry = project.init(&["--dry-run"]);
    assert_eq!(
        common::redact(common::diffs_of(&check.stdout), None),
        common::redact(common::diffs_of(&dry.stdout), None)
    );
    assert_eq!(
        headers(&check.stdout),
        [
            "+++ b/rel/env.sh.eex",
            "+++ b/mix.exs",
            "+++ b/lib/hello17/application.ex",
            "+++ b/config/runtime.exs",
            "+++ b/Dockerfile"
        ]
    );
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
    assert_eq!(headers(&run.stdout), ["+++ b/rel/env.sh.eex"]);
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
    assert_eq!(headers(&run.stdout), Vec::<&str>::new());
}

#[test]
fn applying_writes_what_the_dry_run_showed() {
    let project = TestProject::from_fixture("examples/hello_elixir");
    let dry = project.init(&["--dry-run"]);
    let applied = project.init(&["--yes"]);
    assert_eq!(
        headers(common::diffs_of(&dry.stdout)),
        [
            "+++ b/rel/env.sh.eex",
            "+++ b/mix.exs",
            "+++ b/lib/hello_elixir/application.ex",
            "+++ b/config/runtime.exs",
            "+++ b/Dockerfile",
            "+++ b/fly.toml"
        ]
    );
    assert_eq!(
        common::diffs_of(&dry.stdout),
        common::diffs_of(&applied.stdout)
    );
}

/// The `+++ b/PATH` header of each file the output's diffs change, in order.
fn headers(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("+++ ")).collect()
}
