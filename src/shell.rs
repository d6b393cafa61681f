//! rel/env.sh.eex as `sh` runs it, read with tree-sitter-bash: for each variable, what it holds when
//! the release boots on Fly and off Fly, and which line set it. The env.sh editor and doctor both
//! ask this module, so "configured" is judged once.
//!
//! The release script sources env.sh with `set -e`, then execs erl. Only commands that run in that
//! shell count: a subshell, a pipeline, a background job or a function body changes nothing, and
//! a command under a condition this module cannot decide may or may not run. A condition it can
//! decide is a test of a variable only Fly sets (`[ -n "${FLY_PRIVATE_IP:-}" ]`): on Fly its `then`
//! branch runs, off Fly it does not — unless the file assigns that variable itself.

use crate::templates;
use std::ops::RangeInclusive;
use tree_sitter::{Node, Parser};

/// The five variables the clustering guide asks env.sh to export, in the order the block sets them.
pub const CLUSTERING_VARS: [&str; 5] = [
    "ERL_AFLAGS",
    "ECTO_IPV6",
    "DNS_CLUSTER_QUERY",
    "RELEASE_DISTRIBUTION",
    "RELEASE_NODE",
];

/// Flag variables besides ERL_AFLAGS that reach erl. erl ignores `-proto_dist` when it is given more
/// than once (and then listens on IPv4), so one of these carrying it conflicts with ERL_AFLAGS.
pub const OTHER_FLAG_VARS: [&str; 3] = ["ELIXIR_ERL_OPTIONS", "ERL_FLAGS", "ERL_ZFLAGS"];

/// Variables Fly sets in every Machine and nowhere else: a test of one tells Fly from elsewhere.
const FLY_ONLY: [&str; 6] = [
    "FLY_PRIVATE_IP",
    "FLY_APP_NAME",
    "FLY_MACHINE_ID",
    "FLY_ALLOC_ID",
    "FLY_IMAGE_REF",
    "FLY_REGION",
];

const BLOCK_TEMPLATE: &str = "env_sh_block.sh.j2";
const BLOCK_START: &str = "# >>> flycluster";
const BLOCK_END: &str = "# <<< flycluster <<<";

/// The release's vm.args templates: erl reads its flags from them too.
pub const VM_ARGS_FILES: [&str; 2] = ["rel/vm.args.eex", "rel/remote.vm.args.eex"];

/// Each `-proto_dist CARRIER` in a vm.args file: 1-based line and carrier. Comment lines do not
/// count.
pub fn vm_args_proto_dist(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first().is_some_and(|w| w.starts_with('#')) {
            continue;
        }
        for pair in words.windows(2).filter(|w| w[0] == "-proto_dist") {
            out.push((i + 1, pair[1].to_string()));
        }
    }
    out
}

/// What to do about a `-proto_dist` in a vm.args file, in the words init's manual step and
/// doctor's fix share.
pub fn remove_vm_args_proto_dist(file: &str, line: usize, carrier: &str) -> String {
    format!("remove `-proto_dist {carrier}` from {file} line {line}: ERL_AFLAGS carries it once")
}

/// The same for another flag variable (ELIXIR_ERL_OPTIONS, ERL_FLAGS) set in the Dockerfile or
/// fly.toml, which flycluster leaves alone.
pub fn remove_flag_var_proto_dist(file: &str, line: usize, var: &str) -> String {
    format!("remove `-proto_dist` from {var} in {file} line {line}: ERL_AFLAGS carries it once")
}

/// erl and the application read these from their environment, so an unexported assignment does
/// nothing. The release script exports RELEASE_DISTRIBUTION and RELEASE_NODE itself after it
/// sources env.sh, so for those a plain assignment is enough.
pub fn needs_export(name: &str) -> bool {
    !matches!(name, "RELEASE_DISTRIBUTION" | "RELEASE_NODE")
}

// ---------------------------------------------------------------------------------------------
// Values.

/// A piece of a shell word after quote removal: literal text, or an expansion kept as written
/// (`$NAME` spelled `${NAME}`, so both spellings compare equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    Exp(String),
}

/// One string for comparisons; a literal `$` (from quotes or escapes) is shown as `\$` so it never
/// equals an expansion.
pub fn normalized(value: &[Seg]) -> String {
    value
        .iter()
        .map(|s| match s {
            Seg::Lit(l) => l.replace('$', "\\$"),
            Seg::Exp(e) => e.clone(),
        })
        .collect()
}

/// The value's flags as erl would split them; an expansion is a token of its own (`None`).
fn flag_tokens(value: &[Seg]) -> Vec<Option<&str>> {
    let mut tokens = Vec::new();
    for seg in value {
        match seg {
            Seg::Lit(l) => tokens.extend(l.split_whitespace().map(Some)),
            Seg::Exp(_) => tokens.push(None),
        }
    }
    tokens
}

pub fn proto_dist_count(value: &[Seg]) -> usize {
    flag_tokens(value)
        .iter()
        .filter(|t| **t == Some("-proto_dist"))
        .count()
}

pub fn has_inet6_tcp(value: &[Seg]) -> bool {
    flag_tokens(value)
        .windows(2)
        .any(|w| w[0] == Some("-proto_dist") && w[1] == Some("inet6_tcp"))
}

/// The variable names an expansion reads: `${A:-$B}` reads A and B.
pub fn referenced_names(expansion: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = expansion.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let mut j = i + 1;
            if bytes.get(j) == Some(&b'{') {
                j += 1;
            }
            let start = j;
            while j < bytes.len() && (bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric()) {
                j += 1;
            }
            if j > start && !bytes[start].is_ascii_digit() {
                names.push(expansion[start..j].to_string());
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
}

/// What one expansion is, for a value that must be the same on every Machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpansionKind {
    /// `$(...)` or backquotes: whatever the command prints.
    Command,
    /// `$$`, the shell's process id.
    ProcessId,
    /// `$NAME`, `${NAME...}`: the variables it reads.
    Parameters(Vec<String>),
}

pub fn expansion_kind(expansion: &str) -> ExpansionKind {
    if expansion.starts_with("$(") || expansion.starts_with('`') {
        ExpansionKind::Command
    } else if expansion == "$$" {
        ExpansionKind::ProcessId
    } else {
        ExpansionKind::Parameters(referenced_names(expansion))
    }
}

