//! Editor for config/runtime.exs (kind `runtime`): configures `:dns_cluster_query` from the
//! DNS_CLUSTER_QUERY variable, inside the prod block when there is one, else after `import Config`.

use super::{EditCtx, Edited, Outcome};
use crate::edit::application::syntax_error;
use crate::elixir;
use crate::error::Result;
use crate::plan::ManualStep;
use crate::templates;
use std::path::Path;
use tree_sitter::Node;

/// The config line(s) as `mix format` lays them out at `indent`.
pub fn config_lines(ctx: &EditCtx, indent: usize) -> Vec<String> {
    elixir::fitted_layout(
        "runtime_config.exs.j2",
        3,
        minijinja::context! { otp_app => &ctx.otp_app, pad => " ".repeat(indent) },
        ctx.line_length,
    )
}

pub fn plan(ctx: &EditCtx, path: &Path, before: Option<&str>) -> Result<Edited> {
    let Some(src) = before else {
        let file = templates::render(
            "runtime.exs.j2",
            minijinja::context! { config => config_lines(ctx, 2).join("\n") },
        );
        return Ok(Edited::new(Outcome::Write(file)));
    };
    let tree = elixir::parse(src);
    if let Some((line, _)) = elixir::first_error(&tree) {
        return Err(syntax_error(path, line));
    }
    let root = tree.root_node();
    if configures_query(root, src, &ctx.otp_app) {
        return Ok(Edited::new(Outcome::Unchanged));
    }
    if let Some(block) = prod_block(root, src) {
        let do_kw = block.child(0).expect("a do_block starts with `do`");
        let at = elixir::line_end(src, do_kw.end_byte());
        let indent = elixir::indent_of_line(src, block.start_byte()) + 2;
        let mut insert = config_lines(ctx, indent).join("\n");
        insert.push('\n');
        let rest = &src[at..];
        let next_line = rest.lines().next().unwrap_or("").trim();
        if !next_line.is_empty() && next_line != "end" {
            insert.push('\n');
        }
        return Ok(Edited::new(Outcome::Write(splice(src, at, &insert))));
    }
    if let Some(import) = import_config(root, src) {
        let at = elixir::line_end(src, import.end_byte());
        let mut insert = format!("\n{}\n", config_lines(ctx, 0).join("\n"));
        let rest = &src[at..];
        if !rest.is_empty() && !rest.starts_with('\n') {
            insert.push('\n');
        }
        return Ok(Edited::new(Outcome::Write(splice(src, at, &insert))));
    }
    Ok(Edited::new(Outcome::Manual(ManualStep {
        path: path.to_path_buf(),
        location: "inside `if config_env() == :prod do`, or after `import Config`".into(),
        snippet: config_lines(ctx, 0).join("\n"),
        reason: "the file has neither a prod block nor `import Config`".into(),
    })))
}

fn splice(src: &str, at: usize, insert: &str) -> String {
    let mut out = String::with_capacity(src.len() + insert.len());
    out.push_str(&src[..at]);
    out.push_str(insert);
    out.push_str(&src[at..]);
    out
}

/// `config :APP, :dns_cluster_query, ...`, `config :APP, dns_cluster_query: ...` or
/// `config :APP, [dns_cluster_query: ...]` anywhere in the file.
pub fn configures_query(root: Node<'_>, src: &str, otp_app: &str) -> bool {
    elixir::descendants_of_kind(root, "call")
        .into_iter()
        .filter(|c| elixir::call_name(*c, src) == Some("config"))
        .filter_map(elixir::call_args)
        .any(|args| {
            let items = elixir::items(args);
            if items.first().and_then(|a| elixir::atom_name(*a, src)) != Some(otp_app) {
                return false;
            }
            items[1..].iter().any(|arg| match arg.kind() {
                "atom" => elixir::atom_name(*arg, src) == Some("dns_cluster_query"),
                "keywords" | "list" => {
                    elixir::keyword_value(*arg, src, "dns_cluster_query").is_some()
                }
                _ => false,
            })
        })
}

/// The do-block of a top-level `if config_env() == :prod do`.
fn prod_block<'t>(root: Node<'t>, src: &str) -> Option<Node<'t>> {
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
            && elixir::call_args(*c).is_some_and(|a| elixir::text(a, src).trim() == "Config")
    })
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

    const LINE: &str = "config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")";

    #[test]
    fn goes_first_in_the_prod_block() {
        let src = "import Config\n\nif config_env() == :prod do\n  database_url = System.get_env(\"DATABASE_URL\")\nend\n";
        assert_eq!(
            written(Some(src)),
            format!("import Config\n\nif config_env() == :prod do\n  {LINE}\n\n  database_url = System.get_env(\"DATABASE_URL\")\nend\n")
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

    #[test]
    fn another_apps_key_does_not_count() {
        let src = "import Config\nconfig :other, :dns_cluster_query, \"x\"\n";
        assert!(matches!(run(Some(src)), Outcome::Write(_)));
    }
}
