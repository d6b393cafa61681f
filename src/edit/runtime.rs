//! Editor for config/runtime.exs (kind `runtime`): configures `:dns_cluster_query` from the
//! DNS_CLUSTER_QUERY variable, inside the prod block when there is one, else after `import Config`.

use super::{EditCtx, Edited, Outcome, Strategy};
use crate::elixir;
use crate::error::Result;
use crate::facts::FindingId;
use crate::plan::{ManualStep, Warning};
use crate::templates;
use std::path::Path;
use tree_sitter::Node;

/// The config line(s) as `mix format` lays them out at `indent`: the dns_cluster query (under the
/// key the DNSCluster child reads), or the libcluster topology.
pub fn config_lines(ctx: &EditCtx, indent: usize) -> Vec<String> {
    let (template, (app, key)) = match ctx.strategy {
        Strategy::DnsCluster => (
            "runtime_config.exs.j2",
            ctx.supervision.query_key(&ctx.otp_app),
        ),
        Strategy::Libcluster => ("libcluster_config.exs.j2", ctx.supervision.topologies_key()),
    };
    elixir::fitted_layout(
        template,
        3,
        minijinja::context! {
            otp_app => &ctx.otp_app,
            app,
            key,
            name => &ctx.topology_name,
            pad => " ".repeat(indent)
        },
        ctx.line_length,
        0,
    )
}

/// Whether another config file (config.exs, prod.exs, ...) already has the strategy's setting: then
/// runtime.exs stays as it is, with what in a libcluster topology there does not fit Fly (a
/// basename no node matches is a manual step).
///
/// These files are evaluated when the release is built, so a setting there that reads the
/// environment (`System.get_env`) gets the build machine's value, not Fly's: it does not count, and
/// runtime.exs gets the setting, which wins at boot.
pub fn configured_elsewhere(ctx: &EditCtx, path: &Path, src: &str) -> Option<Edited> {
    let (app, key) = match ctx.strategy {
        Strategy::DnsCluster => ctx.supervision.query_key(&ctx.otp_app),
        Strategy::Libcluster => ctx.supervision.topologies_key(),
    };
    // Most config files mention neither; don't parse them to find that out.
    if !src.contains(key.as_str()) {
        return None;
    }
    let tree = elixir::parse(src);
    let root = tree.root_node();
    if elixir::first_error(&tree).is_some() {
        return None;
    }
    let reads_env = |node: Node<'_>| {
        let text = elixir::text(node, src);
        text.contains("System.get_env") || text.contains("System.fetch_env")
    };
    match ctx.strategy {
        Strategy::DnsCluster => configured_values(root, src, &app, &key)
            .into_iter()
            .any(|(_, value)| !reads_env(value))
            .then(|| Edited::new(Outcome::Unchanged)),
        Strategy::Libcluster => libcluster_topologies(root, src, &app, &key)
            .into_iter()
            .filter(|config| elixir::text(*config, src).contains("Cluster.Strategy.DNSPoll"))
            .any(|config| !reads_env(config))
            .then(|| match basename_step(ctx, path, root, src) {
                Some(step) => Edited::new(Outcome::Manual(step)),
                None => Edited {
                    warnings: libcluster_fit_warnings(root, src, path, &app, &key),
                    ..Edited::new(Outcome::Unchanged)
                },
            }),
    }
}

/// The strategy's setting is already there, in any spelling.
fn already_configured(root: Node<'_>, src: &str, ctx: &EditCtx) -> bool {
    match ctx.strategy {
        Strategy::DnsCluster => {
            let (app, key) = ctx.supervision.query_key(&ctx.otp_app);
            configures_query(root, src, &app, &key)
        }
        Strategy::Libcluster => {
            let (app, key) = ctx.supervision.topologies_key();
            finds_nodes_on_fly(root, src, &app, &key)
        }
    }
}

/// Some libcluster topology under `config :APP, KEY` finds nodes on Fly: DNSPoll, or a strategy
/// that is not one of libcluster's own for other platforms (`libcluster_postgres` finds them
/// through the database).
pub fn finds_nodes_on_fly(root: Node<'_>, src: &str, app: &str, key: &str) -> bool {
    libcluster_topologies(root, src, app, key)
        .into_iter()
        .any(|config| {
            elixir::descendants_of_kind(config, "pair")
                .into_iter()
                .filter(|pair| pair_key(*pair, src) == Some("strategy"))
                .filter_map(|pair| pair.child_by_field_name("value"))
                .any(|strategy| {
                    let name = elixir::text(strategy, src);
                    name == "Cluster.Strategy.DNSPoll" || !name.starts_with("Cluster.Strategy.")
                })
        })
}

/// Every call that configures libcluster topologies under `(app, key)`: `config :APP, KEY: ...`
/// or `config :APP, :KEY, ...` (`:libcluster, :topologies` unless the started Cluster.Supervisor
/// reads another key, see [`crate::edit::Supervision::topologies_key`]).
pub fn libcluster_topologies<'t>(root: Node<'t>, src: &str, app: &str, key: &str) -> Vec<Node<'t>> {
    configured_values(root, src, app, key)
        .into_iter()
        .map(|(call, _)| call)
        .collect()
}

