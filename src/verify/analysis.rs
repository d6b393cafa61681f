//! From the Machines fly lists and what each started node said: who sees whom, and for each pair
//! that is not connected the reasons the data proves, each a finding with a one-line fix.

use super::fly::Machine;
use super::probe::NodeReport;
use crate::doctor::Severity;
use std::collections::BTreeMap;
use std::net::Ipv6Addr;

/// What asking one started Machine gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `bin/APP rpc` answered: the running node's own view.
    Node(NodeReport),
    /// rpc could not reach the node (its message is kept); `bin/APP eval`, a fresh VM with the
    /// Machine's environment, showed what the release boots with.
    NotDistributed { boot: NodeReport, rpc_error: String },
    /// Nothing answered: fly's message, or what was printed instead of a result.
    Unreachable { message: String },
}

impl Answer {
    /// What the node said about itself, from rpc or eval.
    pub fn report(&self) -> Option<&NodeReport> {
        match self {
            Answer::Node(r) | Answer::NotDistributed { boot: r, .. } => Some(r),
            Answer::Unreachable { .. } => None,
        }
    }

    /// The running node's own view (rpc only).
    pub fn view(&self) -> Option<&NodeReport> {
        match self {
            Answer::Node(r) => Some(r),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Node(_) => "rpc",
            Answer::NotDistributed { .. } => "eval",
            Answer::Unreachable { .. } => "unreachable",
        }
    }
}

/// A started Machine and its answer.
#[derive(Debug, Clone)]
pub struct Asked {
    pub machine: Machine,
    pub answer: Answer,
}

/// What the report needs besides the Machines.
pub struct Context<'a> {
    pub fly_app: &'a str,
    pub otp_app: &'a str,
    /// The release script on the Machines (`/app/bin/hello_elixir`).
    pub script: &'a str,
}

/// One fact worth acting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable, kebab-case: `cookie-mismatch`.
    pub id: &'static str,
    pub severity: Severity,
    /// The Machine ids it is about.
    pub machines: Vec<String>,
    pub message: String,
    /// One line.
    pub fix: String,
}

/// Two started Machines (indices into the asked list, `a < b`) and whether each node lists the
/// other's; `None` where a node's view is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub a_sees_b: Option<bool>,
    pub b_sees_a: Option<bool>,
    /// Finding ids that explain why the pair is not connected; empty when it is.
    pub reasons: Vec<&'static str>,
}

impl Pair {
    pub fn connected(&self) -> bool {
        self.a_sees_b == Some(true) && self.b_sees_a == Some(true)
    }
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub pairs: Vec<Pair>,
    pub findings: Vec<Finding>,
    /// The cookie group of each asked Machine (`A`, `B`, ...; `None` when unknown): cookies are
    /// compared by hash, and not even the hash is shown.
    pub cookie_groups: Vec<Option<char>>,
    /// Started Machines whose running node gave no view of its own (eval or no answer).
    pub unanswered: usize,
}

impl Verdict {
    /// Every started node answered and sees every other (a lone node must at least answer).
    pub fn complete(&self) -> bool {
        self.unanswered == 0 && self.pairs.iter().all(Pair::connected)
    }
}

/// Does the node of `observer` list the node of `other` (by name, else by its private IP)?
pub fn sees(observer: &Asked, other: &Asked) -> Option<bool> {
    let view = observer.answer.view()?;
    let name = other.answer.report().map(|r| r.node.as_str());
    let ip = other.machine.ip();
    Some(
        view.nodes
            .iter()
            .any(|n| Some(n.as_str()) == name || (ip.is_some() && host_ip(n) == ip)),
    )
}

fn host_ip(node: &str) -> Option<Ipv6Addr> {
    node.rsplit_once('@')?.1.parse().ok()
}

fn in_answer(answer: &[String], ip: Option<Ipv6Addr>) -> bool {
    ip.is_some_and(|ip| {
        answer
            .iter()
            .any(|a| a.parse::<Ipv6Addr>().ok() == Some(ip))
    })
}

/// Node-level facts, in the order pairs list their reasons.
const NODE_REASONS: [&str; 6] = [
    "unreachable",
    "not-distributed",
    "ipv4-distribution",
    "no-clustering-child",
    "query-missing",
    "query-other-app",
];