/// `${VAR##*-}` (any pattern ending in `*-`): everything after the last `-` of VAR, the image
/// suffix Fly's guide derives from `FLY_IMAGE_REF`.
pub fn after_last_dash_of(expansion: &str, var: &str) -> bool {
    expansion.starts_with(&format!("${{{var}##")) && expansion.trim_end_matches('}').ends_with("*-")
}

/// The name and host parts of a node name, split at the last `@` written literally.
pub fn split_node_name(value: &[Seg]) -> Option<(Vec<Seg>, Vec<Seg>)> {
    let (i, at) = value.iter().enumerate().rev().find_map(|(i, s)| match s {
        Seg::Lit(l) => l.rfind('@').map(|at| (i, at)),
        Seg::Exp(_) => None,
    })?;
    let Seg::Lit(l) = &value[i] else {
        unreachable!("found in a literal")
    };
    let mut name: Vec<Seg> = value[..i].to_vec();
    if at > 0 {
        name.push(Seg::Lit(l[..at].to_string()));
    }
    let mut host = Vec::new();
    if at + 1 < l.len() {
        host.push(Seg::Lit(l[at + 1..].to_string()));
    }
    host.extend(value[i + 1..].iter().cloned());
    Some((name, host))
}

/// 1-based lines of `# NAME=...` and `# export NAME=...`.
pub fn commented_assignments(text: &str, name: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.trim_start().strip_prefix('#')?;
            let rest = rest.trim_start_matches(['#', ' ', '\t']);
            let rest = rest.strip_prefix("export ").map_or(rest, str::trim_start);
            rest.strip_prefix(name)?.starts_with('=').then_some(i + 1)
        })
        .collect()
}

fn refers_to(value: &[Seg], name: &str) -> bool {
    value.iter().any(|s| match s {
        Seg::Exp(e) => referenced_names(e).iter().any(|n| n == name),
        Seg::Lit(_) => false,
    })
}

/// Whether `value` is one the guide's setting accepts for `name` on Fly. The one judgement of a
/// value that both the editor and doctor use.
fn accepts(name: &str, value: &[Seg]) -> bool {
    match name {
        // A value built on the inherited ERL_AFLAGS does not count: when the Dockerfile's ENV
        // already has the flag, erl gets it twice.
        "ERL_AFLAGS" => {
            proto_dist_count(value) == 1 && has_inet6_tcp(value) && !refers_to(value, "ERL_AFLAGS")
        }
        "ECTO_IPV6" => normalized(value) == "true",
        "DNS_CLUSTER_QUERY" => normalized(value) == "${FLY_APP_NAME}.internal",
        "RELEASE_DISTRIBUTION" => normalized(value) == "name",
        "RELEASE_NODE" => release_node_ok(value),
        _ => false,
    }
}

/// `${FLY_APP_NAME}@${FLY_PRIVATE_IP}`, the same on every Machine (flycluster's block, judged as
/// rendered, adds the image suffix safely). The guide's `${FLY_IMAGE_REF##*-}` keeps everything after the last `-` of
/// the whole image reference: with a custom `--image-label v42` the node is `app-elixir:v42@...`
/// and the release does not boot (`nodistribution`, seen in tests/e2e).
fn release_node_ok(value: &[Seg]) -> bool {
    let text = normalized(value);
    if text.contains("${FLY_IMAGE_REF##*-}") {
        return false;
    }
    let Some(name) = text.strip_suffix("@${FLY_PRIVATE_IP}") else {
        return false;
    };
    name == "${FLY_APP_NAME}"
}

// ---------------------------------------------------------------------------------------------
// The block flycluster owns.

/// What the block sets, beyond the three settings it always makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockOptions {
    /// Export `ECTO_IPV6="true"` (the database is on Fly's private network).
    pub ecto_ipv6: bool,
    /// Name the node `APP-SUFFIX@IP` after the image (the guide's scheme, which keeps two deploys
    /// apart); without it `APP@IP`, for a libcluster topology whose `node_basename` is the app name.
    pub image_suffix: bool,
}

impl BlockOptions {
    #[cfg(test)]
    pub(crate) const ALL_FOR_TESTS: [BlockOptions; 4] = BlockOptions::ALL;

    const ALL: [BlockOptions; 4] = [
        BlockOptions {
            ecto_ipv6: true,
            image_suffix: true,
        },
        BlockOptions {
            ecto_ipv6: false,
            image_suffix: true,
        },
        BlockOptions {
            ecto_ipv6: true,
            image_suffix: false,
        },
        BlockOptions {
            ecto_ipv6: false,
            image_suffix: false,
        },
    ];
}

/// The block, markers included, ending in a newline.
pub fn render_block(opts: BlockOptions) -> String {
    rendered_blocks()
        .iter()
        .find(|(o, _)| *o == opts)
        .map(|(_, text)| text.clone())
        .expect("every option set is rendered")
}

/// Each variant of the block, rendered once per run: a file is compared with all of them.
fn rendered_blocks() -> &'static [(BlockOptions, String)] {
    static BLOCKS: std::sync::OnceLock<Vec<(BlockOptions, String)>> = std::sync::OnceLock::new();
    BLOCKS.get_or_init(|| {
        BlockOptions::ALL
            .into_iter()
            .map(|opts| {
                let ctx = minijinja::context! {
                    ecto_ipv6 => opts.ecto_ipv6,
                    image_suffix => opts.image_suffix,
                };
                (opts, templates::render(BLOCK_TEMPLATE, ctx))
            })
            .collect()
    })
}

/// The flycluster block found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 0-based lines, markers included.
    pub lines: RangeInclusive<usize>,
    /// The options it was rendered with, when it is exactly what flycluster writes (else the user
    /// changed it, or an older flycluster wrote it).
    pub rendered_with: Option<BlockOptions>,
}

fn find_block(text: &str) -> Option<Block> {
    let lines: Vec<&str> = text.split('\n').collect();
    let start = lines.iter().position(|l| l.starts_with(BLOCK_START))?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.trim_end() == BLOCK_END)?;
    let mut body = lines[start..=end].join("\n");
    body.push('\n');
    let rendered_with = rendered_blocks()
        .iter()
        .find(|(_, text)| *text == body)
        .map(|(opts, _)| *opts);
    Some(Block {
        lines: start..=end,
        rendered_with,
    })
}

// ---------------------------------------------------------------------------------------------
// The model: what the file sets on Fly and off Fly.