/// The topologies configured under `(app, key)` in the file: each name with its strategy as
/// written (`Cluster.Strategy.Gossip`), `None` when it sets none.
pub fn topology_strategies(
    root: Node<'_>,
    src: &str,
    app: &str,
    key: &str,
) -> Vec<(String, Option<String>)> {
    configured_values(root, src, app, key)
        .into_iter()
        .filter(|(_, value)| value.kind() == "list")
        .flat_map(|(_, value)| elixir::items(value))
        .filter(|n| n.kind() == "keywords")
        .flat_map(elixir::items)
        .filter_map(|pair| {
            let name = pair_key(pair, src)?.to_string();
            let body = pair.child_by_field_name("value")?;
            let strategy = matches!(body.kind(), "list" | "keywords")
                .then(|| elixir::keyword_value(body, src, "strategy"))
                .flatten()
                .map(|s| elixir::text(s, src).to_string());
            Some((name, strategy))
        })
        .collect()
}

/// The name of the DNSPoll topology flycluster adds: `fly6pn`, as Fly's guides named it, unless
/// `taken` (every topology under the same key, from [`topology_strategies`]) has a topology of
/// another strategy by that name. Config deep-merges the keyword lists of all `config` calls, so
/// two topologies of one name become one with the settings of both, and the other one is lost; a
/// DNSPoll topology of that name may be merged with: the added one replaces its settings.
pub fn fly_topology_name(taken: &[(String, Option<String>)]) -> String {
    let free = |name: &str| {
        taken.iter().all(|(n, strategy)| {
            n != name || strategy.as_deref() == Some("Cluster.Strategy.DNSPoll")
        })
    };
    ["fly6pn".to_string(), "fly_dns".to_string()]
        .into_iter()
        .chain((2..).map(|n| format!("fly_dns_{n}")))
        .find(|name| free(name))
        .expect("an unbounded list of names has a free one")
}

/// What in an existing libcluster topology does not fit Fly (another platform's strategy beside the
/// DNSPoll one, a misspelt polling interval). Reported, never rewritten.
pub fn libcluster_fit_warnings(
    root: Node<'_>,
    src: &str,
    path: &Path,
    app: &str,
    key: &str,
) -> Vec<Warning> {
    libcluster_fit_issues(root, src, app, key)
        .into_iter()
        .map(|issue| {
            let id = match issue.kind {
                FitIssueKind::Strategy => FindingId::LibclusterStrategy,
                FitIssueKind::PollInterval => FindingId::LibclusterPollingInterval,
            };
            Warning::new(id, issue.message).at(path, Some(issue.line))
        })
        .collect()
}

/// What a DNSPoll topology's `node_basename` names the nodes it looks for after. DNSPoll connects
/// to `<basename>@IP` for each address its query returns, so the basename must be the name part of
/// RELEASE_NODE. The one judgement of it: init decides the node names from it, doctor checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basename {
    /// Derived from the node name at boot (`RELEASE_NODE`, `node()`).
    NodeName,
    /// The Fly app name (`System.get_env("FLY_APP_NAME")`, directly or through a variable).
    FlyAppName,
    /// A string.
    Literal(String),
    /// Anything else, as written.
    Other(String),
}

