//! Check 13: the Endpoint listens where other Machines reach it.

use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::elixir;
use tree_sitter::Node;

/// A Phoenix Endpoint's `http: [ip: ...]` in a config the prod release runs.
pub(in crate::doctor) struct EndpointIp {
    pub(in crate::doctor) file: String,
    pub(in crate::doctor) line: usize,
    /// As written.
    pub(in crate::doctor) ip: String,
    /// With its spaces removed: `{0,0,0,0}`.
    pub(in crate::doctor) normalized: String,
}

impl Inputs<'_> {
    /// The `ip:` a prod release's Endpoint gets: the last one set, config.exs, then prod.exs, then
    /// the runtime config (which runs last), leaving out branches for other environments.
    pub(in crate::doctor) fn endpoint_ip(&self) -> Option<EndpointIp> {
        let order = |c: &&ExFile| match c.path.as_str() {
            "config/config.exs" => 0,
            "config/prod.exs" => 1,
            _ => 2,
        };
        let mut files: Vec<&ExFile> = self
            .configs
            .iter()
            .filter(|c| {
                c.is_runtime() || matches!(c.path.as_str(), "config/config.exs" | "config/prod.exs")
            })
            .collect();
        files.sort_by_key(order);
        let mut found = None;
        for file in files {
            for call in elixir::descendants_of_kind(file.root(), "call") {
                if elixir::call_name(call, &file.src) != Some("config")
                    || in_other_env(call, &file.src)
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

    pub(in crate::doctor) fn check_endpoint_ip(&self, out: &mut Vec<Finding>) {
        let Some(endpoint) = self.endpoint_ip() else {
            return;
        };
        let problem = match endpoint.normalized.as_str() {
            "{127,0,0,1}" | "{0,0,0,0,0,0,0,1}" => Some(
                "loopback: only the Machine itself reaches it, not Fly Proxy (which connects over the private IPv4 address) and not the other Machines",
            ),
            "{0,0,0,0}" => Some(
                "every IPv4 address but no IPv6 one: Fly Proxy reaches it, but the other Machines reach it over the private network (6PN) only on IPv6",
            ),
            _ => None,
        };
        match problem {
            Some(why) => out.push(
                Finding::warning(FindingId::EndpointIp,
                    format!("the Endpoint's prod `http: [ip: {}]` listens on {why}", endpoint.ip),
                )
                .at(endpoint.file, Some(endpoint.line))
                .fix("`ip: {0, 0, 0, 0, 0, 0, 0, 0}` listens on IPv6 and IPv4, for Fly Proxy and the other Machines"),
            ),
            None => out.push(
                Finding::ok(FindingId::EndpointIp,
                    format!("the Endpoint listens on `{}`", endpoint.ip),
                )
                .at(endpoint.file, Some(endpoint.line)),
            ),
        }
    }
}

/// `node` is inside an `if config_env() == :dev` (or `:test`, ...) branch: a prod release never
/// runs it.
pub(in crate::doctor) fn in_other_env(node: Node<'_>, src: &str) -> bool {
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