/// The file could not be read as shell: 1-based line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub line: usize,
    pub message: String,
}

/// One assignment as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// 1-based line.
    pub line: usize,
    /// The assignment as written, EEx tags included (`RELEASE_NODE="${FLY_APP_NAME}@..."`).
    pub raw: String,
    /// The value after quote removal, expansions kept as written.
    pub value: Vec<Seg>,
    /// Made with `export NAME=...`.
    pub export: bool,
    /// Runs only on Fly (inside the `then` branch of a test of a variable only Fly sets).
    pub on_fly_only: bool,
    /// Made by flycluster's block as it renders it. Its ERL_AFLAGS keeps the inherited flags but
    /// their `-proto_dist`, so the value shown is the flag the block adds.
    pub managed: bool,
    /// The value is `$(...)` that only rewrites text (printf, echo, sed, tr, cut): the variables
    /// it reads, so the value is as stable as they are.
    pub text_of: Option<Vec<String>>,
}

/// Where one variable stands when the release boots, as `sh` runs the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyVar {
    pub name: String,
    /// The last assignment that always runs; `None` when there is none, or an `unset` that always
    /// runs came after it.
    pub effective: Option<Assignment>,
    /// Earlier assignments that always run, overridden by `effective` (or by an `unset`).
    pub overridden: Vec<Assignment>,
    /// 1-based line of an `unset` that always runs and clears the variable at the end.
    pub unset_line: Option<usize>,
    /// Exported by the end of the file (`export NAME=...` or `export NAME`).
    pub exported: bool,
    /// Assignments or unsets after `effective` that may or may not run: 1-based lines.
    pub conditional_lines: Vec<usize>,
    /// Every assignment that may or may not run (anywhere in the file, before `effective` too).
    pub conditional: Vec<Assignment>,
    /// Assignments that never change this shell here, with why (the other platform's branch, a
    /// subshell, a pipeline, a function body).
    pub not_on_fly: Vec<(Assignment, &'static str)>,
    /// For the five clustering variables, on Fly: set for sure, exported where erl needs it, with
    /// an accepted value, and no other `-proto_dist` live after it. `init` edits the file exactly
    /// when one of these is false. Always false for other variables and off Fly.
    pub accepted: bool,
}

/// Every variable the file sets, as seen when the release boots in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyView {
    pub vars: Vec<FlyVar>,
    /// Assignments that put `-proto_dist` into another flag variable erl reads, live here.
    pub proto_dist_elsewhere: Vec<(String, Assignment)>,
}

impl FlyView {
    pub fn var(&self, name: &str) -> Option<&FlyVar> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// Whether the clustering variable `name` is set as the guide asks, on Fly.
    pub fn accepted(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| v.accepted)
    }
}

/// A command at the top level of the file, for the editor to recognise and replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 0-based lines.
    pub lines: RangeInclusive<usize>,
    pub kind: StatementKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementKind {
    Comment(String),
    /// `NAME=value` or `export NAME=value ...`, each name with its value.
    Assign {
        assignments: Vec<(String, Vec<Seg>)>,
        export: bool,
    },
    /// `if <test of a variable only Fly sets>; then ... fi` without `elif`/`else`: its `then` body.
    FlyGuard(Vec<Statement>),
    Other,
}

/// rel/env.sh.eex as the release's shell runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub on_fly: FlyView,
    pub off_fly: FlyView,
    pub statements: Vec<Statement>,
    pub block: Option<Block>,
}

impl Script {
    /// flycluster's block is here as `init --database external` (or none) renders it, without
    /// ECTO_IPV6: the project's recorded choice of a database outside Fly's private network.
    pub fn records_database_outside_fly(&self) -> bool {
        self.block
            .as_ref()
            .and_then(|b| b.rendered_with)
            .is_some_and(|opts| !opts.ecto_ipv6)
    }

    /// The RELEASE_NODE assignment that takes effect off Fly but is built from Fly's variables:
    /// they are empty there, and a name like `@` or `-@` stops the release from booting.
    pub fn node_name_broken_off_fly(&self) -> Option<&Assignment> {
        let a = self.off_fly.var("RELEASE_NODE")?.effective.as_ref()?;
        let uses_fly = a.value.iter().any(|s| match s {
            Seg::Exp(e) => referenced_names(e).iter().any(|n| n.starts_with("FLY_")),
            Seg::Lit(_) => false,
        });
        uses_fly.then_some(a)
    }
}

/// Reads `src` (rel/env.sh.eex, EEx tags and all). The last few readings are kept, as the file is
/// asked about more than once in a run (the plan, the database it records, the edit's own check).
pub fn read(src: &str) -> Result<Script, ShellError> {
    thread_local! {
        static READ: std::cell::RefCell<Vec<(String, Result<Script, ShellError>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(found) = READ.with(|r| {
        r.borrow()
            .iter()
            .find(|(s, _)| s == src)
            .map(|(_, v)| v.clone())
    }) {
        return found;
    }
    let result = read_uncached(src);
    READ.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == 4 {
            r.drain(..1);
        }
        r.push((src.to_string(), result.clone()));
    });
    result
}

fn read_uncached(src: &str) -> Result<Script, ShellError> {
    let hidden = hide_eex(src);
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .expect("the bash grammar matches the tree-sitter version");
    let tree = parser
        .parse(&hidden, None)
        .expect("parsing without a timeout or cancellation returns a tree");
    let root = tree.root_node();
    if root.has_error() {
        return Err(syntax_error(root, src));
    }
    let block = find_block(src);
    let managed_lines = block
        .as_ref()
        .filter(|b| b.rendered_with.is_some())
        .map(|b| b.lines.clone());
    let mut walker = Walker {
        src,
        events: Vec::new(),
        self_assigned: Vec::new(),
        managed_lines,
    };
    let ctx = Ctx {
        on_fly: Mode::Runs,
        off_fly: Mode::Runs,
        on_fly_only: false,
    };
    walker.statements(root, ctx);
    let statements = top_statements(root, src);
    Ok(Script {
        on_fly: view(&walker.events, true),
        off_fly: view(&walker.events, false),
        statements,
        block,
    })
}