pub fn analyze(ctx: &Context<'_>, asked: &[Asked], others: &[Machine]) -> Verdict {
    let app = ctx.fly_app;
    let mut findings = Vec::new();
    let mut node_reasons: Vec<Vec<&'static str>> = vec![Vec::new(); asked.len()];
    for (i, a) in asked.iter().enumerate() {
        for f in node_findings(ctx, a) {
            node_reasons[i].push(f.id);
            findings.push(f);
        }
    }

    let cookie_groups = groups(asked, |r| {
        (!r.cookie_hash.is_empty()).then(|| r.cookie_hash.clone())
    });
    let basename_groups = groups(asked, |r| {
        (!r.basename().is_empty()).then(|| r.basename().to_string())
    });

    let mut pairs = Vec::new();
    let mut cookie_split = false;
    let mut basename_split = false;
    // Per observer: the started Machines missing from its DNS answer.
    let mut missing_in_dns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for a in 0..asked.len() {
        for b in a + 1..asked.len() {
            let mut pair = Pair {
                a,
                b,
                a_sees_b: sees(&asked[a], &asked[b]),
                b_sees_a: sees(&asked[b], &asked[a]),
                reasons: Vec::new(),
            };
            if pair.connected() {
                pairs.push(pair);
                continue;
            }
            let mut reasons: Vec<&'static str> = Vec::new();
            for id in NODE_REASONS {
                if node_reasons[a].contains(&id) || node_reasons[b].contains(&id) {
                    reasons.push(id);
                }
            }
            let (ra, rb) = (asked[a].answer.report(), asked[b].answer.report());
            if let (Some(ga), Some(gb)) = (cookie_groups[a], cookie_groups[b])
                && ga != gb
                && same_algorithm(ra, rb)
            {
                reasons.push("cookie-mismatch");
                cookie_split = true;
            }
            if let (Some(ga), Some(gb)) = (basename_groups[a], basename_groups[b])
                && ga != gb
            {
                reasons.push("basename-mismatch");
                basename_split = true;
            }
            for (observer, other) in [(a, b), (b, a)] {
                if let Some(r) = asked[observer].answer.report()
                    && !r.query.is_empty()
                    && !in_answer(&r.aaaa, asked[other].machine.ip())
                {
                    missing_in_dns.entry(observer).or_default().push(other);
                    if !reasons.contains(&"not-in-dns") {
                        reasons.push("not-in-dns");
                    }
                }
            }
            if reasons.is_empty() {
                reasons.push("not-connected-yet");
            }
            pair.reasons = reasons;
            pairs.push(pair);
        }
    }

    if cookie_split {
        findings.push(cookie_finding(app, asked, &cookie_groups));
    }
    if basename_split {
        findings.push(basename_finding(app, asked, &basename_groups));
    }
    for (observer, missing) in &missing_in_dns {
        findings.push(not_in_dns_finding(app, asked, *observer, missing));
    }
    let unexplained: Vec<&Pair> = pairs
        .iter()
        .filter(|p| p.reasons == ["not-connected-yet"])
        .collect();
    if !unexplained.is_empty() {
        let ids = unexplained
            .iter()
            .flat_map(|p| [p.a, p.b])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|i| asked[i].machine.id.clone())
            .collect();
        findings.push(Finding {
            id: "not-connected-yet",
            severity: Severity::Problem,
            machines: ids,
            message: format!(
                "{} share a cookie, a node basename and the DNS answer, and each runs a clustering process, yet they are not connected",
                pair_list(asked, &unexplained)
            ),
            fix: format!(
                "dns_cluster polls every 5 s: run verify again in a few seconds; if they stay apart, `fly logs --app {app}` on those Machines shows why a connection fails"
            ),
        });
    }
    for m in others {
        findings.push(not_started_finding(app, asked, m));
    }
    if asked.len() == 1 {
        findings.push(Finding {
            id: "single-machine",
            severity: Severity::Warning,
            machines: vec![asked[0].machine.id.clone()],
            message: "only one Machine is started: its node has nothing to cluster with".into(),
            fix: format!("`fly scale count 2 --app {app}`, then run verify again"),
        });
    }
    Verdict {
        pairs,
        findings,
        cookie_groups: cookie_groups
            .into_iter()
            .map(|g| g.map(group_letter))
            .collect(),
        unanswered: asked.iter().filter(|a| a.answer.view().is_none()).count(),
    }
}