impl Basename {
    fn of(value: Node<'_>, root: Node<'_>, src: &str) -> Basename {
        let expanded = elixir::expanded_text(value, root, src);
        if expanded.contains("RELEASE_NODE") || expanded.contains("node()") {
            Basename::NodeName
        } else if expanded.contains("FLY_APP_NAME") {
            Basename::FlyAppName
        } else if value.kind() == "string" {
            Basename::Literal(elixir::text(value, src).trim_matches('"').to_string())
        } else {
            Basename::Other(
                elixir::text(value, src)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
    }

    /// Nodes named `${FLY_APP_NAME}@IP` are what it looks for: the scheme earlier Fly guides
    /// used, which flycluster keeps for such a topology.
    pub fn is_app_name(&self, fly_app: &str) -> bool {
        match self {
            Basename::FlyAppName => true,
            Basename::Literal(l) => l == fly_app,
            _ => false,
        }
    }

    /// It may name the Fly app: it does, or flycluster cannot tell what it holds (another
    /// variable, perhaps a secret). Either way the nodes keep the `APP@IP` names they had, so a
    /// cluster that formed before init is not broken by new node names.
    pub fn may_be_app_name(&self, fly_app: &str) -> bool {
        self.is_app_name(fly_app) || matches!(self, Basename::Other(_))
    }

    /// As written in a message.
    pub fn shown(&self) -> String {
        match self {
            Basename::NodeName => "derived from RELEASE_NODE".into(),
            Basename::FlyAppName => "the Fly app name (FLY_APP_NAME)".into(),
            Basename::Literal(l) => format!("`\"{l}\"`"),
            Basename::Other(t) => format!("`{t}`"),
        }
    }
}

/// A `Cluster.Strategy.DNSPoll` topology: its 1-based line, and its `node_basename` (line and
/// value) when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsPoll {
    pub line: usize,
    pub basename: Option<(usize, Basename)>,
}

/// Every DNSPoll topology in the file's calls that configure topologies under `(app, key)`.
pub fn dnspoll_topologies(root: Node<'_>, src: &str, app: &str, key: &str) -> Vec<DnsPoll> {
    let mut out = Vec::new();
    for config in libcluster_topologies(root, src, app, key) {
        for pair in elixir::descendants_of_kind(config, "pair") {
            let is_dnspoll = pair_key(pair, src) == Some("strategy")
                && pair
                    .child_by_field_name("value")
                    .is_some_and(|v| elixir::text(v, src) == "Cluster.Strategy.DNSPoll");
            let Some(body) = pair.parent().filter(|_| is_dnspoll) else {
                continue;
            };
            let basename = elixir::descendants_of_kind(body, "pair")
                .into_iter()
                .find(|p| pair_key(*p, src) == Some("node_basename"))
                .and_then(|p| {
                    let value = p.child_by_field_name("value")?;
                    Some((p.start_position().row + 1, Basename::of(value, root, src)))
                });
            out.push(DnsPoll {
                line: body.start_position().row + 1,
                basename,
            });
        }
    }
    out
}

fn pair_key<'s>(pair: Node<'_>, src: &'s str) -> Option<&'s str> {
    pair.child_by_field_name("key")
        .map(|k| elixir::text(k, src).trim_end().trim_end_matches(':'))
}

/// A DNSPoll topology whose `node_basename` names neither the node name nor the Fly app: no node
/// flycluster names matches it, so the user must change it.
fn basename_step(ctx: &EditCtx, path: &Path, root: Node<'_>, src: &str) -> Option<ManualStep> {
    let (app, key) = ctx.supervision.topologies_key();
    dnspoll_topologies(root, src, &app, &key).into_iter().find_map(|poll| {
        let (line, reason) = match &poll.basename {
            None => (poll.line, "the DNSPoll topology has no `node_basename`; DNSPoll needs it to name the nodes it finds".to_string()),
            Some((_, Basename::NodeName)) => return None,
            Some((_, b)) if b.is_app_name(&ctx.fly_app) => return None,
            Some((line, b @ Basename::Other(_))) => (*line, format!(
                "`node_basename` is {}, which flycluster cannot evaluate; the nodes keep the names `{}@IP` they had, and DNSPoll reaches them only if it gives `{}`",
                b.shown(),
                ctx.fly_app,
                ctx.fly_app
            )),
            Some((line, b)) => (*line, format!(
                "`node_basename` is {}, but the nodes are named `{}`, so DNSPoll never reaches them",
                b.shown(),
                if ctx.node_image_suffix {
                    format!("{}-<image suffix>", ctx.fly_app)
                } else {
                    ctx.fly_app.clone()
                }
            )),
        };
        Some(ManualStep {
            id: FindingId::LibclusterNodeBasename,
            path: path.to_path_buf(),
            location: format!("line {line}, in the DNSPoll topology's `config:`"),
            snippet: NODE_BASENAME_FIX.into(),
            reason,
        })
    })
}

/// Why a topologies list written in code needs the DNSPoll topology added by hand.
pub const TOPOLOGIES_IN_CODE_REASON: &str = "Cluster.Supervisor is given a topologies list written in the application module, and none of them is DNSPoll, so no topology finds nodes on Fly; config files do not reach that list";

/// A DNSPoll topology as an element of a topologies keyword list, for the user to add.
pub fn dnspoll_topology_snippet() -> String {
    format!(
        "fly6pn: [\n  strategy: Cluster.Strategy.DNSPoll,\n  config: [\n    polling_interval: 5_000,\n    query: System.get_env(\"DNS_CLUSTER_QUERY\"),\n    {NODE_BASENAME_FIX}\n  ]\n]"
    )
}

/// The line to use when a topology's basename does not match the node names.
pub const NODE_BASENAME_FIX: &str =
    "node_basename: System.get_env(\"RELEASE_NODE\", \"\") |> String.split(\"@\") |> hd()";

/// Which part of a libcluster topology does not fit Fly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitIssueKind {
    /// A strategy other than `Cluster.Strategy.DNSPoll`.
    Strategy,
    /// `poll_interval`, which DNSPoll ignores (it reads `polling_interval`).
    PollInterval,
}

/// One thing in a libcluster topology that does not fit Fly: its 1-based line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitIssue {
    pub kind: FitIssueKind,
    pub line: usize,
    pub message: String,
}

/// The structured form of [`libcluster_fit_warnings`], for doctor.
pub fn libcluster_fit_issues(root: Node<'_>, src: &str, app: &str, key: &str) -> Vec<FitIssue> {
    let mut issues = Vec::new();
    for config in libcluster_topologies(root, src, app, key) {
        let line = config.start_position().row + 1;
        let text = elixir::text(config, src);
        let strategies: Vec<&str> = elixir::descendants_of_kind(config, "alias")
            .into_iter()
            .map(|a| elixir::text(a, src))
            .filter(|a| a.starts_with("Cluster.Strategy."))
            .collect();
        for strategy in &strategies {
            if !matches!(*strategy, "Cluster.Strategy.DNSPoll") {
                issues.push(FitIssue {
                    kind: FitIssueKind::Strategy,
                    line,
                    message: format!(
                        "the libcluster topology uses `{strategy}`, which does not find nodes on Fly's private network; use `Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"
                    ),
                });
            }
        }
        if text.contains("poll_interval:") {
            issues.push(FitIssue {
                kind: FitIssueKind::PollInterval,
                line,
                message:
                    "`poll_interval` is ignored; libcluster's DNSPoll reads `polling_interval`"
                        .into(),
            });
        }
    }
    issues
}

