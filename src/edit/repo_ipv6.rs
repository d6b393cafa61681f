//! The Repo half of the `runtime` kind, for `--database fly`: makes the Repo's prod config honour
//! `ECTO_IPV6` the way `mix phx.gen.release` writes it, a `maybe_ipv6` binding read from the
//! environment and `socket_options: maybe_ipv6` in the Repo's `config` call. Fly Postgres is on the
//! private IPv6 network; without `:inet6` Postgrex resolves the host over IPv4 and fails.
//!
//! The judgement "the Repo honours ECTO_IPV6" ([`honoured_at`]) is the one doctor's ECTO_IPV6 check
//! makes.

use super::{Database, EctoRepo, EditCtx, Edited, Outcome};
use crate::edit::runtime;
use crate::elixir;
use crate::error::Result;
use crate::facts::FindingId;
use crate::plan::ManualStep;
use std::path::Path;
use tree_sitter::Node;

/// The binding as phx.gen.release writes it, for messages.
pub const BINDING_SHOWN: &str =
    "`maybe_ipv6 = if System.get_env(\"ECTO_IPV6\") in ~w(true 1), do: [:inet6], else: []`";

const VARIABLE: &str = "maybe_ipv6";
const PAIR: &str = "socket_options: maybe_ipv6";

/// The line where a config makes the Repo honour ECTO_IPV6: a `System.get_env("ECTO_IPV6")` (or
/// `fetch_env`) call, else a `socket_options:` that names `:inet6` outright (always IPv6).
pub fn honoured_at(root: Node<'_>, src: &str) -> Option<usize> {
    env_read_line(root, src, "ECTO_IPV6").or_else(|| {
        elixir::descendants_of_kind(root, "pair")
            .into_iter()
            .filter(|p| key_name(*p, src) == Some("socket_options"))
            .find(|p| {
                p.child_by_field_name("value").is_some_and(|v| {
                    elixir::descendants_of_kind(v, "atom")
                        .into_iter()
                        .any(|a| elixir::atom_name(a, src) == Some("inet6"))
                })
            })
            .map(|p| p.start_position().row + 1)
    })
}

/// The 1-based line of the first `System.get_env("VAR")`, `System.fetch_env("VAR")` or
/// `System.fetch_env!("VAR")` in the file.
pub fn env_read_line(root: Node<'_>, src: &str, var: &str) -> Option<usize> {
    let quoted = format!("\"{var}\"");
    elixir::descendants_of_kind(root, "call")
        .into_iter()
        .find_map(|call| {
            let name = elixir::call_name(call, src)?;
            if !matches!(
                name,
                "System.get_env" | "System.fetch_env" | "System.fetch_env!"
            ) {
                return None;
            }
            let first =
                elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next())?;
            (elixir::text(first, src) == quoted).then(|| call.start_position().row + 1)
        })
}

/// The 1-based line of the first `config :APP, SOMETHING.Repo, ...` call in the file.
pub fn repo_config_line(root: Node<'_>, src: &str) -> Option<usize> {
    elixir::descendants_of_kind(root, "call")
        .into_iter()
        .filter(|call| elixir::call_name(*call, src) == Some("config"))
        .find(|call| {
            elixir::call_args(*call)
                .and_then(|a| elixir::items(a).into_iter().nth(1))
                .is_some_and(|m| m.kind() == "alias" && elixir::text(m, src).ends_with(".Repo"))
        })
        .map(|call| call.start_position().row + 1)
}