/// Cookie hashes compare only when both nodes hashed the same way (sha256, or md5 without :crypto).
fn same_algorithm(a: Option<&NodeReport>, b: Option<&NodeReport>) -> bool {
    fn algo(r: Option<&NodeReport>) -> Option<&str> {
        r.and_then(|r| r.cookie_hash.split_once(':'))
            .map(|(a, _)| a)
    }
    algo(a).is_some() && algo(a) == algo(b)
}

/// The group index of each Machine's value (in order of first appearance), `None` when unknown.
fn groups(asked: &[Asked], value: impl Fn(&NodeReport) -> Option<String>) -> Vec<Option<usize>> {
    let mut seen: Vec<String> = Vec::new();
    asked
        .iter()
        .map(|a| {
            let v = a.answer.report().and_then(&value)?;
            Some(match seen.iter().position(|s| *s == v) {
                Some(i) => i,
                None => {
                    seen.push(v);
                    seen.len() - 1
                }
            })
        })
        .collect()
}

fn group_letter(i: usize) -> char {
    char::from(b'A' + (i % 26) as u8)
}

/// The Machine ids of each group, in group order.
fn members(groups: &[Option<usize>]) -> Vec<Vec<usize>> {
    let n = groups.iter().flatten().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); n];
    for (i, g) in groups.iter().enumerate() {
        if let Some(g) = g {
            out[*g].push(i);
        }
    }
    out
}

