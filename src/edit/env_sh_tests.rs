//! The env.sh editor on the setups of FLY-SETUPS.md and on hand-written files: what it replaces,
//! what it keeps, and that a second run changes nothing.

use super::*;
use crate::edit::test_ctx;

const PATH: &str = "rel/env.sh.eex";

/// Byte for byte what `mix release.init` writes to `rel/env.sh.eex` (Elixir 1.14 to 1.18).
const RELEASE_INIT: &str = r#"#!/bin/sh

# # Sets and enables heart (recommended only in daemon mode)
# case $RELEASE_COMMAND in
#   daemon*)
#     HEART_COMMAND="$RELEASE_ROOT/bin/$RELEASE_NAME $RELEASE_COMMAND"
#     export HEART_COMMAND
#     export ELIXIR_ERL_OPTIONS="-heart"
#     ;;
#   *)
#     ;;
# esac

# # Set the release to load code on demand (interactive) instead of preloading (embedded).
# export RELEASE_MODE=interactive

# # Set the release to work across nodes.
# # RELEASE_DISTRIBUTION must be "sname" (local), "name" (distributed) or "none".
# export RELEASE_DISTRIBUTION=name
# export RELEASE_NODE=<%= @release.name %>
"#;

/// `fly launch`, mid-2023 to late 2025: the guide's lines at top level.
const FLY_LAUNCH_2023: &str = r#"# configure node for distributed erlang with IPV6 support
export ERL_AFLAGS="-proto_dist inet6_tcp"
export ECTO_IPV6="true"
export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
export RELEASE_DISTRIBUTION="name"
export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
"#;

/// `fly launch` since late 2025: guarded, with a fallback node name after the guard.
const FLY_LAUNCH_2025: &str = r#"if [ -n "$FLY_APP_NAME" ]; then
  export ERL_AFLAGS="-proto_dist inet6_tcp"
  export ECTO_IPV6="true"
  export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
  export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
fi
export RELEASE_DISTRIBUTION="name"
export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}
"#;

/// Fly's guide before 2023 (libcluster era).
const FLY_GUIDE_2022: &str = r#"ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)
export RELEASE_DISTRIBUTION=name
export RELEASE_NODE=$FLY_APP_NAME@$ip
export ELIXIR_ERL_OPTIONS="-proto_dist inet6_tcp"
"#;

fn run(before: Option<&str>) -> Edited {
    plan(&test_ctx(), Path::new(PATH), before).expect("plan succeeds")
}

fn block() -> String {
    shell::render_block(block_options(&test_ctx()))
}

/// Plans the edit, checks that planning again on the result changes nothing, returns both.
fn edit(before: &str) -> (String, Vec<String>) {
    let edited = run(Some(before));
    let Outcome::Write(after) = edited.outcome else {
        panic!("expected a write, got {:?}", edited.outcome);
    };
    assert_eq!(
        run(Some(&after)),
        Edited::new(Outcome::Unchanged),
        "a second run must change nothing:\n{after}"
    );
    (after, crate::plan::texts(&edited.warnings))
}

#[test]
fn a_missing_file_is_created_as_release_init_writes_it_plus_the_block() {
    let Outcome::Write(text) = run(None).outcome else {
        panic!("expected a write");
    };
    assert_eq!(text, format!("{RELEASE_INIT}\n{}", block()));
}

#[test]
fn the_block_is_short_and_between_markers() {
    for opts in BlockOptions::ALL_FOR_TESTS {
        let block = shell::render_block(opts);
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines.len() <= 20, "{} lines:\n{block}", lines.len());
        assert!(lines[0].starts_with("# >>> flycluster"));
        assert_eq!(*lines.last().unwrap(), "# <<< flycluster <<<");
        let found = shell::read(&block).unwrap().block.unwrap();
        assert_eq!(found.rendered_with, Some(opts));
    }
}

#[test]
fn release_init_gets_the_block_at_the_end() {
    let (after, warnings) = edit(RELEASE_INIT);
    assert_eq!(after, format!("{RELEASE_INIT}\n{}", block()));
    assert_eq!(warnings, Vec::<String>::new());
}

#[test]
fn fly_launch_2023_lines_are_replaced_in_place() {
    let before = format!("#!/bin/sh\n\n{FLY_LAUNCH_2023}\nexport OTHER=1\n");
    let (after, warnings) = edit(&before);
    assert_eq!(after, format!("#!/bin/sh\n\n{}\nexport OTHER=1\n", block()));
    assert_eq!(warnings, Vec::<String>::new());
}

#[test]
fn fly_launch_2025_guard_and_fallback_are_replaced() {
    let (after, warnings) = edit(&format!("#!/bin/sh\n\n{FLY_LAUNCH_2025}"));
    assert_eq!(after, format!("#!/bin/sh\n\n{}", block()));
    assert_eq!(warnings, Vec::<String>::new());
}

#[test]
fn the_pre_2023_guide_is_replaced() {
    let (after, _) = edit(&format!("#!/bin/sh\n{FLY_GUIDE_2022}"));
    assert_eq!(after, format!("#!/bin/sh\n{}", block()));
}

#[test]
fn an_older_flycluster_block_is_replaced_whole() {
    let older = "# Erlang clustering on Fly.io (flycluster). FLY_APP_NAME is only set on Fly, so the release still boots elsewhere.\n\
        if [ -n \"${FLY_APP_NAME:-}\" ]; then\n  flycluster_kept=\"\"\n  export ECTO_IPV6=\"true\"\nfi\n";
    let (after, _) = edit(&format!("#!/bin/sh\n\n{older}"));
    assert_eq!(after, format!("#!/bin/sh\n\n{}", block()));
}