/// Every `config :APP, :KEY, value`, `config :APP, KEY: value` or `config :APP, [KEY: value]` in the
/// file: the `config` call and the value node. Read-only, for doctor.
pub fn configured_values<'t>(
    root: Node<'t>,
    src: &str,
    app: &str,
    key: &str,
) -> Vec<(Node<'t>, Node<'t>)> {
    let mut out = Vec::new();
    for call in elixir::descendants_of_kind(root, "call") {
        if elixir::call_name(call, src) != Some("config") {
            continue;
        }
        let Some(args) = elixir::call_args(call) else {
            continue;
        };
        let items = elixir::items(args);
        if items.first().and_then(|a| elixir::atom_name(*a, src)) != Some(app) {
            continue;
        }
        match items.get(1) {
            Some(k) if k.kind() == "atom" && elixir::atom_name(*k, src) == Some(key) => {
                if let Some(value) = items.get(2) {
                    out.push((call, *value));
                }
            }
            Some(k) if matches!(k.kind(), "keywords" | "list") => {
                if let Some(value) = elixir::keyword_value(*k, src, key) {
                    out.push((call, value));
                }
            }
            _ => {}
        }
    }
    out
}

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let mut edited = plan_query(ctx, path, before)?;
    // A DNSCluster child the application already starts beside the libcluster setup asked for
    // reads its query too: a child left with no query does nothing, and while neither library
    // forms the cluster both are judged.
    if ctx.strategy == Strategy::Libcluster && ctx.supervision.dns_cluster {
        let dns = EditCtx {
            strategy: Strategy::DnsCluster,
            ..ctx.clone()
        };
        let text = match &edited.outcome {
            Outcome::Write(text) => Some(text.clone()),
            Outcome::Unchanged => before.map(str::to_string),
            Outcome::Skip(_) | Outcome::Manual(_) => None,
        };
        if let Some(text) = text {
            let also = plan_query(&dns, path, Some(&text))?;
            match also.outcome {
                Outcome::Write(after) => edited.outcome = Outcome::Write(after),
                Outcome::Manual(step) => edited.manual.push(step),
                Outcome::Unchanged | Outcome::Skip(_) => {}
            }
            edited.warnings.extend(also.warnings);
            edited.manual.extend(also.manual);
        }
    }
    super::repo_ipv6::plan(ctx, path, before, edited)
}

/// The clustering library's setting alone.
fn plan_query(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let Some(src) = before else {
        let file = templates::render(
            "runtime.exs.j2",
            minijinja::context! { config => config_lines(ctx, 2).join("\n") },
        );
        return Ok(Edited::new(Outcome::Write(file)));
    };
    let tree = elixir::parse_file(path, src)?;
    let root = tree.root_node();
    // Topologies written in the application module are all the supervisor gets: a config here
    // would be read by nothing (init asks for the DNSPoll topology there when it is missing).
    if ctx.strategy == Strategy::Libcluster && ctx.supervision.topologies_in_code.is_some() {
        return Ok(Edited::new(Outcome::Unchanged));
    }
    if already_configured(root, src, ctx) {
        let mut edited = Edited::new(Outcome::Unchanged);
        // A value to change by hand, in a file flycluster can still edit (the Repo's
        // `socket_options` go in beside it).
        edited.manual.extend(match ctx.strategy {
            Strategy::Libcluster => basename_step(ctx, path, root, src),
            Strategy::DnsCluster => query_step(ctx, path, root, src),
        });
        if ctx.strategy == Strategy::Libcluster {
            let (app, key) = ctx.supervision.topologies_key();
            edited.warnings = libcluster_fit_warnings(root, src, path, &app, &key);
        }
        return Ok(edited);
    }
    if let Some(block) = prod_block(root, src) {
        let do_kw = block.child(0).expect("a do_block starts with `do`");
        let at = elixir::line_end(src, do_kw.end_byte());
        let after_do = src[do_kw.end_byte()..at].trim();
        if !after_do.is_empty() && !after_do.starts_with('#') {
            // Code after `do` on its line: the next line may be inside it.
            return Ok(Edited::new(Outcome::Manual(ManualStep {
                id: ctx.strategy.config_finding(),
                path: path.to_path_buf(),
                location: "inside `if config_env() == :prod do`".into(),
                snippet: config_lines(ctx, 0).join("\n"),
                reason: "the prod block has code on its `do` line".into(),
            })));
        }
        let indent = elixir::indent_of_line(src, block.start_byte()) + 2;
        let mut insert = config_lines(ctx, indent).join("\n");
        insert.push('\n');
        let rest = &src[at..];
        let next_line = rest.lines().next().unwrap_or("").trim();
        if !next_line.is_empty() && next_line != "end" {
            insert.push('\n');
        }
        return Ok(checked(ctx, path, src, splice(src, at, &insert)));
    }
    if let Some(import) = import_config(root, src) {
        let at = elixir::line_end(src, import.end_byte());
        let mut insert = format!("\n{}\n", config_lines(ctx, 0).join("\n"));
        let rest = &src[at..];
        if !rest.is_empty() && !rest.starts_with('\n') {
            insert.push('\n');
        }
        return Ok(checked(ctx, path, src, splice(src, at, &insert)));
    }
    Ok(Edited::new(Outcome::Manual(ManualStep {
        id: ctx.strategy.config_finding(),
        path: path.to_path_buf(),
        location: "inside `if config_env() == :prod do`, or after `import Config`".into(),
        snippet: config_lines(ctx, 0).join("\n"),
        reason: "the file has neither a prod block nor `import Config`".into(),
    })))
}

