//! Editor for mix.exs (kind `deps`): adds the clustering library the release needs — that of the
//! clustering child the application already starts, else the strategy's — unless mix.exs (or, in
//! an umbrella, a sibling app) already brings it. Doctor judges the dependency with [`brings`] too.

use super::{EditCtx, Edited, Outcome, Strategy};
use crate::elixir::{self, ListPosition};
use crate::error::Result;
use crate::plan::ManualStep;
use std::path::Path;
use tree_sitter::Node;

/// The dependency the strategy needs: (name, requirement).
pub fn wanted_dep(strategy: Strategy) -> (&'static str, &'static str) {
    match strategy {
        Strategy::DnsCluster => ("dns_cluster", "~> 0.2.0"),
        Strategy::Libcluster => ("libcluster", "~> 3.5"),
    }
}

/// Whether dependencies named `deps` bring the strategy's library: the package itself, or for
/// libcluster one of its strategy packages (`libcluster_postgres`), which depend on it.
pub fn brings<'a>(deps: impl IntoIterator<Item = &'a str>, strategy: Strategy) -> bool {
    let (name, _) = wanted_dep(strategy);
    deps.into_iter().any(|dep| {
        dep == name
            || (strategy == Strategy::Libcluster
                && dep
                    .strip_prefix("libcluster_")
                    .is_some_and(|rest| !rest.is_empty()))
    })
}

/// Every dependency a mix.exs declares: the `{:name, ...}` tuples that are elements of a list (the
/// deps list, or lists joined into it), with the requirement when it is a plain string.
pub fn declared<'s>(root: Node<'_>, src: &'s str) -> Vec<(&'s str, Option<&'s str>)> {
    elixir::descendants_of_kind(root, "tuple")
        .into_iter()
        .filter(|tuple| tuple.parent().is_some_and(|p| p.kind() == "list"))
        .filter_map(|tuple| {
            let parts = elixir::items(tuple);
            let name = elixir::atom_name(*parts.first()?, src)?;
            let requirement = parts
                .get(1)
                .filter(|n| n.kind() == "string")
                .map(|n| elixir::text(*n, src).trim_matches('"'));
            Some((name, requirement))
        })
        .collect()
}

/// The lines of the deps to add, as `mix format` lays them out at `indent`, `trailing` after the
/// last.
fn dep_lines(ctx: &EditCtx, missing: &[Strategy], indent: usize, trailing: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, library) in missing.iter().enumerate() {
        let (name, requirement) = wanted_dep(*library);
        let trailing = if i + 1 == missing.len() {
            trailing
        } else {
            ","
        };
        lines.extend(elixir::fitted_layout(
            "dep.exs.j2",
            2,
            minijinja::context! { pad => " ".repeat(indent), name, requirement, trailing },
            ctx.line_length,
            "}".len() + trailing.len(),
        ));
    }
    lines
}

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let needed = ctx.supervision.libraries(ctx.strategy);
    // One step per missing library, each the finding doctor reports for it.
    let manual = |missing: &[Strategy], location: String, reason: &str| {
        let mut steps = missing.iter().map(|library| ManualStep {
            id: library.dep_finding(),
            path: path.to_path_buf(),
            location: location.clone(),
            snippet: dep_lines(ctx, &[*library], 0, ",").join("\n"),
            reason: reason.into(),
        });
        let first = steps.next().expect("a step is asked for a missing library");
        let mut edited = Edited::new(Outcome::Manual(first));
        edited.manual.extend(steps);
        edited
    };
    let in_defp_deps = || "in `defp deps`, as an element of the deps list".to_string();
    let Some(src) = before else {
        return Ok(manual(&needed, in_defp_deps(), "mix.exs was not found"));
    };
    let tree = elixir::parse_file(path, src)?;
    let root = tree.root_node();
    let declared = declared(root, src);
    let have = || {
        declared
            .iter()
            .map(|(name, _)| *name)
            .chain(ctx.sibling_deps.iter().map(String::as_str))
    };
    let missing: Vec<Strategy> = needed
        .into_iter()
        .filter(|library| !brings(have(), *library))
        .collect();
    if missing.is_empty() {
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
                &missing,
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
    let layout = |indent: usize, trailing: &str| dep_lines(ctx, &missing, indent, trailing);
    match elixir::insert_in_list(src, *list, position, &layout, ctx.line_length) {
        Ok(after) => Ok(Edited::from_text(Some(src), after)),
        Err(refusal) => Ok(manual(
            &missing,
            in_defp_deps(),
            &refusal.describe("deps list"),
        )),
    }
}

