//! What every editor must guarantee for any input, checked by the fuzz targets and by the property
//! tests (tests/properties.rs includes this file): no panic; applying twice equals applying once;
//! output as valid as its input (Elixir parses, TOML parses, the shell reader follows env.sh); no
//! byte of the input lost (each changed stretch of lines only gains characters); and the file's
//! byte conventions (BOM, final newline, line endings) survive the round trip through `TextFile`.

use flycluster::edit::{self, Database, EctoRepo, EditCtx, Edited, Outcome, Strategy, Supervision};
use flycluster::error::Error;
use flycluster::textfile::TextFile;
use std::path::Path;

/// One editor of `flycluster::edit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    EnvSh,
    Dockerfile,
    FlyToml,
    Application,
    Deps,
    Runtime,
}

impl Editor {
    pub fn path(self) -> &'static Path {
        Path::new(match self {
            Editor::EnvSh => "rel/env.sh.eex",
            Editor::Dockerfile => "Dockerfile",
            Editor::FlyToml => "fly.toml",
            Editor::Application => "lib/hello_elixir/application.ex",
            Editor::Deps => "mix.exs",
            Editor::Runtime => "config/runtime.exs",
        })
    }

    pub fn plan(self, ctx: &EditCtx, before: Option<&str>) -> Result<Edited, Error> {
        let path = self.path();
        match self {
            Editor::EnvSh => edit::env_sh::plan(ctx, path, before),
            Editor::Dockerfile => edit::dockerfile::plan(ctx, path, before),
            Editor::FlyToml => edit::fly_toml::plan(ctx, path, before),
            Editor::Application => edit::application::plan(ctx, path, before),
            Editor::Deps => edit::deps::plan(ctx, path, before),
            Editor::Runtime => edit::runtime::plan(ctx, path, before),
        }
    }

    /// Whether `text` is valid for this kind of file, as far as the tool can tell: Elixir parses,
    /// TOML parses, the shell reader follows it. `None` for Dockerfiles (there is no parser to ask).
    pub fn parses(self, text: &str) -> Option<bool> {
        match self {
            // Elixir rejects a CR that ends no line; tree-sitter accepts it in some places.
            Editor::Application | Editor::Deps | Editor::Runtime => Some(
                flycluster::elixir::first_error(&flycluster::elixir::parse(text)).is_none()
                    && flycluster::elixir::stray_carriage_return(text).is_none(),
            ),
            Editor::FlyToml => Some(text.parse::<toml_edit::DocumentMut>().is_ok()),
            Editor::EnvSh => Some(flycluster::shell::read(text).is_ok()),
            Editor::Dockerfile => None,
        }
    }
}

/// The runs every input is planned under: the defaults (a Repo whose database is on Fly, so the
/// runtime editor adds its `maybe_ipv6` lines), and the other strategy with a cookie in fly.toml,
/// `--force`, a short line length (so the other layouts are taken) and no database.
pub fn contexts() -> [EditCtx; 2] {
    [
        EditCtx {
            otp_app: "hello_elixir".into(),
            namespace: "HelloElixir".into(),
            fly_app: "hello-elixir".into(),
            strategy: Strategy::DnsCluster,
            fly_toml_cookie: None,
            force: false,
            line_length: 98,
            node_image_suffix: true,
            supervision: Supervision::default(),
            topology_name: "fly6pn".into(),
            sibling_deps: Vec::new(),
            database: Database::Fly,
            ecto_repos: vec![EctoRepo {
                app: "hello_elixir".into(),
                module: "HelloElixir.Repo".into(),
            }],
            has_ecto_repo: true,
        },
        EditCtx {
            otp_app: "my_app".into(),
            namespace: "MyApp".into(),
            fly_app: "my-app-2".into(),
            strategy: Strategy::Libcluster,
            fly_toml_cookie: Some("c0okie_-AbC".into()),
            force: true,
            line_length: 40,
            node_image_suffix: false,
            supervision: Supervision::default(),
            topology_name: "fly6pn".into(),
            sibling_deps: Vec::new(),
            database: Database::None,
            ecto_repos: Vec::new(),
            has_ecto_repo: false,
        },
    ]
}

/// The fuzz entry point: `data` read as the tool reads a file, then every invariant under every
/// context. Input that is not UTF-8 is refused by the reader before any editor sees it.
pub fn check_bytes(editor: Editor, data: &[u8]) {
    let Ok(file) = TextFile::decode(editor.path(), data) else {
        return;
    };
    for ctx in contexts() {
        if let Some(after) = check(editor, &ctx, &file.text) {
            check_encoding(&file, &after);
        }
    }
}

