//! Editor for the application module (kind `application`): adds the DNSCluster child to the
//! supervision tree, after the PubSub child and before the Endpoint, unless a clustering child is
//! already started. Shapes it cannot edit safely become a manual step, never a guess.
//!
//! It also holds the one reading of what the application starts ([`started`]): the editors decide
//! "already configured" from it, and doctor's clustering check judges the child, the key it reads
//! and the dependency it needs from the same answer.

use super::{EditCtx, Edited, Outcome, Strategy, Supervision};
use crate::elixir::{self, ListPosition};
use crate::error::Result;
use crate::facts::FindingId;
use crate::plan::{ManualStep, Warning};
use std::path::Path;
use tree_sitter::Node;

/// The child as `mix format` would lay it out at `indent`, with `trailing` after it.
pub fn child_lines(ctx: &EditCtx, indent: usize, trailing: &str) -> Vec<String> {
    let (template, layouts) = match ctx.strategy {
        Strategy::DnsCluster => ("application_child.ex.j2", 5),
        Strategy::Libcluster => ("cluster_supervisor_child.ex.j2", 4),
    };
    elixir::fitted_layout(
        template,
        layouts,
        minijinja::context! {
            otp_app => &ctx.otp_app,
            namespace => &ctx.namespace,
            pad => " ".repeat(indent),
            trailing
        },
        ctx.line_length,
        "}".len() + trailing.len(),
    )
}

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let Some(src) = before else {
        return Ok(Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            "the children list of `start/2`",
            "the application module's file was not found",
        ))));
    };
    let tree = elixir::parse_file(path, src)?;
    let root = tree.root_node();
    let found = started(root, src);
    // The child of the library to set up. Only `--strategy` makes it another one than the child
    // already started (without it, the started child decides: `init::resolve_strategy`); then
    // it is added beside that one.
    let (wanted, other) = match ctx.strategy {
        Strategy::DnsCluster => (found.dns_cluster, found.cluster_supervisor),
        Strategy::Libcluster => (found.cluster_supervisor, found.dns_cluster),
    };
    let beside = match (wanted, other) {
        (None, Some(other)) => Some(other.start_position().row + 1),
        _ => None,
    };
    if wanted.is_some() {
        let mut edited = Edited::new(Outcome::Unchanged);
        if let Some((line, message)) = found.both_started() {
            edited = edited.warn(
                Warning::new(
                    FindingId::ClusteringBothStarted,
                    format!("{message}; {BOTH_STARTED_FIX}"),
                )
                .at(path, Some(line)),
            );
        }
        return Ok(edited);
    }
    let Some(start) = start_function(root, src) else {
        return Ok(Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            "the children list of `start/2`",
            "no `def start/2` was found in the application module",
        ))));
    };
    let finder = ListFinder {
        module: root,
        start,
        src,
    };
    let lists = finder.children_lists();
    let (list, position) = match choose_insertion(&lists, &finder) {
        Ok(chosen) => chosen,
        Err(refusal) => {
            return Ok(Edited::new(Outcome::Manual(manual(
                ctx,
                path,
                &refusal.location(&lists, src),
                &refusal.describe(),
            ))));
        }
    };
    let layout = |indent: usize, trailing: &str| child_lines(ctx, indent, trailing);
    let edited = match elixir::insert_in_list(src, list, position, &layout, ctx.line_length) {
        Ok(after) => Edited::from_text(Some(src), after),
        Err(refusal) => Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            &format!(
                "the children list on line {}",
                list.start_position().row + 1
            ),
            &refusal.describe("children list"),
        ))),
    };
    Ok(match beside {
        // Both started from now on: said now, and by doctor and the next run at the child's line.
        Some(line) => edited.warn(
            Warning::new(
                FindingId::ClusteringBothStarted,
                match ctx.strategy {
                    Strategy::DnsCluster => format!(
                        "DNSCluster is added beside the Cluster.Supervisor the application starts on line {line}, as `--strategy dns_cluster` asks; {BOTH_STARTED_FIX}"
                    ),
                    Strategy::Libcluster => format!(
                        "Cluster.Supervisor is added beside the DNSCluster child the application starts on line {line}, as `--strategy libcluster` asks; keep one: remove the DNSCluster child (and the dns_cluster dependency) once libcluster forms the cluster"
                    ),
                },
            )
            .at(path, None),
        ),
        None => edited,
    })
}

/// A manual step naming where the child goes (`the children list of `start/2``) and why.
fn manual(ctx: &EditCtx, path: &Path, list: &str, reason: &str) -> ManualStep {
    ManualStep {
        id: ctx.strategy.child_finding(),
        path: path.to_path_buf(),
        location: format!("in {list}, after the PubSub child and before the Endpoint"),
        snippet: child_lines(ctx, 0, ",").join("\n"),
        reason: reason.into(),
    }
}

/// `name/arity` of the function a node sits in (`children/1`).
fn enclosing_function(node: Node<'_>, src: &str) -> Option<String> {
    let mut at = node.parent();
    while let Some(n) = at {
        if matches!(elixir::call_name(n, src), Some("def" | "defp"))
            && let Some(name) = elixir::def_name(n, src)
        {
            let head = elixir::call_args(n).and_then(|a| elixir::items(a).into_iter().next());
            let arity = head
                .filter(|h| h.kind() == "call")
                .and_then(elixir::call_args)
                .map_or(0, |a| elixir::items(a).len());
            return Some(format!("{name}/{arity}"));
        }
        at = n.parent();
    }
    None
}

