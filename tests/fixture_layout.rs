//! How a fixture project is laid down (`tests/common` `copy_fixture`): a base named by
//! `.fixture-base`, the paths `.fixture-remove` lists taken away, the fixture's own files on top,
//! flycluster's block rendered into rel/env.sh.eex. And a guard over tests/fixtures: an overlay holds
//! only what differs from its base.

mod common;
use common::{
    BLOCK_OUTSIDE_FLY_PLACEHOLDER, BLOCK_PLACEHOLDER, FIXTURE_BASE, FIXTURE_REMOVE, TestProject,
    copy_fixture, fixture_dir, fixture_removals, with_block,
};
use std::path::Path;

/// A folder of `files` (`path`, content) in a temporary folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// The fixture as the tests lay it down, each file as `path: content`, sorted.
fn laid_down(fixture: &Path) -> String {
    let project = TestProject::empty();
    copy_fixture(fixture, project.path());
    project
        .snapshot_files()
        .into_iter()
        .map(|(path, bytes)| format!("{path}: {}", String::from_utf8(bytes).unwrap()))
        .collect()
}

fn base() -> tempfile::TempDir {
    folder(&[
        ("mix.exs", "base mix\n"),
        ("config/config.exs", "base config\n"),
        ("config/runtime.exs", "base runtime\n"),
        ("rel/env.sh.eex", "base env\n"),
    ])
}

#[test]
fn an_overlay_replaces_and_adds_files_over_its_base() {
    let base = base();
    let case = folder(&[
        (FIXTURE_BASE, &format!("{}\n", base.path().display())),
        ("config/runtime.exs", "case runtime\n"),
        ("config/prod.exs", "case prod\n"),
    ]);
    assert_eq!(
        laid_down(case.path()),
        "config/config.exs: base config\n\
         config/prod.exs: case prod\n\
         config/runtime.exs: case runtime\n\
         mix.exs: base mix\n\
         rel/env.sh.eex: base env\n"
    );
}

#[test]
fn a_removal_takes_a_file_or_a_whole_folder_of_the_base_away() {
    let base = base();
    let case = folder(&[
        (FIXTURE_BASE, &format!("{}\n", base.path().display())),
        (FIXTURE_REMOVE, "config/runtime.exs\n\nrel/\n"),
        ("mix.exs", "case mix\n"),
    ]);
    assert_eq!(fixture_removals(case.path()), ["config/runtime.exs", "rel"]);
    assert_eq!(
        laid_down(case.path()),
        "config/config.exs: base config\nmix.exs: case mix\n"
    );
}

/// A base may have a base of its own: each level is laid down, trimmed and overlaid in turn.
#[test]
fn bases_chain() {
    let base = base();
    let middle = folder(&[
        (FIXTURE_BASE, &base.path().display().to_string()),
        (FIXTURE_REMOVE, "rel\n"),
        ("lib/app.ex", "middle app\n"),
    ]);
    let case = folder(&[
        (FIXTURE_BASE, &middle.path().display().to_string()),
        (FIXTURE_REMOVE, "config/config.exs\n"),
        ("rel/env.sh.eex", "case env\n"),
    ]);
    assert_eq!(
        laid_down(case.path()),
        "config/runtime.exs: base runtime\n\
         lib/app.ex: middle app\n\
         mix.exs: base mix\n\
         rel/env.sh.eex: case env\n"
    );
}

#[test]
#[should_panic(expected = "names `config/prod.exs`, which its base does not have")]
fn removing_what_the_base_lacks_is_a_mistake() {
    let base = base();
    let case = folder(&[
        (FIXTURE_BASE, &base.path().display().to_string()),
        (FIXTURE_REMOVE, "config/prod.exs\n"),
    ]);
    laid_down(case.path());
}

#[test]
#[should_panic(expected = "`mix.exs` is both removed and in the fixture")]
fn removing_what_the_fixture_holds_is_a_mistake() {
    let base = base();
    let case = folder(&[
        (FIXTURE_BASE, &base.path().display().to_string()),
        (FIXTURE_REMOVE, "mix.exs\n"),
        ("mix.exs", "case mix\n"),
    ]);
    laid_down(case.path());
}

#[test]
#[should_panic(expected = "names `../outside`, which is not a path inside the project")]
fn a_removal_stays_inside_the_project() {
    let base = base();
    let case = folder(&[
        (FIXTURE_BASE, &base.path().display().to_string()),
        (FIXTURE_REMOVE, "../outside\n"),
    ]);
    laid_down(case.path());
}

#[test]
#[should_panic(expected = "a .fixture-remove needs a .fixture-base to remove from")]
fn a_removal_needs_a_base() {
    let case = folder(&[(FIXTURE_REMOVE, "mix.exs\n"), ("mix.exs", "case mix\n")]);
    laid_down(case.path());
}

/// The placeholder lines of rel/env.sh.eex become the block as init writes it, in a base's file
/// and in an overlay's alike; other files keep them as they are.
#[test]
fn placeholders_become_flycluster_blocks_in_env_sh_only() {
    let text = format!("#!/bin/sh\n{BLOCK_PLACEHOLDER}");
    let outside = format!("#!/bin/sh\n{BLOCK_OUTSIDE_FLY_PLACEHOLDER}");
    let base = folder(&[("rel/env.sh.eex", &text), ("notes.txt", &text)]);
    let case = folder(&[
        (FIXTURE_BASE, &base.path().display().to_string()),
        ("rel/other/env.sh.eex", &outside),
    ]);
    let project = TestProject::empty();
    copy_fixture(case.path(), project.path());
    assert_eq!(project.read("notes.txt"), text);
    assert_eq!(project.read("rel/env.sh.eex"), with_block(&text));
    assert_eq!(project.read("rel/other/env.sh.eex"), with_block(&outside));
    assert_ne!(with_block(&text), text);
    assert_ne!(with_block(&text), with_block(&outside));
}

/// Every folder under tests/fixtures/ with a `.fixture-base`.
fn overlays() -> Vec<String> {
    let root = fixture_dir("");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        if dir.join(FIXTURE_BASE).is_file() {
            out.push(dir.strip_prefix(&root).unwrap().display().to_string());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Habit 12: an overlay holds only what its case changes. A file equal to its base's (bytes and
/// permissions) is a copy to delete, and each removal names something the base has (checked by
/// laying every overlay down).
#[test]
fn no_overlay_repeats_a_file_of_its_base() {
    let overlays = overlays();
    assert!(
        !overlays.is_empty(),
        "no overlay found under tests/fixtures"
    );
    let mut repeated = Vec::new();
    for name in &overlays {
        let fixture = fixture_dir(name);
        let base_name = std::fs::read_to_string(fixture.join(FIXTURE_BASE)).unwrap();
        let base = TestProject::from_fixture(base_name.trim());
        let own = TestProject::empty();
        common::copy_dir(&fixture, own.path());
        for (path, bytes) in own.snapshot_files() {
            let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions());
            if base.path().join(&path).is_file()
                && base.read_bytes(&path) == bytes
                && mode(&base.path().join(&path)).ok() == mode(&own.path().join(&path)).ok()
            {
                repeated.push(format!("{name}/{path}"));
            }
        }
        TestProject::from_fixture(name);
    }
    assert_eq!(repeated, Vec::<String>::new(), "delete these copies");
}