/// The runtime editor's result for `path`, with the Repo made to honour ECTO_IPV6 when the
/// database is on Fly. `before` is the file as read (None: the editor creates it).
pub fn plan(
    ctx: &EditCtx,
    path: &Path,
    before: Option<&str>,
    mut edited: Edited,
) -> Result<Edited> {
    if ctx.database != Database::Fly || !ctx.has_ecto_repo {
        return Ok(edited);
    }
    let text = match (&edited.outcome, before) {
        (Outcome::Write(text), _) => text.clone(),
        (_, Some(before)) => before.to_string(),
        (_, None) => return Ok(edited),
    };
    // A step by hand rides beside the file's own outcome, so a second run gives the same answer
    // (unchanged, with the step still to do) as the first.
    match ensure(ctx, path, &text) {
        RepoEdit::Unchanged => {}
        // The query's edit is left to the user because of the file's layout: so is this one.
        RepoEdit::Write(_) if matches!(edited.outcome, Outcome::Manual(_)) => {
            edited.manual.push(manual_step(
                ctx,
                path,
                "the file already needs a step by hand, so flycluster leaves it as it is",
            ));
        }
        RepoEdit::Write(after) => edited.outcome = Outcome::Write(after),
        RepoEdit::Manual(step) => edited.manual.push(step),
    }
    Ok(edited)
}

enum RepoEdit {
    Unchanged,
    Write(String),
    Manual(ManualStep),
}

/// One `config :APP, Repo, ...` call to extend.
struct RepoCall<'t> {
    call: Node<'t>,
    module: String,
}

fn ensure(ctx: &EditCtx, path: &Path, src: &str) -> RepoEdit {
    let tree = elixir::parse(src);
    let root = tree.root_node();
    if elixir::first_error(&tree).is_some() {
        // The runtime editor validated its own output; a file it could not read stays as it is.
        return RepoEdit::Unchanged;
    }
    if honoured_at(root, src).is_some() {
        return RepoEdit::Unchanged;
    }
    let manual = |reason: &str| RepoEdit::Manual(manual_step(ctx, path, reason));
    if elixir::descendants_of_kind(root, "identifier")
        .into_iter()
        .any(|i| elixir::text(i, src) == VARIABLE)
    {
        return manual("the file already has a `maybe_ipv6` that does not read ECTO_IPV6");
    }
    let block = runtime::prod_block(root, src);
    let statements = match block {
        Some(block) => elixir::items(block),
        None => elixir::items(root),
    };
    let mut calls: Vec<RepoCall<'_>> = Vec::new();
    for statement in statements {
        let Some(module) = repo_module(statement, src, &ctx.ecto_repos) else {
            continue;
        };
        if !calls.iter().any(|c| c.module == module) {
            calls.push(RepoCall {
                call: statement,
                module,
            });
        }
    }

    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let (binding_at, indent) = if calls.is_empty() {
        match append_config(ctx, src, block) {
            Ok(edit) => {
                let at = edit.0;
                edits.push(edit);
                (None, at)
            }
            Err(reason) => return manual(reason),
        }
    } else {
        for repo in &calls {
            match socket_options_edit(ctx, src, repo.call) {
                Ok(mut more) => edits.append(&mut more),
                Err(reason) => return manual(&reason),
            }
        }
        let first = calls[0].call;
        (
            Some(binding_start(src, first.start_byte())),
            elixir::indent_of_line(src, first.start_byte()),
        )
    };
    if let Some(at) = binding_at {
        edits.push((at, at, binding_block(ctx, &src[..at], indent)));
    }
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut after = src.to_string();
    for (start, end, text) in edits {
        after.replace_range(start..end, &text);
    }
    // An edit whose result does not parse (tree-sitter's error recovery accepts some code Elixir
    // rejects) is never written.
    if elixir::first_error(&elixir::parse_edited(src, &after)).is_some() {
        return manual("the lines cannot go into this file's layout without breaking its syntax");
    }
    RepoEdit::Write(after)
}

/// `statement` is `config :APP, MODULE, ...` for a Repo: one `ecto_repos` names, or, when the
/// project declares none, a module whose name ends in `Repo`.
fn repo_module(statement: Node<'_>, src: &str, repos: &[EctoRepo]) -> Option<String> {
    if elixir::call_name(statement, src) != Some("config") {
        return None;
    }
    let args = elixir::call_args(statement)?;
    let items = elixir::items(args);
    items.first().and_then(|a| elixir::atom_name(*a, src))?;
    let module = items.get(1).filter(|m| m.kind() == "alias")?;
    let name = elixir::text(*module, src);
    let is_repo = if repos.is_empty() {
        name.ends_with("Repo")
    } else {
        repos.iter().any(|r| r.module == name)
    };
    is_repo.then(|| name.to_string())
}

