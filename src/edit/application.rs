//! Editor for the application module (kind `application`): adds the DNSCluster child to the
//! supervision tree, after the PubSub child and before the Endpoint, unless a clustering child is
//! already anywhere in the file. Shapes it cannot edit safely become a manual step, never a guess.

use super::{EditCtx, Edited, Outcome, Strategy};
use crate::elixir::{self, ListPosition};
use crate::error::{Error, Result};
use crate::plan::ManualStep;
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
            "the application module's file was not found",
        ))));
    };
    let tree = parse_elixir(path, src)?;
    let root = tree.root_node();
    if has_cluster_child(root, src) {
        return Ok(Edited::new(Outcome::Unchanged));
    }
    let Some(start) = elixir::find_defs(root, src, "start").into_iter().next() else {
        return Ok(Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            "no `def start/2` was found in the application module",
        ))));
    };
    let lists = children_lists(root, start, src);
    let Some((list, position)) = choose_insertion(&lists, src) else {
        let mut functions: Vec<String> = lists
            .iter()
            .filter_map(|l| enclosing_function(*l, src))
            .map(|f| format!("`{f}`"))
            .collect();
        functions.dedup();
        let (functions, reason) = if lists.len() > 1 {
            (
                format!(
                    "each children list of {} that should cluster",
                    functions.join(", ")
                ),
                "PubSub or the Endpoint is in more than one children list, and which one clusters is the project's choice",
            )
        } else {
            (
                "the children list of `start/2`".to_string(),
                "the children list is built in a way flycluster does not edit automatically",
            )
        };
        return Ok(Edited::new(Outcome::Manual(manual_in(
            ctx, path, &functions, reason,
        ))));
    };
    let layout = |indent: usize, trailing: &str| child_lines(ctx, indent, trailing);
    match elixir::insert_in_list(src, list, position, &layout, ctx.line_length) {
        Some(after) => Ok(Edited::from_text(Some(src), after)),
        None => Ok(Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            "the children list's layout cannot be edited without reformatting it",
        )))),
    }
}

/// Parse an Elixir file an editor is given, refusing it (exit 2, with the line) when Elixir would not
/// compile it: a syntax error, or a carriage return that ends no line (tree-sitter lets some pass).
pub fn parse_elixir(path: &Path, src: &str) -> Result<tree_sitter::Tree> {
    let tree = elixir::parse(src);
    if let Some((line, _)) = elixir::first_error(&tree) {
        return Err(syntax_error(path, line));
    }
    if let Some(line) = elixir::stray_carriage_return(src) {
        return Err(syntax_error(path, line));
    }
    Ok(tree)
}

fn syntax_error(path: &Path, line: usize) -> Error {
    Error::input(path, Some(line), "is not valid Elixir (syntax error)")
        .with_help("fix the syntax error (`mix compile` shows it) and run flycluster again")
}

fn manual(ctx: &EditCtx, path: &Path, reason: &str) -> ManualStep {
    manual_in(ctx, path, "the children list of `start/2`", reason)
}