/// The edit, unless its result does not parse: tree-sitter's error recovery accepts some code Elixir
/// rejects (`do` alone on a line inside the prod block), and the inserted lines can tip it over.
/// The user then adds the lines.
fn checked(ctx: &EditCtx, path: &Path, src: &str, after: String) -> Edited {
    if elixir::first_error(&elixir::parse_edited(src, &after)).is_none() {
        return Edited::new(Outcome::Write(after));
    }
    Edited::new(Outcome::Manual(ManualStep {
        id: ctx.strategy.config_finding(),
        path: path.to_path_buf(),
        location: "inside `if config_env() == :prod do`, or after `import Config`".into(),
        snippet: config_lines(ctx, 0).join("\n"),
        reason: "the config cannot go into this file's layout without breaking its syntax".into(),
    }))
}

fn splice(src: &str, at: usize, insert: &str) -> String {
    let mut out = String::with_capacity(src.len() + insert.len());
    out.push_str(&src[..at]);
    out.push_str(insert);
    out.push_str(&src[at..]);
    out
}

/// `config :APP, :KEY, ...`, `config :APP, KEY: ...` or `config :APP, [KEY: ...]` anywhere in the
/// file (KEY is `dns_cluster_query`, or the key the DNSCluster child reads).
pub fn configures_query(root: Node<'_>, src: &str, app: &str, key: &str) -> bool {
    elixir::descendants_of_kind(root, "call")
        .into_iter()
        .filter(|c| elixir::call_name(*c, src) == Some("config"))
        .filter_map(elixir::call_args)
        .any(|args| {
            let items = elixir::items(args);
            if items.first().and_then(|a| elixir::atom_name(*a, src)) != Some(app) {
                return false;
            }
            items[1..].iter().any(|arg| match arg.kind() {
                "atom" => elixir::atom_name(*arg, src) == Some(key),
                "keywords" | "list" => elixir::keyword_value(*arg, src, key).is_some(),
                _ => false,
            })
        })
}

/// Whether a query names this Fly app's `.internal`: `APP.internal`, `${FLY_APP_NAME}.internal`,
/// or the Machines of one process group, `<group>.process.APP.internal` (`None`: cannot tell, no
/// app known). The one judgement of it, for init's editor and doctor's checks.
pub fn query_fits(value: &str, fly_app: Option<&str>) -> Option<bool> {
    let app_part = match value.split_once(".process.") {
        Some((group, rest)) if !group.is_empty() && !group.contains('.') => rest,
        _ => value,
    };
    if app_part == "${FLY_APP_NAME}.internal" {
        return Some(true);
    }
    Some(app_part == format!("{}.internal", fly_app?))
}

/// The query key is configured, but the last value set for it (the one the child gets) is read
/// from another variable than the DNS_CLUSTER_QUERY the env.sh block sets, or names another app:
/// the user's to change, since another variable may be a Fly secret flycluster cannot see.
fn query_step(ctx: &EditCtx, path: &Path, root: Node<'_>, src: &str) -> Option<ManualStep> {
    let (app, key) = ctx.supervision.query_key(&ctx.otp_app);
    let (call, value) = configured_values(root, src, &app, &key)
        .into_iter()
        .last()?;
    let reason = match query_value(value, root, src) {
        QueryValue::ReadsEnv(var) => format!(
            "`:{app}, :{key}` is read from `{var}`, but the env.sh block sets DNS_CLUSTER_QUERY; `{var}` holds the query only if it is set on Fly (a secret flycluster cannot see)"
        ),
        QueryValue::Literal(q) if query_fits(&q, Some(&ctx.fly_app)) == Some(false) => format!(
            "`:{app}, :{key}` is `{q}`, but the Fly app's nodes are found at `{}.internal`",
            ctx.fly_app
        ),
        _ => return None,
    };
    Some(ManualStep {
        id: FindingId::DnsClusterConfig,
        path: path.to_path_buf(),
        location: format!(
            "line {}: as the value of `:{key}`, in place of `{}`",
            call.start_position().row + 1,
            elixir::text(value, src)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ),
        snippet: "System.get_env(\"DNS_CLUSTER_QUERY\")".into(),
        reason,
    })
}

/// The do-block of a top-level `if config_env() == :prod do`.
pub(crate) fn prod_block<'t>(root: Node<'t>, src: &str) -> Option<Node<'t>> {
    elixir::items(root)
        .into_iter()
        .filter(|c| elixir::call_name(*c, src) == Some("if"))
        .find(|c| {
            elixir::call_args(*c)
                .and_then(|a| elixir::items(a).into_iter().next())
                .is_some_and(|cond| {
                    let t: String = elixir::text(cond, src).split_whitespace().collect();
                    t == "config_env()==:prod" || t == ":prod==config_env()"
                })
        })
        .and_then(elixir::do_block)
}