/// Every invariant for one input and one context; the edited text when the editor writes.
pub fn check(editor: Editor, ctx: &EditCtx, before: &str) -> Option<String> {
    let parses = editor.parses(before);
    let first = match editor.plan(ctx, Some(before)) {
        Ok(edited) => edited,
        Err(e @ Error::Invalid { .. }) => {
            panic!(
                "{editor:?}: the editor's output failed its own validation: {e}\n--- input ---\n{before}"
            )
        }
        Err(e) => {
            // Refusals are for input the tool cannot work with; valid Elixir is never refused.
            if matches!(editor, Editor::Application | Editor::Deps | Editor::Runtime) {
                assert_ne!(
                    parses,
                    Some(true),
                    "{editor:?}: refused Elixir that parses: {e}\n--- input ---\n{before}"
                );
            }
            if editor == Editor::FlyToml {
                assert!(
                    matches!(e, Error::Input { .. }),
                    "{editor:?}: unexpected error kind: {e}"
                );
            }
            return None;
        }
    };
    let Outcome::Write(after) = first.outcome else {
        return None;
    };
    assert_ne!(after, before, "{editor:?}: Write with unchanged text");
    if parses == Some(true) {
        assert_eq!(
            editor.parses(&after),
            Some(true),
            "{editor:?}: the input parses but the output does not\n--- input ---\n{before}\n--- output ---\n{after}"
        );
    }
    if let Err(wrong) = added_where_it_counts(editor, ctx, &after) {
        panic!("{editor:?}: {wrong}\n--- input ---\n{before}\n--- output ---\n{after}");
    }
    match editor.plan(ctx, Some(&after)) {
        Ok(second) => assert!(
            second.outcome == Outcome::Unchanged,
            "{editor:?}: applying twice differs from applying once: {:?}\n--- input ---\n{before}\n--- after one run ---\n{after}",
            second.outcome
        ),
        Err(e) => panic!(
            "{editor:?}: the editor refuses its own output: {e}\n--- input ---\n{before}\n--- output ---\n{after}"
        ),
    }
    // env.sh's editor replaces its own block and the lines earlier Fly setups wrote, by design.
    let lost = if editor == Editor::EnvSh {
        only_clustering_lines_removed(before, &after)
    } else if !ctx.force {
        nothing_lost(editor, before, &after)
    } else {
        Ok(())
    };
    if let Err(lost) = lost {
        panic!("{editor:?}: input lost: {lost}\n--- input ---\n{before}\n--- output ---\n{after}");
    }
    Some(after)
}

/// The env.sh editor removes only lines of a clustering setup: its own block, and what earlier Fly
/// setups wrote (assignments of the clustering variables, the fly-local-6pn lookup, their guard,
/// the comments above them). Every other line of the input stays.
pub fn only_clustering_lines_removed(before: &str, after: &str) -> Result<(), String> {
    const MAY_GO: [&str; 9] = [
        "ERL_AFLAGS",
        "ELIXIR_ERL_OPTIONS",
        "ECTO_IPV6",
        "DNS_CLUSTER_QUERY",
        "RELEASE_DISTRIBUTION",
        "RELEASE_NODE",
        "fly-local-6pn",
        "flycluster",
        "FLY_",
    ];
    // The lines that must stay, in order, among the output's lines.
    let mut rest = after.lines();
    for line in before.lines() {
        let t = line.trim();
        let may_go = t.is_empty()
            || t.starts_with('#')
            || t == "fi"
            || MAY_GO.iter().any(|w| t.contains(w))
            // The IP variable of the pre-2023 setup, and one-word continuations of a removed line.
            || !t.contains(' ');
        if !may_go && !rest.any(|l| l == line) {
            return Err(format!("the line {t:?} is gone or out of order"));
        }
    }
    Ok(())
}

/// What an Elixir editor adds must be an element of a list, not swallowed by its neighbour (a comma
/// after `supervisor Foo, []` makes the child a third argument, and the output still parses).
pub fn added_where_it_counts(editor: Editor, ctx: &EditCtx, after: &str) -> Result<(), String> {
    use flycluster::elixir;
    let wanted: &[&str] = match (editor, ctx.strategy) {
        (Editor::Application, _) => &["DNSCluster", "Cluster.Supervisor"],
        (Editor::Deps, Strategy::DnsCluster) => &[":dns_cluster"],
        (Editor::Deps, Strategy::Libcluster) => &[":libcluster"],
        _ => return Ok(()),
    };
    let tree = elixir::parse(after);
    let in_a_list = elixir::descendants_of_kind(tree.root_node(), "tuple")
        .into_iter()
        .filter(|t| t.parent().is_some_and(|p| p.kind() == "list"))
        .filter_map(|t| elixir::items(t).first().copied())
        .any(|first| wanted.contains(&elixir::text(first, after)));
    if in_a_list {
        Ok(())
    } else {
        Err(format!(
            "no `{{{}, ...}}` element in any list after the edit",
            wanted[0]
        ))
    }
}