/// The edits that add `socket_options: maybe_ipv6` to a Repo's `config` call, laid out as
/// `mix format` lays the call out; the reason when the call's shape is not one to edit.
fn socket_options_edit(
    ctx: &EditCtx,
    src: &str,
    call: Node<'_>,
) -> std::result::Result<Vec<(usize, usize, String)>, String> {
    let args = elixir::call_args(call).ok_or("the Repo's `config` has no arguments")?;
    if args.child(0).is_some_and(|c| c.kind() == "(") {
        return Err("the Repo's `config(...)` is written with parentheses".into());
    }
    let items = elixir::items(args);
    let keywords = items
        .last()
        .filter(|k| k.kind() == "keywords" && items.len() == 3)
        .ok_or("the Repo's `config` does not end in a keyword list")?;
    let pairs = elixir::items(*keywords);
    if pairs
        .iter()
        .any(|p| key_name(*p, src) == Some("socket_options"))
    {
        return Err(
            "the Repo's config already sets `socket_options`; add `maybe_ipv6` to them".into(),
        );
    }
    let last = *pairs.last().ok_or("the Repo's `config` has no options")?;
    let line_rest = &src[last.end_byte()..elixir::line_end(src, last.end_byte())];
    if !line_rest.trim().is_empty() {
        return Err("the Repo's last option has something after it on its line".into());
    }
    let call_start = elixir::line_start(src, call.start_byte());
    if !src[call_start..call.start_byte()].trim().is_empty() {
        return Err("the Repo's `config` shares its line with other code".into());
    }
    if call.start_position().row == call.end_position().row {
        let indent = elixir::indent_of_line(src, call.start_byte());
        let app = elixir::text(items[0], src);
        let module = elixir::text(items[1], src);
        let mut texts: Vec<String> = pairs
            .iter()
            .map(|p| elixir::text(*p, src).to_string())
            .collect();
        texts.push(PAIR.to_string());
        let lines = config_call_lines(indent, app, module, &texts, ctx.line_length)
            .ok_or("the Repo's config would need its options broken over lines")?;
        let end = elixir::line_end(src, call.end_byte());
        let mut text = lines.join("\n");
        text.push('\n');
        if !src[call_start..end].ends_with('\n') {
            text.pop();
        }
        return Ok(vec![(call_start, end, text)]);
    }
    // Broken over lines: every option must start a line of its own, as the formatter leaves them.
    let mut previous_row = items[1].end_position().row;
    for pair in &pairs {
        if pair.start_position().row == previous_row {
            return Err("the Repo's config has options that share a line".into());
        }
        previous_row = pair.end_position().row;
    }
    let column = last.start_position().column;
    if column + PAIR.len() > ctx.line_length {
        return Err("`socket_options: maybe_ipv6` does not fit the line length there".into());
    }
    let at = elixir::line_end(src, last.end_byte());
    let mut line = format!("{}{PAIR}\n", " ".repeat(column));
    if !src[..at].ends_with('\n') {
        line.insert(0, '\n');
        line.pop();
    }
    Ok(vec![
        (last.end_byte(), last.end_byte(), ",".to_string()),
        (at, at, line),
    ])
}