fn ids(asked: &[Asked], indices: &[usize]) -> String {
    indices
        .iter()
        .map(|&i| asked[i].machine.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn pair_list(asked: &[Asked], pairs: &[&Pair]) -> String {
    pairs
        .iter()
        .map(|p| format!("{} and {}", asked[p.a].machine.id, asked[p.b].machine.id))
        .collect::<Vec<_>>()
        .join("; ")
}

fn node_findings(ctx: &Context<'_>, asked: &Asked) -> Vec<Finding> {
    let (app, otp, id) = (ctx.fly_app, ctx.otp_app, asked.machine.id.as_str());
    let finding = |id_: &'static str, message: String, fix: String| Finding {
        id: id_,
        severity: Severity::Problem,
        machines: vec![id.to_string()],
        message,
        fix,
    };
    let mut out = Vec::new();
    let report = match &asked.answer {
        Answer::Unreachable { message } => {
            out.push(finding(
                "unreachable",
                format!("`{} rpc` could not be run on Machine {id}: {message}", ctx.script),
                format!(
                    "check that `fly ssh console --app {app} --machine {id}` works and that the release is up there (`fly logs --app {app} --machine {id}`)"
                ),
            ));
            return out;
        }
        Answer::NotDistributed { boot, rpc_error } => {
            if ipv6_only(boot) {
                out.push(finding(
                    "not-distributed",
                    format!(
                        "the node on Machine {id} does not answer Erlang distribution (`{} rpc`: {rpc_error}); it boots as `{}`",
                        ctx.script, boot.node
                    ),
                    "check RELEASE_DISTRIBUTION and RELEASE_NODE in rel/env.sh.eex (`flycluster doctor`) and the node's log (`fly logs`)".into(),
                ));
            }
            boot
        }
        Answer::Node(r) => r,
    };
    if !ipv6_only(report) {
        let got = match report.proto_dist.as_slice() {
            [] => "erl got no `-proto_dist inet6_tcp`".to_string(),
            [one] => format!("erl got `-proto_dist {one}`"),
            many => format!(
                "erl got `-proto_dist` {} times ({}) and falls back to IPv4",
                many.len(),
                many.join(", ")
            ),
        };
        let unreached = match &asked.answer {
            Answer::NotDistributed { rpc_error, .. } => {
                format!("; `rpc` cannot reach it either ({rpc_error})")
            }
            _ => String::new(),
        };
        out.push(finding(
            "ipv4-distribution",
            format!(
                "the node on Machine {id} runs Erlang distribution over IPv4 ({got}), and Fly's private network is IPv6-only{unreached}"
            ),
            "give erl `-proto_dist inet6_tcp` once, in ERL_AFLAGS (`flycluster init` sets it in the Dockerfile and rel/env.sh.eex), then `fly deploy`".into(),
        ));
    }
    if matches!(asked.answer, Answer::Node(_)) {
        let ignored = report.clustering.iter().any(|(_, s)| s == "ignored");
        if !report.runs_clustering() && !ignored {
            let states = if report.clustering.is_empty() {
                "no DNSCluster or Cluster.Supervisor process runs".to_string()
            } else {
                let listed: Vec<String> = report
                    .clustering
                    .iter()
                    .map(|(lib, state)| format!("{lib} is {state}"))
                    .collect();
                format!(
                    "its clustering child is not running ({})",
                    listed.join(", ")
                )
            };
            out.push(finding(
                "no-clustering-child",
                format!("on Machine {id} {states}, so the node never looks for the others"),
                format!(
                    "add `{{DNSCluster, query: Application.get_env(:{otp}, :dns_cluster_query) || :ignore}}` to the application's children (`flycluster init` does), then `fly deploy`"
                ),
            ));
        } else if ignored && !report.runs_clustering() || report.query.is_empty() {
            let why = match report.query_from.as_str() {
                "env" => format!(
                    "DNS_CLUSTER_QUERY is set there, but `:{otp}, :dns_cluster_query` does not read it"
                ),
                "ignore" => format!("`:{otp}, :dns_cluster_query` is configured as `:ignore`"),
                _ => "DNS_CLUSTER_QUERY is not set there".to_string(),
            };
            let fix = if report.query_from == "env" {
                format!(
                    "read it in config/runtime.exs: `config :{otp}, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")` (`flycluster init` adds it), then `fly deploy`"
                )
            } else {
                format!(
                    "set `DNS_CLUSTER_QUERY = \"{app}.internal\"` in fly.toml's [env] and read it in config/runtime.exs (`flycluster init` does both), then `fly deploy`"
                )
            };
            let what = if ignored {
                "the DNSCluster child got `query: :ignore`"
            } else {
                "the clustering process has no DNS query (nil)"
            };
            out.push(finding(
                "query-missing",
                format!("on Machine {id} {what} ({why}), so the node never looks for the others"),
                fix,
            ));
        }
    }
    let q = report.query.as_str();
    if !q.is_empty() && q != format!("{app}.internal") && !q.ends_with(&format!(".{app}.internal"))
    {
        out.push(finding(
            "query-other-app",
            format!(
                "the node on Machine {id} looks up `{q}` ({}), which is not a name of app `{app}`: its Machines are `{app}.internal`",
                query_source(&report.query_from)
            ),
            format!(
                "set `DNS_CLUSTER_QUERY = \"{app}.internal\"` in fly.toml's [env] (`flycluster doctor` shows where the query comes from), then `fly deploy`"
            ),
        ));
    }
    out
}

fn query_source(from: &str) -> &'static str {
    match from {
        "dns_cluster" => "DNSCluster's query",
        "libcluster" => "the libcluster topology's query",
        "config" => "the app's `:dns_cluster_query`",
        _ => "DNS_CLUSTER_QUERY",
    }
}

/// Exactly one `-proto_dist`, `inet6_tcp`: what Fly's IPv6 network needs.
fn ipv6_only(report: &NodeReport) -> bool {
    report.proto_dist == ["inet6_tcp"]
}

fn cookie_finding(app: &str, asked: &[Asked], groups: &[Option<usize>]) -> Finding {
    let members = members(groups);
    let listed: Vec<String> = members
        .iter()
        .enumerate()
        .map(|(g, m)| format!("cookie {} on {}", group_letter(g), ids(asked, m)))
        .collect();
    Finding {
        id: "cookie-mismatch",
        severity: Severity::Problem,
        machines: minority(&members)
            .iter()
            .map(|&i| asked[i].machine.id.clone())
            .collect(),
        message: format!(
            "the nodes have {} different cookies ({}; compared by hash), and a node refuses a node with another cookie",
            members.len(),
            listed.join("; ")
        ),
        fix: format!(
            "give the app one cookie: set the one `flycluster cookie --fly` prints (`fly secrets set RELEASE_COOKIE=... --app {app}`), then `fly deploy` so every Machine boots with it"
        ),
    }
}