fn import_config<'t>(root: Node<'t>, src: &str) -> Option<Node<'t>> {
    elixir::items(root).into_iter().find(|c| {
        elixir::call_name(*c, src) == Some("import")
            && elixir::call_args(*c).is_some_and(|a| {
                // `import Mix.Config` is how config/releases.exs of Elixir 1.9/1.10 began.
                matches!(elixir::text(a, src).trim(), "Config" | "Mix.Config")
            })
    })
}

/// Where a query or topology setting comes from, read-only, for doctor: the value of the query
/// key this editor configures, of the DNSCluster child's `query:`, or of a topology's `query:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    /// `System.get_env("DNS_CLUSTER_QUERY")` or `fetch_env!`.
    ReadsQueryEnv,
    /// Reads another environment variable.
    ReadsEnv(String),
    Literal(String),
    /// `"#{app}.internal"` with `app` read from FLY_APP_NAME at runtime.
    AppInternal,
    Other(String),
}

/// What `node` (a value, followed through the variables it names) reads.
pub fn query_value(node: Node<'_>, root: Node<'_>, src: &str) -> QueryValue {
    let text = elixir::text(node, src);
    let interpolated = !elixir::descendants_of_kind(node, "interpolation").is_empty();
    if node.kind() == "string" && !interpolated {
        return QueryValue::Literal(text.trim_matches('"').to_string());
    }
    let mut candidates = vec![node];
    candidates.extend(elixir::bound_values(node, root, src));
    let mut reads = Vec::new();
    for candidate in &candidates {
        for call in elixir::descendants_of_kind(*candidate, "call") {
            if matches!(
                elixir::call_name(call, src),
                Some("System.get_env" | "System.fetch_env!" | "System.fetch_env")
            ) {
                let first =
                    elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next());
                if let Some(first) = first.filter(|f| f.kind() == "string") {
                    reads.push(elixir::text(first, src).trim_matches('"').to_string());
                }
            }
        }
    }
    if reads.iter().any(|r| r == "DNS_CLUSTER_QUERY") {
        return QueryValue::ReadsQueryEnv;
    }
    if interpolated && text.ends_with(".internal\"") && reads.iter().any(|r| r == "FLY_APP_NAME") {
        return QueryValue::AppInternal;
    }
    match reads.into_iter().next() {
        Some(var) => QueryValue::ReadsEnv(var),
        None => QueryValue::Other(text.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// The value of a topology's first `KEY:` pair (its `query:`), read-only, for doctor.
pub fn topology_option<'t>(topology: Node<'t>, src: &str, key: &str) -> Option<Node<'t>> {
    elixir::descendants_of_kind(topology, "pair")
        .into_iter()
        .find_map(|pair| {
            (pair_key(pair, src) == Some(key))
                .then(|| pair.child_by_field_name("value"))
                .flatten()
        })
}

/// The topology's config names `Cluster.Strategy.DNSPoll` anywhere.
pub fn mentions_dnspoll(topology: Node<'_>, src: &str) -> bool {
    elixir::text(topology, src).contains("Cluster.Strategy.DNSPoll")
}