#[test]
fn a_changed_block_is_put_back_whole() {
    let changed = block().replace("export ECTO_IPV6=\"true\"", "export ECTO_IPV6=\"false\"");
    let (after, _) = edit(&format!("#!/bin/sh\n\n{changed}export KEPT=1\n"));
    assert_eq!(after, format!("#!/bin/sh\n\n{}export KEPT=1\n", block()));
}

#[test]
fn an_unrecognised_line_stays_with_a_warning_and_the_block_goes_after_it() {
    let before =
        "#!/bin/sh\nexport RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_MACHINE_ID}@${FLY_PRIVATE_IP}\"\n";
    let (after, warnings) = edit(before);
    assert_eq!(after, format!("{before}\n{}", block()));
    assert_eq!(
        warnings,
        [
            "`rel/env.sh.eex` line 2: `RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_MACHINE_ID}@${FLY_PRIVATE_IP}\"` is a line flycluster does not recognise; it stays, and the flycluster block overrides it on Fly",
            "`rel/env.sh.eex` line 2: RELEASE_NODE is built from Fly's variables outside a Fly guard; off Fly they are empty and the node name is invalid",
        ]
    );
}

#[test]
fn another_platforms_node_name_keeps_its_distribution_setting() {
    // RELEASE_DISTRIBUTION=name serves the Kubernetes name off Fly, so it stays with it.
    let before = "#!/bin/sh\nexport RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=<%= @release.name %>@${POD_IP}\n";
    let (after, warnings) = edit(before);
    assert_eq!(after, format!("{before}\n{}", block()));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn a_working_hand_written_guarded_setup_is_left_alone() {
    let before = "#!/bin/sh\nif [ -n \"${FLY_PRIVATE_IP:-}\" ]; then\n  export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\n  export ECTO_IPV6=\"true\"\n  export DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\n  export RELEASE_DISTRIBUTION=\"name\"\n  export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\nfi\n";
    assert_eq!(run(Some(before)), Edited::new(Outcome::Unchanged));
}

#[test]
fn comments_never_count_as_settings() {
    let commented: String = FLY_LAUNCH_2023
        .lines()
        .map(|l| format!("# {l}\n"))
        .collect();
    let (after, _) = edit(&commented);
    assert_eq!(after, format!("{commented}\n{}", block()));
}

#[test]
fn a_proto_dist_in_another_flag_variable_is_a_manual_step() {
    let before = "#!/bin/sh\nexport ERL_FLAGS=\"-proto_dist inet_tcp\"\n";
    let Outcome::Manual(step) = run(Some(before)).outcome else {
        panic!("expected a manual step");
    };
    assert_eq!(step.snippet, block());
    assert!(
        step.reason.contains("line 2 (-proto_dist in ERL_FLAGS)"),
        "{}",
        step.reason
    );
}

#[test]
fn shell_it_cannot_parse_is_refused_with_the_line() {
    let err = plan(
        &test_ctx(),
        Path::new(PATH),
        Some("#!/bin/sh\nif [ -n \"$X\" ]; then\n  export A=1\n"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`rel/env.sh.eex` line 2: `sh` cannot parse this file: the `if` on this line has no `fi`"
    );
}

#[test]
fn without_the_image_suffix_the_node_is_app_at_ip() {
    let ctx = EditCtx {
        node_image_suffix: false,
        ..test_ctx()
    };
    let Outcome::Write(text) = plan(&ctx, Path::new(PATH), Some(FLY_GUIDE_2022))
        .unwrap()
        .outcome
    else {
        panic!("expected a write");
    };
    assert!(text.contains("export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\n"));
    assert!(!text.contains("image_suffix"));
    assert_eq!(
        plan(&ctx, Path::new(PATH), Some(&text)).unwrap().outcome,
        Outcome::Unchanged
    );
}

#[test]
fn only_the_hosts_file_lookup_of_the_pre_2023_guide_is_replaced() {
    // Found by fuzzing: a later assignment to the same variable is the user's, and stays.
    let before = format!("#!/bin/sh\n{FLY_GUIDE_2022}ip=$(grep other /etc/hosts | cut -f 1)\n");
    let (after, _) = edit(&before);
    assert_eq!(
        after,
        format!(
            "#!/bin/sh\n{}ip=$(grep other /etc/hosts | cut -f 1)\n",
            block()
        )
    );
}

#[test]
fn an_assignment_over_several_lines_is_not_an_earlier_setups() {
    // Found by fuzzing: a command substitution left open runs over the lines after it.
    let before = "#!/bin/sh\nip=$(grep fly-local-6pn /etc/hosts |\n  cut -f 1)\n";
    let (after, _) = edit(before);
    assert_eq!(after, format!("{before}\n{}", block()));
}

#[test]
fn a_guard_under_the_old_header_with_a_line_of_the_users_stays() {
    // Found by fuzzing: the header alone does not make the block flycluster's.
    for line in ["export SENTRY_ENV=\"prod\"", "echo starting"] {
        let before = format!(
            "#!/bin/sh\n# Erlang clustering on Fly.io (flycluster).\nif [ -n \"${{FLY_APP_NAME:-}}\" ]; then\n  {line}\nfi\n"
        );
        let (after, _) = edit(&before);
        assert_eq!(after, format!("{before}\n{}", block()));
    }
}