/// A manual step naming the function(s) whose children list should get the child.
fn manual_in(ctx: &EditCtx, path: &Path, functions: &str, reason: &str) -> ManualStep {
    ManualStep {
        path: path.to_path_buf(),
        location: format!("in {functions}, after the PubSub child and before the Endpoint"),
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

/// Whether the application module's source already starts a clustering child.
pub fn has_clustering(src: &str) -> bool {
    if !src.contains("DNSCluster") && !src.contains("Cluster.Supervisor") {
        return false;
    }
    has_cluster_child(elixir::parse(src).root_node(), src)
}

/// A DNSCluster child (or, for libcluster, a Cluster.Supervisor child) anywhere in the file.
fn has_cluster_child(root: Node<'_>, src: &str) -> bool {
    // Most files name neither: skip the walk (the tree decides when a name is in a comment).
    if !src.contains("DNSCluster") && !src.contains("Cluster.Supervisor") {
        return false;
    }
    elixir::descendants_of_kind(root, "alias")
        .into_iter()
        .any(|a| match elixir::text(a, src) {
            "DNSCluster" => true,
            // A libcluster project is clustered already, whatever strategy was asked for.
            "Cluster.Supervisor" => true,
            _ => false,
        })
}

/// The list literals whose elements become the supervisor's children. Starts from the first
/// argument of `Supervisor.start_link` (and every `children = ...` in `start/2`) and follows what real
/// projects do: `++`, re-binding, `|>` into `Enum.filter`/`List.flatten`, `if`/`case` branches, and
/// private functions such as `children()` or `children(env)`.
fn children_lists<'t>(module: Node<'t>, start: Node<'t>, src: &str) -> Vec<Node<'t>> {
    let mut roots = Vec::new();
    for call in elixir::descendants_of_kind(start, "call") {
        if matches!(
            elixir::call_name(call, src),
            Some("Supervisor.start_link" | "Supervisor.init")
        ) && let Some(first) =
            elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next())
        {
            roots.push(first);
        }
    }
    let finder = ListFinder { module, start, src };
    let mut lists = Vec::new();
    for root in roots {
        finder.expand(root, 0, &mut lists);
    }
    lists.sort_by_key(|n| n.start_byte());
    lists.dedup_by_key(|n| n.start_byte());
    lists
}

struct ListFinder<'t, 's> {
    module: Node<'t>,
    start: Node<'t>,
    src: &'s str,
}

impl<'t> ListFinder<'t, '_> {
    /// Depth bounds the walk through variables and helper functions (which may recurse).
    const MAX_DEPTH: usize = 6;

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
                // Every value the variable is bound to in start/2 (`children = children ++ [...]`).
                let name = elixir::text(node, src);
                for bind in elixir::descendants_of_kind(self.start, "binary_operator") {
                    let is_bind = bind
                        .child_by_field_name("operator")
                        .is_some_and(|o| elixir::text(o, src) == "=")
                        && bind.child_by_field_name("left").is_some_and(|l| {
                            l.kind() == "identifier" && elixir::text(l, src) == name
                        });
                    if is_bind
                        && bind.start_byte() < node.start_byte()
                        && let Some(r) = bind.child_by_field_name("right")
                    {
                        self.expand(r, next, out);
                    }
                }
            }
            "call" => self.expand_call(node, next, out),
            _ => {}
        }
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
                for result in branch_results(call) {
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

/// What each branch of an `if`/`case`/`cond` evaluates to.
fn branch_results(call: Node<'_>) -> Vec<Node<'_>> {
    elixir::do_block(call).map_or_else(Vec::new, |block| {
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
    })
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
        "tuple" => elixir::items(child).into_iter().next()?,
        "call" => elixir::call_args(child).and_then(|a| elixir::items(a).into_iter().next())?,
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

/// After the PubSub child; else before the Endpoint; else at the end of the only list.
fn choose_insertion<'t>(lists: &[Node<'t>], src: &str) -> Option<(Node<'t>, ListPosition)> {
    // Found in more than one list (say, one per `case` branch): which one is meant is a guess.
    let find = |pred: fn(&str) -> bool| -> Result<Option<(Node<'t>, usize)>, ()> {
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
            _ => Err(()),
        }
    };
    if let Some((list, i)) = find(is_pubsub).ok()? {
        return Some((list, ListPosition::After(i)));
    }
    if let Some((list, i)) = find(is_endpoint).ok()? {
        let position = if i == 0 {
            ListPosition::Start
        } else {
            ListPosition::After(i - 1)
        };
        return Some((list, position));
    }
    match lists {
        [only] => {
            let n = elixir::items(*only).len();
            Some((
                *only,
                if n == 0 {
                    ListPosition::Start
                } else {
                    ListPosition::After(n - 1)
                },
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

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
    fn an_existing_dnscluster_child_anywhere_means_nothing_to_do() {
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
        assert!(matches!(run(src).outcome, Outcome::Manual(_)));
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
        match run(src).outcome {
            Outcome::Manual(step) => {
                assert!(step.snippet.starts_with("{DNSCluster, query:"));
            }
            other => panic!("{other:?}"),
        }
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