/// The topology's config sets `polling_interval:`, the key DNSPoll reads, anywhere.
pub fn sets_polling_interval(topology: Node<'_>, src: &str) -> bool {
    elixir::text(topology, src).contains("polling_interval:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

    fn run(src: Option<&str>) -> Outcome {
        plan(&test_ctx(), Path::new("config/runtime.exs"), src)
            .unwrap()
            .outcome
    }

    fn written(src: Option<&str>) -> String {
        match run(src) {
            Outcome::Write(s) => {
                assert_eq!(run(Some(&s)), Outcome::Unchanged, "not idempotent:\n{s}");
                s
            }
            other => panic!("expected a write, got {other:?}"),
        }
    }

    const LINE: &str =
        "config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")";

    #[test]
    fn goes_first_in_the_prod_block() {
        let src = "import Config\n\nif config_env() == :prod do\n  database_url = System.get_env(\"DATABASE_URL\")\nend\n";
        assert_eq!(
            written(Some(src)),
            format!(
                "import Config\n\nif config_env() == :prod do\n  {LINE}\n\n  database_url = System.get_env(\"DATABASE_URL\")\nend\n"
            )
        );
    }

    #[test]
    fn after_import_config_without_a_prod_block() {
        assert_eq!(
            written(Some("import Config\n\nconfig :a, b: 1\n")),
            format!("import Config\n\n{LINE}\n\nconfig :a, b: 1\n")
        );
        assert_eq!(
            written(Some("import Config\n")),
            format!("import Config\n\n{LINE}\n")
        );
    }

    #[test]
    fn creates_the_file() {
        let out = written(None);
        assert!(out.starts_with("import Config\n"));
        assert!(out.contains(&format!("if config_env() == :prod do\n  {LINE}\nend\n")));
    }

    #[test]
    fn any_spelling_of_the_key_counts() {
        for line in [
            LINE.to_string(),
            "config :hello_elixir, dns_cluster_query: System.get_env(\"Q\")".into(),
            "config :hello_elixir, [dns_cluster_query: \"x\"]".into(),
            "config :hello_elixir, other: 1, dns_cluster_query: \"x\"".into(),
        ] {
            let src = format!("import Config\n\nif config_env() == :prod do\n  {line}\nend\n");
            assert_eq!(run(Some(&src)), Outcome::Unchanged, "{line}");
        }
    }

    fn outcome_with(ctx: &EditCtx, src: &str) -> Outcome {
        plan(ctx, Path::new("config/runtime.exs"), Some(src))
            .unwrap()
            .outcome
    }

    fn libcluster_ctx() -> EditCtx {
        EditCtx {
            strategy: Strategy::Libcluster,
            ..test_ctx()
        }
    }

    #[test]
    fn libcluster_topology_goes_in_the_prod_block() {
        let src = "import Config\n\nif config_env() == :prod do\n  config :a, b: 1\nend\n";
        let ctx = libcluster_ctx();
        let Outcome::Write(out) = plan(&ctx, Path::new("config/runtime.exs"), Some(src))
            .unwrap()
            .outcome
        else {
            panic!()
        };
        assert!(out.contains("if config_env() == :prod do\n  if System.get_env(\"DNS_CLUSTER_QUERY\") do\n    config :libcluster,\n      topologies: [\n        fly6pn: [\n          strategy: Cluster.Strategy.DNSPoll,"), "{out}");
        assert!(out.contains("polling_interval: 5_000"));
        assert!(out.contains(
            "node_basename: System.get_env(\"RELEASE_NODE\", \"\") |> String.split(\"@\") |> hd()"
        ));
        let again = plan(&ctx, Path::new("config/runtime.exs"), Some(&out)).unwrap();
        assert_eq!(again.outcome, Outcome::Unchanged);
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }

    #[test]
    fn a_query_read_from_another_variable_or_naming_another_app_is_a_step_by_hand() {
        let with = |value: &str| {
            let src = format!(
                "import Config\n\nif config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, {value}\nend\n"
            );
            plan(&test_ctx(), Path::new("config/runtime.exs"), Some(&src)).unwrap()
        };
        for (value, reason) in [
            (
                "System.get_env(\"OTHER\")",
                "`:hello_elixir, :dns_cluster_query` is read from `OTHER`, but the env.sh block sets DNS_CLUSTER_QUERY; `OTHER` holds the query only if it is set on Fly (a secret flycluster cannot see)",
            ),
            (
                "\"other-app.internal\"",
                "`:hello_elixir, :dns_cluster_query` is `other-app.internal`, but the Fly app's nodes are found at `hello-elixir.internal`",
            ),
        ] {
            let edited = with(value);
            assert_eq!(edited.outcome, Outcome::Unchanged, "{value}");
            let [step] = &edited.manual[..] else {
                panic!("{value}: expected one manual step, got {:?}", edited.manual);
            };
            assert_eq!(step.id, FindingId::DnsClusterConfig);
            assert_eq!(step.reason, reason);
            assert_eq!(
                step.location,
                format!("line 4: as the value of `:dns_cluster_query`, in place of `{value}`")
            );
            assert_eq!(step.snippet, "System.get_env(\"DNS_CLUSTER_QUERY\")");
        }
        // What the Fly app's query is, however it is spelt, stays as it is.
        for value in [
            "System.get_env(\"DNS_CLUSTER_QUERY\")",
            "\"hello-elixir.internal\"",
            "\"web.process.hello-elixir.internal\"",
            "\"#{System.get_env(\"FLY_APP_NAME\")}.internal\"",
        ] {
            let edited = with(value);
            assert_eq!(edited, Edited::new(Outcome::Unchanged), "{value}");
        }
    }

    #[test]
    fn an_existing_topology_that_does_not_fit_fly_is_reported_not_rewritten() {
        let src = "import Config\n\nconfig :libcluster,\n  topologies: [\n    k8s: [\n      strategy: Cluster.Strategy.Gossip\n    ],\n    dns: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [poll_interval: 1000, query: \"x.internal\", node_basename: node_name]\n    ]\n  ]\n";
        let with = |basename: &str| {
            let src = src.replace("node_basename: node_name", basename);
            plan(
                &libcluster_ctx(),
                Path::new("config/runtime.exs"),
                Some(&src),
            )
            .unwrap()
        };
        let edited =
            with("node_basename: System.get_env(\"RELEASE_NODE\") |> String.split(\"@\") |> hd()");
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(
            crate::plan::texts(&edited.warnings),
            [
                "`config/runtime.exs` line 3: the libcluster topology uses `Cluster.Strategy.Gossip`, which does not find nodes on Fly's private network; use `Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`",
                "`config/runtime.exs` line 3: `poll_interval` is ignored; libcluster's DNSPoll reads `polling_interval`",
            ]
        );
        // The app name, as Fly's earlier guides had it: init keeps `APP@IP` node names for it.
        assert_eq!(
            with("node_basename: \"hello-elixir\"").outcome,
            Outcome::Unchanged
        );
        // Any other fixed name matches no node flycluster names: a step by hand, in a file that
        // stays editable.
        let edited = with("node_basename: \"myapp\"");
        assert_eq!(edited.outcome, Outcome::Unchanged);
        let [step] = &edited.manual[..] else {
            panic!("expected one manual step, got {:?}", edited.manual);
        };
        assert_eq!(step.id, FindingId::LibclusterNodeBasename);
        assert_eq!(
            step.location,
            "line 10, in the DNSPoll topology's `config:`"
        );
        assert_eq!(step.snippet, NODE_BASENAME_FIX);
        assert_eq!(
            step.reason,
            "`node_basename` is `\"myapp\"`, but the nodes are named `hello-elixir-<image suffix>`, so DNSPoll never reaches them"
        );
    }

    /// FLY-SETUPS.md, generation 6: the Cluster.Supervisor reads `:hello_elixir, :topologies`.
    /// The DNSPoll topology goes there; one under `:libcluster, :topologies` is never read, so it
    /// does not count.
    #[test]
    fn the_topology_goes_under_the_key_the_started_supervisor_reads() {
        let ctx = EditCtx {
            supervision: crate::edit::Supervision {
                cluster_supervisor: true,
                topologies_key: Some(("hello_elixir".into(), "topologies".into())),
                ..Default::default()
            },
            ..libcluster_ctx()
        };
        let plan_runtime = |src: &str| outcome_with(&ctx, src);
        let libcluster_dnspoll = "config :libcluster,\n  topologies: [\n    fly6pn: [\n      strategy: Cluster.Strategy.DNSPoll,\n      config: [query: System.get_env(\"DNS_CLUSTER_QUERY\"), node_basename: \"x\"]\n    ]\n  ]\n";
        let src = format!(
            "import Config\n\nconfig :hello_elixir,\n  topologies: [local: [strategy: Cluster.Strategy.Epmd]]\n\n{libcluster_dnspoll}\nif config_env() == :prod do\n  config :a, b: 1\nend\n"
        );
        let Outcome::Write(out) = plan_runtime(&src) else {
            panic!("no topology was added under the key the supervisor reads")
        };
        assert!(
            out.contains("if config_env() == :prod do\n  if System.get_env(\"DNS_CLUSTER_QUERY\") do\n    config :hello_elixir,\n      topologies: [\n        fly6pn: [\n          strategy: Cluster.Strategy.DNSPoll,"),
            "{out}"
        );
        assert_eq!(plan_runtime(&out), Outcome::Unchanged);
        assert_eq!(
            dnspoll_topologies(
                elixir::parse(&out).root_node(),
                &out,
                "hello_elixir",
                "topologies"
            )
            .len(),
            1
        );
    }

    #[test]
    fn the_added_topology_takes_a_name_no_other_strategy_has() {
        let taken = |list: &[(&str, &str)]| -> Vec<(String, Option<String>)> {
            list.iter()
                .map(|(n, s)| (n.to_string(), Some(s.to_string())))
                .collect()
        };
        assert_eq!(fly_topology_name(&[]), "fly6pn");
        assert_eq!(
            fly_topology_name(&taken(&[("k8s", "Cluster.Strategy.Kubernetes.DNS")])),
            "fly6pn"
        );
        // A DNSPoll topology of that name is merged with, the added one's settings winning.
        assert_eq!(
            fly_topology_name(&taken(&[("fly6pn", "Cluster.Strategy.DNSPoll")])),
            "fly6pn"
        );
        assert_eq!(
            fly_topology_name(&taken(&[("fly6pn", "Cluster.Strategy.Gossip")])),
            "fly_dns"
        );
        assert_eq!(
            fly_topology_name(&taken(&[
                ("fly6pn", "Cluster.Strategy.Gossip"),
                ("fly_dns", "Cluster.Strategy.Epmd"),
            ])),
            "fly_dns_2"
        );
        let src = "import Config\nconfig :libcluster,\n  topologies: [\n    fly6pn: [strategy: Cluster.Strategy.Gossip],\n    local: [config: [hosts: []]]\n  ]\nconfig :other, topologies: [x: [strategy: Cluster.Strategy.Epmd]]\n";
        assert_eq!(
            topology_strategies(
                elixir::parse(src).root_node(),
                src,
                "libcluster",
                "topologies"
            ),
            [
                (
                    "fly6pn".to_string(),
                    Some("Cluster.Strategy.Gossip".to_string())
                ),
                ("local".to_string(), None)
            ]
        );
    }

    #[test]
    fn another_apps_key_does_not_count() {
        let src = "import Config\nconfig :other, :dns_cluster_query, \"x\"\n";
        assert!(matches!(run(Some(src)), Outcome::Write(_)));
    }

    /// A DNSCluster child that reads another app's key gets that key configured (FLY-SETUPS.md,
    /// generation 6): the query reaches the child only through the key it reads.
    #[test]
    fn the_key_the_started_child_reads_is_configured() {
        let ctx = EditCtx {
            supervision: crate::edit::Supervision {
                dns_cluster: true,
                query_key: Some(("other_app".into(), "dns_cluster_query".into())),
                ..Default::default()
            },
            ..test_ctx()
        };
        let plan_runtime = |src: &str| outcome_with(&ctx, src);
        let src = "import Config\n\nif config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\nend\n";
        let Outcome::Write(out) = plan_runtime(src) else {
            panic!("the key the child reads was not configured")
        };
        assert_eq!(
            out,
            "import Config\n\nif config_env() == :prod do\n  config :other_app, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\n\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\nend\n"
        );
        assert_eq!(plan_runtime(&out), Outcome::Unchanged);
    }
}