/// Each stretch of lines the edit changed keeps every character it had, in order, and at least as
/// many lines: lines are only inserted, or gain characters (a comma after the last list element, a
/// flag inside a value). Only whitespace between words may go, and in a Dockerfile quotes, escaping
/// backslashes and `\` continuations: the Dockerfile editor writes a legacy `ENV KEY value` it
/// extends as `ENV KEY="value ..."` on one line, the value as BuildKit reads it.
pub fn nothing_lost(editor: Editor, before: &str, after: &str) -> Result<(), String> {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    // Each run of changes between two unchanged stretches is judged as a whole: a joined line
    // shows up as a replacement next to a deletion.
    let mut hunks: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    let mut open = false;
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let (o, n) = (op.old_range(), op.new_range());
        match op {
            similar::DiffOp::Equal { .. } => open = false,
            _ if open => {
                let last = hunks.last_mut().expect("an open hunk exists");
                last.0.end = o.end;
                last.1.end = n.end;
            }
            _ => {
                hunks.push((o, n));
                open = true;
            }
        }
    }
    let docker = editor == Editor::Dockerfile;
    if docker {
        // The Dockerfile editor joins a continued `ENV` value onto one line, and a file of repeated
        // lines lets the line diff pair them anywhere: the whole file is judged at once.
        let words: String = joined_continuations(before)
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '\\'))
            .collect();
        return if is_subsequence(&words, after) {
            Ok(())
        } else {
            Err("characters of the input are missing from the output".into())
        };
    }
    for (o, n) in hunks {
        let was: String = old[o.clone()].concat();
        let now: String = new[n.clone()].concat();
        let words: String = was
            .chars()
            .filter(|c| *c == '\n' || !c.is_whitespace())
            .collect();
        if n.len() < o.len() || !is_subsequence(&words, &now) {
            return Err(format!(
                "lines {}..{}: {was:?} became {now:?}",
                o.start + 1,
                o.end
            ));
        }
    }
    Ok(())
}

/// Every char of `small` appears in `big`, in order.
pub fn is_subsequence(small: &str, big: &str) -> bool {
    let mut rest = big.chars();
    small.chars().all(|c| rest.any(|b| b == c))
}

/// Stored with the file's conventions, the edited text reads back as itself with the same BOM and
/// final-newline state, and each line of the original that survives keeps its ending.
pub fn check_encoding(file: &TextFile, after: &str) {
    let bytes = file.encode(after);
    let back = TextFile::decode(Path::new("x"), &bytes).expect("encoded text is UTF-8");
    if after.contains("\r\n") {
        // A line whose body ends in a lone CR (the file's last line was `x\r`) reads back as a CRLF
        // line once a line follows it: the same bytes, another reading.
        assert_eq!(
            without_cr_before_lf(&back.text),
            without_cr_before_lf(after),
            "encode/decode does not give the edited text back"
        );
        return;
    }
    assert_eq!(
        back.text, after,
        "encode/decode does not give the edited text back"
    );
    assert_eq!(back.bom, file.bom, "BOM state changed");
    assert_eq!(
        back.final_newline, file.final_newline,
        "final-newline state changed"
    );
    if !file.mixed_endings && !after.is_empty() && file.text.lines().count() > 1 {
        assert_eq!(
            back.new_line_ending, file.new_line_ending,
            "a file with one line-ending style changed style"
        );
        assert!(
            !back.mixed_endings,
            "a file with one line-ending style became mixed"
        );
    }
}

fn without_cr_before_lf(text: &str) -> String {
    let mut out = text.to_string();
    while out.contains("\r\n") {
        out = out.replace("\r\n", "\n");
    }
    out
}

/// `text` with each `\` line continuation (spaces allowed after the `\`) removed.
fn joined_continuations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n').trim_end_matches([' ', '\t']);
        match body.strip_suffix('\\') {
            Some(rest) if line.ends_with('\n') => out.push_str(rest),
            _ => out.push_str(line),
        }
    }
    out
}
