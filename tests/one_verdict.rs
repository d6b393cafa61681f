//! One verdict: on every fixture project, when `flycluster init --yes` exits 0, `flycluster doctor`
//! on the result reports no problem; when init cannot get there it exits 3, and each problem doctor
//! still reports is a manual step init listed, in the same words; and each warning init gives about
//! a fact doctor judges is one of doctor's findings, with the same id, file and line. One test per
//! project, so a failure names it.

mod common;
use common::{TestProject, run_bin};
use std::path::Path;

/// `--app fixture-app` unless fly.toml names the app.
fn app_args(project: &Path) -> Vec<&'static str> {
    let named = std::fs::read_to_string(project.join("fly.toml"))
        .map(|t| {
            t.lines()
                .any(|l| l.trim_start().starts_with("app ") || l.trim_start().starts_with("app="))
        })
        .unwrap_or(false);
    if named {
        Vec::new()
    } else {
        vec!["--app", "fixture-app"]
    }
}

fn one_verdict(fixture: &str) {
    let project = TestProject::from_fixture(fixture);
    let app = app_args(project.path());
    let parse = |run: &common::Run| -> serde_json::Value {
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{fixture}: not JSON ({e}):\n{}", run.transcript()))
    };
    let json = |args: &[&str]| parse(&run_bin(args, Some(project.path())));
    // What init warns about and doctor reports on the project as it is, before init touches it.
    let mut plan_args = vec!["init", "--dry-run", "--format", "json"];
    plan_args.extend(&app);
    let mut doctor_args = vec!["doctor", "--format", "json"];
    doctor_args.extend(&app);
    let planned = run_bin(&plan_args, Some(project.path()));
    let before = (planned.code != 2).then(|| (parse(&planned), json(&doctor_args)));
    let mut args = vec!["--yes", "-q"];
    args.extend(&app);
    let init = project.init(&args);
    if init.code == 2 {
        // Refused (a file init cannot read): nothing was written, nothing to judge.
        return;
    }
    assert!(
        init.code == 0 || init.code == 3,
        "init exited {}:\n{}",
        init.code,
        init.transcript()
    );
    // The steps still to do by hand, as init's plan of the result lists them.
    let manual_steps = json(&plan_args)["manual_steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let doctor_after = json(&doctor_args);
    let unexplained = common::unexplained_problems(&doctor_after, init.code, &manual_steps);
    assert!(
        unexplained.is_empty(),
        "init exited {}, and doctor then reports problems init did not list as manual steps:\n{}\n--- init ---\n{}",
        init.code,
        unexplained.join("\n"),
        init.transcript()
    );
    let (warned, doctor_before) = before.expect("init --yes ran, so its dry run did too");
    let unreported =
        common::warnings_doctor_does_not_report(&warned, &[&doctor_before, &doctor_after]);
    assert!(
        unreported.is_empty(),
        "init warns about facts doctor does not report with the same id, file and line:\n{}\n--- doctor before init ---\n{doctor_before:#}",
        unreported.join("\n")
    );
}

macro_rules! projects {
    ($($name:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $name() {
                one_verdict($dir);
            }
        )*

        const LISTED: &[&str] = &[$($dir),*];
    };
}

projects! {
    example_hello_elixir => "examples/hello_elixir",
    configured => "tests/fixtures/configured",
    doctor_cookie_in_env_sh => "tests/fixtures/doctor/cookie_in_env_sh",
    doctor_cookie_in_fly_toml => "tests/fixtures/doctor/cookie_in_fly_toml",
    doctor_dns_cluster_config_build_time => "tests/fixtures/doctor/dns_cluster_config_build_time",
    doctor_dns_cluster_config_missing => "tests/fixtures/doctor/dns_cluster_config_missing",
    doctor_dns_cluster_no_child => "tests/fixtures/doctor/dns_cluster_no_child",
    doctor_dns_cluster_no_dep => "tests/fixtures/doctor/dns_cluster_no_dep",
    doctor_dns_cluster_wrong_app => "tests/fixtures/doctor/dns_cluster_wrong_app",
    doctor_dns_query_mismatch => "tests/fixtures/doctor/dns_query_mismatch",
    doctor_dns_query_wrong_app => "tests/fixtures/doctor/dns_query_wrong_app",
    doctor_dockerfile_legacy_env => "tests/fixtures/doctor/dockerfile_legacy_env",
    doctor_ecto_ipv6_false => "tests/fixtures/doctor/ecto_ipv6_false",
    doctor_ecto_ipv6_recorded_external => "tests/fixtures/doctor/ecto_ipv6_recorded_external",
    doctor_ecto_ipv6_unread => "tests/fixtures/doctor/ecto_ipv6_unread",
    doctor_ecto_ipv6_unset => "tests/fixtures/doctor/ecto_ipv6_unset",
    doctor_endpoint_ipv4 => "tests/fixtures/doctor/endpoint_ipv4",
    doctor_env_sh_commented => "tests/fixtures/doctor/env_sh_commented",
    doctor_env_sh_conditional => "tests/fixtures/doctor/env_sh_conditional",
    doctor_env_sh_missing => "tests/fixtures/doctor/env_sh_missing",
    doctor_env_sh_not_exported => "tests/fixtures/doctor/env_sh_not_exported",
    doctor_env_sh_other_platform => "tests/fixtures/doctor/env_sh_other_platform",
    doctor_env_sh_unguarded => "tests/fixtures/doctor/env_sh_unguarded",
    doctor_env_sh_unparsed => "tests/fixtures/doctor/env_sh_unparsed",
    doctor_env_sh_unset_later => "tests/fixtures/doctor/env_sh_unset_later",
    doctor_erl_aflags_builder_only => "tests/fixtures/doctor/erl_aflags_builder_only",
    doctor_erl_aflags_inet_tcp => "tests/fixtures/doctor/erl_aflags_inet_tcp",
    doctor_erl_aflags_missing => "tests/fixtures/doctor/erl_aflags_missing",
    doctor_fly_auto_stop => "tests/fixtures/doctor/fly_auto_stop",
    doctor_fly_exposed_epmd => "tests/fixtures/doctor/fly_exposed_epmd",
    doctor_fly_process_groups => "tests/fixtures/doctor/fly_process_groups",
    doctor_healthy => "tests/fixtures/doctor/healthy",
    doctor_init_pending => "tests/fixtures/doctor/init_pending",
    doctor_libcluster_app_name_basename => "tests/fixtures/doctor/libcluster_app_name_basename",
    doctor_libcluster_fixed_basename => "tests/fixtures/doctor/libcluster_fixed_basename",
    doctor_libcluster_gossip => "tests/fixtures/doctor/libcluster_gossip",
    doctor_libcluster_healthy => "tests/fixtures/doctor/libcluster_healthy",
    doctor_libcluster_no_topology => "tests/fixtures/doctor/libcluster_no_topology",
    doctor_libcluster_own_key => "tests/fixtures/doctor/libcluster_own_key",
    doctor_libcluster_poll_interval => "tests/fixtures/doctor/libcluster_poll_interval",
    doctor_proto_dist_twice_appended => "tests/fixtures/doctor/proto_dist_twice_appended",
    doctor_proto_dist_twice_vm_args => "tests/fixtures/doctor/proto_dist_twice_vm_args",
    doctor_release_distribution_overridden => "tests/fixtures/doctor/release_distribution_overridden",
    doctor_release_distribution_sname => "tests/fixtures/doctor/release_distribution_sname",
    doctor_release_node_hostname => "tests/fixtures/doctor/release_node_hostname",
    doctor_release_node_image_suffix => "tests/fixtures/doctor/release_node_image_suffix",
    doctor_release_node_machine_id => "tests/fixtures/doctor/release_node_machine_id",
    fly_launch_configured => "tests/fixtures/fly_launch_configured",
    phx15 => "tests/fixtures/phx15",
    phx16 => "tests/fixtures/phx16",
    phx17 => "tests/fixtures/phx17",
    phx18_dnscluster => "tests/fixtures/phx18_dnscluster",
    setups_gen1_libcluster => "tests/fixtures/setups/gen1_libcluster",
    setups_gen1_libcluster_literal => "tests/fixtures/setups/gen1_libcluster_literal",
    setups_gen2_flyctl_dockerfile => "tests/fixtures/setups/gen2_flyctl_dockerfile",
    setups_gen3_fly_launch_2023 => "tests/fixtures/setups/gen3_fly_launch_2023",
    setups_gen4_fly_launch_2025 => "tests/fixtures/setups/gen4_fly_launch_2025",
    setups_gen5_phx_new_1_7 => "tests/fixtures/setups/gen5_phx_new_1_7",
    setups_gen5_phx_new_umbrella => "tests/fixtures/setups/gen5_phx_new_umbrella",
    setups_gen6_basename_other_var => "tests/fixtures/setups/gen6_basename_other_var",
    setups_gen6_other_platform => "tests/fixtures/setups/gen6_other_platform",
    setups_gen6_other_platform_fly6pn => "tests/fixtures/setups/gen6_other_platform_fly6pn",
    setups_gen6_own_app_key => "tests/fixtures/setups/gen6_own_app_key",
    setups_gen6_topologies_in_code => "tests/fixtures/setups/gen6_topologies_in_code",
    setups_gen6_topologies_in_code_dnspoll => "tests/fixtures/setups/gen6_topologies_in_code_dnspoll",
    setups_gen6_own_app_key_dnspoll => "tests/fixtures/setups/gen6_own_app_key_dnspoll",
    shapes_both_started => "tests/fixtures/shapes/both_started",
    shapes_case_branches_ambiguous => "tests/fixtures/shapes/case_branches_ambiguous",
    shapes_case_branches_one_pubsub => "tests/fixtures/shapes/case_branches_one_pubsub",
    shapes_cluster_supervisor_present => "tests/fixtures/shapes/cluster_supervisor_present",
    shapes_comments_between => "tests/fixtures/shapes/comments_between",
    shapes_concat_conditional => "tests/fixtures/shapes/concat_conditional",
    shapes_deps_concat_functions => "tests/fixtures/shapes/deps_concat_functions",
    shapes_deps_helper_module => "tests/fixtures/shapes/deps_helper_module",
    shapes_deps_only_comments => "tests/fixtures/shapes/deps_only_comments",
    shapes_deps_with_options => "tests/fixtures/shapes/deps_with_options",
    shapes_dns_cluster_present => "tests/fixtures/shapes/dns_cluster_present",
    shapes_dnscluster_in_conditional => "tests/fixtures/shapes/dnscluster_in_conditional",
    shapes_dnscluster_other_app_key => "tests/fixtures/shapes/dnscluster_other_app_key",
    shapes_dnscluster_unused_variable => "tests/fixtures/shapes/dnscluster_unused_variable",
    shapes_dnscluster_without_dep => "tests/fixtures/shapes/dnscluster_without_dep",
    shapes_docker_already_set => "tests/fixtures/shapes/docker_already_set",
    shapes_docker_crlf => "tests/fixtures/shapes/docker_crlf",
    shapes_docker_env_builder_only => "tests/fixtures/shapes/docker_env_builder_only",
    shapes_docker_legacy_env => "tests/fixtures/shapes/docker_legacy_env",
    shapes_docker_no_user_cmd => "tests/fixtures/shapes/docker_no_user_cmd",
    shapes_endpoint_before_pubsub => "tests/fixtures/shapes/endpoint_before_pubsub",
    shapes_env_hostname => "tests/fixtures/shapes/env_hostname",
    shapes_env_old_fly_hosts => "tests/fixtures/shapes/env_old_fly_hosts",
    shapes_env_pod_ip => "tests/fixtures/shapes/env_pod_ip",
    shapes_fly_conflict => "tests/fixtures/shapes/fly_conflict",
    shapes_fly_empty_env_then_table => "tests/fixtures/shapes/fly_empty_env_then_table",
    shapes_fly_inline_env => "tests/fixtures/shapes/fly_inline_env",
    shapes_fly_no_env => "tests/fixtures/shapes/fly_no_env",
    shapes_fly_services_old => "tests/fixtures/shapes/fly_services_old",
    shapes_formatter_line_length => "tests/fixtures/shapes/formatter_line_length",
    shapes_igniter_code_options => "tests/fixtures/shapes/igniter_code_options",
    shapes_igniter_duplicate_after => "tests/fixtures/shapes/igniter_duplicate_after",
    shapes_igniter_duplicate_before => "tests/fixtures/shapes/igniter_duplicate_before",
    shapes_igniter_named => "tests/fixtures/shapes/igniter_named",
    shapes_igniter_no_application => "tests/fixtures/shapes/igniter_no_application",
    shapes_igniter_one_module => "tests/fixtures/shapes/igniter_one_module",
    shapes_igniter_options_set => "tests/fixtures/shapes/igniter_options_set",
    shapes_igniter_options_updated => "tests/fixtures/shapes/igniter_options_updated",
    shapes_igniter_three_children => "tests/fixtures/shapes/igniter_three_children",
    shapes_igniter_tuple_keyword => "tests/fixtures/shapes/igniter_tuple_keyword",
    shapes_igniter_tuple_options => "tests/fixtures/shapes/igniter_tuple_options",
    shapes_igniter_two_children => "tests/fixtures/shapes/igniter_two_children",
    shapes_inline_start_link => "tests/fixtures/shapes/inline_start_link",
    shapes_last_child_no_comment => "tests/fixtures/shapes/last_child_no_comment",
    shapes_last_child_same_line_comment => "tests/fixtures/shapes/last_child_same_line_comment",
    shapes_last_child_trailing_comment => "tests/fixtures/shapes/last_child_trailing_comment",
    shapes_libcluster_postgres => "tests/fixtures/shapes/libcluster_postgres",
    shapes_list_flatten => "tests/fixtures/shapes/list_flatten",
    shapes_module_elsewhere => "tests/fixtures/shapes/module_elsewhere",
    shapes_no_endpoint => "tests/fixtures/shapes/no_endpoint",
    shapes_piped_filter => "tests/fixtures/shapes/piped_filter",
    shapes_plain => "tests/fixtures/shapes/plain",
    shapes_private_fn => "tests/fixtures/shapes/private_fn",
    shapes_private_fn_env_clauses => "tests/fixtures/shapes/private_fn_env_clauses",
    shapes_pubsub_own_module => "tests/fixtures/shapes/pubsub_own_module",
    shapes_pubsub_pg2_keyword => "tests/fixtures/shapes/pubsub_pg2_keyword",
    shapes_pubsub_pg2_module => "tests/fixtures/shapes/pubsub_pg2_module",
    shapes_pubsub_pg2_supervisor_spec => "tests/fixtures/shapes/pubsub_pg2_supervisor_spec",
    shapes_pubsub_variable => "tests/fixtures/shapes/pubsub_variable",
    shapes_rebound => "tests/fixtures/shapes/rebound",
    shapes_releases_exs => "tests/fixtures/shapes/releases_exs",
    shapes_runtime_keyword_spelling => "tests/fixtures/shapes/runtime_keyword_spelling",
    shapes_runtime_missing => "tests/fixtures/shapes/runtime_missing",
    shapes_runtime_nested_ifs => "tests/fixtures/shapes/runtime_nested_ifs",
    shapes_runtime_no_prod_block => "tests/fixtures/shapes/runtime_no_prod_block",
    shapes_supervisor_spec => "tests/fixtures/shapes/supervisor_spec",
    shapes_umbrella => "tests/fixtures/shapes/umbrella",
    shapes_umbrella_no_endpoint => "tests/fixtures/shapes/umbrella_no_endpoint",
    shapes_umbrella_sibling_dep => "tests/fixtures/shapes/umbrella_sibling_dep",
    shapes_unsupported_children_source => "tests/fixtures/shapes/unsupported_children_source",
}

#[test]
fn every_fixture_project_is_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut on_disk = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        if dir.join("mix.exs").is_file() || dir.join(common::FIXTURE_BASE).is_file() {
            on_disk.push(
                dir.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
            );
            continue;
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "add the new fixture project to `projects!` above"
    );
}
