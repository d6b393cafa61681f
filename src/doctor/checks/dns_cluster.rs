//! Check 6, dns_cluster: the DNSCluster child, the config key it reads and its dependency.

use crate::doctor::finding::{Finding, FindingId, Severity};
use crate::doctor::setup::{ChildQuery, ExFile, RUNTIME_EXS, Setup};
use crate::edit::Strategy;
use crate::edit::runtime::QueryValue;

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    out.push(super::clustering::dependency(
        setup,
        Strategy::DnsCluster,
        FindingId::DnsClusterDep,
        "mix.exs does not depend on dns_cluster, so the DNSCluster child cannot start",
        "add `{:dns_cluster, \"~> 0.2.0\"}` to deps (`flycluster init` does)",
    ));

    let app_file = setup.app_file();
    let Some(app) = &setup.application else {
        out.push(
            Finding::problem(FindingId::DnsClusterChild, "the application module's file was not found, so nothing starts DNSCluster")
                .at(app_file, None)
                .fix(format!(
                    "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` to the children in `start/2`",
                    setup.project.otp_app
                )),
        );
        return;
    };
    let Some((_, line, query)) = setup.dns_cluster_child() else {
        out.push(
            Finding::problem(FindingId::DnsClusterChild, "the application starts no DNSCluster child, so nodes never look for each other")
                .at(&app.path, None)
                .fix(format!(
                    "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` after the PubSub child (`flycluster init` does)",
                    setup.project.otp_app
                )),
        );
        return;
    };
    let (app_name, key) = match query {
        ChildQuery::AppEnv { app: a, key } => (a, key),
        ChildQuery::Direct(QueryValue::ReadsQueryEnv | QueryValue::AppInternal) => {
            out.push(
                Finding::ok(FindingId::DnsClusterChild,
                    "the DNSCluster child reads its query from the environment when the release boots",
                )
                .at(&app.path, Some(line)),
            );
            return;
        }
        ChildQuery::Direct(QueryValue::Literal(q)) => {
            let severity = if setup.query_fits(&q) == Some(false) {
                Severity::Problem
            } else {
                Severity::Warning
            };
            out.push(
                Finding::new(FindingId::DnsClusterChild, severity, format!("the DNSCluster child's query is the fixed string `{q}`"))
                    .at(&app.path, Some(line))
                    .fix(format!(
                        "read it from config: `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                        setup.project.otp_app
                    )),
            );
            return;
        }
        ChildQuery::Direct(QueryValue::ReadsEnv(var)) => {
            out.push(
                Finding::problem(FindingId::DnsClusterChild, format!("the DNSCluster child's query reads `{var}`, not DNS_CLUSTER_QUERY"))
                    .at(&app.path, Some(line))
                    .fix("read DNS_CLUSTER_QUERY (through `config :APP, :dns_cluster_query` in runtime.exs)"),
            );
            return;
        }
        ChildQuery::Direct(QueryValue::Other(text)) | ChildQuery::Unknown(text) => {
            out.push(
                Finding::warning(
                    FindingId::DnsClusterChild,
                    format!(
                        "doctor cannot tell where the DNSCluster child's query `{text}` comes from"
                    ),
                )
                .at(&app.path, Some(line))
                .fix(format!(
                    "use `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                    setup.project.otp_app
                )),
            );
            return;
        }
    };
    out.push(
        Finding::ok(
            FindingId::DnsClusterChild,
            format!(
                "the application starts DNSCluster with `Application.get_env(:{app_name}, :{key})`"
            ),
        )
        .at(&app.path, Some(line)),
    );

    // Where `:app_name, :key` is configured.
    let found: Vec<(&ExFile, usize, QueryValue)> = setup
        .configs
        .iter()
        .flat_map(|config| {
            config
                .configured(&app_name, &key)
                .into_iter()
                .map(move |(line, value)| (config, line, value))
        })
        .collect();
    let at_runtime = found.iter().rev().find(|(f, _, _)| f.is_runtime());
    let child_reads = format!("`Application.get_env(:{app_name}, :{key})`");
    match at_runtime {
        Some((file, line, value)) => {
            let finding = match value {
                QueryValue::ReadsQueryEnv => Finding::ok(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` from DNS_CLUSTER_QUERY, which the DNSCluster child reads"),
                ),
                QueryValue::AppInternal => Finding::ok(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` as FLY_APP_NAME's `.internal`, which the DNSCluster child reads"),
                ),
                QueryValue::Literal(q) if setup.query_fits(q) != Some(false) => Finding::ok(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` as `{q}`"),
                ),
                QueryValue::Literal(q) => Finding::problem(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` as `{q}`, not `{}`", setup.expected_query()),
                )
                .fix("configure it from the environment: `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                QueryValue::ReadsEnv(var) => Finding::problem(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` from `{var}`, but env.sh.eex sets DNS_CLUSTER_QUERY"),
                )
                .fix("read `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                QueryValue::Other(text) => Finding::warning(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` as `{text}`; doctor cannot tell whether that is the query"),
                )
                .fix("configure it as `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
            };
            out.push(finding.at(&file.path, Some(*line)));
        }
        None => {
            let compile_time = found.iter().rev().find(|(f, _, _)| !f.is_runtime());
            let finding = match compile_time {
                Some((
                    file,
                    line,
                    QueryValue::ReadsQueryEnv | QueryValue::ReadsEnv(_) | QueryValue::AppInternal,
                )) => Finding::problem(FindingId::DnsClusterConfig,
                    format!(
                        "configures `:{app_name}, :{key}` from the environment at build time, when DNS_CLUSTER_QUERY is not set; the DNSCluster child then reads nil and clusters with nothing"
                    ),
                )
                .at(&file.path, Some(*line))
                .fix(format!("move the line into {RUNTIME_EXS}'s prod block")),
                Some((file, line, _)) => Finding::warning(FindingId::DnsClusterConfig,
                    format!("configures `:{app_name}, :{key}` at build time, not in {RUNTIME_EXS}"),
                )
                .at(&file.path, Some(*line))
                .fix(format!("configure it in {RUNTIME_EXS} from `System.get_env(\"DNS_CLUSTER_QUERY\")`")),
                None => {
                    let mut message = format!(
                        "the DNSCluster child reads {child_reads}, but no config sets it: the query is nil and DNSCluster does nothing"
                    );
                    let otp = &setup.project.otp_app;
                    if (app_name.as_str(), key.as_str()) != (otp.as_str(), "dns_cluster_query")
                        && setup
                            .configs
                            .iter()
                            .any(|c| c.is_runtime() && c.configures_query(otp, "dns_cluster_query"))
                    {
                        message.push_str(&format!(" ({RUNTIME_EXS} configures `:{otp}, :dns_cluster_query` instead)"));
                    }
                    Finding::problem(FindingId::DnsClusterConfig, message)
                        .at(RUNTIME_EXS, None)
                        .fix(format!(
                            "add `config :{app_name}, :{key}, System.get_env(\"DNS_CLUSTER_QUERY\")` to {RUNTIME_EXS}'s prod block"
                        ))
                }
            };
            out.push(finding);
        }
    }
}