fn start_function<'t>(root: Node<'t>, src: &str) -> Option<Node<'t>> {
    elixir::find_defs(root, src, "start").into_iter().next()
}

/// The clustering children the application starts: elements of a children list that `start/2`
/// hands to `Supervisor.start_link` (followed as `ListFinder::children_lists` follows them, and
/// through variables and `if`/`case` inside the list). A `DNSCluster` named anywhere else (an
/// unused variable, a comment, another function) starts nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Started<'t> {
    /// The DNSCluster child spec: `{DNSCluster, ...}` or `DNSCluster`.
    pub dns_cluster: Option<Node<'t>>,
    /// libcluster's `{Cluster.Supervisor, ...}` child spec.
    pub cluster_supervisor: Option<Node<'t>>,
}

impl Started<'_> {
    /// When both libraries are started: the DNSCluster child's line and what that means.
    pub fn both_started(&self) -> Option<(usize, String)> {
        let (dns, libcluster) = (self.dns_cluster?, self.cluster_supervisor?);
        let line = |n: Node<'_>| n.start_position().row + 1;
        Some((line(dns), both_started_message(line(dns), line(libcluster))))
    }
}

/// Which of two started clustering libraries forms the cluster on Fly. Both poll DNS; DNSCluster
/// connects to `<this node's basename>@IP` for every address its query returns, libcluster's
/// DNSPoll to `<node_basename>@IP`: on the same query with the same basename they connect the
/// same nodes, so libcluster adds nothing; with another basename, or another strategy, it finds
/// nothing on Fly's network. Off Fly the query is unset and DNSCluster does nothing.
pub fn both_started_message(dns_line: usize, libcluster_line: usize) -> String {
    format!(
        "the application starts both DNSCluster (line {dns_line}) and libcluster's Cluster.Supervisor (line {libcluster_line}). On Fly, DNSCluster forms the cluster once its query is set (DNS_CLUSTER_QUERY): it connects to every address the query returns, under this node's own name; a libcluster DNSPoll topology on the same query connects those same nodes again only when its `node_basename` is that name, and libcluster's other strategies find no nodes on Fly"
    )
}

/// What to do about [`both_started_message`], for init's warning and doctor's fix.
pub const BOTH_STARTED_FIX: &str = "keep one: remove the Cluster.Supervisor child (and the libcluster dependency) unless its topologies serve another platform";

/// [`started`] over the application module's tree, as the editors of other files and doctor need
/// it (parsed leniently by the model: the application editor reports a syntax error itself).
pub fn supervision(root: Node<'_>, src: &str) -> Supervision {
    let found = started(root, src);
    Supervision {
        dns_cluster: found.dns_cluster.is_some(),
        cluster_supervisor: found.cluster_supervisor.is_some(),
        query_key: found
            .dns_cluster
            .and_then(|child| match dns_cluster_query(child, src) {
                QuerySource::AppEnv { app, key } => Some((app, key)),
                _ => None,
            }),
        topologies_key: found
            .cluster_supervisor
            .and_then(|child| cluster_supervisor_topologies(child, root, src)),
        topologies_in_code: found
            .cluster_supervisor
            .and_then(|child| cluster_supervisor_topologies_in_code(child, root, src)),
    }
}

/// What a Cluster.Supervisor child spec is given as its topologies (`{Cluster.Supervisor,
/// [topologies, opts]}`, also in the `supervisor(Cluster.Supervisor, [...])` spelling): the
/// expression, then what the variable it names is bound to.
fn topologies_given<'t>(child: Node<'t>, root: Node<'t>, src: &str) -> Vec<Node<'t>> {
    let args = match child.kind() {
        "tuple" => elixir::items(child).into_iter().nth(1),
        "call" => elixir::call_args(child).and_then(|a| elixir::items(a).into_iter().nth(1)),
        _ => None,
    };
    let Some(args) = args else {
        return Vec::new();
    };
    let topologies = match args.kind() {
        "list" => elixir::first_item(args),
        _ => Some(args),
    };
    topologies
        .map(|t| {
            std::iter::once(t)
                .chain(elixir::bound_values(t, root, src))
                .collect()
        })
        .unwrap_or_default()
}

/// The application environment key the Cluster.Supervisor child spec `child` (from [`started`])
/// reads its topologies from: `{Cluster.Supervisor, [Application.get_env(:app, :key) || [], opts]}`,
/// directly or through a variable (`topologies = Application.get_env(...)`). `None` when they
/// come from elsewhere.
pub fn cluster_supervisor_topologies(
    child: Node<'_>,
    root: Node<'_>,
    src: &str,
) -> Option<(String, String)> {
    topologies_given(child, root, src)
        .into_iter()
        .find_map(|node| app_env_key(node, src))
}