fn syntax_error(root: Node<'_>, src: &str) -> ShellError {
    let mut cursor = root.walk();
    let mut stack = vec![root];
    let mut found = root;
    'search: while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            found = node;
            break 'search;
        }
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev().filter(|c| c.has_error()));
    }
    // A missing token (an `if` without `fi`) is reported where its construct starts.
    let (row, message) = match found.parent().filter(|_| found.is_missing()) {
        Some(parent) => {
            let opening = parent.child(0).map_or("", |c| &src[c.byte_range()]);
            (
                parent.start_position().row,
                format!(
                    "`sh` cannot parse this file: the `{opening}` on this line has no `{}`",
                    found.kind()
                ),
            )
        }
        None => {
            let row = found.start_position().row;
            let line = src.split('\n').nth(row).unwrap_or("").trim();
            (row, format!("`sh` cannot parse this line: `{line}`"))
        }
    };
    ShellError {
        line: row + 1,
        message,
    }
}

/// The file with each EEx tag blanked out, byte for byte the same length so positions map back: an
/// output tag (`<%= @release.name %>`) becomes a word (the release name is a word once EEx has run),
/// any other tag spaces. Line breaks stay.
fn hide_eex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<%") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find("%>") else {
            out.push_str(tail);
            return out;
        };
        let tag = &tail[..end + 2];
        let fill = if tag.starts_with("<%=") || tag.starts_with("<%%") {
            '_'
        } else {
            ' '
        };
        // Byte by byte, so a multi-byte character inside a tag keeps its length too.
        out.extend(tag.bytes().map(|b| if b == b'\n' { '\n' } else { fill }));
        rest = &tail[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Whether a command runs in the release's shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    Runs,
    /// May or may not run: under a condition this module cannot decide.
    Maybe,
    /// Never changes the release's shell here, and why.
    Never(&'static str),
}

impl Mode {
    /// A command inside `outer` that is itself `self` relative to it.
    fn within(self, outer: Mode) -> Mode {
        match (outer, self) {
            (Mode::Never(why), _) => Mode::Never(why),
            (_, Mode::Never(why)) => Mode::Never(why),
            (Mode::Maybe, _) | (_, Mode::Maybe) => Mode::Maybe,
            (Mode::Runs, Mode::Runs) => Mode::Runs,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    on_fly: Mode,
    off_fly: Mode,
    on_fly_only: bool,
}

impl Ctx {
    fn both(self, mode: Mode) -> Ctx {
        Ctx {
            on_fly: mode.within(self.on_fly),
            off_fly: mode.within(self.off_fly),
            ..self
        }
    }
}

#[derive(Debug, Clone)]
enum EventKind {
    Assign {
        value: Vec<Seg>,
        export: bool,
        text_of: Option<Vec<String>>,
    },
    Export,
    Unset,
}

#[derive(Debug, Clone)]
struct Event {
    var: String,
    kind: EventKind,
    ctx: Ctx,
    /// 0-based line.
    line: usize,
    raw: String,
    managed: bool,
}

struct Walker<'s> {
    src: &'s str,
    events: Vec<Event>,
    /// Variables the file assigns itself (`${FLY_APP_NAME:=app}`), which a guard cannot trust.
    self_assigned: Vec<String>,
    /// The lines of flycluster's own block, when it is exactly as rendered.
    managed_lines: Option<RangeInclusive<usize>>,
}

impl<'s> Walker<'s> {
    fn text(&self, node: Node<'_>) -> &'s str {
        &self.src[node.byte_range()]
    }

    fn statements(&mut self, parent: Node<'_>, ctx: Ctx) {
        let mut cursor = parent.walk();
        let children: Vec<Node<'_>> = parent.named_children(&mut cursor).collect();
        for node in children {
            // `cmd &` runs in the background: the `&` is the next (unnamed) sibling.
            if node.next_sibling().is_some_and(|s| s.kind() == "&") {
                self.statement(
                    node,
                    ctx.both(Mode::Never(
                        "in a background job (`&`), which runs in a subshell",
                    )),
                );
            } else {
                self.statement(node, ctx);
            }
        }
    }

    fn statement(&mut self, node: Node<'_>, ctx: Ctx) {
        match node.kind() {
            "comment" => {}
            "variable_assignment" => self.assign(node, ctx, false),
            "variable_assignments" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                for part in parts {
                    self.assign(part, ctx, false);
                }
            }
            "declaration_command" => self.declaration(node, ctx),
            "unset_command" => {
                let mut cursor = node.walk();
                let args: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                if args.iter().any(|a| self.text(*a) == "-f") {
                    return;
                }
                for arg in args.iter().filter(|a| a.kind() == "variable_name") {
                    self.event(self.text(*arg).to_string(), EventKind::Unset, node, ctx);
                }
            }
            "command" => self.assigning_expansions(node, ctx),
            "if_statement" => self.if_statement(node, ctx),
            "case_statement" | "for_statement" | "c_style_for_statement" | "while_statement" => {
                self.nested(node, ctx.both(Mode::Maybe));
            }
            "compound_statement" | "redirected_statement" | "negated_command" | "do_group" => {
                self.nested(node, ctx);
            }
            "subshell" => self.nested(
                node,
                ctx.both(Mode::Never(
                    "in a subshell `( ... )`, whose assignments do not reach the release",
                )),
            ),
            "pipeline" => self.nested(
                node,
                ctx.both(Mode::Never("in a pipeline, whose parts run in subshells")),
            ),
            "function_definition" => self.nested(
                node,
                ctx.both(Mode::Never(
                    "in a function body, which runs only when called",
                )),
            ),
            "list" => {
                // `a && b`, `a || b`: the first always runs, what follows depends on it.
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                for (i, part) in parts.into_iter().enumerate() {
                    let mode = if i == 0 { Mode::Runs } else { Mode::Maybe };
                    self.statement(part, ctx.both(mode));
                }
            }
            _ => {}
        }
    }

    /// Statements anywhere below `node`, in `ctx`.
    fn nested(&mut self, node: Node<'_>, ctx: Ctx) {
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "case_item" | "do_group" | "compound_statement" => self.nested(child, ctx),
                _ => self.statement(child, ctx),
            }
        }
    }

    fn declaration(&mut self, node: Node<'_>, ctx: Ctx) {
        let keyword = node.child(0).map(|k| self.text(k)).unwrap_or("");
        let mut cursor = node.walk();
        let args: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let export = keyword == "export" || args.iter().any(|a| self.text(*a) == "-x");
        for arg in args {
            match arg.kind() {
                "variable_assignment" => self.assign(arg, ctx, export),
                "variable_name" if export => {
                    self.event(self.text(arg).to_string(), EventKind::Export, node, ctx);
                }
                _ => {}
            }
        }
    }

    fn assign(&mut self, node: Node<'_>, ctx: Ctx, export: bool) {
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let value_node = node.child_by_field_name("value");
        let value = assigned_value(node, self.src);
        let text_of = value_node.and_then(|v| text_transform_of(v, self.src));
        let name = self.text(name).to_string();
        let kind = EventKind::Assign {
            value,
            export,
            text_of,
        };
        self.event(name, kind, node, ctx);
    }

    /// `: "${NAME:=default}"` assigns NAME when it is unset: a conditional assignment.
    fn assigning_expansions(&mut self, node: Node<'_>, ctx: Ctx) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "expansion" {
                let text = self.text(n);
                if let Some(name) = n
                    .named_child(0)
                    .filter(|c| c.kind() == "variable_name")
                    .map(|c| self.text(c).to_string())
                    && (text.contains(":=") || text.starts_with(&format!("${{{name}=")))
                {
                    self.self_assigned.push(name.clone());
                    let value = vec![Seg::Exp(text.to_string())];
                    let kind = EventKind::Assign {
                        value,
                        export: false,
                        text_of: None,
                    };
                    self.event(name, kind, node, ctx.both(Mode::Maybe));
                }
            }
            if n.kind() == "command_substitution" || n.kind() == "subshell" {
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
    }

    fn if_statement(&mut self, node: Node<'_>, ctx: Ctx) {
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        let then_at = children.iter().position(|c| c.kind() == "then");
        let conditions: Vec<Node<'_>> = children[..then_at.unwrap_or(0)]
            .iter()
            .filter(|c| c.is_named() && c.kind() != "comment")
            .copied()
            .collect();
        let guard = match conditions.as_slice() {
            [one] => fly_guard(*one, self.src)
                .filter(|(var, _)| !self.self_assigned.iter().any(|s| s == var)),
            _ => None,
        };
        // Conditions run in the current shell too.
        for c in &conditions {
            self.assigning_expansions(*c, ctx);
        }
        let is_guard = guard.is_some();
        let branch = |on_fly_branch: bool| -> Ctx {
            match is_guard {
                true => Ctx {
                    on_fly: if on_fly_branch {
                        ctx.on_fly
                    } else {
                        Mode::Never("in a branch that runs only off Fly").within(ctx.on_fly)
                    },
                    off_fly: if on_fly_branch {
                        Mode::Never("in a branch that runs only on Fly").within(ctx.off_fly)
                    } else {
                        ctx.off_fly
                    },
                    on_fly_only: ctx.on_fly_only || on_fly_branch,
                },
                false => ctx.both(Mode::Maybe),
            }
        };
        let positive = guard.is_none_or(|(_, positive)| positive);
        let then_ctx = branch(positive);
        let else_ctx = branch(!positive);
        for child in &children[then_at.map_or(children.len(), |t| t + 1)..] {
            match child.kind() {
                "elif_clause" => self.nested(*child, else_ctx.both(Mode::Maybe)),
                "else_clause" => self.nested(*child, else_ctx),
                "fi" | "comment" => {}
                _ if child.is_named() => self.statement(*child, then_ctx),
                _ => {}
            }
        }
    }

    fn event(&mut self, var: String, kind: EventKind, node: Node<'_>, ctx: Ctx) {
        let line = node.start_position().row;
        let managed = self
            .managed_lines
            .as_ref()
            .is_some_and(|l| l.contains(&line));
        self.events.push(Event {
            var,
            kind,
            ctx,
            line,
            raw: self.text(node).to_string(),
            managed,
        });
    }
}