fn basename_finding(app: &str, asked: &[Asked], groups: &[Option<usize>]) -> Finding {
    let members = members(groups);
    let image_of = |i: usize| {
        let m = &asked[i].machine;
        if m.image_tag.is_empty() {
            m.image.clone()
        } else {
            m.image_tag.clone()
        }
    };
    let mut images: Vec<String> = Vec::new();
    let listed: Vec<String> = members
        .iter()
        .map(|m| {
            let mut tags: Vec<String> = m.iter().map(|&i| image_of(i)).collect();
            tags.dedup();
            images.extend(tags.iter().cloned());
            let basename = asked[m[0]].answer.report().map_or("", NodeReport::basename);
            format!(
                "`{basename}` on {} (image {})",
                ids(asked, m),
                tags.join(", ")
            )
        })
        .collect();
    images.sort();
    images.dedup();
    let (message, fix) = if images.len() > 1 {
        (
            format!(
                "the node names have {} basenames: {}; the Machines run images of different deploys, and a node connects only to `<its own basename>@<address>`",
                members.len(),
                listed.join("; ")
            ),
            format!(
                "let the deploy finish so every Machine runs one image (`fly deploy`; `fly machine update ID --image REF --app {app}` for one left behind), or derive RELEASE_NODE's basename from what every Machine shares"
            ),
        )
    } else {
        (
            format!(
                "the node names have {} basenames: {}; a node connects only to `<its own basename>@<address>`",
                members.len(),
                listed.join("; ")
            ),
            "make RELEASE_NODE's part before `@` the same on every Machine (`flycluster doctor` checks rel/env.sh.eex), then `fly deploy`".to_string(),
        )
    };
    Finding {
        id: "basename-mismatch",
        severity: Severity::Problem,
        machines: minority(&members)
            .iter()
            .map(|&i| asked[i].machine.id.clone())
            .collect(),
        message,
        fix,
    }
}

/// The Machines outside the largest group: the ones that differ.
fn minority(members: &[Vec<usize>]) -> Vec<usize> {
    let largest = members
        .iter()
        .enumerate()
        .max_by_key(|(g, m)| (m.len(), std::cmp::Reverse(*g)))
        .map(|(g, _)| g);
    let mut out: Vec<usize> = members
        .iter()
        .enumerate()
        .filter(|(g, _)| Some(*g) != largest)
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    out.sort();
    out
}

fn not_in_dns_finding(app: &str, asked: &[Asked], observer: usize, missing: &[usize]) -> Finding {
    let report = asked[observer]
        .answer
        .report()
        .expect("only nodes that reported are observers");
    let who = &asked[observer].machine.id;
    let lacking: Vec<String> = missing
        .iter()
        .map(|&i| {
            let m = &asked[i].machine;
            format!("{} ({})", m.id, m.private_ip)
        })
        .collect();
    let message = if report.aaaa.is_empty() {
        format!(
            "the AAAA lookup of `{}` on Machine {who} finds no address, so that node finds no other",
            report.query
        )
    } else {
        format!(
            "the AAAA answer for `{}` on Machine {who} lacks {} (it holds {})",
            report.query,
            lacking.join(", "),
            report.aaaa.join(", ")
        )
    };
    let mut machines = vec![who.clone()];
    machines.extend(missing.iter().map(|&i| asked[i].machine.id.clone()));
    Finding {
        id: "not-in-dns",
        severity: Severity::Problem,
        machines,
        message,
        fix: format!(
            "a started Machine of `{app}` is in `{app}.internal` within seconds: run verify again; if one stays out, `fly machine status ID --app {app}` shows its state"
        ),
    }
}