/// The topologies a Cluster.Supervisor child spec is given as a keyword list written in the
/// code (`topologies = [example: [...]]`), not read from the application environment: the
/// list's line, and whether it holds a DNSPoll one.
pub fn cluster_supervisor_topologies_in_code(
    child: Node<'_>,
    root: Node<'_>,
    src: &str,
) -> Option<(usize, bool)> {
    topologies_given(child, root, src)
        .into_iter()
        .find(|node| node.kind() == "list" && app_env_key(*node, src).is_none())
        .map(|list| {
            let dnspoll = elixir::text(list, src).contains("Cluster.Strategy.DNSPoll");
            (list.start_position().row + 1, dnspoll)
        })
}

/// `(app, key)` of the first `Application.get_env(:app, :key)` (or `fetch_env`) in `node`.
fn app_env_key(node: Node<'_>, src: &str) -> Option<(String, String)> {
    elixir::descendants_of_kind(node, "call")
        .into_iter()
        .filter(|call| {
            matches!(
                elixir::call_name(*call, src),
                Some("Application.get_env" | "Application.fetch_env!" | "Application.fetch_env")
            )
        })
        .find_map(|call| {
            let args: Vec<Node<'_>> = elixir::call_args(call)
                .map(elixir::items)
                .unwrap_or_default();
            let app = args.first().and_then(|n| elixir::atom_name(*n, src))?;
            let key = args.get(1).and_then(|n| elixir::atom_name(*n, src))?;
            Some((app.to_string(), key.to_string()))
        })
}

/// What the application starts; see [`Started`].
pub fn started<'t>(root: Node<'t>, src: &str) -> Started<'t> {
    let mut found = Started::default();
    // Most files name neither: skip the walk.
    if !src.contains("DNSCluster") && !src.contains("Cluster.Supervisor") {
        return found;
    }
    let Some(start) = start_function(root, src) else {
        return found;
    };
    let finder = ListFinder {
        module: root,
        start,
        src,
    };
    for list in finder.children_lists() {
        for element in elixir::items(list) {
            for spec in finder.child_specs(element, 0) {
                let slot = match child_module(spec, src) {
                    Some("DNSCluster") => &mut found.dns_cluster,
                    Some("Cluster.Supervisor") => &mut found.cluster_supervisor,
                    _ => continue,
                };
                slot.get_or_insert(spec);
            }
        }
    }
    found
}

/// Where a DNSCluster child's `query:` comes from.
#[derive(Debug, Clone)]
pub enum QuerySource<'t> {
    /// `Application.get_env(:app, :key)` (or `fetch_env`), as in `... || :ignore`.
    AppEnv { app: String, key: String },
    /// Any other expression given as `query:`.
    Expression(Node<'t>),
    /// No `query:` to read (`DNSCluster` alone, or options without it).
    Missing,
}

/// What the DNSCluster child spec `child` (from [`started`]) reads its query from.
pub fn dns_cluster_query<'t>(child: Node<'t>, src: &str) -> QuerySource<'t> {
    let opts = (child.kind() == "tuple")
        .then(|| elixir::items(child).into_iter().nth(1))
        .flatten();
    let Some(query) = opts.and_then(|o| elixir::keyword_value(o, src, "query")) else {
        return QuerySource::Missing;
    };
    match app_env_key(query, src) {
        Some((app, key)) => QuerySource::AppEnv { app, key },
        None => QuerySource::Expression(query),
    }
}

/// Follows the children of the supervisor `start/2` starts, in the module `module`.
struct ListFinder<'t, 's> {
    module: Node<'t>,
    start: Node<'t>,
    src: &'s str,
}