/// A new `maybe_ipv6` binding and `config :APP, Repo, socket_options: maybe_ipv6` at the end of
/// the prod block (at the end of the file without one): `config` merges them with the Repo's other
/// settings, wherever those are. The edit's start is also its indentation's reference.
fn append_config(
    ctx: &EditCtx,
    src: &str,
    block: Option<Node<'_>>,
) -> std::result::Result<(usize, usize, String), &'static str> {
    if ctx.ecto_repos.is_empty() {
        return Err(
            "no `ecto_repos` in config/config.exs names the Repo, and this file configures none",
        );
    }
    let (at, indent) = match block {
        Some(block) => {
            let end = block
                .child(block.child_count().saturating_sub(1))
                .filter(|e| e.kind() == "end")
                .ok_or("the prod block has no `end`")?;
            let at = elixir::line_start(src, end.start_byte());
            if !src[at..end.start_byte()].trim().is_empty() {
                return Err("the prod block's `end` shares its line with code");
            }
            (at, elixir::indent_of_line(src, block.start_byte()) + 2)
        }
        None => (src.len(), 0),
    };
    let mut insert = String::new();
    if at == src.len() && !src.is_empty() && !src.ends_with('\n') {
        insert.push('\n');
    }
    insert.push_str(&binding_block(
        ctx,
        &format!("{}{insert}", &src[..at]),
        indent,
    ));
    for repo in &ctx.ecto_repos {
        let lines = config_call_lines(
            indent,
            &format!(":{}", repo.app),
            &repo.module,
            &[PAIR.to_string()],
            ctx.line_length,
        )
        .ok_or("`config` for the Repo does not fit the line length")?;
        insert.push_str(&lines.join("\n"));
        insert.push('\n');
    }
    Ok((at, at, insert))
}

/// Where the binding goes: the start of the line of `byte`, above the comment lines right above it
/// (they describe the `config` call).
fn binding_start(src: &str, byte: usize) -> usize {
    let mut at = elixir::line_start(src, byte);
    while at > 0 {
        let previous = elixir::line_start(src, at - 1);
        if !src[previous..at].trim_start().starts_with('#') {
            break;
        }
        at = previous;
    }
    at
}

/// The binding and the blank line after it, to follow `before`: a blank line before it too, unless
/// `before` ends in one or in the line that opens the block.
fn binding_block(ctx: &EditCtx, before: &str, indent: usize) -> String {
    let previous = before.trim_end_matches('\n');
    let previous_line = &previous[elixir::line_start(previous, previous.len())..];
    let blank_before = !previous.is_empty()
        && !before.ends_with("\n\n")
        && !previous_line.trim_end().ends_with(" do");
    let mut block = if blank_before {
        "\n".to_string()
    } else {
        String::new()
    };
    block.push_str(&binding_lines(ctx, indent).join("\n"));
    block.push_str("\n\n");
    block
}

/// The binding as `mix format` lays it out at `indent`.
fn binding_lines(ctx: &EditCtx, indent: usize) -> Vec<String> {
    elixir::fitted_layout(
        "repo_ipv6_binding.exs.j2",
        3,
        minijinja::context! { pad => " ".repeat(indent) },
        ctx.line_length,
        0,
    )
}

/// `config APP, MODULE, PAIRS...` as the formatter lays out a call whose last argument is a keyword
/// list: on one line when it fits; else `config APP, MODULE,` with one option per line two spaces
/// in; else every argument on a line of its own, aligned after `config `. None when an option would
/// itself have to be broken.
fn config_call_lines(
    indent: usize,
    app: &str,
    module: &str,
    pairs: &[String],
    line_length: usize,
) -> Option<Vec<String>> {
    let pad = " ".repeat(indent);
    let one = format!("{pad}config {app}, {module}, {}", pairs.join(", "));
    if one.chars().count() <= line_length {
        return Some(vec![one]);
    }
    let with_commas = |inner: &str| -> Vec<String> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let comma = if i + 1 < pairs.len() { "," } else { "" };
                format!("{pad}{inner}{p}{comma}")
            })
            .collect()
    };
    let fits = |lines: &[String]| lines.iter().all(|l| l.chars().count() <= line_length);
    let head = format!("{pad}config {app}, {module},");
    let mut lines = vec![head];
    lines.extend(with_commas("  "));
    if fits(&lines) {
        return Some(lines);
    }
    let aligned = " ".repeat("config ".len());
    let mut lines = vec![
        format!("{pad}config {app},"),
        format!("{pad}{aligned}{module},"),
    ];
    lines.extend(with_commas(&aligned));
    fits(&lines).then_some(lines)
}

fn key_name<'s>(pair: Node<'_>, src: &'s str) -> Option<&'s str> {
    pair.child_by_field_name("key")
        .map(|k| elixir::text(k, src).trim_end().trim_end_matches(':'))
}