/// A test of a variable only Fly sets: the variable and whether the `then` branch is the one that
/// runs on Fly (`-n`, or `!= ""`) or off it (`-z`, `= ""`).
fn fly_guard(condition: Node<'_>, src: &str) -> Option<(String, bool)> {
    let test = match condition.kind() {
        "test_command" => condition.named_child(0)?,
        _ => return None,
    };
    let text = |n: Node<'_>| &src[n.byte_range()];
    let var_of = |n: Node<'_>| -> Option<String> {
        let value = segments(n, src);
        match value.as_slice() {
            [Seg::Exp(e)] => {
                let names = referenced_names(e);
                let plain = e == &format!("${{{}}}", names.first()?)
                    || e == &format!("${{{}:-}}", names.first()?)
                    || e == &format!("${{{}-}}", names.first()?);
                (plain && names.len() == 1 && FLY_ONLY.contains(&names[0].as_str()))
                    .then(|| names[0].clone())
            }
            _ => None,
        }
    };
    match test.kind() {
        "unary_expression" => {
            let op = text(test.child_by_field_name("operator")?);
            let var = var_of(test.named_child(1)?)?;
            match op {
                "-n" => Some((var, true)),
                "-z" => Some((var, false)),
                _ => None,
            }
        }
        "binary_expression" => {
            let (left, right) = (
                test.child_by_field_name("left")?,
                test.child_by_field_name("right")?,
            );
            let op = text(test.child_by_field_name("operator")?);
            let empty = |n: Node<'_>| matches!(text(n), "\"\"" | "''");
            let var = if empty(right) {
                var_of(left)?
            } else if empty(left) {
                var_of(right)?
            } else {
                return None;
            };
            match op {
                "!=" => Some((var, true)),
                "=" | "==" => Some((var, false)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// For `$(printf '%s' "$X" | sed ...)` and the like, where every command only rewrites text: the
/// variables it reads.
fn text_transform_of(value: Node<'_>, src: &str) -> Option<Vec<String>> {
    const FILTERS: [&str; 5] = ["printf", "echo", "sed", "tr", "cut"];
    let sub = match value.kind() {
        "command_substitution" => value,
        "string" => match value.named_child(0) {
            Some(c) if value.named_child_count() == 1 && c.kind() == "command_substitution" => c,
            _ => return None,
        },
        _ => return None,
    };
    let body = sub
        .named_child(0)
        .filter(|_| sub.named_child_count() == 1)?;
    let commands: Vec<Node<'_>> = match body.kind() {
        "pipeline" => {
            let mut cursor = body.walk();
            body.named_children(&mut cursor).collect()
        }
        "command" => vec![body],
        _ => return None,
    };
    let mut names = Vec::new();
    for command in commands {
        let name = command.child_by_field_name("name")?;
        if command.kind() != "command" || !FILTERS.contains(&&src[name.byte_range()]) {
            return None;
        }
        let mut cursor = command.walk();
        for arg in command.children_by_field_name("argument", &mut cursor) {
            for seg in segments(arg, src) {
                if let Seg::Exp(e) = seg {
                    if e.starts_with("$(") || e.starts_with('`') {
                        return None;
                    }
                    names.extend(referenced_names(&e));
                }
            }
        }
    }
    Some(names)
}

/// The value of `NAME=value`. tree-sitter-bash ends the value before an escaped character that
/// follows a quoted part (`A="x"\$`) and makes the rest a word of its own: the words that touch the
/// value belong to it.
fn assigned_value(assignment: Node<'_>, src: &str) -> Vec<Seg> {
    let mut value = assignment
        .child_by_field_name("value")
        .map(|v| segments(v, src))
        .unwrap_or_default();
    let mut end = assignment.end_byte();
    let mut next = assignment.next_sibling();
    while let Some(n) = next.filter(|n| n.start_byte() == end && n.kind() == "word") {
        value.extend(segments(n, src));
        end = n.end_byte();
        next = n.next_sibling();
    }
    merge_literals(value)
}

/// A word's value after quote removal.
fn segments(node: Node<'_>, src: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    push_segments(node, src, &mut out);
    merge_literals(out)
}

/// Neighbouring literals as one, so values compare by text.
fn merge_literals(segments: Vec<Seg>) -> Vec<Seg> {
    let mut merged: Vec<Seg> = Vec::new();
    for seg in segments {
        match (merged.last_mut(), seg) {
            (Some(Seg::Lit(a)), Seg::Lit(b)) => a.push_str(&b),
            (_, seg) => merged.push(seg),
        }
    }
    merged
}

fn push_segments(node: Node<'_>, src: &str, out: &mut Vec<Seg>) {
    let text = &src[node.byte_range()];
    match node.kind() {
        "word" | "number" => out.push(Seg::Lit(unescape(text))),
        "string_content" => out.push(Seg::Lit(unescape_in_double_quotes(text))),
        "raw_string" => out.push(Seg::Lit(text.trim_matches('\'').to_string())),
        "simple_expansion" => {
            // tree-sitter-bash's `$` token can take the blank before it inside double quotes.
            let dollar = text.find('$').unwrap_or(0);
            if dollar > 0 {
                out.push(Seg::Lit(text[..dollar].to_string()));
            }
            out.push(Seg::Exp(format!("${{{}}}", &text[dollar + 1..])));
        }
        "expansion" | "command_substitution" | "arithmetic_expansion" | "process_substitution" => {
            out.push(Seg::Exp(text.to_string()));
        }
        "string" | "concatenation" => {
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
            let mut last_end = if node.kind() == "string" {
                node.start_byte() + 1
            } else {
                node.start_byte()
            };
            for child in children {
                if !child.is_named() {
                    continue;
                }
                // tree-sitter-bash leaves white space inside double quotes out of string_content.
                if node.kind() == "string" && child.start_byte() > last_end {
                    out.push(Seg::Lit(src[last_end..child.start_byte()].to_string()));
                }
                push_segments(child, src, out);
                last_end = child.end_byte();
            }
            if node.kind() == "string" {
                let close = node.end_byte().saturating_sub(1);
                if close > last_end {
                    out.push(Seg::Lit(src[last_end..close].to_string()));
                }
            }
        }
        _ => out.push(Seg::Lit(text.to_string())),
    }
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && next != '\n'
                {
                    out.push(next);
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn unescape_in_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && matches!(next, '$' | '`' | '"' | '\\' | '\n')
        {
            chars.next();
            if next != '\n' {
                out.push(next);
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The top-level commands, for the editor.
fn top_statements(parent: Node<'_>, src: &str) -> Vec<Statement> {
    let mut cursor = parent.walk();
    let children: Vec<Node<'_>> = parent.named_children(&mut cursor).collect();
    children
        .into_iter()
        .map(|node| Statement {
            lines: node.start_position().row..=node.end_position().row,
            kind: statement_kind(node, src),
        })
        .collect()
}

fn statement_kind(node: Node<'_>, src: &str) -> StatementKind {
    let text = &src[node.byte_range()];
    let assignment = |n: Node<'_>| -> Option<(String, Vec<Seg>)> {
        let name = &src[n.child_by_field_name("name")?.byte_range()];
        Some((name.to_string(), assigned_value(n, src)))
    };
    match node.kind() {
        "comment" => StatementKind::Comment(text.to_string()),
        "variable_assignment" => match assignment(node) {
            Some(a) => StatementKind::Assign {
                assignments: vec![a],
                export: false,
            },
            None => StatementKind::Other,
        },
        "declaration_command" if text.starts_with("export") => {
            let mut cursor = node.walk();
            let args: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
            if args.iter().any(|a| a.kind() != "variable_assignment") {
                return StatementKind::Other;
            }
            StatementKind::Assign {
                assignments: args.into_iter().filter_map(assignment).collect(),
                export: true,
            }
        }
        "if_statement" => {
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
            let Some(then_at) = children.iter().position(|c| c.kind() == "then") else {
                return StatementKind::Other;
            };
            let conditions: Vec<&Node<'_>> = children[..then_at]
                .iter()
                .filter(|c| c.is_named())
                .collect();
            let is_guard = matches!(conditions.as_slice(), [c] if fly_guard(**c, src).is_some_and(|(_, positive)| positive));
            let branches = children
                .iter()
                .any(|c| matches!(c.kind(), "elif_clause" | "else_clause"));
            if !is_guard || branches {
                return StatementKind::Other;
            }
            let body = children[then_at + 1..]
                .iter()
                .filter(|c| c.is_named())
                .map(|c| Statement {
                    lines: c.start_position().row..=c.end_position().row,
                    kind: statement_kind(*c, src),
                })
                .collect();
            StatementKind::FlyGuard(body)
        }
        _ => StatementKind::Other,
    }
}

/// Folds the events into where each variable stands at the end of the file, on Fly or off it.
fn view(events: &[Event], on_fly: bool) -> FlyView {
    let mode_of = |ev: &Event| {
        if on_fly {
            ev.ctx.on_fly
        } else {
            ev.ctx.off_fly
        }
    };
    let assignment = |ev: &Event| -> Option<Assignment> {
        let EventKind::Assign {
            value,
            export,
            text_of,
        } = &ev.kind
        else {
            return None;
        };
        Some(Assignment {
            line: ev.line + 1,
            raw: ev.raw.clone(),
            value: value.clone(),
            export: *export,
            on_fly_only: ev.ctx.on_fly_only,
            managed: ev.managed,
            text_of: text_of.clone(),
        })
    };
    let mut names: Vec<&str> = Vec::new();
    for ev in events {
        if !names.contains(&ev.var.as_str()) {
            names.push(&ev.var);
        }
    }
    let mut vars: Vec<FlyVar> = names
        .into_iter()
        .map(|name| {
            let mut var = FlyVar {
                name: name.to_string(),
                effective: None,
                overridden: Vec::new(),
                unset_line: None,
                exported: false,
                conditional_lines: Vec::new(),
                conditional: Vec::new(),
                not_on_fly: Vec::new(),
                accepted: false,
            };
            for ev in events.iter().filter(|ev| ev.var == name) {
                match (&ev.kind, mode_of(ev)) {
                    (EventKind::Assign { export, .. }, Mode::Runs) => {
                        var.overridden.extend(var.effective.take());
                        var.effective = assignment(ev);
                        var.unset_line = None;
                        var.conditional_lines.clear();
                        var.exported |= *export;
                    }
                    (EventKind::Export, Mode::Runs) => var.exported = true,
                    (EventKind::Unset, Mode::Runs) => {
                        var.overridden.extend(var.effective.take());
                        var.unset_line = Some(ev.line + 1);
                        var.conditional_lines.clear();
                        var.exported = false;
                    }
                    (EventKind::Assign { .. } | EventKind::Unset, Mode::Maybe) => {
                        var.conditional_lines.push(ev.line + 1);
                        var.conditional.extend(assignment(ev));
                    }
                    (EventKind::Assign { .. }, Mode::Never(why)) => {
                        var.not_on_fly.extend(assignment(ev).map(|a| (a, why)));
                    }
                    _ => {}
                }
            }
            var
        })
        .collect();

    // flycluster's block replaces ERL_AFLAGS's -proto_dist through sed, then appends its own: the
    // effect is the flag it appends, with the inherited flags kept.
    for var in vars.iter_mut().filter(|v| v.name == "ERL_AFLAGS") {
        if let Some(a) = var.effective.as_mut().filter(|a| a.managed) {
            a.value = vec![Seg::Lit("-proto_dist inet6_tcp".into())];
            var.overridden.retain(|o| !o.managed);
        }
    }

    // erl reads every flag variable when it starts, so a -proto_dist in another one conflicts
    // wherever it is set.
    let conflicts: Vec<(String, Assignment)> = events
        .iter()
        .filter(|ev| !matches!(mode_of(ev), Mode::Never(_)))
        .filter_map(|ev| match &ev.kind {
            EventKind::Assign { value, .. }
                if OTHER_FLAG_VARS.contains(&ev.var.as_str()) && proto_dist_count(value) > 0 =>
            {
                assignment(ev).map(|a| (ev.var.clone(), a))
            }
            _ => None,
        })
        .collect();
    if on_fly {
        for var in vars.iter_mut() {
            if !CLUSTERING_VARS.contains(&var.name.as_str()) {
                continue;
            }
            let Some(a) = &var.effective else { continue };
            // What flycluster's block sets, exactly as it renders it, is right by construction.
            let value_ok = a.managed || accepts(&var.name, &a.value);
            let exported = var.exported || !needs_export(&var.name);
            let conflict = var.name == "ERL_AFLAGS" && !conflicts.is_empty();
            var.accepted = value_ok && exported && var.conditional_lines.is_empty() && !conflict;
        }
    }
    FlyView {
        vars,
        proto_dist_elsewhere: conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_an_expansion_reads() {
        assert_eq!(referenced_names("${FLY_IMAGE_REF##*-}"), ["FLY_IMAGE_REF"]);
        assert_eq!(
            referenced_names("${image_suffix:+-$image_suffix}"),
            ["image_suffix", "image_suffix"]
        );
        assert_eq!(referenced_names("$(cat /etc/$HOST_FILE)"), ["HOST_FILE"]);
        assert!(referenced_names("$1").is_empty());
    }

    #[test]
    fn node_names_split_at_the_last_literal_at() {
        let lit = |s: &str| Seg::Lit(s.into());
        let exp = |s: &str| Seg::Exp(s.into());
        let (name, host) = split_node_name(&[
            exp("${FLY_APP_NAME}"),
            lit("-"),
            exp("${FLY_IMAGE_REF##*-}"),
            lit("@"),
            exp("${FLY_PRIVATE_IP}"),
        ])
        .unwrap();
        assert_eq!(normalized(&name), "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}");
        assert_eq!(host, vec![exp("${FLY_PRIVATE_IP}")]);
        let (name, host) = split_node_name(&[lit("app@host")]).unwrap();
        assert_eq!((name, host), (vec![lit("app")], vec![lit("host")]));
        assert!(split_node_name(&[exp("${FLY_APP_NAME}")]).is_none());
    }

    #[test]
    fn commented_assignments_in_any_spelling() {
        let text = "# export RELEASE_NODE=x\n#RELEASE_NODE=y\n  # # export RELEASE_NODE=z\nexport RELEASE_NODE=w\n# RELEASE_NODES=v\n";
        assert_eq!(commented_assignments(text, "RELEASE_NODE"), [1, 2, 3]);
    }

    #[test]
    fn expansions_by_what_they_read() {
        assert_eq!(expansion_kind("$(hostname)"), ExpansionKind::Command);
        assert_eq!(expansion_kind("`date`"), ExpansionKind::Command);
        assert_eq!(expansion_kind("$$"), ExpansionKind::ProcessId);
        assert_eq!(
            expansion_kind("${FLY_APP_NAME}"),
            ExpansionKind::Parameters(vec!["FLY_APP_NAME".into()])
        );
        assert!(after_last_dash_of("${FLY_IMAGE_REF##*-}", "FLY_IMAGE_REF"));
        assert!(!after_last_dash_of("${FLY_IMAGE_REF##*:}", "FLY_IMAGE_REF"));
    }

    fn effective(view: &FlyView, name: &str) -> Option<String> {
        let a = view.var(name)?.effective.as_ref()?;
        Some(normalized(&a.value))
    }

    #[test]
    fn a_fly_guard_runs_on_fly_only() {
        let s = read(
            "if [ -n \"${FLY_PRIVATE_IP:-}\" ]; then\n  export A=on\nelse\n  export A=off\nfi\n",
        )
        .unwrap();
        assert_eq!(effective(&s.on_fly, "A").as_deref(), Some("on"));
        assert_eq!(effective(&s.off_fly, "A").as_deref(), Some("off"));
        assert_eq!(
            s.on_fly.var("A").unwrap().not_on_fly[0].1,
            "in a branch that runs only off Fly"
        );
    }

    #[test]
    fn a_negated_guard_is_the_other_way_round() {
        let s = read("if [ -z \"$FLY_APP_NAME\" ]; then\n  A=off\nfi\n").unwrap();
        assert_eq!(effective(&s.on_fly, "A"), None);
        assert_eq!(effective(&s.off_fly, "A").as_deref(), Some("off"));
    }

    #[test]
    fn a_guard_on_a_variable_the_file_assigns_itself_runs_everywhere() {
        // `${FLY_APP_NAME:=myapp}` for another platform: a FLY_APP_NAME guard also fires off Fly.
        let s = read(
            ": \"${FLY_APP_NAME:=myapp}\"\nif [ -n \"$FLY_APP_NAME\" ]; then\n  export A=1\nfi\n",
        )
        .unwrap();
        assert_eq!(s.off_fly.var("A").unwrap().conditional.len(), 1);
        assert_eq!(effective(&s.off_fly, "A"), None);
    }

    #[test]
    fn subshells_pipelines_functions_and_background_jobs_change_nothing() {
        let s =
            read("(export A=1)\necho | export B=1\nf() { export C=1; }\nexport D=1 &\n").unwrap();
        for name in ["A", "B", "C", "D"] {
            let var = s.on_fly.var(name).unwrap();
            assert_eq!(var.effective, None, "{name}");
            assert_eq!(var.not_on_fly.len(), 1, "{name}");
        }
    }

    #[test]
    fn conditions_it_cannot_decide_make_a_setting_uncertain() {
        let s =
            read("export A=1\nif grep -q x /etc/hosts; then\n  A=2\nfi\ntrue && B=3\n").unwrap();
        assert_eq!(s.on_fly.var("A").unwrap().conditional_lines, [3]);
        assert_eq!(s.on_fly.var("B").unwrap().conditional_lines, [5]);
    }

    #[test]
    fn values_are_read_after_quote_removal() {
        let s =
            read("export A=\"x ${B:-y} $C\"'z'\\$\nD=<%= @release.name %>@$(hostname)\n").unwrap();
        assert_eq!(
            effective(&s.on_fly, "A").as_deref(),
            Some("x ${B:-y} ${C}z\\$")
        );
        assert_eq!(
            effective(&s.on_fly, "D").as_deref(),
            Some("<%= @release.name %>@$(hostname)")
        );
    }

    #[test]
    fn unset_and_a_bare_export_are_followed() {
        let s = read("A=1\nexport A\nB=2\nunset B\n").unwrap();
        assert!(s.on_fly.var("A").unwrap().exported);
        assert_eq!(s.on_fly.var("B").unwrap().unset_line, Some(4));
    }

    #[test]
    fn the_block_as_rendered_is_accepted_and_managed() {
        let block = render_block(BlockOptions {
            ecto_ipv6: true,
            image_suffix: true,
        });
        let s = read(&block).unwrap();
        for name in CLUSTERING_VARS {
            assert!(s.on_fly.accepted(name), "{name}");
            assert_eq!(effective(&s.off_fly, name), None, "{name} off Fly");
        }
        let erl = s
            .on_fly
            .var("ERL_AFLAGS")
            .unwrap()
            .effective
            .clone()
            .unwrap();
        assert!(erl.managed);
        assert_eq!(normalized(&erl.value), "-proto_dist inet6_tcp");
        let suffix = &s.on_fly.var("image_suffix").unwrap().overridden[0];
        assert_eq!(
            suffix.text_of.as_deref(),
            Some(&["FLY_IMAGE_REF".to_string()][..])
        );
    }

    #[test]
    fn an_edited_block_is_judged_as_plain_shell() {
        let block = render_block(BlockOptions {
            ecto_ipv6: true,
            image_suffix: true,
        })
        .replace("  export RELEASE_DISTRIBUTION=\"name\"\n", "");
        let s = read(&block).unwrap();
        assert_eq!(s.block.as_ref().unwrap().rendered_with, None);
        assert!(!s.on_fly.accepted("ERL_AFLAGS"));
        assert!(!s.on_fly.accepted("RELEASE_DISTRIBUTION"));
    }

    #[test]
    fn another_flag_variable_with_proto_dist_conflicts() {
        let s = read("export ERL_AFLAGS=\"-proto_dist inet6_tcp\"\nexport ERL_FLAGS=\"-proto_dist inet_tcp\"\n")
            .unwrap();
        assert!(!s.on_fly.accepted("ERL_AFLAGS"));
        assert_eq!(s.on_fly.proto_dist_elsewhere[0].0, "ERL_FLAGS");
    }

    #[test]
    fn a_node_name_from_fly_variables_outside_a_guard_breaks_off_fly() {
        let s = read("export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\n").unwrap();
        assert_eq!(s.node_name_broken_off_fly().map(|a| a.line), Some(1));
        let guarded = read("if [ -n \"$FLY_PRIVATE_IP\" ]; then\n  export RELEASE_NODE=\"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\"\nfi\n").unwrap();
        assert_eq!(guarded.node_name_broken_off_fly(), None);
    }

    #[test]
    fn what_sh_cannot_parse_names_the_line() {
        let e = read("export A=1\nexport B=\"unclosed\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        let e = read("case $x in\n  a) A=1 ;;\n").unwrap_err();
        assert_eq!(e.line, 1, "{e:?}");
    }

    #[test]
    fn eex_tags_keep_their_lines_and_columns() {
        let text = "<% if @x do %>\nA=<%= @release.name %>\n<% end %>\nB=2\n";
        let hidden = hide_eex(text);
        assert_eq!(hidden.len(), text.len());
        assert_eq!(hidden.lines().count(), text.lines().count());
        let s = read(text).unwrap();
        assert_eq!(
            s.on_fly.var("B").unwrap().effective.as_ref().unwrap().line,
            4
        );
    }
}