impl<'t> ListFinder<'t, '_> {
    /// Depth bounds the walk through variables and helper functions (which may recurse).
    const MAX_DEPTH: usize = 6;

    /// The list literals whose elements become the supervisor's children. Starts from the first
    /// argument of `Supervisor.start_link` and follows what real projects do: `++`, re-binding,
    /// `|>` into `Enum.filter`/`List.flatten`, `if`/`case` branches, and private functions such as
    /// `children()` or `children(env)`.
    fn children_lists(&self) -> Vec<Node<'t>> {
        let mut lists = Vec::new();
        for root in self.supervisor_arguments() {
            self.expand(root, 0, &mut lists);
        }
        lists.sort_by_key(|n| n.start_byte());
        lists.dedup_by_key(|n| n.start_byte());
        lists
    }

    /// The first argument of each `Supervisor.start_link`/`Supervisor.init` in `start/2`.
    fn supervisor_arguments(&self) -> Vec<Node<'t>> {
        elixir::descendants_of_kind_outside_lists(self.start, "call")
            .into_iter()
            .filter(|call| {
                matches!(
                    elixir::call_name(*call, self.src),
                    Some("Supervisor.start_link" | "Supervisor.init")
                )
            })
            .filter_map(|call| {
                elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next())
            })
            .collect()
    }

    /// How `start/2` builds the supervisor's children, for a reason that names it: each
    /// argument, with what a variable is bound to (`children = Application.fetch_env!(...)`).
    fn describe_arguments(&self) -> Vec<String> {
        let src = self.src;
        let flat = |n: Node<'_>| {
            elixir::text(n, src)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        self.supervisor_arguments()
            .into_iter()
            .flat_map(|arg| match arg.kind() {
                "identifier" if !self.bound_values(arg).is_empty() => self
                    .bound_values(arg)
                    .into_iter()
                    .map(|v| format!("{} = {}", flat(arg), flat(v)))
                    .collect(),
                _ => vec![flat(arg)],
            })
            .collect()
    }

    fn expand(&self, node: Node<'t>, depth: usize, out: &mut Vec<Node<'t>>) {
        if depth > Self::MAX_DEPTH {
            return;
        }
        let src = self.src;
        let next = depth + 1;
        match node.kind() {
            "list" => out.push(node),
            "binary_operator" => {
                let op = node
                    .child_by_field_name("operator")
                    .map(|o| elixir::text(o, src));
                let (left, right) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                );
                match op {
                    Some("++") => {
                        for side in [left, right].into_iter().flatten() {
                            self.expand(side, next, out);
                        }
                    }
                    Some("|>") => {
                        if let Some(l) = left {
                            self.expand(l, next, out);
                        }
                    }
                    _ => {}
                }
            }
            "identifier" => {
                for value in self.bound_values(node) {
                    self.expand(value, next, out);
                }
            }
            "call" => self.expand_call(node, next, out),
            _ => {}
        }
    }

    /// Every value the variable `identifier` is bound to before it is used, in the function it
    /// is used in (`children = children ++ [...]` in start/2, `cluster = ...` in `defp children`).
    fn bound_values(&self, identifier: Node<'t>) -> Vec<Node<'t>> {
        let src = self.src;
        let name = elixir::text(identifier, src);
        let mut function = identifier.parent();
        while let Some(node) = function
            && !matches!(elixir::call_name(node, src), Some("def" | "defp"))
        {
            function = node.parent();
        }
        elixir::descendants_of_kind_outside_lists(function.unwrap_or(self.start), "binary_operator")
            .into_iter()
            .filter(|bind| {
                bind.child_by_field_name("operator")
                    .is_some_and(|o| elixir::text(o, src) == "=")
                    && bind
                        .child_by_field_name("left")
                        .is_some_and(|l| l.kind() == "identifier" && elixir::text(l, src) == name)
                    && bind.start_byte() < identifier.start_byte()
            })
            .filter_map(|bind| bind.child_by_field_name("right"))
            .collect()
    }

    /// The child specs one element of a children list stands for: itself, what a variable holds,
    /// or what each branch of an `if`/`case` in the list gives.
    fn child_specs(&self, element: Node<'t>, depth: usize) -> Vec<Node<'t>> {
        if depth > Self::MAX_DEPTH {
            return Vec::new();
        }
        let branches = match element.kind() {
            "identifier" => self.bound_values(element),
            "call"
                if matches!(
                    elixir::call_name(element, self.src),
                    Some("if" | "unless" | "case" | "cond")
                ) =>
            {
                branch_results(element, self.src)
            }
            _ => return vec![element],
        };
        branches
            .into_iter()
            .flat_map(|b| self.child_specs(b, depth + 1))
            .collect()
    }

    fn expand_call(&self, call: Node<'t>, next: usize, out: &mut Vec<Node<'t>>) {
        let src = self.src;
        let Some(name) = elixir::call_name(call, src) else {
            return;
        };
        match name {
            "List.flatten" | "Enum.filter" | "Enum.reject" | "Enum.uniq" => {
                if let Some(first) =
                    elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next())
                {
                    self.expand(first, next, out);
                }
            }
            "if" | "unless" | "case" | "cond" => {
                for result in branch_results(call, src) {
                    self.expand(result, next, out);
                }
            }
            local if !local.contains('.') => {
                for def in elixir::find_defs(self.module, src, local) {
                    if let Some(result) = elixir::def_result(def, src) {
                        self.expand(result, next, out);
                    }
                    if let Some(block) = elixir::do_block(def) {
                        for result in branch_results_of_block(block) {
                            self.expand(result, next, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// What each branch of an `if`/`case`/`cond` evaluates to, in the do-block form or the keyword
/// form (`if(dev?, do: A.Dev, else: nil)`).
fn branch_results<'t>(call: Node<'t>, src: &str) -> Vec<Node<'t>> {
    let Some(block) = elixir::do_block(call) else {
        let keywords = elixir::call_args(call).and_then(|a| {
            elixir::items(a)
                .into_iter()
                .find(|n| n.kind() == "keywords")
        });
        return keywords.map_or_else(Vec::new, |kw| {
            ["do", "else"]
                .into_iter()
                .filter_map(|key| elixir::keyword_value(kw, src, key))
                .collect()
        });
    };
    let mut out = branch_results_of_block(block);
    if out.is_empty() {
        out.extend(elixir::last_expression(block));
    }
    let mut cursor = block.walk();
    for else_block in block
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "else_block")
    {
        out.extend(elixir::last_expression(else_block));
    }
    out
}

/// The last expression of each `pattern -> body` clause directly in a block.
fn branch_results_of_block(block: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = block.walk();
    block
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "stab_clause")
        .filter_map(|c| c.child_by_field_name("right"))
        .filter_map(elixir::last_expression)
        .collect()
}

/// The module a child is about: `X` in `X`, `{X, opts}`, `supervisor(X, [])`, `worker(X, [])`.
fn child_module<'s>(child: Node<'_>, src: &'s str) -> Option<&'s str> {
    let head = match child.kind() {
        "alias" | "identifier" => return Some(elixir::text(child, src)),
        "tuple" => elixir::first_item(child)?,
        "call" => elixir::call_args(child).and_then(elixir::first_item)?,
        _ => return None,
    };
    matches!(head.kind(), "alias" | "identifier").then(|| elixir::text(head, src))
}

/// `Phoenix.PubSub`, `Phoenix.PubSub.PG2`, the project's own `MyApp.PubSub`, or a variable such as
/// `pubsub` holding the child spec.
fn is_pubsub(module: &str) -> bool {
    module.starts_with("Phoenix.PubSub")
        || module.rsplit('.').next() == Some("PubSub")
        || (!module.contains('.') && module.to_ascii_lowercase().contains("pubsub"))
}

fn is_endpoint(module: &str) -> bool {
    module.rsplit('.').next() == Some("Endpoint")
}

/// Why no children list was chosen, with what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NoInsertion {
    /// `start/2` gives `Supervisor.start_link` these expressions, and none leads to a list.
    NoList(Vec<String>),
    /// The child it anchors to (`PubSub`, `an Endpoint`) is in several lists (their 1-based lines).
    Ambiguous(&'static str, Vec<usize>),
    /// Several lists (their lines), none with a PubSub or an Endpoint.
    NoAnchor(Vec<usize>),
}

impl NoInsertion {
    fn describe(&self) -> String {
        let lines = |lines: &[usize]| {
            lines
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            NoInsertion::NoList(args) if args.is_empty() => {
                "`start/2` calls no `Supervisor.start_link`, so flycluster cannot tell which children list starts".into()
            }
            NoInsertion::NoList(args) => format!(
                "`start/2` starts the supervisor with {}, which leads to no list literal flycluster can edit",
                args.iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            NoInsertion::Ambiguous(what, at) => format!(
                "{what} is in {} children lists (lines {}), and which one clusters is the project's choice",
                at.len(),
                lines(at)
            ),
            NoInsertion::NoAnchor(at) => format!(
                "there are {} children lists (lines {}) and none starts PubSub or an Endpoint, so which one clusters is the project's choice",
                at.len(),
                lines(at)
            ),
        }
    }

    /// Where the manual step sends the user: the functions holding the lists.
    fn location(&self, lists: &[Node<'_>], src: &str) -> String {
        let mut functions: Vec<String> = lists
            .iter()
            .filter_map(|l| enclosing_function(*l, src))
            .map(|f| format!("`{f}`"))
            .collect();
        functions.dedup();
        match self {
            NoInsertion::NoList(_) => "the children list of `start/2`".into(),
            _ => format!(
                "each children list of {} that should cluster",
                functions.join(", ")
            ),
        }
    }
}

/// Before the Endpoint when it starts before the PubSub (the node joins the cluster before it
/// serves); else after the PubSub child; else before the Endpoint; else at the end of the only list.
fn choose_insertion<'t>(
    lists: &[Node<'t>],
    finder: &ListFinder<'t, '_>,
) -> std::result::Result<(Node<'t>, ListPosition), NoInsertion> {
    let src = finder.src;
    let line = |n: &Node<'_>| n.start_position().row + 1;
    // Found in more than one list (say, one per `case` branch): which one is meant is a guess.
    let find = |what: &'static str, pred: fn(&str) -> bool| {
        let found: Vec<_> = lists
            .iter()
            .filter_map(|list| {
                elixir::items(*list)
                    .into_iter()
                    .position(|c| child_module(c, src).is_some_and(pred))
                    .map(|i| (*list, i))
            })
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(NoInsertion::Ambiguous(
                what,
                found.iter().map(|(list, _)| line(list)).collect(),
            )),
        }
    };
    let before = |i: usize| {
        if i == 0 {
            ListPosition::Start
        } else {
            ListPosition::After(i - 1)
        }
    };
    let pubsub = find("PubSub", is_pubsub)?;
    let endpoint = find("an Endpoint", is_endpoint);
    match (pubsub, endpoint) {
        (Some((p_list, p)), Ok(Some((e_list, e)))) if p_list == e_list && e < p => {
            return Ok((e_list, before(e)));
        }
        (Some((list, i)), _) => return Ok((list, ListPosition::After(i))),
        (None, endpoint) => {
            if let Some((list, i)) = endpoint? {
                return Ok((list, before(i)));
            }
        }
    }
    match lists {
        [only] => {
            let n = elixir::items(*only).len();
            Ok((
                *only,
                if n == 0 {
                    ListPosition::Start
                } else {
                    ListPosition::After(n - 1)
                },
            ))
        }
        [] => Err(NoInsertion::NoList(finder.describe_arguments())),
        _ => Err(NoInsertion::NoAnchor(lists.iter().map(line).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supervision_of(src: &str) -> Supervision {
        supervision(elixir::parse(src).root_node(), src)
    }
    use crate::edit::test_ctx;
    use crate::elixir;

    fn run(src: &str) -> Edited {
        plan(
            &test_ctx(),
            Path::new("lib/hello_elixir/application.ex"),
            Some(src),
        )
        .unwrap()
    }

    fn written(src: &str) -> String {
        match run(src).outcome {
            Outcome::Write(s) => {
                // Apply twice: the second run must change nothing.
                assert_eq!(run(&s).outcome, Outcome::Unchanged, "not idempotent:\n{s}");
                s
            }
            other => panic!("expected a write, got {other:?}"),
        }
    }

    /// The manual step's location and reason.
    fn manual_step(src: &str) -> (String, String) {
        match run(src).outcome {
            Outcome::Manual(step) => (step.location, step.reason),
            other => panic!("expected a manual step, got {other:?}"),
        }
    }

    const PHX17: &str = "defmodule HelloElixir.Application do
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      HelloElixirWeb.Telemetry,
      HelloElixir.Repo,
      {Phoenix.PubSub, name: HelloElixir.PubSub},
      # Start the Endpoint (http/https)
      HelloElixirWeb.Endpoint
      # Start a worker by calling: HelloElixir.Worker.start_link(arg)
      # {HelloElixir.Worker, arg}
    ]

    opts = [strategy: :one_for_one, name: HelloElixir.Supervisor]
    Supervisor.start_link(children, opts)
  end
end
";

    #[test]
    fn adds_the_child_after_pubsub() {
        let out = written(PHX17);
        assert_eq!(
            out,
            PHX17.replace(
                "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n",
                "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},\n"
            )
        );
    }

    #[test]
    fn without_pubsub_goes_before_the_endpoint_and_its_comment() {
        let src = PHX17.replace("      {Phoenix.PubSub, name: HelloElixir.PubSub},\n", "");
        let out = written(&src);
        assert!(out.contains("      HelloElixir.Repo,\n      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},\n      # Start the Endpoint"), "{out}");
    }

    #[test]
    fn without_endpoint_goes_at_the_end() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    children = [
      A.Repo,
      A.Worker
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        let out = written(src);
        assert!(out.contains("      A.Worker,\n      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore}\n    ]"), "{out}");
    }

    #[test]
    fn inline_start_link_list() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    Supervisor.start_link(
      [
        {Phoenix.PubSub, name: A.PubSub},
        AWeb.Endpoint
      ],
      strategy: :one_for_one
    )
  end
end
";
        let out = written(src);
        assert!(
            out.contains("        {Phoenix.PubSub, name: A.PubSub},\n        {DNSCluster,"),
            "{out}"
        );
    }

    #[test]
    fn an_existing_dnscluster_child_in_the_list_means_nothing_to_do() {
        let src = PHX17.replace(
            "      HelloElixir.Repo,\n",
            "      HelloElixir.Repo,\n      {DNSCluster, query: \"x\"},\n",
        );
        assert_eq!(run(&src).outcome, Outcome::Unchanged);
    }

    #[test]
    fn supervisor_spec_style() {
        let src = "defmodule A.Application do
  use Application

  def start(_type, _args) do
    import Supervisor.Spec

    children = [
      supervisor(A.Repo, []),
      supervisor(AWeb.Endpoint, [])
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        let out = written(src);
        assert!(
            out.contains("      supervisor(A.Repo, []),\n      {DNSCluster,"),
            "{out}"
        );
    }

    #[test]
    fn follows_rebinding_private_functions_pipes_and_branches() {
        let rebound = "defmodule A.Application do
  def start(_type, _args) do
    children = [
      A.Repo,
      {Phoenix.PubSub, name: A.PubSub}
    ]

    children = children ++ [AWeb.Endpoint]
    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert!(
            written(rebound)
                .contains("      {Phoenix.PubSub, name: A.PubSub},\n      {DNSCluster,")
        );

        let private_fn = "defmodule A.Application do
  def start(_type, _args) do
    Supervisor.start_link(children(), strategy: :one_for_one)
  end

  defp children do
    [
      {Phoenix.PubSub, name: A.PubSub},
      AWeb.Endpoint
    ]
  end
end
";
        assert!(
            written(private_fn)
                .contains("      {Phoenix.PubSub, name: A.PubSub},\n      {DNSCluster,")
        );

        let piped = "defmodule A.Application do
  def start(_type, _args) do
    children =
      [
        {Phoenix.PubSub, name: A.PubSub},
        if(Mix.env() == :dev, do: A.Dev),
        AWeb.Endpoint
      ]
      |> Enum.filter(& &1)

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert!(
            written(piped)
                .contains("        {Phoenix.PubSub, name: A.PubSub},\n        {DNSCluster,")
        );

        let case_one = "defmodule A.Application do
  def start(_type, _args) do
    children =
      case Mix.env() do
        :test -> [A.Repo]
        _ -> [
          {Phoenix.PubSub, name: A.PubSub},
          AWeb.Endpoint
        ]
      end

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert!(
            written(case_one)
                .contains("          {Phoenix.PubSub, name: A.PubSub},\n          {DNSCluster,")
        );
    }

    #[test]
    fn pubsub_in_two_branches_is_not_guessed() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    children =
      if A.web?() do
        [
          {Phoenix.PubSub, name: A.PubSub},
          AWeb.Endpoint
        ]
      else
        [
          {Phoenix.PubSub, name: A.PubSub}
        ]
      end

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert_eq!(
            manual_step(src).1,
            "PubSub is in 2 children lists (lines 5, 10), and which one clusters is the project's choice"
        );
    }

    #[test]
    fn a_shape_it_cannot_edit_is_a_manual_step() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    children = Application.get_env(:a, :children, [])
    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert_eq!(
            manual_step(src),
            (
                "in the children list of `start/2`, after the PubSub child and before the Endpoint"
                    .to_string(),
                "`start/2` starts the supervisor with `children = Application.get_env(:a, :children, [])`, which leads to no list literal flycluster can edit".to_string()
            )
        );
        let Outcome::Manual(step) = run(src).outcome else {
            unreachable!()
        };
        assert_eq!(
            step.snippet,
            "{DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},"
        );
    }

    /// The reason names what was found, never a PubSub or an Endpoint that is not there: the
    /// user acts on it.
    #[test]
    fn a_manual_steps_reason_names_what_was_found() {
        let two_lists = "defmodule A.Application do
  def start(_type, _args) do
    children =
      if A.web?() do
        [A.Repo, A.Web]
      else
        [A.Repo]
      end

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert_eq!(
            manual_step(two_lists),
            (
                "in each children list of `start/2` that should cluster, after the PubSub child and before the Endpoint".to_string(),
                "there are 2 children lists (lines 5, 7) and none starts PubSub or an Endpoint, so which one clusters is the project's choice".to_string()
            )
        );
        let endpoints = two_lists
            .replace("[A.Repo, A.Web]", "[A.Repo, AWeb.Endpoint]")
            .replace("[A.Repo]\n", "[AWeb.Endpoint]\n");
        assert_eq!(
            manual_step(&endpoints).1,
            "an Endpoint is in 2 children lists (lines 5, 7), and which one clusters is the project's choice"
        );
        let no_start_link = "defmodule A.Application do
  def start(_type, _args) do
    A.Supervisor.start_link([])
  end
end
";
        assert_eq!(
            manual_step(no_start_link).1,
            "`start/2` calls no `Supervisor.start_link`, so flycluster cannot tell which children list starts"
        );
        let inline_too_long = "defmodule A.Application do
  def start(_type, _args) do
    Supervisor.start_link([A.Repo, {Phoenix.PubSub, name: A.PubSub}], strategy: :one_for_one)
  end
end
";
        assert_eq!(
            manual_step(inline_too_long),
            (
                "in the children list on line 3, after the PubSub child and before the Endpoint".to_string(),
                "the children list on line 3 is too long for one line with the new element, and as an argument of `Supervisor.start_link` `mix format` would break the call around it first; assign the list to a variable (`children = [...]`) or break it one element a line".to_string()
            )
        );
    }

    /// Igniter's `add_new_child` tests start from one-line lists; the formatter breaks such a list
    /// one element a line once the child makes it too long, and so does the editor.
    #[test]
    fn a_one_line_children_list_is_broken_as_mix_format_breaks_it() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    children = [{Foo, [name: Foo.One]}, {Foo, [name: Foo.Two]}]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert_eq!(
            written(src),
            "defmodule A.Application do
  def start(_type, _args) do
    children = [
      {Foo, [name: Foo.One]},
      {Foo, [name: Foo.Two]},
      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore}
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
"
        );
    }

    /// FLY-SETUPS.md, generation 6: an Endpoint started before PubSub. The node should join the
    /// cluster before it serves, so the child goes before the Endpoint.
    #[test]
    fn an_endpoint_before_pubsub_gets_the_child_before_it() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    children = [
      A.Repo,
      AWeb.Endpoint,
      {Phoenix.PubSub, name: A.PubSub}
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";
        assert_eq!(
            written(src),
            src.replace(
                "      AWeb.Endpoint,\n",
                "      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},\n      AWeb.Endpoint,\n"
            )
        );
    }

    const UNUSED_VARIABLE: &str = "defmodule A.Application do
  def start(_type, _args) do
    cluster = {DNSCluster, query: Application.get_env(:a, :dns_cluster_query) || :ignore}

    children = [
      {Phoenix.PubSub, name: A.PubSub},
      AWeb.Endpoint
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
";

    /// A DNSCluster named outside the children the supervisor gets starts nothing; one the list
    /// holds through a variable or an `if` does.
    #[test]
    fn only_a_dnscluster_in_the_children_list_is_started() {
        let root = |src: &str| elixir::parse(src);
        let tree = root(UNUSED_VARIABLE);
        assert!(
            started(tree.root_node(), UNUSED_VARIABLE)
                .dns_cluster
                .is_none()
        );
        assert!(written(UNUSED_VARIABLE).contains(
            "      {Phoenix.PubSub, name: A.PubSub},\n      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},\n"
        ));

        let used = UNUSED_VARIABLE.replace(
            "      AWeb.Endpoint\n",
            "      cluster,\n      AWeb.Endpoint\n",
        );
        let conditional = UNUSED_VARIABLE
            .replace("    cluster = {DNSCluster, query: Application.get_env(:a, :dns_cluster_query) || :ignore}\n\n", "")
            .replace(
                "      AWeb.Endpoint\n",
                "      if(A.cluster?(), do: {DNSCluster, query: Application.get_env(:a, :q)}),\n      AWeb.Endpoint\n",
            );
        let in_private_fn = "defmodule A.Application do
  def start(_type, _args) do
    Supervisor.start_link(children(), strategy: :one_for_one)
  end

  defp children do
    cluster = {DNSCluster, query: Application.get_env(:a, :dns_cluster_query) || :ignore}
    [{Phoenix.PubSub, name: A.PubSub}, cluster, AWeb.Endpoint]
  end
end
"
        .to_string();
        for src in [used, conditional, in_private_fn] {
            let tree = root(&src);
            let child = started(tree.root_node(), &src)
                .dns_cluster
                .unwrap_or_else(|| panic!("not started:\n{src}"));
            assert!(
                elixir::text(child, &src).starts_with("{DNSCluster,"),
                "{src}"
            );
            assert_eq!(run(&src).outcome, Outcome::Unchanged, "{src}");
        }
    }

    #[test]
    fn the_key_the_started_child_reads_is_the_one_to_configure() {
        let src = PHX17.replace(
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n",
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {DNSCluster, query: Application.get_env(:other_app, :dns_cluster_query) || :ignore},\n",
        );
        assert_eq!(
            supervision_of(&src),
            Supervision {
                dns_cluster: true,
                cluster_supervisor: false,
                query_key: Some(("other_app".into(), "dns_cluster_query".into())),
                topologies_key: None,
                topologies_in_code: None,
            }
        );
        assert_eq!(supervision_of(PHX17), Supervision::default());
    }

    /// FLY-SETUPS.md, generation 6: a Cluster.Supervisor reading its topologies from the app's own
    /// key. The key is read from the child as written, through a variable, and in the
    /// `supervisor(...)` spelling; topologies from code are no key.
    #[test]
    fn the_key_the_started_cluster_supervisor_reads_its_topologies_from() {
        let with_child = |before_children: &str, child: &str| {
            PHX17.replace(
                "    children = [\n",
                &format!("{before_children}    children = [\n      {child},\n"),
            )
        };
        let key = |src: &str| supervision_of(src).topologies_key;
        let own = Some(("my_app".to_string(), "topologies".to_string()));
        assert_eq!(
            key(&with_child(
                "",
                "{Cluster.Supervisor, [Application.get_env(:my_app, :topologies), [name: A.C]]}"
            )),
            own
        );
        assert_eq!(
            key(&with_child(
                "    topologies = Application.get_env(:my_app, :topologies) || []\n\n",
                "{Cluster.Supervisor, [topologies, [name: A.C]]}"
            )),
            own
        );
        assert_eq!(
            key(&with_child(
                "",
                "supervisor(Cluster.Supervisor, [Application.fetch_env!(:my_app, :topologies)])"
            )),
            own
        );
        let default = with_child(
            "",
            "{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: A.C]]}",
        );
        assert_eq!(
            supervision_of(&default).topologies_key(),
            ("libcluster".to_string(), "topologies".to_string())
        );
        let in_code = with_child(
            "",
            "{Cluster.Supervisor, [[fly: [strategy: Cluster.Strategy.DNSPoll]], [name: A.C]]}",
        );
        assert_eq!(key(&in_code), None);
        assert!(supervision_of(&in_code).cluster_supervisor);
    }

    #[test]
    fn both_libraries_started_is_a_warning_naming_which_forms_the_cluster() {
        let src = PHX17.replace(
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n",
            "      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {DNSCluster, query: Application.get_env(:hello_elixir, :dns_cluster_query) || :ignore},\n      {Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: A.ClusterSupervisor]]},\n",
        );
        let edited = run(&src);
        assert_eq!(edited.outcome, Outcome::Unchanged);
        assert_eq!(
            edited.warnings[0].id,
            FindingId::ClusteringBothStarted.into()
        );
        assert_eq!(
            crate::plan::texts(&edited.warnings),
            [format!(
                "`lib/hello_elixir/application.ex` line 10: {}; {BOTH_STARTED_FIX}",
                both_started_message(10, 11)
            )]
        );
        assert!(run(PHX17).warnings.is_empty());
    }

    #[test]
    fn libcluster_strategy_adds_the_cluster_supervisor() {
        let ctx = EditCtx {
            strategy: Strategy::Libcluster,
            ..test_ctx()
        };
        let Outcome::Write(out) = plan(&ctx, Path::new("a.ex"), Some(PHX17)).unwrap().outcome
        else {
            panic!()
        };
        assert!(out.contains("      {Phoenix.PubSub, name: HelloElixir.PubSub},\n      {Cluster.Supervisor,\n       [Application.get_env(:libcluster, :topologies, []), [name: HelloElixir.ClusterSupervisor]]},\n"), "{out}");
        assert_eq!(
            plan(&ctx, Path::new("a.ex"), Some(&out)).unwrap().outcome,
            Outcome::Unchanged
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = plan(
            &test_ctx(),
            Path::new("lib/a/application.ex"),
            Some("defmodule A do\n  def start(_, _) do\n    children = [\n  end\nend\n"),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("`lib/a/application.ex` line "),
            "{err}"
        );
    }
}
