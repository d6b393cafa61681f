//! Editor for the application module (kind `application`): adds the DNSCluster child to the
//! supervision tree, after the PubSub child and before the Endpoint, unless a clustering child is
//! already anywhere in the file. Shapes it cannot edit safely become a manual step, never a guess.

use super::{EditCtx, Edited, Outcome};
use crate::elixir::{self, ListPosition};
use crate::error::{Error, Result};
use crate::plan::ManualStep;
use std::path::Path;
use tree_sitter::Node;

/// The child as `mix format` would lay it out at `indent`, with `trailing` after it.
pub fn child_lines(ctx: &EditCtx, indent: usize, trailing: &str) -> Vec<String> {
    elixir::fitted_layout(
        "application_child.ex.j2",
        4,
        minijinja::context! { otp_app => &ctx.otp_app, pad => " ".repeat(indent), trailing },
        ctx.line_length,
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
    let tree = elixir::parse(src);
    if let Some((line, _)) = elixir::first_error(&tree) {
        return Err(syntax_error(path, line));
    }
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
    let lists = children_lists(start, src);
    let Some((list, position)) = choose_insertion(&lists, src) else {
        return Ok(Edited::new(Outcome::Manual(manual(
            ctx,
            path,
            "the children list is built in a way flycluster does not edit automatically",
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

pub fn syntax_error(path: &Path, line: usize) -> Error {
    Error::input(path, Some(line), "is not valid Elixir (syntax error)")
        .with_help("fix the syntax error (`mix compile` shows it) and run flycluster again")
}

fn manual(ctx: &EditCtx, path: &Path, reason: &str) -> ManualStep {
    ManualStep {
        path: path.to_path_buf(),
        location: "in `start/2`, in the children list after the PubSub child and before the Endpoint"
            .into(),
        snippet: child_lines(ctx, 0, ",").join("\n"),
        reason: reason.into(),
    }
}

/// A DNSCluster child (or, for libcluster, a Cluster.Supervisor child) anywhere in the file.
fn has_cluster_child(root: Node<'_>, src: &str) -> bool {
    elixir::descendants_of_kind(root, "alias")
        .into_iter()
        .any(|a| match elixir::text(a, src) {
            "DNSCluster" => true,
            // A libcluster project is clustered already, whatever strategy was asked for.
            "Cluster.Supervisor" => true,
            _ => false,
        })
}

/// The list literals that make up the children passed to the supervisor: the right side of
/// `children = ...` or the first argument of `Supervisor.start_link`, through `++`.
fn children_lists<'t>(start: Node<'t>, src: &str) -> Vec<Node<'t>> {
    let mut roots = Vec::new();
    for node in elixir::descendants_of_kind(start, "binary_operator") {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            continue;
        };
        let op = node
            .child_by_field_name("operator")
            .map(|o| elixir::text(o, src));
        if op == Some("=") && left.kind() == "identifier" && elixir::text(left, src) == "children"
        {
            roots.push(right);
        }
    }
    if roots.is_empty() {
        for call in elixir::descendants_of_kind(start, "call") {
            if elixir::call_name(call, src) == Some("Supervisor.start_link") {
                if let Some(first) = elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next()) {
                    roots.push(first);
                }
            }
        }
    }
    let mut lists = Vec::new();
    for root in roots {
        collect_concatenated_lists(root, src, &mut lists);
    }
    lists
}

fn collect_concatenated_lists<'t>(node: Node<'t>, src: &str, out: &mut Vec<Node<'t>>) {
    match node.kind() {
        "list" => out.push(node),
        "binary_operator"
            if node
                .child_by_field_name("operator")
                .is_some_and(|o| elixir::text(o, src) == "++") =>
        {
            for side in ["left", "right"] {
                if let Some(n) = node.child_by_field_name(side) {
                    collect_concatenated_lists(n, src, out);
                }
            }
        }
        _ => {}
    }
}

/// The module a child is about: `X` in `X`, `{X, opts}`, `supervisor(X, [])`, `worker(X, [])`.
fn child_module<'s>(child: Node<'_>, src: &'s str) -> Option<&'s str> {
    let head = match child.kind() {
        "alias" => return Some(elixir::text(child, src)),
        "tuple" => elixir::items(child).into_iter().next()?,
        "call" => elixir::call_args(child).and_then(|a| elixir::items(a).into_iter().next())?,
        _ => return None,
    };
    (head.kind() == "alias").then(|| elixir::text(head, src))
}

fn is_pubsub(module: &str) -> bool {
    module.starts_with("Phoenix.PubSub") || module.rsplit('.').next() == Some("PubSub")
}

fn is_endpoint(module: &str) -> bool {
    module.rsplit('.').next() == Some("Endpoint")
}

/// After the PubSub child; else before the Endpoint; else at the end of the only list.
fn choose_insertion<'t>(lists: &[Node<'t>], src: &str) -> Option<(Node<'t>, ListPosition)> {
    let find = |pred: fn(&str) -> bool| {
        lists.iter().find_map(|list| {
            elixir::items(*list)
                .into_iter()
                .position(|c| child_module(c, src).is_some_and(pred))
                .map(|i| (*list, i))
        })
    };
    if let Some((list, i)) = find(is_pubsub) {
        return Some((list, ListPosition::After(i)));
    }
    if let Some((list, i)) = find(is_endpoint) {
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
        plan(&test_ctx(), Path::new("lib/hello_elixir/application.ex"), Some(src)).unwrap()
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
        assert!(out.contains("        {Phoenix.PubSub, name: A.PubSub},\n        {DNSCluster,"), "{out}");
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
        assert!(out.contains("      supervisor(A.Repo, []),\n      {DNSCluster,"), "{out}");
    }

    #[test]
    fn a_shape_it_cannot_edit_is_a_manual_step() {
        let src = "defmodule A.Application do
  def start(_type, _args) do
    Supervisor.start_link(children(), strategy: :one_for_one)
  end

  defp children, do: [A.Repo]
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
    fn syntax_errors_name_the_line() {
        let err = plan(
            &test_ctx(),
            Path::new("lib/a/application.ex"),
            Some("defmodule A do\n  def start(_, _) do\n    children = [\n  end\nend\n"),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("`lib/a/application.ex` line "), "{err}");
    }
}
