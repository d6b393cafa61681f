//! The project's Elixir files, parsed, and what they say that the checks ask about: the DNSCluster
//! child's query, the configs of a key, libcluster topologies, the Endpoint's `ip:`, the Repo's
//! config, who reads an environment variable, the release cookie in mix.exs. Facts an editor also
//! decides come from that editor's own reading (`edit::application`, `edit::runtime`,
//! `edit::repo_ipv6`).

use crate::edit::application::{self, QuerySource};
use crate::edit::repo_ipv6;
use crate::edit::runtime::{self, DnsPoll, FitIssue, QueryValue};
use crate::elixir;
use crate::error::Result;
use crate::files;
pub(in crate::doctor) use crate::model::ExFile;
use crate::project::Project;
use tree_sitter::Node;

/// What the DNSCluster child's `query:` reads.
pub(in crate::doctor) enum ChildQuery {
    AppEnv { app: String, key: String },
    Direct(QueryValue),
    Unknown(String),
}

/// `cookie:` in mix.exs's release options.
pub(in crate::doctor) struct MixCookie {
    pub(in crate::doctor) file: String,
    pub(in crate::doctor) line: usize,
    /// A string written in the file, not read from somewhere.
    pub(in crate::doctor) literal: bool,
}

/// A Phoenix Endpoint's `http: [ip: ...]` in a config the prod release runs.
pub(in crate::doctor) struct EndpointIp {
    pub(in crate::doctor) file: String,
    pub(in crate::doctor) line: usize,
    /// As written.
    pub(in crate::doctor) ip: String,
    /// With its spaces removed: `{0,0,0,0}`.
    pub(in crate::doctor) normalized: String,
}

/// One `config` call that configures libcluster topologies under a key, as `edit::runtime` reads it.
pub(in crate::doctor) struct TopologyConfig<'f> {
    pub(in crate::doctor) file: &'f ExFile,
    /// The call's first line.
    pub(in crate::doctor) line: usize,
    /// It names `Cluster.Strategy.DNSPoll` somewhere.
    pub(in crate::doctor) mentions_dnspoll: bool,
    /// It sets `polling_interval:` somewhere.
    pub(in crate::doctor) sets_polling_interval: bool,
    /// Its first `query:`: the line and what it reads.
    pub(in crate::doctor) query: Option<(usize, QueryValue)>,
    /// The DNSPoll topologies inside the call.
    pub(in crate::doctor) dnspolls: Vec<DnsPoll>,
}

impl ExFile {
    /// Every call in the file that configures topologies under `(app, key)`.
    pub(in crate::doctor) fn topologies(&self, app: &str, key: &str) -> Vec<TopologyConfig<'_>> {
        let (root, src) = (self.root(), self.src.as_str());
        let polls = runtime::dnspoll_topologies(root, src, app, key);
        runtime::libcluster_topologies(root, src, app, key)
            .into_iter()
            .map(|call| {
                let rows = call.start_position().row + 1..=call.end_position().row + 1;
                TopologyConfig {
                    file: self,
                    line: self.line_of(call),
                    mentions_dnspoll: runtime::mentions_dnspoll(call, src),
                    sets_polling_interval: runtime::sets_polling_interval(call, src),
                    query: runtime::topology_option(call, src, "query")
                        .map(|q| (self.line_of(q), runtime::query_value(q, root, src))),
                    dnspolls: polls
                        .iter()
                        .filter(|p| rows.contains(&p.line))
                        .cloned()
                        .collect(),
                }
            })
            .collect()
    }

    /// What in the file's topologies under `(app, key)` does not fit Fly, as init reports it.
    pub(in crate::doctor) fn fit_issues(&self, app: &str, key: &str) -> Vec<FitIssue> {
        runtime::libcluster_fit_issues(self.root(), &self.src, app, key)
    }

    /// A topology under `(app, key)` finds nodes on Fly, as init judges it.
    pub(in crate::doctor) fn finds_nodes_on_fly(&self, app: &str, key: &str) -> bool {
        runtime::finds_nodes_on_fly(self.root(), &self.src, app, key)
    }

    /// The file configures `(app, key)`, as the runtime editor judges it.
    pub(in crate::doctor) fn configures_query(&self, app: &str, key: &str) -> bool {
        runtime::configures_query(self.root(), &self.src, app, key)
    }

    /// The line of a `System.get_env("VAR")` (or `fetch_env`) call in the file.
    pub(in crate::doctor) fn env_read_line(&self, var: &str) -> Option<usize> {
        repo_ipv6::env_read_line(self.root(), &self.src, var)
    }

    /// Every `config` of `:app, :key` in the file: its line and what the value reads.
    pub(in crate::doctor) fn configured(&self, app: &str, key: &str) -> Vec<(usize, QueryValue)> {
        runtime::configured_values(self.root(), &self.src, app, key)
            .into_iter()
            .map(|(call, value)| {
                (
                    self.line_of(call),
                    runtime::query_value(value, self.root(), &self.src),
                )
            })
            .collect()
    }
}

/// The started DNSCluster child's file, line and what its `query:` reads.
pub(in crate::doctor) fn dns_cluster_child(app: &ExFile) -> Option<(usize, ChildQuery)> {
    let src = &app.src;
    let child = application::started(app.root(), src).dns_cluster?;
    let query = match application::dns_cluster_query(child, src) {
        QuerySource::AppEnv { app, key } => ChildQuery::AppEnv { app, key },
        QuerySource::Expression(query) => {
            ChildQuery::Direct(runtime::query_value(query, app.root(), src))
        }
        QuerySource::Missing => ChildQuery::Unknown(elixir::text(child, src).to_string()),
    };
    Some((app.line_of(child), query))
}

