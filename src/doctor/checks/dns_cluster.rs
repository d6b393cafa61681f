//! Check 6, dns_cluster: the DNSCluster child, the config key it reads and its dependency.

use super::clustering::{ChildQuery, ConfigValue, config_value};
use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::edit::Strategy;
use crate::edit::application::{self, QuerySource};
use crate::edit::runtime::{self};
use crate::elixir;

impl Inputs<'_> {
    pub(in crate::doctor) fn check_dns_cluster(&self, out: &mut Vec<Finding>) {
        let mix = self.project.mix_exs();
        if self.dep_in_umbrella(Strategy::DnsCluster) {
            out.push(Finding::ok(FindingId::DnsClusterDep, "depends on dns_cluster").at(mix, None));
        } else {
            out.push(
                Finding::problem(
                    FindingId::DnsClusterDep,
                    "mix.exs does not depend on dns_cluster, so the DNSCluster child cannot start",
                )
                .at(mix, None)
                .fix("add `{:dns_cluster, \"~> 0.2.0\"}` to deps (`flycluster init` does)"),
            );
        }

        let app_file = self.app_file();
        let Some(app) = &self.application else {
            out.push(
                Finding::problem(FindingId::DnsClusterChild, "the application module's file was not found, so nothing starts DNSCluster")
                    .at(app_file, None)
                    .fix(format!(
                        "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` to the children in `start/2`",
                        self.project.otp_app
                    )),
            );
            return;
        };
        let Some((line, query)) = dns_cluster_child(app) else {
            out.push(
                Finding::problem(FindingId::DnsClusterChild, "the application starts no DNSCluster child, so nodes never look for each other")
                    .at(&app.path, None)
                    .fix(format!(
                        "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` after the PubSub child (`flycluster init` does)",
                        self.project.otp_app
                    )),
            );
            return;
        };
        let (app_name, key) = match query {
            ChildQuery::AppEnv { app: a, key } => (a, key),
            ChildQuery::Direct(ConfigValue::ReadsQueryEnv | ConfigValue::AppInternal) => {
                out.push(
                    Finding::ok(FindingId::DnsClusterChild,
                        "the DNSCluster child reads its query from the environment when the release boots",
                    )
                    .at(&app.path, Some(line)),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::Literal(q)) => {
                let severity = if self.query_fits(&q) == Some(false) {
                    Severity::Problem
                } else {
                    Severity::Warning
                };
                out.push(
                    Finding::new(FindingId::DnsClusterChild, severity, format!("the DNSCluster child's query is the fixed string `{q}`"))
                        .at(&app.path, Some(line))
                        .fix(format!(
                            "read it from config: `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                            self.project.otp_app
                        )),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::ReadsEnv(var)) => {
                out.push(
                    Finding::problem(FindingId::DnsClusterChild, format!("the DNSCluster child's query reads `{var}`, not DNS_CLUSTER_QUERY"))
                        .at(&app.path, Some(line))
                        .fix("read DNS_CLUSTER_QUERY (through `config :APP, :dns_cluster_query` in runtime.exs)"),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::Other(text)) | ChildQuery::Unknown(text) => {
                out.push(
                    Finding::warning(FindingId::DnsClusterChild, format!("doctor cannot tell where the DNSCluster child's query `{text}` comes from"))
                        .at(&app.path, Some(line))
                        .fix(format!(
                            "use `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                            self.project.otp_app
                        )),
                );
                return;
            }
        };
        out.push(
            Finding::ok(FindingId::DnsClusterChild,
                format!("the application starts DNSCluster with `Application.get_env(:{app_name}, :{key})`"),
            )
            .at(&app.path, Some(line)),
        );

        // Where `:app_name, :key` is configured.
        let mut found: Vec<(&ExFile, usize, ConfigValue)> = Vec::new();
        for config in &self.configs {
            for (call, value) in
                runtime::configured_values(config.root(), &config.src, &app_name, &key)
            {
                found.push((
                    config,
                    config.line_of(call),
                    config_value(value, config.root(), &config.src),
                ));
            }
        }
        let at_runtime = found.iter().rev().find(|(f, _, _)| f.is_runtime());
        let child_reads = format!("`Application.get_env(:{app_name}, :{key})`");
        match at_runtime {
            Some((file, line, value)) => {
                let finding = match value {
                    ConfigValue::ReadsQueryEnv => Finding::ok(FindingId::DnsClusterConfig,
                        format!("configures `:{app_name}, :{key}` from DNS_CLUSTER_QUERY, which the DNSCluster child reads"),
                    ),
                    ConfigValue::AppInternal => Finding::ok(FindingId::DnsClusterConfig,
                        format!("configures `:{app_name}, :{key}` as FLY_APP_NAME's `.internal`, which the DNSCluster child reads"),
                    ),
                    ConfigValue::Literal(q) if self.query_fits(q) != Some(false) => Finding::ok(FindingId::DnsClusterConfig,
                        format!("configures `:{app_name}, :{key}` as `{q}`"),
                    ),
                    ConfigValue::Literal(q) => Finding::problem(FindingId::DnsClusterConfig,
                        format!("configures `:{app_name}, :{key}` as `{q}`, not `{}`", self.expected_query()),
                    )
                    .fix("configure it from the environment: `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::ReadsEnv(var) => Finding::problem(FindingId::DnsClusterConfig,
                        format!("configures `:{app_name}, :{key}` from `{var}`, but env.sh.eex sets DNS_CLUSTER_QUERY"),
                    )
                    .fix("read `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::Other(text) => Finding::warning(FindingId::DnsClusterConfig,
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
                        ConfigValue::ReadsQueryEnv | ConfigValue::ReadsEnv(_) | ConfigValue::AppInternal,
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
                        let otp = &self.project.otp_app;
                        if (app_name.as_str(), key.as_str()) != (otp.as_str(), "dns_cluster_query")
                            && self.configs.iter().any(|c| {
                                c.is_runtime()
                                    && runtime::configures_query(
                                        c.root(),
                                        &c.src,
                                        otp,
                                        "dns_cluster_query",
                                    )
                            })
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
}

/// The started DNSCluster child's line and what its `query:` reads.
pub(in crate::doctor) fn dns_cluster_child(app: &ExFile) -> Option<(usize, ChildQuery)> {
    let src = &app.src;
    let child = application::started(app.root(), src).dns_cluster?;
    let query = match application::dns_cluster_query(child, src) {
        QuerySource::AppEnv { app, key } => ChildQuery::AppEnv { app, key },
        QuerySource::Expression(query) => ChildQuery::Direct(config_value(query, app.root(), src)),
        QuerySource::Missing => ChildQuery::Unknown(elixir::text(child, src).to_string()),
    };
    Some((app.line_of(child), query))
}
