//! Editor for mix.exs (kind `deps`): adds the clustering library to the deps list unless a
//! dns_cluster (or, with the libcluster strategy, libcluster) dependency is already there.

use super::{EditCtx, Edited, Outcome, Strategy};
use crate::edit::application::parse_elixir;
use crate::elixir::{self, ListPosition};
use crate::error::Result;
use crate::plan::ManualStep;
use std::path::Path;

/// The dependency the strategy needs: (name, requirement).
pub fn wanted_dep(strategy: Strategy) -> (&'static str, &'static str) {
    match strategy {
        Strategy::DnsCluster => ("dns_cluster", "~> 0.2.0"),
        Strategy::Libcluster => ("libcluster", "~> 3.5"),
    }
}

fn dep_line(ctx: &EditCtx, indent: usize, trailing: &str) -> Vec<String> {
    let (name, requirement) = wanted_dep(ctx.strategy);
    elixir::fitted_layout(
        "dep.exs.j2",
        2,
        minijinja::context! { pad => " ".repeat(indent), name, requirement, trailing },
        ctx.line_length,
        "}".len() + trailing.len(),
    )
}

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let manual = |location: String, reason: &str| {
        Edited::new(Outcome::Manual(ManualStep {
            path: path.to_path_buf(),
            location,
            snippet: dep_line(ctx, 0, ",").join("\n"),
            reason: reason.into(),
        }))
    };
    let in_defp_deps = || "in `defp deps`, as an element of the deps list".to_string();
    let Some(src) = before else {
        return Ok(manual(in_defp_deps(), "mix.exs was not found"));
    };
    let tree = parse_elixir(path, src)?;
    let root = tree.root_node();
    let (wanted, _) = wanted_dep(ctx.strategy);
    // The names of every `{:name, ...}` tuple, collected in one walk of the tree.
    let named: Vec<&str> = elixir::descendants_of_kind(root, "tuple")
        .into_iter()
        .filter_map(|t| {
            elixir::items(t)
                .first()
                .and_then(|n| elixir::atom_name(*n, src))
        })
        .collect();
    let present = |name: &str| named.contains(&name);
    if present(wanted) || present("dns_cluster") || present("libcluster") {
        return Ok(Edited::new(Outcome::Unchanged));
    }
    // `defp deps` returning a list, or lists joined with `++` (the first literal gets the dep:
    // every part ends up in the same deps list).
    let defs = elixir::find_defs(root, src, "deps");
    let lists: Vec<_> = defs
        .iter()
        .filter_map(|d| elixir::def_result(*d, src))
        .map(|result| elixir::concatenated_lists(result, src))
        .collect();
    let list = match lists.as_slice() {
        [one] if !one.is_empty() => &one[0],
        _ => {
            return Ok(manual(
                deps_source(root, src).map_or_else(in_defp_deps, |from| {
                    format!("in the deps list that `{from}` returns (`deps:` in `def project`)")
                }),
                "the deps are not a list literal returned by a single `defp deps` (built elsewhere)",
            ));
        }
    };
    let n = elixir::items(*list).len();
    let position = if n == 0 {
        ListPosition::Start
    } else {
        ListPosition::After(n - 1)
    };
    let layout = |indent: usize, trailing: &str| dep_line(ctx, indent, trailing);
    match elixir::insert_in_list(src, *list, position, &layout, ctx.line_length) {
        Some(after) => Ok(Edited::from_text(Some(src), after)),
        None => Ok(manual(
            in_defp_deps(),
            "the deps list's layout cannot be edited without reformatting it",
        )),
    }
}

/// The expression `def project` gives as `deps:` (`deps()`, `MyApp.Deps.all()`), to name where the
/// deps really come from.
fn deps_source<'s>(root: tree_sitter::Node<'_>, src: &'s str) -> Option<&'s str> {
    elixir::find_defs(root, src, "project")
        .into_iter()
        .filter_map(|d| elixir::def_result(d, src))
        .find_map(|list| elixir::keyword_value(list, src, "deps"))
        .map(|value| elixir::text(value, src))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

    fn run(src: &str) -> Outcome {
        plan(&test_ctx(), Path::new("mix.exs"), Some(src))
            .unwrap()
            .outcome
    }

    fn mix(deps: &str) -> String {
        format!(
            "defmodule A.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :a, deps: deps()]\n  end\n\n  defp deps do\n{deps}  end\nend\n"
        )
    }

    fn written(src: &str) -> String {
        match run(src) {
            Outcome::Write(s) => {
                assert_eq!(run(&s), Outcome::Unchanged, "not idempotent:\n{s}");
                s
            }
            other => panic!("expected a write, got {other:?}"),
        }
    }

    #[test]
    fn appends_to_the_deps_list() {
        let src =
            mix("    [\n      {:phoenix, \"~> 1.7.14\"},\n      {:jason, \"~> 1.2\"}\n    ]\n");
        assert_eq!(
            written(&src),
            mix(
                "    [\n      {:phoenix, \"~> 1.7.14\"},\n      {:jason, \"~> 1.2\"},\n      {:dns_cluster, \"~> 0.2.0\"}\n    ]\n"
            )
        );
    }

    #[test]
    fn keeps_options_and_trailing_comments() {
        let src = mix(
            "    [\n      {:phoenix_live_reload, \"~> 1.2\", only: :dev},\n      {:bandit, \"~> 1.5\"} # web server\n      # {:later, \"~> 1.0\"}\n    ]\n",
        );
        assert_eq!(
            written(&src),
            mix(
                "    [\n      {:phoenix_live_reload, \"~> 1.2\", only: :dev},\n      {:bandit, \"~> 1.5\"}, # web server\n      {:dns_cluster, \"~> 0.2.0\"}\n      # {:later, \"~> 1.0\"}\n    ]\n"
            )
        );
    }

    #[test]
    fn a_deps_list_of_only_comments() {
        let src = mix("    [\n      # {:dep_from_hexpm, \"~> 0.3.0\"}\n    ]\n");
        assert_eq!(
            written(&src),
            mix(
                "    [\n      {:dns_cluster, \"~> 0.2.0\"}\n      # {:dep_from_hexpm, \"~> 0.3.0\"}\n    ]\n"
            )
        );
    }

    #[test]
    fn an_existing_clustering_dep_means_nothing_to_do() {
        for dep in ["{:dns_cluster, \"~> 0.1.1\"}", "{:libcluster, \"~> 3.3\"}"] {
            assert_eq!(
                run(&mix(&format!("    [\n      {dep}\n    ]\n"))),
                Outcome::Unchanged
            );
        }
    }

    #[test]
    fn deps_joined_with_plus_plus_get_the_dep_in_their_list_literal() {
        let src = mix("    base_deps() ++ [{:x, \"1.0.0\"}]\n");
        assert_eq!(
            written(&src),
            mix("    base_deps() ++ [{:x, \"1.0.0\"}, {:dns_cluster, \"~> 0.2.0\"}]\n")
        );
    }

    #[test]
    fn deps_from_a_helper_module_are_a_manual_step() {
        let src = mix("    MyApp.Deps.all()\n");
        match run(&src) {
            Outcome::Manual(step) => {
                assert_eq!(step.snippet, "{:dns_cluster, \"~> 0.2.0\"},");
                assert_eq!(
                    step.location,
                    "in the deps list that `deps()` returns (`deps:` in `def project`)"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