fn not_started_finding(app: &str, asked: &[Asked], m: &Machine) -> Finding {
    let ip = m.ip();
    let (mut listing, mut not_listing) = (Vec::new(), Vec::new());
    for a in asked {
        if let Some(r) = a.answer.report()
            && !r.query.is_empty()
        {
            if in_answer(&r.aaaa, ip) {
                listing.push(a.machine.id.as_str());
            } else {
                not_listing.push(a.machine.id.as_str());
            }
        }
    }
    let dns = if !listing.is_empty() {
        format!(
            ", yet its address {} is still in the DNS answer on {}",
            m.private_ip,
            listing.join(", ")
        )
    } else if !not_listing.is_empty() {
        format!(
            ", and its address {} is not in the DNS answer on {}",
            m.private_ip,
            not_listing.join(", ")
        )
    } else {
        String::new()
    };
    Finding {
        id: "machine-stopped",
        severity: Severity::Warning,
        machines: vec![m.id.clone()],
        message: format!(
            "Machine {} is {}: it runs no node and is not part of the cluster{dns}",
            m.id,
            if m.state.is_empty() {
                "not started"
            } else {
                &m.state
            }
        ),
        fix: format!(
            "`fly machine start {} --app {app}` if it should be part of the cluster; Fly stops idle Machines when fly.toml sets `auto_stop_machines` (see `flycluster doctor`)",
            m.id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::probe::Via;

    const IPS: [&str; 4] = [
        "fdaa:0:1da8:a7b:ac2:f901:4bf7:2",
        "fdaa:0:1da8:a7b:ac4:eb41:19d3:2",
        "fdaa:0:1da8:a7b:ab2:a8e:6666:2",
        "fdaa:0:1da8:a7b:ac2:cdf6:c422:2",
    ];

    fn machine(i: usize, state: &str) -> Machine {
        Machine {
            id: format!("m{i}"),
            name: format!("name-{i}"),
            state: state.into(),
            region: "sea".into(),
            private_ip: IPS[i].into(),
            image: "registry.fly.io/a:deployment-01HXYZ".into(),
            image_tag: "deployment-01HXYZ".into(),
            process_group: Some("app".into()),
        }
    }

    fn node(i: usize) -> String {
        format!("a-01HXYZ@{}", IPS[i])
    }

    /// A healthy node `i` of `n` that sees every other.
    fn report(i: usize, n: usize) -> NodeReport {
        NodeReport {
            via: Via::Rpc,
            node: node(i),
            nodes: (0..n).filter(|&j| j != i).map(node).collect(),
            cookie_hash: "sha256:aaaaaaaaaaaa".into(),
            query: "a.internal".into(),
            query_from: "dns_cluster".into(),
            aaaa: IPS[..n].iter().map(|s| s.to_string()).collect(),
            clustering: vec![("dns_cluster".into(), "running".into())],
            proto_dist: vec!["inet6_tcp".into()],
            release_version: "0.1.0".into(),
            fly_image_ref: "registry.fly.io/a:deployment-01HXYZ".into(),
            fly_machine_id: format!("m{i}"),
        }
    }

    fn ctx() -> Context<'static> {
        Context {
            fly_app: "a",
            otp_app: "a",
            script: "/app/bin/a",
        }
    }

    fn asked(reports: Vec<Answer>) -> Vec<Asked> {
        reports
            .into_iter()
            .enumerate()
            .map(|(i, answer)| Asked {
                machine: machine(i, "started"),
                answer,
            })
            .collect()
    }

    fn reasons(v: &Verdict) -> Vec<(usize, usize, Vec<&'static str>)> {
        v.pairs
            .iter()
            .filter(|p| !p.connected())
            .map(|p| (p.a, p.b, p.reasons.clone()))
            .collect()
    }

    fn ids(v: &Verdict) -> Vec<&'static str> {
        v.findings.iter().map(|f| f.id).collect()
    }

    /// Node `i` of 3 when the third is cut off from the first two.
    fn cut_off(i: usize) -> NodeReport {
        let mut r = report(i, 3);
        r.nodes
            .retain(|n| if i == 2 { false } else { n != &node(2) });
        r
    }

    #[test]
    fn a_complete_cluster_has_no_findings() {
        let a = asked((0..3).map(|i| Answer::Node(report(i, 3))).collect());
        let v = analyze(&ctx(), &a, &[]);
        assert!(v.complete());
        assert_eq!(v.pairs.len(), 3);
        assert_eq!(v.findings, vec![]);
    }

    #[test]
    fn another_cookie_is_the_reason_and_the_odd_one_out_is_named() {
        let mut odd = cut_off(2);
        odd.cookie_hash = "sha256:bbbbbbbbbbbb".into();
        let a = asked(vec![
            Answer::Node(cut_off(0)),
            Answer::Node(cut_off(1)),
            Answer::Node(odd),
        ]);
        let v = analyze(&ctx(), &a, &[]);
        assert!(!v.complete());
        assert_eq!(
            reasons(&v),
            vec![
                (0, 2, vec!["cookie-mismatch"]),
                (1, 2, vec!["cookie-mismatch"])
            ]
        );
        assert_eq!(v.findings.len(), 1);
        assert_eq!(v.findings[0].machines, vec!["m2"]);
        assert_eq!(
            v.findings[0].message,
            "the nodes have 2 different cookies (cookie A on m0, m1; cookie B on m2; compared by hash), and a node refuses a node with another cookie"
        );
        assert_eq!(v.cookie_groups, vec![Some('A'), Some('A'), Some('B')]);
    }

    #[test]
    fn names_from_two_deploys_are_the_reason_with_both_images() {
        let mut newer = cut_off(2);
        newer.node = format!("a-02ABCD@{}", IPS[2]);
        let mut a = asked(vec![
            Answer::Node(cut_off(0)),
            Answer::Node(cut_off(1)),
            Answer::Node(newer),
        ]);
        a[2].machine.image_tag = "deployment-02ABCD".into();
        let v = analyze(&ctx(), &a, &[]);
        assert_eq!(
            reasons(&v),
            vec![
                (0, 2, vec!["basename-mismatch"]),
                (1, 2, vec!["basename-mismatch"])
            ]
        );
        assert_eq!(
            v.findings[0].message,
            "the node names have 2 basenames: `a-01HXYZ` on m0, m1 (image deployment-01HXYZ); `a-02ABCD` on m2 (image deployment-02ABCD); the Machines run images of different deploys, and a node connects only to `<its own basename>@<address>`"
        );
    }

    #[test]
    fn a_node_without_the_ipv6_flag_is_named_from_its_boot_report() {
        let mut boot = report(2, 3);
        boot.via = Via::Eval;
        boot.nodes.clear();
        boot.clustering.clear();
        boot.proto_dist.clear();
        let a = asked(vec![
            Answer::Node(cut_off(0)),
            Answer::Node(cut_off(1)),
            Answer::NotDistributed {
                boot,
                rpc_error: "--rpc-eval : RPC failed with reason :nodedown".into(),
            },
        ]);
        let v = analyze(&ctx(), &a, &[]);
        assert_eq!(
            reasons(&v),
            vec![
                (0, 2, vec!["ipv4-distribution"]),
                (1, 2, vec!["ipv4-distribution"])
            ]
        );
        assert_eq!(ids(&v), vec!["ipv4-distribution"]);
        assert_eq!(
            v.findings[0].message,
            "the node on Machine m2 runs Erlang distribution over IPv4 (erl got no `-proto_dist inet6_tcp`), and Fly's private network is IPv6-only; `rpc` cannot reach it either (--rpc-eval : RPC failed with reason :nodedown)"
        );
        assert_eq!(v.pairs[2].b_sees_a, None, "m2 has no view of its own");
    }

    #[test]
    fn a_stopped_machine_is_listed_with_what_dns_says_about_it() {
        let a = asked((0..2).map(|i| Answer::Node(report(i, 2))).collect());
        let v = analyze(&ctx(), &a, &[machine(3, "stopped")]);
        assert!(v.complete());
        assert_eq!(ids(&v), vec!["machine-stopped"]);
        assert_eq!(
            v.findings[0].message,
            "Machine m3 is stopped: it runs no node and is not part of the cluster, and its address fdaa:0:1da8:a7b:ac2:cdf6:c422:2 is not in the DNS answer on m0, m1"
        );
        assert_eq!(v.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn a_machine_missing_from_dns_and_a_query_of_another_app() {
        let mut other = cut_off(2);
        other.query = "b.internal".into();
        other.aaaa = vec!["fdaa:0:ffff::2".into()];
        let mut first = cut_off(0);
        first.aaaa.pop();
        let a = asked(vec![
            Answer::Node(first),
            Answer::Node(cut_off(1)),
            Answer::Node(other),
        ]);
        let v = analyze(&ctx(), &a, &[]);
        assert_eq!(
            reasons(&v),
            vec![
                (0, 2, vec!["query-other-app", "not-in-dns"]),
                (1, 2, vec!["query-other-app", "not-in-dns"])
            ]
        );
        assert_eq!(ids(&v), vec!["query-other-app", "not-in-dns", "not-in-dns"]);
        assert_eq!(
            v.findings[1].message,
            "the AAAA answer for `a.internal` on Machine m0 lacks m2 (fdaa:0:1da8:a7b:ab2:a8e:6666:2) (it holds fdaa:0:1da8:a7b:ac2:f901:4bf7:2, fdaa:0:1da8:a7b:ac4:eb41:19d3:2)"
        );
    }

    #[test]
    fn no_clustering_child_and_an_ignored_query() {
        let mut none = cut_off(2);
        none.clustering.clear();
        let mut ignored = cut_off(2);
        ignored.clustering = vec![("dns_cluster".into(), "ignored".into())];
        ignored.query = String::new();
        ignored.query_from = "none".into();
        ignored.aaaa.clear();
        for (r, id, message) in [
            (
                none,
                "no-clustering-child",
                "on Machine m2 no DNSCluster or Cluster.Supervisor process runs, so the node never looks for the others",
            ),
            (
                ignored,
                "query-missing",
                "on Machine m2 the DNSCluster child got `query: :ignore` (DNS_CLUSTER_QUERY is not set there), so the node never looks for the others",
            ),
        ] {
            let a = asked(vec![
                Answer::Node(cut_off(0)),
                Answer::Node(cut_off(1)),
                Answer::Node(r),
            ]);
            let v = analyze(&ctx(), &a, &[]);
            assert_eq!(reasons(&v), vec![(0, 2, vec![id]), (1, 2, vec![id])]);
            assert_eq!(ids(&v), vec![id]);
            assert_eq!(v.findings[0].message, message);
        }
    }

    #[test]
    fn an_unreachable_machine_is_seen_from_the_other_side_by_its_address() {
        let a = asked(vec![
            Answer::Node(report(0, 2)),
            Answer::Unreachable {
                message: "Error: ssh: handshake failed".into(),
            },
        ]);
        let v = analyze(&ctx(), &a, &[]);
        assert_eq!(
            v.pairs[0].a_sees_b,
            Some(true),
            "m1's address is in m0's Node.list"
        );
        assert_eq!(v.pairs[0].b_sees_a, None);
        assert_eq!(reasons(&v), vec![(0, 1, vec!["unreachable"])]);
        assert_eq!(
            v.findings[0].message,
            "`/app/bin/a rpc` could not be run on Machine m1: Error: ssh: handshake failed"
        );
    }

    #[test]
    fn a_lone_machine_that_does_not_answer_is_not_a_complete_cluster() {
        let a = asked(vec![Answer::Unreachable {
            message: "Error: ssh: handshake failed".into(),
        }]);
        let v = analyze(&ctx(), &a, &[]);
        assert!(!v.complete());
        assert_eq!(ids(&v), vec!["unreachable", "single-machine"]);
        let a = asked(vec![Answer::Node(report(0, 1))]);
        assert!(analyze(&ctx(), &a, &[]).complete());
    }

    #[test]
    fn a_pair_apart_for_no_visible_reason_is_said_to_be_not_connected_yet() {
        let a = asked(vec![
            Answer::Node(cut_off(0)),
            Answer::Node(cut_off(1)),
            Answer::Node(cut_off(2)),
        ]);
        let v = analyze(&ctx(), &a, &[]);
        assert_eq!(
            reasons(&v),
            vec![
                (0, 2, vec!["not-connected-yet"]),
                (1, 2, vec!["not-connected-yet"])
            ]
        );
        assert_eq!(ids(&v), vec!["not-connected-yet"]);
        assert_eq!(v.findings[0].machines, vec!["m0", "m1", "m2"]);
    }
}