/// Where a config read at boot, or the app's own code, makes the Repo honour ECTO_IPV6 (the
/// judgement init's runtime editor makes before it adds `maybe_ipv6`).
pub(in crate::doctor) fn ecto_ipv6_honoured(configs: &[ExFile]) -> Option<(String, usize)> {
    configs
        .iter()
        .filter(|c| c.is_runtime())
        .find_map(|c| repo_ipv6::honoured_at(c.root(), &c.src).map(|line| (c.path.clone(), line)))
}

/// A config that runs when the release is built (not at boot) and reads `var`: file and line.
pub(in crate::doctor) fn read_at_build_time(
    configs: &[ExFile],
    var: &str,
) -> Option<(String, usize)> {
    configs
        .iter()
        .filter(|c| !c.is_runtime())
        .find_map(|c| c.env_read_line(var).map(|line| (c.path.clone(), line)))
}

/// The runtime config call that configures a `*.Repo`: its file and line.
pub(in crate::doctor) fn repo_config(configs: &[ExFile]) -> Option<(String, Option<usize>)> {
    configs.iter().filter(|c| c.is_runtime()).find_map(|c| {
        repo_ipv6::repo_config_line(c.root(), &c.src).map(|line| (c.path.clone(), Some(line)))
    })
}

/// The release cookie mix.exs sets, if any.
pub(in crate::doctor) fn mix_cookie(mix: &ExFile) -> Option<MixCookie> {
    let pair = elixir::descendants_of_kind(mix.root(), "pair")
        .into_iter()
        .find(|p| {
            p.child_by_field_name("key").is_some_and(|k| {
                elixir::text(k, &mix.src).trim_end().trim_end_matches(':') == "cookie"
            })
        })?;
    Some(MixCookie {
        file: mix.path.clone(),
        line: mix.line_of(pair),
        literal: pair
            .child_by_field_name("value")
            .is_some_and(|v| v.kind() == "string"),
    })
}

/// The `ip:` a prod release's Endpoint gets: the last one set, config.exs, then prod.exs, then
/// the runtime config (which runs last), leaving out branches for other environments.
pub(in crate::doctor) fn endpoint_ip(configs: &[ExFile]) -> Option<EndpointIp> {
    let order = |c: &&ExFile| match c.path.as_str() {
        "config/config.exs" => 0,
        "config/prod.exs" => 1,
        _ => 2,
    };
    let mut files: Vec<&ExFile> = configs
        .iter()
        .filter(|c| {
            c.is_runtime() || matches!(c.path.as_str(), "config/config.exs" | "config/prod.exs")
        })
        .collect();
    files.sort_by_key(order);
    let mut found = None;
    for file in files {
        for call in elixir::descendants_of_kind(file.root(), "call") {
            if elixir::call_name(call, &file.src) != Some("config") || in_other_env(call, &file.src)
            {
                continue;
            }
            let Some(args) = elixir::call_args(call) else {
                continue;
            };
            let items = elixir::items(args);
            if !items.get(1).is_some_and(|m| {
                m.kind() == "alias" && elixir::text(*m, &file.src).ends_with("Endpoint")
            }) {
                continue;
            }
            let Some(http) = items
                .last()
                .and_then(|k| elixir::keyword_value(*k, &file.src, "http"))
                .filter(|h| h.kind() == "list")
            else {
                continue;
            };
            if let Some(ip) = elixir::keyword_value(http, &file.src, "ip") {
                let written = elixir::text(ip, &file.src);
                found = Some(EndpointIp {
                    file: file.path.clone(),
                    line: file.line_of(ip),
                    ip: written.to_string(),
                    normalized: written.split_whitespace().collect(),
                });
            }
        }
    }
    found
}

/// `node` is inside an `if config_env() == :dev` (or `:test`, ...) branch: a prod release never
/// runs it.
fn in_other_env(node: Node<'_>, src: &str) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if elixir::call_name(n, src) == Some("if")
            && let Some(cond) =
                elixir::call_args(n).and_then(|a| elixir::items(a).into_iter().next())
        {
            let text: String = elixir::text(cond, src).split_whitespace().collect();
            if let Some(env) = text.strip_prefix("config_env()==:")
                && env != "prod"
            {
                return true;
            }
        }
        current = n.parent();
    }
    false
}

/// The first file under the app's lib/ (in path order) that reads `var` from the environment.
pub(in crate::doctor) fn lib_reading_env(
    project: &Project,
    var: &str,
) -> Result<Option<(String, usize)>> {
    let mut stack = vec![format!("{}lib", project.app_dir)];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(project.root.join(&dir)) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let rel = format!("{dir}/{name}");
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(rel);
            } else if ft.is_file() && name.ends_with(".ex") {
                let Some(original) = files::read(&project.root, &rel)? else {
                    continue;
                };
                let src = original.format.text;
                if !src.contains(var) {
                    continue;
                }
                let file = ExFile::parse(&rel, src);
                if let Some(line) = file.env_read_line(var) {
                    found.push((file.path, line));
                }
            }
        }
    }
    found.sort();
    Ok(found.into_iter().next())
}