fn manual_step(ctx: &EditCtx, path: &Path, reason: &str) -> ManualStep {
    let (app, module) = match ctx.ecto_repos.first() {
        Some(repo) => (repo.app.clone(), repo.module.clone()),
        None => (ctx.otp_app.clone(), format!("{}.Repo", ctx.namespace)),
    };
    let mut snippet = binding_lines(ctx, 0);
    snippet.push(String::new());
    snippet.extend(
        config_call_lines(
            0,
            &format!(":{app}"),
            &module,
            &[PAIR.to_string()],
            usize::MAX,
        )
        .unwrap_or_default(),
    );
    ManualStep {
        id: FindingId::EctoIpv6Runtime,
        path: path.to_path_buf(),
        location: "inside `if config_env() == :prod do` (a `config` call merges with the Repo's other settings; or add `socket_options: maybe_ipv6` to its existing config)".into(),
        snippet: snippet.join("\n"),
        reason: format!(
            "{reason}; with `--database fly` the Repo must read ECTO_IPV6 to reach Fly Postgres over IPv6"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::test_ctx;

    fn ctx() -> EditCtx {
        EditCtx {
            has_ecto_repo: true,
            ecto_repos: vec![EctoRepo {
                app: "hello_elixir".into(),
                module: "HelloElixir.Repo".into(),
            }],
            ..test_ctx()
        }
    }

    fn run(ctx: &EditCtx, src: &str) -> RepoEdit {
        ensure(ctx, Path::new("config/runtime.exs"), src)
    }

    /// The new text, after checking that the edit is idempotent.
    fn written(ctx: &EditCtx, src: &str) -> String {
        match run(ctx, src) {
            RepoEdit::Write(after) => {
                assert!(
                    matches!(run(ctx, &after), RepoEdit::Unchanged),
                    "not idempotent:\n{after}"
                );
                after
            }
            RepoEdit::Unchanged => panic!("expected a write, got no change"),
            RepoEdit::Manual(step) => panic!("expected a write, got a manual step: {step:?}"),
        }
    }

    fn manual_reason(ctx: &EditCtx, src: &str) -> String {
        match run(ctx, src) {
            RepoEdit::Manual(step) => step.reason,
            _ => panic!("expected a manual step"),
        }
    }

    const BINDING: &str =
        "maybe_ipv6 = if System.get_env(\"ECTO_IPV6\") in ~w(true 1), do: [:inet6], else: []";

    #[test]
    fn phx_gen_release_layout_without_the_lines_gets_them() {
        let src = "import Config\n\nif config_env() == :prod do\n  database_url = System.get_env(\"DATABASE_URL\")\n\n  config :hello_elixir, HelloElixir.Repo,\n    # ssl: true,\n    url: database_url,\n    pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\")\n\n  config :hello_elixir, HelloElixirWeb.Endpoint, server: true\nend\n";
        assert_eq!(
            written(&ctx(), src),
            format!(
                "import Config\n\nif config_env() == :prod do\n  database_url = System.get_env(\"DATABASE_URL\")\n\n  {BINDING}\n\n  config :hello_elixir, HelloElixir.Repo,\n    # ssl: true,\n    url: database_url,\n    pool_size: String.to_integer(System.get_env(\"POOL_SIZE\") || \"10\"),\n    socket_options: maybe_ipv6\n\n  config :hello_elixir, HelloElixirWeb.Endpoint, server: true\nend\n"
            )
        );
    }

    #[test]
    fn comments_above_the_config_stay_with_it() {
        let src = "if config_env() == :prod do\n  x = 1\n  # The database\n  config :hello_elixir, HelloElixir.Repo,\n    url: \"ecto://x\"\nend\n";
        assert_eq!(
            written(&ctx(), src),
            format!(
                "if config_env() == :prod do\n  x = 1\n\n  {BINDING}\n\n  # The database\n  config :hello_elixir, HelloElixir.Repo,\n    url: \"ecto://x\",\n    socket_options: maybe_ipv6\nend\n"
            )
        );
    }

    #[test]
    fn a_one_line_config_stays_on_one_line_when_it_fits_and_breaks_as_the_formatter_does() {
        let src = "if config_env() == :prod do\n  config :hello_elixir, HelloElixir.Repo, url: database_url\nend\n";
        assert_eq!(
            written(&ctx(), src),
            format!(
                "if config_env() == :prod do\n  {BINDING}\n\n  config :hello_elixir, HelloElixir.Repo, url: database_url, socket_options: maybe_ipv6\nend\n"
            )
        );
        let narrow = EditCtx {
            line_length: 60,
            ..ctx()
        };
        assert_eq!(
            written(&narrow, src),
            "if config_env() == :prod do\n  maybe_ipv6 =\n    if System.get_env(\"ECTO_IPV6\") in ~w(true 1),\n      do: [:inet6],\n      else: []\n\n  config :hello_elixir, HelloElixir.Repo,\n    url: database_url,\n    socket_options: maybe_ipv6\nend\n"
        );
    }

    #[test]
    fn arguments_aligned_after_config_get_the_option_at_their_column() {
        let ctx = EditCtx {
            line_length: 60,
            ..ctx()
        };
        let src = "if config_env() == :prod do\n  config :my_very_long_application_name,\n         HelloElixir.Repo,\n         url: System.fetch_env!(\"DATABASE_URL\")\nend\n";
        assert!(
            written(&ctx, src).ends_with(
                "         url: System.fetch_env!(\"DATABASE_URL\"),\n         socket_options: maybe_ipv6\nend\n"
            )
        );
    }

    #[test]
    fn only_unconditional_prod_configs_are_edited() {
        let src = "if config_env() == :prod do\n  if System.get_env(\"SSL\") do\n    config :hello_elixir, HelloElixir.Repo, ssl: true\n  end\n\n  config :hello_elixir, HelloElixir.Repo, url: database_url\nend\n\nif config_env() == :test do\n  config :hello_elixir, HelloElixir.Repo, pool_size: 2\nend\n";
        let out = written(&ctx(), src);
        assert!(out.contains("    config :hello_elixir, HelloElixir.Repo, ssl: true\n"));
        assert!(out.contains(&format!("  end\n\n  {BINDING}\n\n  config :hello_elixir, HelloElixir.Repo, url: database_url, socket_options: maybe_ipv6\n")));
        assert!(out.contains("  config :hello_elixir, HelloElixir.Repo, pool_size: 2\n"));
    }

    #[test]
    fn a_prod_block_without_the_repo_gets_a_config_of_its_own() {
        let src = "import Config\n\nif config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\nend\n";
        assert_eq!(
            written(&ctx(), src),
            format!(
                "import Config\n\nif config_env() == :prod do\n  config :hello_elixir, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\n\n  {BINDING}\n\n  config :hello_elixir, HelloElixir.Repo, socket_options: maybe_ipv6\nend\n"
            )
        );
    }

    #[test]
    fn a_top_level_repo_config_is_edited_where_there_is_no_prod_block() {
        let src =
            "import Mix.Config\n\nconfig :hello_elixir, HelloElixir.Repo,\n  url: database_url\n";
        assert_eq!(
            written(&ctx(), src),
            format!(
                "import Mix.Config\n\n{BINDING}\n\nconfig :hello_elixir, HelloElixir.Repo,\n  url: database_url,\n  socket_options: maybe_ipv6\n"
            )
        );
        let none = "import Config\n\nconfig :a, b: 1\n";
        assert_eq!(
            written(&ctx(), none),
            format!(
                "import Config\n\nconfig :a, b: 1\n\n{BINDING}\n\nconfig :hello_elixir, HelloElixir.Repo, socket_options: maybe_ipv6\n"
            )
        );
    }

    #[test]
    fn the_repo_is_recognised_by_name_when_the_project_declares_none() {
        let ctx = EditCtx {
            ecto_repos: Vec::new(),
            ..ctx()
        };
        let src =
            "if config_env() == :prod do\n  config :hello_elixir, HelloElixir.Repo, url: u\nend\n";
        assert!(written(&ctx, src).contains("url: u, socket_options: maybe_ipv6"));
        let no_repo = "if config_env() == :prod do\n  x = 1\nend\n";
        assert!(manual_reason(&ctx, no_repo).starts_with("no `ecto_repos`"));
    }

    #[test]
    fn a_repo_that_already_honours_it_is_left_alone() {
        for src in [
            format!("if config_env() == :prod do\n  {BINDING}\nend\n"),
            "config :a, A.Repo, socket_options: [:inet6]\n".to_string(),
            "config :a, A.Repo, url: System.fetch_env!(\"ECTO_IPV6\")\n".to_string(),
        ] {
            assert!(matches!(run(&ctx(), &src), RepoEdit::Unchanged), "{src}");
        }
    }

    #[test]
    fn shapes_it_cannot_edit_safely_are_manual_steps() {
        for (src, reason) in [
            (
                "config :hello_elixir, HelloElixir.Repo, socket_options: [keepalive: true]\n",
                "already sets `socket_options`",
            ),
            (
                "config :hello_elixir, HelloElixir.Repo, repo_options\n",
                "does not end in a keyword list",
            ),
            (
                "config(:hello_elixir, HelloElixir.Repo, url: u)\n",
                "parentheses",
            ),
            (
                "config :hello_elixir, HelloElixir.Repo, url: u, pool_size: 10 # ten\n",
                "something after it",
            ),
            (
                "maybe_ipv6 = []\nconfig :hello_elixir, HelloElixir.Repo, url: u\n",
                "already has a `maybe_ipv6`",
            ),
        ] {
            let got = manual_reason(&ctx(), src);
            assert!(got.contains(reason), "{src}: {got}");
        }
    }

    #[test]
    fn the_manual_step_is_code_that_works_anywhere_in_the_prod_block() {
        let RepoEdit::Manual(step) = run(
            &ctx(),
            "config :hello_elixir, HelloElixir.Repo, repo_options\n",
        ) else {
            panic!()
        };
        assert_eq!(
            step.snippet,
            format!(
                "{BINDING}\n\nconfig :hello_elixir, HelloElixir.Repo, socket_options: maybe_ipv6"
            )
        );
    }

    #[test]
    fn only_a_database_on_fly_gets_the_lines() {
        let src =
            "if config_env() == :prod do\n  config :hello_elixir, HelloElixir.Repo, url: u\nend\n";
        for database in [Database::External, Database::None] {
            let ctx = EditCtx { database, ..ctx() };
            let edited = plan(
                &ctx,
                Path::new("config/runtime.exs"),
                Some(src),
                Edited::new(Outcome::Unchanged),
            )
            .unwrap();
            assert_eq!(edited.outcome, Outcome::Unchanged);
        }
    }

    #[test]
    fn beside_a_manual_query_step_the_repo_lines_are_a_manual_step_too() {
        let src =
            "if config_env() == :prod do\n  config :hello_elixir, HelloElixir.Repo, url: u\nend\n";
        let query_step = ManualStep {
            id: FindingId::DnsClusterConfig,
            path: "config/runtime.exs".into(),
            location: "x".into(),
            snippet: "y".into(),
            reason: "z".into(),
        };
        let edited = plan(
            &ctx(),
            Path::new("config/runtime.exs"),
            Some(src),
            Edited::new(Outcome::Manual(query_step.clone())),
        )
        .unwrap();
        assert_eq!(edited.outcome, Outcome::Manual(query_step));
        assert_eq!(edited.manual.len(), 1);
        assert!(
            edited.manual[0]
                .reason
                .starts_with("the file already needs a step by hand")
        );
        // A Repo it cannot edit leaves the query's edit standing, beside a step by hand.
        let odd = "if config_env() == :prod do\n  config :hello_elixir, HelloElixir.Repo, repo_options\nend\n";
        let edited = plan(
            &ctx(),
            Path::new("config/runtime.exs"),
            Some(odd),
            Edited::new(Outcome::Write(odd.replace("do\n", "do\n  x = 1\n"))),
        )
        .unwrap();
        assert!(matches!(edited.outcome, Outcome::Write(_)));
        assert_eq!(edited.manual.len(), 1);
    }
}