/// The expression `def project` gives as `deps:` (`deps()`, `MyApp.Deps.all()`), to name where the
/// deps really come from.
fn deps_source<'s>(root: Node<'_>, src: &'s str) -> Option<&'s str> {
    elixir::find_defs(root, src, "project")
        .into_iter()
        .filter_map(|d| elixir::def_result(d, src))
        .find_map(|list| elixir::keyword_value(list, src, "deps"))
        .map(|value| elixir::text(value, src))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{Supervision, test_ctx};

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
    fn an_existing_dep_of_the_library_needed_means_nothing_to_do() {
        let libcluster = EditCtx {
            strategy: Strategy::Libcluster,
            ..test_ctx()
        };
        for (ctx, dep) in [
            (test_ctx(), "{:dns_cluster, \"~> 0.1.1\"}"),
            (libcluster.clone(), "{:libcluster, \"~> 3.3\"}"),
            // Strategy packages depend on libcluster, so they bring it.
            (libcluster, "{:libcluster_postgres, \"~> 0.2\"}"),
        ] {
            let src = mix(&format!("    [\n      {dep}\n    ]\n"));
            let edited = plan(&ctx, Path::new("mix.exs"), Some(&src)).unwrap();
            assert_eq!(edited.outcome, Outcome::Unchanged, "{dep}");
        }
    }

    #[test]
    fn the_dep_follows_the_children_started_and_the_strategy() {
        let started = |dns_cluster, cluster_supervisor| EditCtx {
            supervision: Supervision {
                dns_cluster,
                cluster_supervisor,
                ..Supervision::default()
            },
            ..test_ctx()
        };
        let src = mix("    [\n      {:libcluster, \"~> 3.3\"}\n    ]\n");
        // A DNSCluster child without its dependency: the release would not start.
        let Outcome::Write(out) = plan(&started(true, false), Path::new("mix.exs"), Some(&src))
            .unwrap()
            .outcome
        else {
            panic!("dns_cluster was not added")
        };
        assert_eq!(
            out,
            mix(
                "    [\n      {:libcluster, \"~> 3.3\"},\n      {:dns_cluster, \"~> 0.2.0\"}\n    ]\n"
            )
        );
        // Cluster.Supervisor started with libcluster there: under libcluster nothing is missing;
        // under dns_cluster (only `--strategy` asks for it then) the application editor adds the
        // DNSCluster child beside it, so its dependency comes too.
        let libcluster = EditCtx {
            strategy: Strategy::Libcluster,
            ..started(false, true)
        };
        assert_eq!(
            plan(&libcluster, Path::new("mix.exs"), Some(&src))
                .unwrap()
                .outcome,
            Outcome::Unchanged
        );
        let Outcome::Write(out) = plan(&started(false, true), Path::new("mix.exs"), Some(&src))
            .unwrap()
            .outcome
        else {
            panic!("dns_cluster was not added")
        };
        assert!(out.contains("{:dns_cluster, "), "{out}");
        // Both started, neither dependency: both are added.
        let Outcome::Write(out) = plan(
            &started(true, true),
            Path::new("mix.exs"),
            Some(&mix("    []\n")),
        )
        .unwrap()
        .outcome
        else {
            panic!("nothing was added")
        };
        assert_eq!(
            out,
            mix(
                "    [\n      {:dns_cluster, \"~> 0.2.0\"},\n      {:libcluster, \"~> 3.5\"}\n    ]\n"
            )
        );
    }

    #[test]
    fn an_umbrella_sibling_that_brings_the_library_is_enough() {
        let ctx = EditCtx {
            supervision: Supervision {
                dns_cluster: true,
                ..Supervision::default()
            },
            sibling_deps: vec!["phoenix".into(), "dns_cluster".into()],
            ..test_ctx()
        };
        let src = mix("    [\n      {:phoenix, \"~> 1.7\"}\n    ]\n");
        assert_eq!(
            plan(&ctx, Path::new("mix.exs"), Some(&src))
                .unwrap()
                .outcome,
            Outcome::Unchanged
        );
    }

    #[test]
    fn strategy_packages_bring_libcluster() {
        assert!(brings(["libcluster_postgres"], Strategy::Libcluster));
        assert!(brings(["libcluster_ec2"], Strategy::Libcluster));
        assert!(!brings(["libcluster_"], Strategy::Libcluster));
        assert!(!brings(["libcluster_postgres"], Strategy::DnsCluster));
        assert!(!brings(["dns_cluster_extra"], Strategy::DnsCluster));
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
