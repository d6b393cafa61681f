//! `flycluster doctor`: read-only checks that the clustering setup is complete and consistent across
//! files, over the same detection as init. Every finding carries a stable id, a severity, the file
//! and line it is about, a message, and a one-line fix.
//!
//! The environment is judged as the release sees it when it boots on Fly: the final image's `ENV`,
//! then fly.toml's `[env]` (Fly sets it over the image's), then rel/env.sh.eex as `sh` runs it.

use crate::cli::{CookieMode, DoctorArgs, Format};
use crate::dist_ports;
use crate::edit::application::{self, QuerySource, Started};
use crate::edit::runtime::{self, Basename, FitIssueKind};
use crate::edit::{
    Database, LIBCLUSTER_TOPOLOGIES, Strategy, Supervision, deps, dockerfile, fly_toml, repo_ipv6,
};
use crate::elixir;
use crate::error::Result;
use crate::files;
use crate::init::{self, InitOptions};
use crate::plan::{Action, Kind};
use crate::project::{self, DetectOptions, Project};
use crate::run::{self, Out};
use crate::shell::{self as env_sh, FlyVar, FlyView, Seg, ShellError};
use std::io::IsTerminal;
use std::path::Path;
use tree_sitter::{Node, Tree};

/// Exit codes from SPEC.md: 0 no problem (warnings allowed), 1 at least one problem.
pub const EXIT_OK: i32 = 0;
pub const EXIT_PROBLEMS: i32 = 1;

const ENV_SH: &str = "rel/env.sh.eex";
const DOCKERFILE: &str = "Dockerfile";
const FLY_TOML: &str = "fly.toml";
const RUNTIME_EXS: &str = "config/runtime.exs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Problem => "problem",
        }
    }
}

/// One result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check it belongs to (1 to 14); findings are reported in this order.
    pub check: u8,
    /// Stable, kebab-case: `release-node-host`.
    pub id: &'static str,
    pub severity: Severity,
    /// Path relative to the project root.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    pub message: String,
    /// One line; `None` for ok findings.
    pub fix: Option<String>,
}

impl Finding {
    fn new(check: u8, id: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            check,
            id,
            severity,
            file: None,
            line: None,
            message: message.into(),
            fix: None,
        }
    }

    fn ok(check: u8, id: &'static str, message: impl Into<String>) -> Self {
        Finding::new(check, id, Severity::Ok, message)
    }

    fn warning(check: u8, id: &'static str, message: impl Into<String>) -> Self {
        Finding::new(check, id, Severity::Warning, message)
    }

    fn problem(check: u8, id: &'static str, message: impl Into<String>) -> Self {
        Finding::new(check, id, Severity::Problem, message)
    }

    fn at(mut self, file: impl Into<String>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }

    fn at_origin(self, origin: &Origin) -> Self {
        self.at(origin.file(), Some(origin.line()))
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => String::new(),
        }
    }
}

/// What doctor needs beyond the project itself.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// `--app`; else fly.toml's `app`.
    pub fly_app: Option<String>,
    /// `--database`; else inferred from the project ([`DatabaseChoice`]).
    pub database: Option<Database>,
}

pub fn run(args: DoctorArgs) -> Result<i32> {
    if let Some(app) = &args.app {
        project::validate_fly_app(app)?;
    }
    let project = project::detect(
        &args.path,
        &DetectOptions {
            otp_app: args.otp_app.as_deref(),
        },
    )?;
    let findings = diagnose(
        &project,
        &DoctorOptions {
            fly_app: args.app.clone(),
            database: args.database.map(init::database_of),
        },
    )?;
    let out = Out::new(&args.output);
    if args.output.format == Format::Json {
        out.json(&json_document(&findings));
    } else {
        let color = run::use_color(args.output.color, std::io::stdout().is_terminal());
        out.info(&text_report(&findings, color, false));
        if args.output.quiet {
            // `-q` keeps what needs attention, which is also what a person must see.
            let text = text_report(&findings, color, true);
            if !text.is_empty() {
                print!("{text}");
            }
        }
    }
    Ok(exit_code(&findings))
}

pub fn exit_code(findings: &[Finding]) -> i32 {
    if findings.iter().any(|f| f.severity == Severity::Problem) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

/// One line per finding, in check order, then a summary line. `only_attention` leaves out ok
/// findings and the summary (for `-q`).
pub fn text_report(findings: &[Finding], color: bool, only_attention: bool) -> String {
    let shown: Vec<&Finding> = findings
        .iter()
        .filter(|f| !only_attention || f.severity != Severity::Ok)
        .collect();
    let width = shown.iter().map(|f| f.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in &shown {
        let severity = format!("{:<7}", f.severity.name());
        let severity = if color {
            let code = match f.severity {
                Severity::Ok => "32",
                Severity::Warning => "1;33",
                Severity::Problem => "1;31",
            };
            format!("\x1b[{code}m{severity}\x1b[0m")
        } else {
            severity
        };
        let location = f.location();
        let location = if location.is_empty() {
            location
        } else {
            format!("{location}: ")
        };
        let fix = f
            .fix
            .as_deref()
            .map(|fix| format!("; fix: {fix}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{severity} {:<width$}  {location}{}{fix}\n",
            f.id, f.message
        ));
    }
    if !only_attention {
        out.push_str(&summary_line(findings));
    }
    out
}

fn summary_line(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let (problems, warnings, ok) = (
        count(Severity::Problem),
        count(Severity::Warning),
        count(Severity::Ok),
    );
    let verdict = if problems > 0 {
        "clustering on Fly will not work until the problems are fixed"
    } else if warnings > 0 {
        "clustering is set up; the warnings are worth a look"
    } else {
        "clustering is set up"
    };
    format!(
        "\n{}, {}, {} ok: {verdict}\n",
        plural(problems, "problem"),
        plural(warnings, "warning"),
        ok
    )
}

/// `{"findings": [...], "summary": {...}}`.
pub fn json_document(findings: &[Finding]) -> serde_json::Value {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    serde_json::json!({
        "findings": findings.iter().map(|f| serde_json::json!({
            "check": f.check,
            "id": f.id,
            "severity": f.severity.name(),
            "file": f.file,
            "line": f.line,
            "message": f.message,
            "fix": f.fix,
        })).collect::<Vec<_>>(),
        "summary": {
            "problems": count(Severity::Problem),
            "warnings": count(Severity::Warning),
            "ok": count(Severity::Ok),
            "exit_code": exit_code(findings),
        },
    })
}

/// Every check over the project, in check order. Errors are bad input (a file that does not parse
/// as what it should be), exactly as init reports them.
pub fn diagnose(project: &Project, opts: &DoctorOptions) -> Result<Vec<Finding>> {
    let inputs = Inputs::read(project, opts)?;
    let mut findings = Vec::new();
    inputs.check_env_sh(&mut findings);
    inputs.check_erl_aflags(&mut findings);
    inputs.check_release_node(&mut findings);
    inputs.check_release_distribution(&mut findings);
    inputs.check_dns_cluster_query(&mut findings);
    inputs.check_clustering_library(&mut findings);
    inputs.check_cookie(&mut findings);
    inputs.check_ecto_ipv6(&mut findings);
    inputs.check_legacy_env(&mut findings);
    inputs.check_machines_stay_up(&mut findings);
    inputs.check_process_groups(&mut findings);
    inputs.check_published_ports(&mut findings)?;
    inputs.check_endpoint_ip(&mut findings);
    let database = inputs.database_choice().database();
    check_init_pending(project, opts, database, &mut findings)?;
    findings.sort_by_key(|f| f.check);
    Ok(findings)
}

// ---------------------------------------------------------------------------------------------
// What the project's files say.

enum EnvSh {
    Missing,
    Unparsed(ShellError),
    Read {
        text: String,
        view: FlyView,
        /// RELEASE_NODE built from Fly's variables where it also runs off Fly.
        broken_off_fly: Option<env_sh::Assignment>,
    },
}

/// An Elixir file, parsed.
struct ExFile {
    path: String,
    src: String,
    tree: Tree,
}

impl ExFile {
    fn read(root: &Path, rel: &str) -> Result<Option<ExFile>> {
        let Some(original) = files::read(root, rel)? else {
            return Ok(None);
        };
        let src = original.format.text;
        let tree = elixir::parse_file(Path::new(rel), &src)?;
        Ok(Some(ExFile {
            path: rel.to_string(),
            src,
            tree,
        }))
    }

    fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// runtime.exs and releases.exs run when the release boots; the others when it is built.
    fn is_runtime(&self) -> bool {
        self.path == RUNTIME_EXS || self.path == "config/releases.exs"
    }

    fn line_of(&self, node: Node<'_>) -> usize {
        node.start_position().row + 1
    }
}

/// Where a value the release boots with comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    EnvSh(usize),
    Dockerfile(usize),
    FlyToml(usize),
}

impl Origin {
    fn file(&self) -> &'static str {
        match self {
            Origin::EnvSh(_) => ENV_SH,
            Origin::Dockerfile(_) => DOCKERFILE,
            Origin::FlyToml(_) => FLY_TOML,
        }
    }

    fn line(&self) -> usize {
        match self {
            Origin::EnvSh(l) | Origin::Dockerfile(l) | Origin::FlyToml(l) => *l,
        }
    }

    fn describe(&self) -> String {
        format!("{} line {}", self.file(), self.line())
    }
}

/// A variable's value when the release boots on Fly.
#[derive(Debug, Clone)]
struct Value {
    origin: Origin,
    value: Vec<Seg>,
}

impl Value {
    fn normalized(&self) -> String {
        env_sh::normalized(&self.value)
    }
}

/// How a variable stands at boot.
#[derive(Debug, Clone)]
enum Boot {
    /// rel/env.sh.eex could not be followed: doctor cannot tell.
    Unknown,
    Set(Value),
    /// Set, but a later assignment or unset may or may not run (1-based lines in env.sh.eex).
    Uncertain(Value, Vec<usize>),
    /// Not set: why (a line to point at, and a reason).
    Unset(Option<usize>, String),
}

/// A `-proto_dist` in a vm.args file.
struct VmArg {
    file: String,
    /// 1-based.
    line: usize,
    /// `inet6_tcp`.
    carrier: String,
}

struct Inputs<'p> {
    project: &'p Project,
    /// `--app`, else fly.toml's `app`.
    fly_app: Option<String>,
    env_sh: EnvSh,
    dockerfile: Option<Vec<dockerfile::EnvLine>>,
    fly_toml: Option<fly_toml::FlyTomlView>,
    /// `-proto_dist` in rel/vm.args.eex or rel/remote.vm.args.eex.
    vm_args_proto_dist: Vec<VmArg>,
    /// config/*.exs, runtime.exs first.
    configs: Vec<ExFile>,
    application: Option<ExFile>,
    mix: Option<ExFile>,
    /// A file under the app's lib/ that reads ECTO_IPV6 at runtime (a Repo's `init/2` may).
    lib_ecto_ipv6: Option<(String, usize)>,
    /// `--database`.
    asked_database: Option<Database>,
}

impl<'p> Inputs<'p> {
    fn read(project: &'p Project, opts: &DoctorOptions) -> Result<Inputs<'p>> {
        let root = &project.root;
        let env_sh = match files::read(root, ENV_SH)? {
            None => EnvSh::Missing,
            Some(f) => {
                let text = f.format.text;
                match env_sh::read(&text) {
                    Ok(script) => EnvSh::Read {
                        text,
                        broken_off_fly: script.node_name_broken_off_fly().cloned(),
                        view: script.on_fly,
                    },
                    Err(e) => EnvSh::Unparsed(e),
                }
            }
        };
        let dockerfile =
            files::read(root, DOCKERFILE)?.map(|f| dockerfile::env_lines(&f.format.text));
        let fly_toml = match files::read(root, FLY_TOML)? {
            Some(f) => Some(fly_toml::read_view(Path::new(FLY_TOML), &f.format.text)?),
            None => None,
        };
        let mut vm_args_proto_dist = Vec::new();
        for rel in env_sh::VM_ARGS_FILES {
            if let Some(f) = files::read(root, rel)? {
                for (line, carrier) in env_sh::vm_args_proto_dist(&f.format.text) {
                    vm_args_proto_dist.push(VmArg {
                        file: rel.to_string(),
                        line,
                        carrier,
                    });
                }
            }
        }
        let mut config_names = project::config_files(root);
        config_names.sort_by_key(|n| (n != RUNTIME_EXS, n.clone()));
        let mut configs = Vec::new();
        for rel in config_names {
            configs.extend(ExFile::read(root, &rel)?);
        }
        let application = match &project.application_path {
            Some(rel) => ExFile::read(root, rel)?,
            None => None,
        };
        let mix = ExFile::read(root, &project.mix_exs())?;
        let fly_app = opts.fly_app.clone().or_else(|| {
            fly_toml
                .as_ref()
                .and_then(|t| t.app.as_ref().map(|(a, _)| a.clone()))
        });
        let lib_ecto_ipv6 = lib_reading_env(project, "ECTO_IPV6")?;
        Ok(Inputs {
            project,
            fly_app,
            env_sh,
            dockerfile,
            fly_toml,
            vm_args_proto_dist,
            configs,
            application,
            mix,
            lib_ecto_ipv6,
            asked_database: opts.database,
        })
    }

    fn env_var(&self, name: &str) -> Option<&FlyVar> {
        match &self.env_sh {
            EnvSh::Read { view, .. } => view.var(name),
            _ => None,
        }
    }

    /// The value Fly starts the release with, before env.sh.eex runs: fly.toml's `[env]` over the
    /// final image's `ENV`.
    fn inherited(&self, name: &str) -> Option<Value> {
        if let Some(entry) = self.fly_toml.as_ref().and_then(|t| t.env(name))
            && let Some(value) = &entry.value
        {
            return Some(Value {
                origin: Origin::FlyToml(entry.line),
                value: vec![Seg::Lit(value.clone())],
            });
        }
        let line = self
            .dockerfile
            .as_ref()?
            .iter()
            .rev()
            .find(|l| l.key == name && l.in_final_image)?;
        Some(Value {
            origin: Origin::Dockerfile(line.line),
            value: vec![Seg::Lit(line.value.clone())],
        })
    }

    /// How `name` stands when the release boots on Fly.
    fn at_boot(&self, name: &str) -> Boot {
        let inherited = self.inherited(name);
        let unset = |reason: String, line: Option<usize>| Boot::Unset(line, reason);
        let (text, var) = match &self.env_sh {
            EnvSh::Unparsed(_) => return Boot::Unknown,
            EnvSh::Missing => {
                return match inherited {
                    Some(v) => Boot::Set(v),
                    None => unset(format!("nothing sets it ({ENV_SH} does not exist)"), None),
                };
            }
            EnvSh::Read { text, view, .. } => (text, view.var(name)),
        };
        let Some(var) = var else {
            return match inherited {
                Some(v) => Boot::Set(v),
                None => {
                    let (line, reason) = not_set_reason(text, name, None);
                    unset(reason, line)
                }
            };
        };
        if let Some(line) = var.unset_line {
            return unset(format!("line {line} unsets it"), Some(line));
        }
        let value = match &var.effective {
            Some(a) => {
                if env_sh::needs_export(name) && !a.export && !var.exported && inherited.is_none() {
                    return unset(
                        format!(
                            "line {} assigns it without `export`, and nothing exports it, so erl and the application never see it",
                            a.line
                        ),
                        Some(a.line),
                    );
                }
                Value {
                    origin: Origin::EnvSh(a.line),
                    value: substitute_self(&a.value, name, inherited.as_ref()),
                }
            }
            None => match inherited {
                Some(v) => v,
                None => {
                    let (line, reason) = not_set_reason(text, name, Some(var));
                    return unset(reason, line);
                }
            },
        };
        if var.conditional_lines.is_empty() {
            Boot::Set(value)
        } else {
            Boot::Uncertain(value, var.conditional_lines.clone())
        }
    }

    fn has_ecto_repo(&self) -> bool {
        self.project.has_network_repo()
    }

    fn fly_app_shown(&self) -> String {
        self.fly_app
            .clone()
            .unwrap_or_else(|| project::default_fly_app(self.project))
    }

    /// The Fly app as the query names it: `APP.internal`.
    fn expected_query(&self) -> String {
        format!("{}.internal", self.fly_app_shown())
    }
}

/// The first file under the app's lib/ (in path order) that reads `var` from the environment.
fn lib_reading_env(project: &Project, var: &str) -> Result<Option<(String, usize)>> {
    let mut stack = vec![format!("{}lib", project.app_dir)];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(project.root.join(&dir)) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let rel = format!("{dir}/{name}");
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(rel);
            } else if ft.is_file() && name.ends_with(".ex") {
                let Some(original) = files::read(&project.root, &rel)? else {
                    continue;
                };
                let src = original.format.text;
                if !src.contains(var) {
                    continue;
                }
                let tree = elixir::parse(&src);
                let file = ExFile {
                    path: rel,
                    src,
                    tree,
                };
                if let Some(line) = reads_env(&file, var) {
                    found.push((file.path, line));
                }
            }
        }
    }
    found.sort();
    Ok(found.into_iter().next())
}

/// `value` with references to `name` itself (`$ERL_AFLAGS ...`) replaced by what it inherits.
fn substitute_self(value: &[Seg], name: &str, inherited: Option<&Value>) -> Vec<Seg> {
    let mut out = Vec::new();
    for seg in value {
        match seg {
            Seg::Exp(e) if env_sh::referenced_names(e).iter().any(|n| n == name) => {
                if let Some(v) = inherited {
                    out.extend(v.value.iter().cloned());
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Why env.sh.eex leaves `name` unset on Fly, pointing at the most telling line.
fn not_set_reason(text: &str, name: &str, var: Option<&FlyVar>) -> (Option<usize>, String) {
    if let Some(var) = var {
        if let Some((a, why)) = var.not_on_fly.last() {
            return (Some(a.line), format!("line {} sets it {why}", a.line));
        }
        if let Some(line) = var.conditional_lines.last() {
            return (
                Some(*line),
                format!(
                    "line {line} sets it only under a condition (an `if`, `case`, loop, `&&` or `||`)"
                ),
            );
        }
    }
    if let Some(line) = commented_assignments(text, name).last() {
        return (Some(*line), format!("line {line} is commented out"));
    }
    (
        None,
        format!("nothing in {ENV_SH}, the Dockerfile or fly.toml sets it"),
    )
}

/// 1-based lines of `# NAME=...` and `# export NAME=...`.
fn commented_assignments(text: &str, name: &str) -> Vec<usize> {
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

// ---------------------------------------------------------------------------------------------
// Check 1: rel/env.sh.eex exists and the five exports take effect on Fly.

impl Inputs<'_> {
    fn check_env_sh(&self, out: &mut Vec<Finding>) {
        match &self.env_sh {
            EnvSh::Missing => {
                out.push(
                    Finding::problem(
                        1,
                        "env-sh-missing",
                        "there is no rel/env.sh.eex, so nothing names the node for clustering: the release boots as `sname` with its own name",
                    )
                    .at(ENV_SH, None)
                    .fix("run `flycluster init` (it creates the file as `mix release.init` would, plus the clustering block)"),
                );
            }
            EnvSh::Unparsed(e) => {
                out.push(
                    Finding::warning(
                        1,
                        "env-sh-unparsed",
                        format!(
                            "{}; doctor cannot follow the shell there, so it does not judge what the file exports",
                            e.message
                        ),
                    )
                    .at(ENV_SH, Some(e.line))
                    .fix("check the file with `sh -n`; the exports SPEC item 1 lists must take effect on Fly"),
                );
                return;
            }
            EnvSh::Read { .. } => {}
        }

        let mut all_set = true;
        let mut ecto_ipv6_unset = false;
        let mut from_elsewhere = Vec::new();
        for name in env_sh::CLUSTERING_VARS {
            // RELEASE_* can only come from env.sh.eex; without the file, env-sh-missing says it.
            if matches!(self.env_sh, EnvSh::Missing) && !env_sh::needs_export(name) {
                all_set = false;
                continue;
            }
            match self.at_boot(name) {
                Boot::Unknown => {}
                Boot::Set(v) => {
                    if !matches!(v.origin, Origin::EnvSh(_)) {
                        from_elsewhere.push(format!("{name} from {}", v.origin.file()));
                    }
                }
                // Check 2 judges ERL_AFLAGS with every source of -proto_dist.
                Boot::Uncertain(..) if name == "ERL_AFLAGS" => all_set = false,
                Boot::Uncertain(v, lines) => {
                    all_set = false;
                    let line = *lines.last().expect("uncertain values have lines");
                    out.push(
                        Finding::problem(
                            1,
                            "env-sh-exports",
                            format!(
                                "{name} is `{}` ({}), but line {line} changes it only under a condition, so it may not hold on Fly",
                                v.normalized(),
                                v.origin.describe()
                            ),
                        )
                        .at(ENV_SH, Some(line))
                        .fix(format!("set {name} unconditionally on Fly, after everything else (`flycluster init` adds its block at the end of the file)")),
                    );
                }
                // Check 8 judges a missing ECTO_IPV6 by where the database lives.
                Boot::Unset(..) if name == "ECTO_IPV6" => ecto_ipv6_unset = true,
                Boot::Unset(line, reason) => {
                    all_set = false;
                    let (severity, why) = match name {
                        "ERL_AFLAGS" => {
                            // Check 2 judges ERL_AFLAGS with every source of -proto_dist.
                            continue;
                        }
                        "DNS_CLUSTER_QUERY" => (
                            Severity::Problem,
                            "the clustering library has no query and finds no nodes",
                        ),
                        "RELEASE_DISTRIBUTION" => (
                            Severity::Problem,
                            "the release starts with short names (`sname`), which cannot connect across machines",
                        ),
                        _ => (
                            Severity::Problem,
                            "the node is named after the release and the machine's hostname, which dns_cluster cannot reach",
                        ),
                    };
                    let fix = match line {
                        Some(l) if reason.contains("commented out") => format!(
                            "uncomment line {l} inside the Fly block, or run `flycluster init` to add it"
                        ),
                        _ => "run `flycluster init`: its block exports it on Fly only".into(),
                    };
                    out.push(
                        Finding::new(
                            1,
                            "env-sh-exports",
                            severity,
                            format!(
                                "{name} is not set when the release boots on Fly: {reason}; {why}"
                            ),
                        )
                        .at(ENV_SH, line)
                        .fix(fix),
                    );
                }
            }
        }
        if all_set && matches!(self.env_sh, EnvSh::Read { .. }) {
            let elsewhere = if from_elsewhere.is_empty() {
                String::new()
            } else {
                format!(" ({})", from_elsewhere.join(", "))
            };
            out.push(
                Finding::ok(
                    1,
                    "env-sh-exports",
                    if ecto_ipv6_unset {
                        format!("the four clustering settings take effect when the release boots on Fly{elsewhere}; ECTO_IPV6 is not set (check 8 judges it)")
                    } else {
                        format!("the five clustering settings take effect when the release boots on Fly{elsewhere}")
                    },
                )
                .at(ENV_SH, None),
            );
        }
        self.check_unguarded(out);
    }

    /// RELEASE_NODE built from Fly's variables but set outside a FLY_APP_NAME guard: off Fly (a
    /// local `bin/APP start`, CI) those are empty and the node name is invalid.
    fn check_unguarded(&self, out: &mut Vec<Finding>) {
        let EnvSh::Read {
            broken_off_fly: Some(a),
            ..
        } = &self.env_sh
        else {
            return;
        };
        let off_fly: String = a
            .value
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.as_str(),
                Seg::Exp(_) => "",
            })
            .collect();
        out.push(
            Finding::warning(
                1,
                "env-sh-unguarded",
                format!(
                    "RELEASE_NODE is built from Fly's variables where it also runs off Fly; off Fly (a local `bin/{} start`, CI) Fly's variables are empty, the node is named `{off_fly}` and the release does not boot",
                    self.project.otp_app
                ),
            )
            .at(ENV_SH, Some(a.line))
            .fix("run `flycluster init`: it replaces these lines with its block, which runs only where FLY_PRIVATE_IP is set"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Check 2: erl gets `-proto_dist inet6_tcp`, exactly once.

impl Inputs<'_> {
    fn check_erl_aflags(&self, out: &mut Vec<Finding>) {
        let (value, unset_reason) = match self.at_boot("ERL_AFLAGS") {
            Boot::Unknown => return,
            Boot::Set(v) => (Some(v), None),
            Boot::Uncertain(v, lines) => {
                let line = *lines.last().expect("uncertain values have lines");
                out.push(
                    Finding::problem(
                        2,
                        "erl-aflags",
                        format!(
                            "ERL_AFLAGS is `{}` ({}), but line {line} changes it only under a condition, so erl may not get `-proto_dist inet6_tcp` on Fly",
                            v.normalized(),
                            v.origin.describe(),
                        ),
                    )
                    .at(ENV_SH, Some(line))
                    .fix("set ERL_AFLAGS unconditionally inside the Fly block (`flycluster init` does)"),
                );
                return;
            }
            Boot::Unset(line, reason) => (None, Some((line, reason))),
        };

        // Every -proto_dist erl gets: ERL_AFLAGS, the other flag variables, vm.args.
        let mut sources: Vec<(String, Origin)> = Vec::new();
        if let Some(value) = &value {
            let total = env_sh::proto_dist_count(&value.value);
            // An env.sh.eex value built on the inherited ERL_AFLAGS carries that value's flags too.
            let own = match (&value.origin, self.env_var("ERL_AFLAGS")) {
                (Origin::EnvSh(_), Some(var)) => var
                    .effective
                    .as_ref()
                    .map_or(total, |a| env_sh::proto_dist_count(&a.value)),
                _ => total,
            };
            for _ in 0..own {
                sources.push(("ERL_AFLAGS".into(), value.origin.clone()));
            }
            if total > own
                && let Some(inherited) = self.inherited("ERL_AFLAGS")
            {
                for _ in own..total {
                    sources.push((
                        format!(
                            "the inherited ERL_AFLAGS that {} extends",
                            value.origin.describe()
                        ),
                        inherited.origin.clone(),
                    ));
                }
            }
        }
        if let EnvSh::Read { view, .. } = &self.env_sh {
            for (var, a) in &view.proto_dist_elsewhere {
                sources.push((var.clone(), Origin::EnvSh(a.line)));
            }
        }
        // flycluster's block replaces the inherited ERL_AFLAGS's -proto_dist (the value the model
        // gives it is the flag it adds); the other flag variables keep theirs.
        {
            for var in env_sh::OTHER_FLAG_VARS {
                let inherited = self.inherited(var);
                match self.env_var(var).and_then(|v| v.effective.as_ref()) {
                    // Counted above when the assignment itself carries the flag; one that reuses
                    // the inherited value carries that value's.
                    Some(a) => {
                        let full = substitute_self(&a.value, var, inherited.as_ref());
                        if env_sh::proto_dist_count(&a.value) == 0
                            && env_sh::proto_dist_count(&full) > 0
                        {
                            sources.push((var.to_string(), Origin::EnvSh(a.line)));
                        }
                    }
                    None => {
                        if let Some(v) =
                            inherited.filter(|v| env_sh::proto_dist_count(&v.value) > 0)
                        {
                            sources.push((var.to_string(), v.origin.clone()));
                        }
                    }
                }
            }
        }
        let total = sources.len() + self.vm_args_proto_dist.len();

        if total > 1 {
            let mut places: Vec<String> = sources
                .iter()
                .map(|(var, origin)| format!("{var} ({})", origin.describe()))
                .collect();
            places.extend(
                self.vm_args_proto_dist
                    .iter()
                    .map(|v| format!("{} line {}", v.file, v.line)),
            );
            let preferred = sources
                .iter()
                .find(|(_, o)| matches!(o, Origin::EnvSh(_)))
                .or(sources.first());
            let (file, line) = match preferred {
                Some((_, origin)) => (origin.file().to_string(), origin.line()),
                None => (
                    self.vm_args_proto_dist[0].file.clone(),
                    self.vm_args_proto_dist[0].line,
                ),
            };
            out.push(
                Finding::problem(
                    2,
                    "proto-dist-twice",
                    format!(
                        "erl gets `-proto_dist` {total} times: {}; erl accepts it only once and otherwise falls back to IPv4, which Fly's private network does not carry",
                        places.join(", ")
                    ),
                )
                .at(file, Some(line))
                .fix("keep one `-proto_dist inet6_tcp`, in ERL_AFLAGS; remove the others (`flycluster init` does this for env.sh.eex)"),
            );
            return;
        }

        if let [vm] = self.vm_args_proto_dist.as_slice() {
            let finding = if vm.carrier.starts_with("inet6_") {
                Finding::ok(
                    2,
                    "erl-aflags",
                    format!("erl gets `-proto_dist {}` once, from vm.args", vm.carrier),
                )
            } else {
                Finding::problem(
                    2,
                    "erl-aflags",
                    format!("erl gets `-proto_dist {}` from vm.args: distribution must use `inet6_tcp` on Fly's IPv6 private network", vm.carrier),
                )
                .fix("use `-proto_dist inet6_tcp`")
            };
            out.push(finding.at(vm.file.clone(), Some(vm.line)));
            return;
        }

        if total == 0 {
            // No -proto_dist at all.
            if let Some(b) = self.builder_only("ERL_AFLAGS") {
                out.push(
                    Finding::problem(
                        2,
                        "dockerfile-builder-stage",
                        format!(
                            "ERL_AFLAGS is set in the `{}` stage only; the final image does not inherit it, so erl listens on IPv4, which Fly's private network does not carry",
                            b.stage_name.as_deref().unwrap_or("build")
                        ),
                    )
                    .at(DOCKERFILE, Some(b.line))
                    .fix("move the ENV line into the final stage (after the last FROM), or run `flycluster init`"),
                );
                return;
            }
            let finding = match (&value, &unset_reason) {
                (Some(v), _) => Finding::problem(
                    2,
                    "erl-aflags",
                    format!(
                        "ERL_AFLAGS is `{}`, without `-proto_dist inet6_tcp`: Erlang distribution listens on IPv4, which Fly's private network does not carry",
                        v.normalized()
                    ),
                )
                .at_origin(&v.origin),
                (None, Some((line, reason))) => Finding::problem(
                    2,
                    "erl-aflags",
                    format!(
                        "nothing gives erl `-proto_dist inet6_tcp` on Fly (ERL_AFLAGS: {reason}); Erlang distribution then listens on IPv4, which Fly's private network does not carry"
                    ),
                )
                .at(ENV_SH, *line),
                (None, None) => unreachable!("an unset value has a reason"),
            };
            out.push(finding.fix("run `flycluster init`: it exports ERL_AFLAGS=\"-proto_dist inet6_tcp\" in env.sh.eex and the Dockerfile's final stage"));
            return;
        }
        if sources[0].0 != "ERL_AFLAGS" {
            // The only -proto_dist is in another flag variable: erl still gets it once.
            let (var, origin) = &sources[0];
            out.push(
                Finding::warning(
                    2,
                    "erl-aflags",
                    format!("erl gets `-proto_dist` only from {var}, not ERL_AFLAGS"),
                )
                .at_origin(origin)
                .fix("set `-proto_dist inet6_tcp` in ERL_AFLAGS instead"),
            );
            return;
        }
        let value = value.expect("the one -proto_dist is in ERL_AFLAGS");
        if !env_sh::has_inet6_tcp(&value.value) {
            out.push(
                Finding::problem(
                    2,
                    "erl-aflags",
                    format!(
                        "ERL_AFLAGS is `{}`: distribution must use `-proto_dist inet6_tcp` on Fly's IPv6 private network",
                        value.normalized(),
                    ),
                )
                .at_origin(&value.origin)
                .fix("set `-proto_dist inet6_tcp` in ERL_AFLAGS"),
            );
            return;
        }
        out.push(
            Finding::ok(
                2,
                "erl-aflags",
                "erl gets `-proto_dist inet6_tcp` once, from ERL_AFLAGS",
            )
            .at_origin(&value.origin),
        );
    }

    /// An `ENV NAME=...` of a stage the final image does not inherit, when the final image has none.
    fn builder_only(&self, name: &str) -> Option<&dockerfile::EnvLine> {
        let lines = self.dockerfile.as_ref()?;
        if lines.iter().any(|l| l.key == name && l.in_final_image) {
            return None;
        }
        lines.iter().find(|l| l.key == name && !l.in_final_image)
    }
}

// ---------------------------------------------------------------------------------------------
// Check 3: RELEASE_NODE is `<the same name on every machine>@${FLY_PRIVATE_IP}`.

/// Variables whose value differs from machine to machine (or region to region).
const PER_MACHINE: [&str; 9] = [
    "FLY_MACHINE_ID",
    "FLY_ALLOC_ID",
    "FLY_PRIVATE_IP",
    "FLY_PUBLIC_IP",
    "FLY_REGION",
    "FLY_MACHINE_VERSION",
    "HOSTNAME",
    "HOST",
    "RANDOM",
];

/// Variables that are the same on every machine of one deploy.
const PER_DEPLOY: [&str; 4] = [
    "FLY_APP_NAME",
    "FLY_IMAGE_REF",
    "RELEASE_NAME",
    "RELEASE_VSN",
];

#[derive(Debug, Default)]
struct NameParts {
    /// Expansions that differ between machines, as written.
    per_machine: Vec<String>,
    /// Expansions doctor cannot place.
    unknown: Vec<String>,
    /// The guide's `${FLY_IMAGE_REF##*-}`.
    fragile_suffix: bool,
}

impl Inputs<'_> {
    fn check_release_node(&self, out: &mut Vec<Finding>) {
        if matches!(self.env_sh, EnvSh::Missing) {
            return;
        }
        let value = match self.at_boot("RELEASE_NODE") {
            Boot::Set(v) | Boot::Uncertain(v, _) => v,
            Boot::Unknown | Boot::Unset(..) => return,
        };
        let shown = value.normalized();
        let Some((name, host)) = split_node(&value.value) else {
            out.push(
                Finding::problem(
                    3,
                    "release-node-host",
                    format!(
                        "RELEASE_NODE is `{shown}`, with no `@host`: the release then adds the machine's hostname, and dns_cluster, which connects to `name@IP` from the DNS answers, never reaches it"
                    ),
                )
                .at_origin(&value.origin)
                .fix("end RELEASE_NODE with `@${FLY_PRIVATE_IP}`"),
            );
            return;
        };

        // Host part.
        let host_text = env_sh::normalized(&host);
        match self.host_kind(&host) {
            HostKind::PrivateIp => out.push(
                Finding::ok(3, "release-node-host", "RELEASE_NODE's host is `${FLY_PRIVATE_IP}`")
                    .at_origin(&value.origin),
            ),
            HostKind::HostsFile => out.push(
                Finding::warning(
                    3,
                    "release-node-host",
                    format!(
                        "RELEASE_NODE's host `{host_text}` reads the private IP from /etc/hosts (fly-local-6pn); it works, but FLY_PRIVATE_IP is the documented source"
                    ),
                )
                .at_origin(&value.origin)
                .fix("use `@${FLY_PRIVATE_IP}`"),
            ),
            HostKind::Other => out.push(
                Finding::problem(
                    3,
                    "release-node-host",
                    format!(
                        "RELEASE_NODE's host is `{host_text}`, not `${{FLY_PRIVATE_IP}}`: dns_cluster connects to `name@IP` for each address the DNS query returns, so a node named after a hostname is never reached"
                    ),
                )
                .at_origin(&value.origin)
                .fix("end RELEASE_NODE with `@${FLY_PRIVATE_IP}`"),
            ),
        }

        // Name part.
        let parts = self.classify_name(&name);
        let name_text = env_sh::normalized(&name);
        if name_text.is_empty() {
            out.push(
                Finding::problem(
                    3,
                    "release-node-name",
                    "RELEASE_NODE has an empty name before `@`",
                )
                .at_origin(&value.origin)
                .fix("start RELEASE_NODE with `${FLY_APP_NAME}`"),
            );
        } else if !parts.per_machine.is_empty() {
            out.push(
                Finding::problem(
                    3,
                    "release-node-name",
                    format!(
                        "RELEASE_NODE's name `{name_text}` uses {}, which differs between machines; dns_cluster connects to `<its own name>@IP`, so machines with other names never connect",
                        parts.per_machine.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at_origin(&value.origin)
                .fix("build the name from values shared by one deploy: `${FLY_APP_NAME}` and the image reference (`flycluster init` writes it)"),
            );
        } else if !parts.unknown.is_empty() {
            out.push(
                Finding::warning(
                    3,
                    "release-node-name",
                    format!(
                        "RELEASE_NODE's name `{name_text}` uses {}; doctor cannot tell whether that is the same on every machine of a deploy, as dns_cluster needs",
                        parts.unknown.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at_origin(&value.origin)
                .fix("build the name from `${FLY_APP_NAME}` and the image reference only"),
            );
        } else {
            out.push(
                Finding::ok(
                    3,
                    "release-node-name",
                    format!(
                        "RELEASE_NODE's name `{name_text}` is the same on every machine of a deploy"
                    ),
                )
                .at_origin(&value.origin),
            );
        }
        if parts.fragile_suffix {
            out.push(
                Finding::warning(
                    3,
                    "release-node-image-suffix",
                    "`${FLY_IMAGE_REF##*-}` keeps everything after the reference's last `-`: with a custom image label (`fly deploy --image-label v42`) or a digest it carries `/`, `:` or `@` into the node name, which breaks it",
                )
                .at_origin(&value.origin)
                .fix(format!(
                    "delete line {} and run `flycluster init`: it writes a RELEASE_NODE whose suffix also works with custom labels and digests",
                    value.origin.line()
                )),
            );
        }
    }

    fn host_kind(&self, host: &[Seg]) -> HostKind {
        let text = env_sh::normalized(host);
        if text == "${FLY_PRIVATE_IP}" {
            return HostKind::PrivateIp;
        }
        // `$ip` where the file sets `ip` once, to the private IP or a lookup of it.
        if let [Seg::Exp(e)] = host {
            let names = env_sh::referenced_names(e);
            if let [name] = names.as_slice()
                && let Some(var) = self.env_var(name)
                && let Some(a) = &var.effective
            {
                let inner = env_sh::normalized(&a.value);
                if inner == "${FLY_PRIVATE_IP}" {
                    return HostKind::PrivateIp;
                }
                if inner.contains("fly-local-6pn") {
                    return HostKind::HostsFile;
                }
            }
            if e.contains("fly-local-6pn") {
                return HostKind::HostsFile;
            }
        }
        HostKind::Other
    }

    /// Sorts the expansions of a node name into per-machine, per-deploy and unknown ones, following
    /// variables the file itself sets.
    fn classify_name(&self, name: &[Seg]) -> NameParts {
        let mut parts = NameParts::default();
        let mut seen = Vec::new();
        for seg in name {
            if let Seg::Exp(e) = seg {
                self.classify_expansion(e, &mut parts, &mut seen, 0);
            }
        }
        parts
    }

    fn classify_expansion(
        &self,
        e: &str,
        parts: &mut NameParts,
        seen: &mut Vec<String>,
        depth: usize,
    ) {
        if e.starts_with("${FLY_IMAGE_REF##") && e.trim_end_matches('}').ends_with("*-") {
            parts.fragile_suffix = true;
        }
        if e.starts_with("$(") || e.starts_with('`') {
            let lower = e.to_ascii_lowercase();
            if [
                "hostname",
                "uname",
                "ip ",
                "ifconfig",
                "/etc/hosts",
                "date",
                "random",
                "uuid",
            ]
            .iter()
            .any(|w| lower.contains(w))
            {
                parts.per_machine.push(e.to_string());
            } else {
                parts.unknown.push(e.to_string());
            }
            return;
        }
        if e == "$$" {
            parts.per_machine.push(e.to_string());
            return;
        }
        for name in env_sh::referenced_names(e) {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            if PER_MACHINE.contains(&name.as_str()) {
                parts.per_machine.push(format!("${{{name}}}"));
                continue;
            }
            if PER_DEPLOY.contains(&name.as_str()) {
                continue;
            }
            // A variable the file sets: what it is set from.
            let assignments: Vec<&env_sh::Assignment> = match self.env_var(&name) {
                Some(var) => var
                    .effective
                    .iter()
                    .chain(var.overridden.iter())
                    .chain(var.conditional.iter())
                    .chain(var.not_on_fly.iter().map(|(a, _)| a))
                    .collect(),
                None => Vec::new(),
            };
            if assignments.is_empty() || depth > 6 {
                parts.unknown.push(format!("${{{name}}}"));
                continue;
            }
            for a in assignments {
                // A text rewrite of other variables is as stable as they are.
                if let Some(sources) = &a.text_of {
                    for source in sources {
                        self.classify_expansion(&format!("${{{source}}}"), parts, seen, depth + 1);
                    }
                    continue;
                }
                for seg in &a.value {
                    if let Seg::Exp(inner) = seg {
                        self.classify_expansion(inner, parts, seen, depth + 1);
                    }
                }
            }
        }
    }
}

enum HostKind {
    PrivateIp,
    HostsFile,
    Other,
}

/// The name and host parts of a node name, split at the last `@` written literally.
fn split_node(value: &[Seg]) -> Option<(Vec<Seg>, Vec<Seg>)> {
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

// ---------------------------------------------------------------------------------------------
// Check 4: RELEASE_DISTRIBUTION is `name`.

impl Inputs<'_> {
    fn check_release_distribution(&self, out: &mut Vec<Finding>) {
        if matches!(self.env_sh, EnvSh::Missing) {
            return;
        }
        let value = match self.at_boot("RELEASE_DISTRIBUTION") {
            Boot::Set(v) | Boot::Uncertain(v, _) => v,
            Boot::Unknown | Boot::Unset(..) => return,
        };
        let shown = value.normalized();
        if shown == "name" {
            out.push(
                Finding::ok(4, "release-distribution", "RELEASE_DISTRIBUTION is `name`")
                    .at_origin(&value.origin),
            );
            return;
        }
        let mut message = format!(
            "RELEASE_DISTRIBUTION is `{shown}` when the release boots on Fly; clustering across machines needs long names, `name`"
        );
        if let Some(var) = self.env_var("RELEASE_DISTRIBUTION")
            && let Some(earlier) = var
                .overridden
                .iter()
                .rev()
                .find(|a| env_sh::normalized(&a.value) == "name")
        {
            message.push_str(&format!(
                " (line {} sets `name`, but line {} overrides it)",
                earlier.line,
                value.origin.line()
            ));
        }
        out.push(
            Finding::problem(4, "release-distribution", message)
                .at_origin(&value.origin)
                .fix("set RELEASE_DISTRIBUTION=\"name\" last, inside the Fly block"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Check 5: DNS_CLUSTER_QUERY names the Fly app, `.internal`, wherever it is set.

impl Inputs<'_> {
    /// Whether a query value names this Fly app's `.internal` (`None`: cannot tell, no app known).
    fn query_fits(&self, value: &str) -> Option<bool> {
        // `<group>.process.<app>.internal` is the app's Machines of one process group (check 11).
        let app_part = match value.split_once(".process.") {
            Some((group, rest)) if !group.is_empty() && !group.contains('.') => rest,
            _ => value,
        };
        if app_part == "${FLY_APP_NAME}.internal" {
            return Some(true);
        }
        let app = self.fly_app.as_ref()?;
        Some(app_part == format!("{app}.internal"))
    }

    fn check_dns_cluster_query(&self, out: &mut Vec<Finding>) {
        if let (Some(asked), Some((app, line))) = (
            self.fly_app.as_ref(),
            self.fly_toml.as_ref().and_then(|t| t.app.as_ref()),
        ) && asked != app
        {
            out.push(
                    Finding::warning(
                        5,
                        "fly-app-mismatch",
                        format!(
                            "fly.toml's `app` is `{app}`, but doctor checks against `--app {asked}`; `fly deploy` deploys `{app}` unless it is given `--app`"
                        ),
                    )
                    .at(FLY_TOML, Some(*line))
                    .fix(format!("set `app = '{asked}'` in fly.toml, or deploy with `fly deploy --app {asked}`")),
                );
        }
        let boot = self.at_boot("DNS_CLUSTER_QUERY");
        let value = match &boot {
            Boot::Set(v) | Boot::Uncertain(v, _) => v.clone(),
            Boot::Unknown | Boot::Unset(..) => return,
        };
        let expected = self.expected_query();
        let shown = value.normalized();
        let fly_entry = self
            .fly_toml
            .as_ref()
            .and_then(|t| t.env("DNS_CLUSTER_QUERY"))
            .filter(|e| e.value.is_some());
        let boot_from_env_sh = matches!(value.origin, Origin::EnvSh(_));

        match self.query_fits(&shown) {
            Some(false) => {
                let mut message = format!(
                    "DNS_CLUSTER_QUERY is `{shown}` when the release boots, but the Fly app's nodes are found at `{expected}`"
                );
                if boot_from_env_sh
                    && let Some(entry) = fly_entry {
                        let fly_value = entry.value.as_deref().unwrap_or_default();
                        if self.query_fits(fly_value) == Some(true) {
                            message.push_str(&format!(
                                "; fly.toml line {} has the right `{fly_value}`, but env.sh.eex runs after Fly sets the environment, so its value wins",
                                entry.line
                            ));
                        }
                    }
                out.push(
                    Finding::problem(5, "dns-cluster-query", message)
                        .at_origin(&value.origin)
                        .fix("set DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\" in env.sh.eex and `<app>.internal` in fly.toml"),
                );
                return;
            }
            None => out.push(
                Finding::warning(
                    5,
                    "dns-cluster-query",
                    format!(
                        "DNS_CLUSTER_QUERY is `{shown}`; with no fly.toml `app` (or `--app`), doctor cannot check that it names the Fly app"
                    ),
                )
                .at_origin(&value.origin)
                .fix("use `${FLY_APP_NAME}.internal` in env.sh.eex, or pass `--app NAME`"),
            ),
            Some(true) => out.push(
                Finding::ok(
                    5,
                    "dns-cluster-query",
                    format!("DNS_CLUSTER_QUERY is `{shown}` when the release boots"),
                )
                .at_origin(&value.origin),
            ),
        }

        // Both set: a disagreement is harmless at boot (env.sh.eex wins), but misleading.
        if boot_from_env_sh && let Some(entry) = fly_entry {
            let fly_value = entry.value.as_deref().unwrap_or_default();
            if self.query_fits(fly_value) == Some(false) {
                out.push(
                        Finding::warning(
                            5,
                            "dns-cluster-query-mismatch",
                            format!(
                                "fly.toml sets DNS_CLUSTER_QUERY = `{fly_value}`, but {} sets `{shown}`; env.sh.eex runs after Fly sets the environment, so `{shown}` wins at boot and fly.toml's value is never used",
                                value.origin.describe()
                            ),
                        )
                        .at(FLY_TOML, Some(entry.line))
                        .fix(format!("set DNS_CLUSTER_QUERY = '{expected}' in fly.toml")),
                    );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Check 6: the clustering child, its config and its dependency agree.

/// Where a query or topology setting comes from.
enum ConfigValue {
    /// `System.get_env("DNS_CLUSTER_QUERY")` or `fetch_env!`.
    ReadsQueryEnv,
    /// Reads another environment variable.
    ReadsEnv(String),
    Literal(String),
    /// `"#{app}.internal"` with `app` read from FLY_APP_NAME at runtime.
    AppInternal,
    Other(String),
}

fn config_value(node: Node<'_>, root: Node<'_>, src: &str) -> ConfigValue {
    let text = elixir::text(node, src);
    let interpolated = !elixir::descendants_of_kind(node, "interpolation").is_empty();
    if node.kind() == "string" && !interpolated {
        return ConfigValue::Literal(text.trim_matches('"').to_string());
    }
    let mut candidates = vec![node];
    candidates.extend(elixir::bound_values(node, root, src));
    let mut reads = Vec::new();
    for candidate in &candidates {
        for call in elixir::descendants_of_kind(*candidate, "call") {
            if matches!(
                elixir::call_name(call, src),
                Some("System.get_env" | "System.fetch_env!" | "System.fetch_env")
            ) {
                let first =
                    elixir::call_args(call).and_then(|a| elixir::items(a).into_iter().next());
                if let Some(first) = first.filter(|f| f.kind() == "string") {
                    reads.push(elixir::text(first, src).trim_matches('"').to_string());
                }
            }
        }
    }
    if reads.iter().any(|r| r == "DNS_CLUSTER_QUERY") {
        return ConfigValue::ReadsQueryEnv;
    }
    if interpolated && text.ends_with(".internal\"") && reads.iter().any(|r| r == "FLY_APP_NAME") {
        return ConfigValue::AppInternal;
    }
    match reads.into_iter().next() {
        Some(var) => ConfigValue::ReadsEnv(var),
        None => ConfigValue::Other(text.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// What the DNSCluster child's `query:` reads.
enum ChildQuery {
    AppEnv { app: String, key: String },
    Direct(ConfigValue),
    Unknown(String),
}

impl Inputs<'_> {
    /// What the application starts, as init's editors read it.
    fn started(&self) -> Started<'_> {
        self.application
            .as_ref()
            .map(|app| application::started(app.root(), &app.src))
            .unwrap_or_default()
    }

    /// What the application starts for clustering and the keys its children read, as init's
    /// editors read it.
    fn supervision(&self) -> Supervision {
        self.application
            .as_ref()
            .map(|app| application::supervision(&app.src))
            .unwrap_or_default()
    }

    /// The app's own dependencies, or in an umbrella another app's, bring the library.
    fn dep_in_umbrella(&self, library: Strategy) -> bool {
        let project = self.project;
        deps::brings(
            project
                .deps
                .iter()
                .chain(&project.sibling_deps)
                .map(String::as_str),
            library,
        )
    }

    fn check_clustering_library(&self, out: &mut Vec<Finding>) {
        let started = self.started();
        let own_deps = || self.project.deps.iter().map(String::as_str);
        let libcluster =
            deps::brings(own_deps(), Strategy::Libcluster) || started.cluster_supervisor.is_some();
        let dns_cluster =
            deps::brings(own_deps(), Strategy::DnsCluster) || started.dns_cluster.is_some();
        let strategy = init::resolve_strategy(self.project, None);
        if let Some((line, message)) = started.both_started() {
            out.push(
                Finding::warning(6, "clustering-both-started", message)
                    .at(self.app_file(), Some(line))
                    .fix(application::BOTH_STARTED_FIX),
            );
        }
        let (mut dns, mut lib) = (Vec::new(), Vec::new());
        if dns_cluster || (!libcluster && strategy == Strategy::DnsCluster) {
            self.check_dns_cluster(&mut dns);
        }
        if libcluster {
            self.check_libcluster(&mut lib);
        }
        if started.both_started().is_some() {
            // Either library alone forms the cluster: while one is set up, what the other lacks
            // stops nothing.
            let set_up =
                |findings: &[Finding]| findings.iter().all(|f| f.severity != Severity::Problem);
            let (working, other) = if set_up(&dns) {
                ("DNSCluster", &mut lib)
            } else if set_up(&lib) {
                ("libcluster", &mut dns)
            } else {
                ("", &mut Vec::new())
            };
            for finding in other.iter_mut().filter(|f| f.severity == Severity::Problem) {
                finding.severity = Severity::Warning;
                finding
                    .message
                    .push_str(&format!(" ({working} is set up and forms the cluster)"));
            }
        }
        out.extend(dns);
        out.extend(lib);
    }

    fn app_file(&self) -> String {
        self.project.application_path.clone().unwrap_or_else(|| {
            format!(
                "{}lib/{}/application.ex",
                self.project.app_dir, self.project.otp_app
            )
        })
    }

    fn check_dns_cluster(&self, out: &mut Vec<Finding>) {
        let mix = self.project.mix_exs();
        if self.dep_in_umbrella(Strategy::DnsCluster) {
            out.push(Finding::ok(6, "dns-cluster-dep", "depends on dns_cluster").at(mix, None));
        } else {
            out.push(
                Finding::problem(
                    6,
                    "dns-cluster-dep",
                    "mix.exs does not depend on dns_cluster, so the DNSCluster child cannot start",
                )
                .at(mix, None)
                .fix("add `{:dns_cluster, \"~> 0.2.0\"}` to deps (`flycluster init` does)"),
            );
        }

        let app_file = self.app_file();
        let Some(app) = &self.application else {
            out.push(
                Finding::problem(6, "dns-cluster-child", "the application module's file was not found, so nothing starts DNSCluster")
                    .at(app_file, None)
                    .fix(format!(
                        "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` to the children in `start/2`",
                        self.project.otp_app
                    )),
            );
            return;
        };
        let Some((line, query)) = dns_cluster_child(app) else {
            out.push(
                Finding::problem(6, "dns-cluster-child", "the application starts no DNSCluster child, so nodes never look for each other")
                    .at(&app.path, None)
                    .fix(format!(
                        "add `{{DNSCluster, query: Application.get_env(:{}, :dns_cluster_query) || :ignore}}` after the PubSub child (`flycluster init` does)",
                        self.project.otp_app
                    )),
            );
            return;
        };
        let (app_name, key) = match query {
            ChildQuery::AppEnv { app: a, key } => (a, key),
            ChildQuery::Direct(ConfigValue::ReadsQueryEnv | ConfigValue::AppInternal) => {
                out.push(
                    Finding::ok(
                        6,
                        "dns-cluster-child",
                        "the DNSCluster child reads its query from the environment when the release boots",
                    )
                    .at(&app.path, Some(line)),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::Literal(q)) => {
                let severity = if self.query_fits(&q) == Some(false) {
                    Severity::Problem
                } else {
                    Severity::Warning
                };
                out.push(
                    Finding::new(6, "dns-cluster-child", severity, format!("the DNSCluster child's query is the fixed string `{q}`"))
                        .at(&app.path, Some(line))
                        .fix(format!(
                            "read it from config: `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                            self.project.otp_app
                        )),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::ReadsEnv(var)) => {
                out.push(
                    Finding::problem(6, "dns-cluster-child", format!("the DNSCluster child's query reads `{var}`, not DNS_CLUSTER_QUERY"))
                        .at(&app.path, Some(line))
                        .fix("read DNS_CLUSTER_QUERY (through `config :APP, :dns_cluster_query` in runtime.exs)"),
                );
                return;
            }
            ChildQuery::Direct(ConfigValue::Other(text)) | ChildQuery::Unknown(text) => {
                out.push(
                    Finding::warning(6, "dns-cluster-child", format!("doctor cannot tell where the DNSCluster child's query `{text}` comes from"))
                        .at(&app.path, Some(line))
                        .fix(format!(
                            "use `query: Application.get_env(:{}, :dns_cluster_query) || :ignore`",
                            self.project.otp_app
                        )),
                );
                return;
            }
        };
        out.push(
            Finding::ok(
                6,
                "dns-cluster-child",
                format!("the application starts DNSCluster with `Application.get_env(:{app_name}, :{key})`"),
            )
            .at(&app.path, Some(line)),
        );

        // Where `:app_name, :key` is configured.
        let mut found: Vec<(&ExFile, usize, ConfigValue)> = Vec::new();
        for config in &self.configs {
            for (call, value) in
                runtime::configured_values(config.root(), &config.src, &app_name, &key)
            {
                found.push((
                    config,
                    config.line_of(call),
                    config_value(value, config.root(), &config.src),
                ));
            }
        }
        let at_runtime = found.iter().rev().find(|(f, _, _)| f.is_runtime());
        let child_reads = format!("`Application.get_env(:{app_name}, :{key})`");
        match at_runtime {
            Some((file, line, value)) => {
                let finding = match value {
                    ConfigValue::ReadsQueryEnv => Finding::ok(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` from DNS_CLUSTER_QUERY, which the DNSCluster child reads"),
                    ),
                    ConfigValue::AppInternal => Finding::ok(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` as FLY_APP_NAME's `.internal`, which the DNSCluster child reads"),
                    ),
                    ConfigValue::Literal(q) if self.query_fits(q) != Some(false) => Finding::ok(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` as `{q}`"),
                    ),
                    ConfigValue::Literal(q) => Finding::problem(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` as `{q}`, not `{}`", self.expected_query()),
                    )
                    .fix("configure it from the environment: `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::ReadsEnv(var) => Finding::problem(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` from `{var}`, but env.sh.eex sets DNS_CLUSTER_QUERY"),
                    )
                    .fix("read `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::Other(text) => Finding::warning(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` as `{text}`; doctor cannot tell whether that is the query"),
                    )
                    .fix("configure it as `System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                };
                out.push(finding.at(&file.path, Some(*line)));
            }
            None => {
                let compile_time = found.iter().rev().find(|(f, _, _)| !f.is_runtime());
                let finding = match compile_time {
                    Some((
                        file,
                        line,
                        ConfigValue::ReadsQueryEnv | ConfigValue::ReadsEnv(_) | ConfigValue::AppInternal,
                    )) => Finding::problem(
                        6,
                        "dns-cluster-config",
                        format!(
                            "configures `:{app_name}, :{key}` from the environment at build time, when DNS_CLUSTER_QUERY is not set; the DNSCluster child then reads nil and clusters with nothing"
                        ),
                    )
                    .at(&file.path, Some(*line))
                    .fix(format!("move the line into {RUNTIME_EXS}'s prod block")),
                    Some((file, line, _)) => Finding::warning(
                        6,
                        "dns-cluster-config",
                        format!("configures `:{app_name}, :{key}` at build time, not in {RUNTIME_EXS}"),
                    )
                    .at(&file.path, Some(*line))
                    .fix(format!("configure it in {RUNTIME_EXS} from `System.get_env(\"DNS_CLUSTER_QUERY\")`")),
                    None => {
                        let mut message = format!(
                            "the DNSCluster child reads {child_reads}, but no config sets it: the query is nil and DNSCluster does nothing"
                        );
                        let otp = &self.project.otp_app;
                        if (app_name.as_str(), key.as_str()) != (otp.as_str(), "dns_cluster_query")
                            && self.configs.iter().any(|c| {
                                c.is_runtime()
                                    && runtime::configures_query(
                                        c.root(),
                                        &c.src,
                                        otp,
                                        "dns_cluster_query",
                                    )
                            })
                        {
                            message.push_str(&format!(" ({RUNTIME_EXS} configures `:{otp}, :dns_cluster_query` instead)"));
                        }
                        Finding::problem(6, "dns-cluster-config", message)
                            .at(RUNTIME_EXS, None)
                            .fix(format!(
                                "add `config :{app_name}, :{key}, System.get_env(\"DNS_CLUSTER_QUERY\")` to {RUNTIME_EXS}'s prod block"
                            ))
                    }
                };
                out.push(finding);
            }
        }
    }

    fn check_libcluster(&self, out: &mut Vec<Finding>) {
        let mix = self.project.mix_exs();
        if self.dep_in_umbrella(Strategy::Libcluster) {
            out.push(Finding::ok(6, "libcluster-dep", "depends on libcluster").at(mix, None));
        } else {
            out.push(
                Finding::problem(6, "libcluster-dep", "the application starts Cluster.Supervisor, but mix.exs does not depend on libcluster")
                    .at(mix, None)
                    .fix("add `{:libcluster, \"~> 3.5\"}` to deps"),
            );
        }
        let app_file = self.app_file();
        let started = self.started();
        match started.cluster_supervisor.map(|c| c.start_position().row + 1) {
            Some(line) => out.push(
                Finding::ok(6, "libcluster-child", "the application starts Cluster.Supervisor").at(app_file, Some(line)),
            ),
            None => out.push(
                Finding::problem(6, "libcluster-child", "the project depends on libcluster, but the application starts no Cluster.Supervisor, so nodes never look for each other")
                    .at(app_file, None)
                    .fix(format!(
                        "add `{{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies, []), [name: {}.ClusterSupervisor]]}}` to the children (`flycluster init --strategy libcluster` does)",
                        self.project.namespace()
                    )),
            ),
        }

        let mut any = false;
        // The key the started Cluster.Supervisor reads its topologies from, as init writes it.
        let (app, key) = self.supervision().topologies_key();
        // Config merges the topologies of every `config` call for that key: another platform's
        // strategy beside one that finds nodes on Fly is harmless.
        let fly_topology_somewhere = self
            .configs
            .iter()
            .any(|c| runtime::finds_nodes_on_fly(c.root(), &c.src, &app, &key));
        for config in &self.configs {
            let root = config.root();
            let topologies = runtime::libcluster_topologies(root, &config.src, &app, &key);
            if topologies.is_empty() {
                continue;
            }
            any = true;
            let issues = runtime::libcluster_fit_issues(root, &config.src, &app, &key);
            for issue in &issues {
                let (id, severity, fix) = match issue.kind {
                    FitIssueKind::Strategy if fly_topology_somewhere => (
                        "libcluster-strategy",
                        Severity::Warning,
                        "nothing to change for Fly: another topology forms the cluster there",
                    ),
                    FitIssueKind::Strategy => (
                        "libcluster-strategy",
                        Severity::Problem,
                        "use `strategy: Cluster.Strategy.DNSPoll` with `query: System.get_env(\"DNS_CLUSTER_QUERY\")`",
                    ),
                    FitIssueKind::PollInterval => (
                        "libcluster-polling-interval",
                        Severity::Warning,
                        "rename `poll_interval:` to `polling_interval:`",
                    ),
                };
                out.push(
                    Finding::new(6, id, severity, issue.message.clone())
                        .at(&config.path, Some(issue.line))
                        .fix(fix),
                );
            }
            for topology in topologies {
                let line = config.line_of(topology);
                let text = elixir::text(topology, &config.src);
                let has = |kind| issues.iter().any(|i| i.kind == kind && i.line == line);
                if text.contains("Cluster.Strategy.DNSPoll") && !has(FitIssueKind::Strategy) {
                    out.push(
                        Finding::ok(
                            6,
                            "libcluster-strategy",
                            "the libcluster topology uses `Cluster.Strategy.DNSPoll`",
                        )
                        .at(&config.path, Some(line)),
                    );
                }
                if text.contains("polling_interval:") && !has(FitIssueKind::PollInterval) {
                    out.push(
                        Finding::ok(
                            6,
                            "libcluster-polling-interval",
                            "the topology sets `polling_interval`, the key DNSPoll reads",
                        )
                        .at(&config.path, Some(line)),
                    );
                }
                self.check_topology(config, topology, (&app, &key), out);
            }
        }
        if !any {
            let mut message = format!(
                "no `config :{app}, {key}: ...` in config/: Cluster.Supervisor has no topology to run"
            );
            let (default_app, default_key) = LIBCLUSTER_TOPOLOGIES;
            if (app.as_str(), key.as_str()) != LIBCLUSTER_TOPOLOGIES
                && self.configs.iter().any(|c| {
                    !runtime::libcluster_topologies(c.root(), &c.src, default_app, default_key)
                        .is_empty()
                })
            {
                message.push_str(&format!(
                    " (it reads `Application.get_env(:{app}, :{key})`; config/ configures `:{default_app}, :{default_key}` instead)"
                ));
            }
            out.push(
                Finding::problem(6, "libcluster-topology", message)
                    .at(RUNTIME_EXS, None)
                    .fix(format!("add a `Cluster.Strategy.DNSPoll` topology under `config :{app}, {key}:` to runtime.exs's prod block (`flycluster init --strategy libcluster` does)")),
            );
        }
    }

    /// query and node_basename of one call that configures topologies under `(app, key)`.
    fn check_topology(
        &self,
        config: &ExFile,
        topology: Node<'_>,
        (app, key): (&str, &str),
        out: &mut Vec<Finding>,
    ) {
        let src = &config.src;
        let line = config.line_of(topology);
        let text = elixir::text(topology, src);
        if !text.contains("Cluster.Strategy.DNSPoll") {
            // The strategy finding says what to do.
            return;
        }
        let pair_value = |key: &str| {
            elixir::descendants_of_kind(topology, "pair")
                .into_iter()
                .find_map(|pair| {
                    let k = pair.child_by_field_name("key").map(|k| {
                        elixir::text(k, src)
                            .trim_end()
                            .trim_end_matches(':')
                            .to_string()
                    });
                    (k.as_deref() == Some(key))
                        .then(|| pair.child_by_field_name("value"))
                        .flatten()
                })
        };
        let build_time = !config.is_runtime();

        match pair_value("query") {
            None => out.push(
                Finding::problem(
                    6,
                    "libcluster-query",
                    "the DNSPoll topology has no `query`, so it looks up nothing",
                )
                .at(&config.path, Some(line))
                .fix("add `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
            ),
            Some(node) => {
                let at = config.line_of(node);
                let finding = match config_value(node, config.root(), src) {
                    ConfigValue::ReadsQueryEnv | ConfigValue::ReadsEnv(_) | ConfigValue::AppInternal
                        if build_time =>
                    {
                        Finding::problem(
                        6,
                        "libcluster-query",
                        format!("the topology's query reads the environment in {}, at build time, when it is not set", config.path),
                    )
                    .fix(format!("move the topology into {RUNTIME_EXS}'s prod block"))
                    }
                    ConfigValue::ReadsQueryEnv => Finding::ok(6, "libcluster-query", "the DNSPoll topology's query comes from DNS_CLUSTER_QUERY"),
                    ConfigValue::AppInternal => Finding::ok(6, "libcluster-query", "the DNSPoll topology's query is FLY_APP_NAME's `.internal`"),
                    ConfigValue::Literal(q) if self.query_fits(&q) != Some(false) => {
                        Finding::ok(6, "libcluster-query", format!("the DNSPoll topology's query is `{q}`"))
                    }
                    ConfigValue::Literal(q) => Finding::problem(
                        6,
                        "libcluster-query",
                        format!("the DNSPoll topology's query is `{q}`, not `{}`", self.expected_query()),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::ReadsEnv(var) => Finding::warning(
                        6,
                        "libcluster-query",
                        format!("the DNSPoll topology's query reads `{var}`; env.sh.eex sets DNS_CLUSTER_QUERY"),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                    ConfigValue::Other(t) => Finding::warning(
                        6,
                        "libcluster-query",
                        format!("doctor cannot tell what the DNSPoll topology's query `{t}` is"),
                    )
                    .fix("use `query: System.get_env(\"DNS_CLUSTER_QUERY\")`"),
                };
                out.push(finding.at(&config.path, Some(at)));
            }
        }

        let rows = topology.start_position().row + 1..=topology.end_position().row + 1;
        let node_name = match self.at_boot("RELEASE_NODE") {
            Boot::Set(v) | Boot::Uncertain(v, _) => {
                split_node(&v.value).map(|(n, _)| env_sh::normalized(&n))
            }
            _ => None,
        };
        let fly_app = self.fly_app_shown();
        for poll in runtime::dnspoll_topologies(config.root(), src, app, key)
            .into_iter()
            .filter(|p| rows.contains(&p.line))
        {
            let Some((at, basename)) = poll.basename else {
                out.push(
                    Finding::problem(6, "libcluster-node-basename", "the DNSPoll topology has no `node_basename`; DNSPoll needs it to name the nodes it finds")
                        .at(&config.path, Some(poll.line))
                        .fix(format!("add `{}`", runtime::NODE_BASENAME_FIX)),
                );
                continue;
            };
            let finding = match basename {
                Basename::NodeName if build_time => Finding::problem(
                    6,
                    "libcluster-node-basename",
                    format!("`node_basename` reads the node name in {}, at build time, not the one env.sh.eex gives at boot", config.path),
                )
                .fix(format!("move the topology into {RUNTIME_EXS}'s prod block")),
                Basename::NodeName => Finding::ok(6, "libcluster-node-basename", "`node_basename` is derived from the node name env.sh.eex gives"),
                ref b if b.is_app_name(&fly_app) && node_name.as_deref() == Some("${FLY_APP_NAME}") => {
                    Finding::ok(6, "libcluster-node-basename", "`node_basename` is the Fly app name, as RELEASE_NODE's name is")
                }
                ref b => Finding::problem(
                    6,
                    "libcluster-node-basename",
                    format!(
                        "`node_basename` is {}, but {}; DNSPoll connects to `<basename>@IP`, so it never reaches them",
                        b.shown(),
                        match &node_name {
                            Some(name) => format!("rel/env.sh.eex names nodes `{name}`"),
                            None => "no RELEASE_NODE is set, so nodes are named after the release".into(),
                        }
                    ),
                )
                .fix(format!("`{}`", runtime::NODE_BASENAME_FIX)),
            };
            out.push(finding.at(&config.path, Some(at)));
        }
    }
}

/// The started DNSCluster child's line and what its `query:` reads.
fn dns_cluster_child(app: &ExFile) -> Option<(usize, ChildQuery)> {
    let src = &app.src;
    let child = application::started(app.root(), src).dns_cluster?;
    let query = match application::dns_cluster_query(child, src) {
        QuerySource::AppEnv { app, key } => ChildQuery::AppEnv { app, key },
        QuerySource::Expression(query) => ChildQuery::Direct(config_value(query, app.root(), src)),
        QuerySource::Missing => ChildQuery::Unknown(elixir::text(child, src).to_string()),
    };
    Some((app.line_of(child), query))
}

// ---------------------------------------------------------------------------------------------
// Check 7: a cookie is provided.

impl Inputs<'_> {
    fn check_cookie(&self, out: &mut Vec<Finding>) {
        let mut provided = false;
        if let Some(entry) = self.fly_toml.as_ref().and_then(|t| t.env("RELEASE_COOKIE")) {
            provided = true;
            out.push(
                Finding::warning(
                    7,
                    "cookie-in-fly-toml",
                    "RELEASE_COOKIE is in fly.toml's [env], in plain text; fly.toml is usually committed, so everyone with the repository can join the cluster",
                )
                .at(FLY_TOML, Some(entry.line))
                .fix(format!(
                    "move it to a secret: `fly secrets set RELEASE_COOKIE=... --app {}`, then delete the line",
                    self.fly_app_shown()
                )),
            );
        }
        if let Some(line) = self.dockerfile.as_ref().and_then(|lines| {
            lines
                .iter()
                .rev()
                .find(|l| l.key == "RELEASE_COOKIE" && l.in_final_image)
        }) {
            provided = true;
            out.push(
                Finding::warning(7, "cookie-in-file", "RELEASE_COOKIE is set in the Dockerfile, in plain text in a committed file and in the image")
                    .at(DOCKERFILE, Some(line.line))
                    .fix("keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`) and delete the line"),
            );
        }
        if let Some(a) = self
            .env_var("RELEASE_COOKIE")
            .and_then(|v| v.effective.as_ref())
        {
            provided = true;
            if a.value.iter().all(|s| matches!(s, Seg::Lit(_))) {
                out.push(
                    Finding::warning(7, "cookie-in-file", "rel/env.sh.eex sets RELEASE_COOKIE to a fixed string, in plain text in a committed file")
                        .at(ENV_SH, Some(a.line))
                        .fix("keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`) and delete the line"),
                );
            }
        }
        if let Some(mix) = &self.mix {
            let cookie = elixir::descendants_of_kind(mix.root(), "pair")
                .into_iter()
                .find(|p| {
                    p.child_by_field_name("key").is_some_and(|k| {
                        elixir::text(k, &mix.src).trim_end().trim_end_matches(':') == "cookie"
                    })
                });
            if let Some(pair) = cookie {
                provided = true;
                let literal = pair
                    .child_by_field_name("value")
                    .is_some_and(|v| v.kind() == "string");
                if literal {
                    out.push(
                        Finding::warning(7, "cookie-in-file", "mix.exs sets the release cookie to a fixed string, in plain text in a committed file")
                            .at(&mix.path, Some(mix.line_of(pair)))
                            .fix("drop `cookie:` from the release and keep the cookie in a Fly secret (`fly secrets set RELEASE_COOKIE=...`)"),
                    );
                }
            }
        }
        if !provided {
            out.push(
                Finding::warning(
                    7,
                    "cookie-not-visible",
                    "no RELEASE_COOKIE in fly.toml, the Dockerfile or rel/env.sh.eex; unless it is a Fly secret, each deploy builds a release with a new random cookie, and `fly ssh console ... remote` or the previous deploy's nodes cannot connect",
                )
                .fix(format!(
                    "check `fly secrets list --app {app}`; if RELEASE_COOKIE is missing, `fly secrets set RELEASE_COOKIE=$(flycluster cookie) --app {app}`",
                    app = self.fly_app_shown()
                )),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Check 8: ECTO_IPV6 and the Repo agree with where the database lives.

/// Where doctor takes the database to live, and how it knows: `--database`, else an `ECTO_IPV6`
/// the project sets (the user's choice of a database on Fly, whatever its value), else nothing.
/// Without a choice doctor judges as `init` would (Fly, with an Ecto repo), but a missing setting
/// is a warning: it is right for a database outside Fly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DatabaseChoice {
    Asked(Database),
    /// ECTO_IPV6 set when the release boots, at this origin.
    Set(Origin),
    /// No Ecto repo on a network database.
    NoRepo,
    /// An Ecto repo, and nothing says where its database lives.
    Unknown,
}

impl DatabaseChoice {
    /// The database init plans for under this choice (its own default for `Unknown`).
    fn database(&self) -> Database {
        match self {
            DatabaseChoice::Asked(d) => *d,
            DatabaseChoice::Set(_) | DatabaseChoice::Unknown => Database::Fly,
            DatabaseChoice::NoRepo => Database::None,
        }
    }
}

fn truthy(value: &str) -> bool {
    matches!(value, "true" | "1")
}

impl Inputs<'_> {
    fn database_choice(&self) -> DatabaseChoice {
        if let Some(asked) = self.asked_database {
            return DatabaseChoice::Asked(asked);
        }
        if !self.has_ecto_repo() {
            return DatabaseChoice::NoRepo;
        }
        // What `init --database external` recorded: its block, rendered without ECTO_IPV6.
        if init::recorded_outside_fly(self.project) {
            return DatabaseChoice::Asked(Database::External);
        }
        match self.at_boot("ECTO_IPV6") {
            Boot::Set(v) | Boot::Uncertain(v, _) => DatabaseChoice::Set(v.origin),
            Boot::Unknown | Boot::Unset(..) => DatabaseChoice::Unknown,
        }
    }

    /// Where a config read at boot, or the app's own code, makes the Repo honour ECTO_IPV6 (the
    /// judgement init's runtime editor makes before it adds `maybe_ipv6`).
    fn ecto_ipv6_honoured(&self) -> Option<(String, usize)> {
        self.configs
            .iter()
            .filter(|c| c.is_runtime())
            .find_map(|c| {
                repo_ipv6::honoured_at(c.root(), &c.src).map(|line| (c.path.clone(), line))
            })
            .or_else(|| self.lib_ecto_ipv6.clone())
    }

    fn check_ecto_ipv6(&self, out: &mut Vec<Finding>) {
        if !self.has_ecto_repo() {
            return;
        }
        let choice = self.database_choice();
        let value = match self.at_boot("ECTO_IPV6") {
            Boot::Set(v) | Boot::Uncertain(v, _) => Some(v),
            // env.sh.eex could not be followed: check 1 says so.
            Boot::Unknown => return,
            Boot::Unset(..) => None,
        };
        let honoured = self.ecto_ipv6_honoured();
        match (&choice, choice.database()) {
            (DatabaseChoice::NoRepo, _) => {}
            (_, Database::None) => out.push(Finding::ok(
                8,
                "ecto-ipv6-runtime",
                "`--database none`: ECTO_IPV6 and the Repo are not judged",
            )),
            (_, Database::External) => self.judge_external(value.as_ref(), honoured, out),
            (_, Database::Fly) => self.judge_fly(&choice, value.as_ref(), honoured, out),
        }
    }

    fn judge_external(
        &self,
        value: Option<&Value>,
        honoured: Option<(String, usize)>,
        out: &mut Vec<Finding>,
    ) {
        if let (Some(v), Some((file, line))) = (value, &honoured)
            && truthy(&v.normalized())
        {
            out.push(
                Finding::problem(
                    8,
                    "ecto-ipv6-external",
                    format!(
                        "ECTO_IPV6 is `{}` ({}) and {file} line {line} turns it into `socket_options: [:inet6]`, but the database is outside Fly (`--database external`): Postgrex then asks only for IPv6 addresses, and an IPv4-only host fails with `:nxdomain`",
                        v.normalized(),
                        v.origin.describe()
                    ),
                )
                .at_origin(&v.origin)
                .fix(format!(
                    "remove ECTO_IPV6 from {} (`flycluster init --database external` takes it out of the Dockerfile and fly.toml)",
                    v.origin.file()
                )),
            );
            return;
        }
        out.push(Finding::ok(
            8,
            "ecto-ipv6-external",
            "the Repo connects over IPv4, as a database outside Fly (`--database external`) needs",
        ));
    }

    fn judge_fly(
        &self,
        choice: &DatabaseChoice,
        value: Option<&Value>,
        honoured: Option<(String, usize)>,
        out: &mut Vec<Finding>,
    ) {
        let known = !matches!(choice, DatabaseChoice::Unknown);
        let Some(value) = value else {
            // Nothing sets ECTO_IPV6: with `--database fly` that is wrong; without a choice it is
            // right for a database outside Fly, so it is a warning (issue 14).
            let severity = if known {
                Severity::Problem
            } else {
                Severity::Warning
            };
            let choose = if known {
                String::new()
            } else {
                "; if the database is outside Fly, that is right: say so with `--database external`"
                    .into()
            };
            match &honoured {
                Some((file, line)) => out.push(
                    Finding::new(
                        8,
                        "ecto-ipv6-unset",
                        severity,
                        format!(
                            "the Repo reads ECTO_IPV6 here, but nothing sets it when the release boots on Fly, so it connects over IPv4 and cannot reach Fly Postgres{choose}"
                        ),
                    )
                    .at(file.clone(), Some(*line))
                    .fix("run `flycluster init --database fly`: it exports ECTO_IPV6=\"true\" in rel/env.sh.eex and the Dockerfile"),
                ),
                None => {
                    let (file, line) = self.repo_config().unwrap_or((RUNTIME_EXS.to_string(), None));
                    out.push(
                        Finding::new(
                            8,
                            "ecto-ipv6-runtime",
                            severity,
                            format!(
                                "the project uses Ecto, but nothing sets ECTO_IPV6 and no runtime config reads it: the Repo connects over IPv4 and cannot reach Fly Postgres{choose}"
                            ),
                        )
                        .at(file.clone(), line)
                        .fix(format!(
                            "run `flycluster init --database fly`, or in {file}: {} and `socket_options: maybe_ipv6` in the Repo's config",
                            repo_ipv6::BINDING_SHOWN
                        )),
                    );
                }
            }
            return;
        };
        let shown = value.normalized();
        if !truthy(&shown) {
            out.push(
                Finding::problem(
                    8,
                    "ecto-ipv6-value",
                    format!(
                        "ECTO_IPV6 is `{shown}`; phx.gen's runtime.exs turns IPv6 on only for `true` or `1`, so the repo cannot reach Fly Postgres"
                    ),
                )
                .at_origin(&value.origin)
                .fix("set ECTO_IPV6=\"true\"; if the database is outside Fly, remove it and pass `--database external`"),
            );
            return;
        }
        if let Some((file, line)) = honoured {
            out.push(
                Finding::ok(
                    8,
                    "ecto-ipv6-runtime",
                    "reads ECTO_IPV6 for the repo's socket options",
                )
                .at(file, Some(line)),
            );
            return;
        }
        let build_time = self
            .configs
            .iter()
            .filter(|c| !c.is_runtime())
            .find_map(|c| reads_env(c, "ECTO_IPV6").map(|line| (c.path.clone(), line)));
        let (message, at) = match build_time {
            Some((file, line)) => (
                format!(
                    "ECTO_IPV6 is set ({}), but only {file} reads it, at build time, when it is not set: the repo cannot reach Fly Postgres over IPv6",
                    value.origin.describe()
                ),
                (file, Some(line)),
            ),
            None => (
                format!(
                    "ECTO_IPV6 is set ({}) and the project has an Ecto repo, but no runtime config reads ECTO_IPV6: the repo connects over IPv4 and cannot reach Fly Postgres",
                    value.origin.describe()
                ),
                self.repo_config()
                    .unwrap_or((RUNTIME_EXS.to_string(), None)),
            ),
        };
        out.push(
            Finding::problem(8, "ecto-ipv6-runtime", message)
                .at(at.0.clone(), at.1)
                .fix(format!(
                    "run `flycluster init`, or in {}: {} and `socket_options: maybe_ipv6` in the Repo's config",
                    at.0,
                    repo_ipv6::BINDING_SHOWN
                )),
        );
    }

    /// The runtime config call that configures a `*.Repo`: its file and line.
    fn repo_config(&self) -> Option<(String, Option<usize>)> {
        self.configs
            .iter()
            .filter(|c| c.is_runtime())
            .find_map(|c| {
                elixir::descendants_of_kind(c.root(), "call")
                    .into_iter()
                    .filter(|call| elixir::call_name(*call, &c.src) == Some("config"))
                    .find(|call| {
                        elixir::call_args(*call)
                            .and_then(|a| elixir::items(a).into_iter().nth(1))
                            .is_some_and(|m| {
                                m.kind() == "alias" && elixir::text(m, &c.src).ends_with(".Repo")
                            })
                    })
                    .map(|call| (c.path.clone(), Some(c.line_of(call))))
            })
    }
}

/// The line of a `System.get_env("VAR")` (or `fetch_env`) call in the file.
fn reads_env(file: &ExFile, var: &str) -> Option<usize> {
    repo_ipv6::env_read_line(file.root(), &file.src, var)
}

// ---------------------------------------------------------------------------------------------
// Check 9: no legacy `ENV KEY value` lines for these settings.

const DOCKERFILE_KEYS: [&str; 9] = [
    "ERL_AFLAGS",
    "ECTO_IPV6",
    "DNS_CLUSTER_QUERY",
    "RELEASE_DISTRIBUTION",
    "RELEASE_NODE",
    "RELEASE_COOKIE",
    "ELIXIR_ERL_OPTIONS",
    "ERL_FLAGS",
    "ERL_ZFLAGS",
];

impl Inputs<'_> {
    fn check_legacy_env(&self, out: &mut Vec<Finding>) {
        let Some(lines) = &self.dockerfile else {
            return;
        };
        let legacy: Vec<&dockerfile::EnvLine> = lines
            .iter()
            .filter(|l| l.legacy && DOCKERFILE_KEYS.contains(&l.key.as_str()))
            .collect();
        if legacy.is_empty() {
            out.push(
                Finding::ok(
                    9,
                    "dockerfile-legacy-env",
                    "no legacy `ENV KEY value` line for the clustering settings",
                )
                .at(DOCKERFILE, None),
            );
        }
        for l in legacy {
            out.push(
                Finding::warning(
                    9,
                    "dockerfile-legacy-env",
                    format!(
                        "`ENV {} {}` uses the legacy `ENV key value` form, which BuildKit warns about (LegacyKeyValueFormat)",
                        l.key, l.raw_value
                    ),
                )
                .at(DOCKERFILE, Some(l.line))
                .fix(format!("write it as `ENV {}=\"{}\"`", l.key, l.value.replace('"', "\\\""))),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Check 10: fly.toml keeps the cluster's Machines running.

impl Inputs<'_> {
    fn check_machines_stay_up(&self, out: &mut Vec<Finding>) {
        let Some(toml) = &self.fly_toml else {
            return;
        };
        let mut stopping = false;
        for service in &toml.services {
            let Some((auto_stop, line)) = &service.auto_stop else {
                continue;
            };
            let min = service.min_machines_running.as_ref().map_or(0, |(n, _)| *n);
            if !auto_stop.stops() || min > 0 {
                continue;
            }
            stopping = true;
            let kept = match &service.min_machines_running {
                Some((_, line)) => format!("`min_machines_running = 0`, line {line}"),
                None => "no `min_machines_running`".into(),
            };
            let verb = match auto_stop {
                fly_toml::AutoStop::Suspend => "suspend",
                _ => "stop",
            };
            out.push(
                Finding::warning(
                    10,
                    "fly-auto-stop",
                    format!(
                        "`{}` has Fly {verb} idle Machines and keep none running ({kept}); `{}.internal` lists only started Machines, so when traffic stops the cluster shrinks to nothing, and a Machine a request starts boots alone",
                        service.section,
                        self.fly_app_shown()
                    ),
                )
                .at(FLY_TOML, Some(*line))
                .fix(format!(
                    "set `min_machines_running = 2` (or the cluster size you want; Fly keeps them in the primary region) in `{}`, or `auto_stop_machines = 'off'`",
                    service.section
                )),
            );
        }
        if !stopping {
            out.push(
                Finding::ok(
                    10,
                    "fly-auto-stop",
                    "fly.toml does not stop the cluster's Machines when idle",
                )
                .at(FLY_TOML, None),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Check 11: with several process groups, which ones the query reaches.

impl Inputs<'_> {
    fn check_process_groups(&self, out: &mut Vec<Finding>) {
        let Some(toml) = &self.fly_toml else {
            return;
        };
        if toml.processes.len() < 2 {
            out.push(
                Finding::ok(
                    11,
                    "fly-process-groups",
                    "fly.toml runs one process group, so the query reaches the Machines that run the app",
                )
                .at(FLY_TOML, toml.processes_line),
            );
            return;
        }
        let groups: Vec<String> = toml
            .processes
            .iter()
            .map(|(g, _)| format!("`{g}`"))
            .collect();
        let app = self.fly_app_shown();
        let query = match self.at_boot("DNS_CLUSTER_QUERY") {
            Boot::Set(v) | Boot::Uncertain(v, _) => Some(v),
            _ => None,
        };
        let shown = query.as_ref().map(Value::normalized);
        if let Some(q) = &shown
            && let Some(group) = q
                .strip_suffix(&format!(".process.{app}.internal"))
                .or_else(|| q.strip_suffix(".process.${FLY_APP_NAME}.internal"))
        {
            out.push(
                Finding::ok(
                    11,
                    "fly-process-groups",
                    format!("DNS_CLUSTER_QUERY `{q}` reaches only the `{group}` group's Machines"),
                )
                .at_origin(&query.as_ref().expect("shown comes from it").origin),
            );
            return;
        }
        let first = &toml.processes[0].0;
        let mut finding = Finding::warning(
            11,
            "fly-process-groups",
            format!(
                "fly.toml runs the process groups {}; the query `{app}.internal` lists the started Machines of all of them, so every group joins one cluster",
                groups.join(", ")
            ),
        )
        .fix(format!(
            "if only one group should cluster, query `<group>.process.{app}.internal` instead: DNS_CLUSTER_QUERY=\"{first}.process.${{FLY_APP_NAME}}.internal\"{}",
            match &query {
                Some(v) => format!(" where {} sets it", v.origin.describe()),
                None => String::new(),
            }
        ));
        finding = finding.at(FLY_TOML, toml.processes_line);
        out.push(finding);
    }
}

// ---------------------------------------------------------------------------------------------
// Check 12: no service publishes EPMD or the distribution port.

impl Inputs<'_> {
    fn check_published_ports(&self, out: &mut Vec<Finding>) -> Result<()> {
        let Some(toml) = &self.fly_toml else {
            return Ok(());
        };
        let pinned = dist_ports::pinned(self.project, Some(toml))?;
        let published = dist_ports::published(toml, &pinned);
        for service in &published {
            let (message, fix) = dist_ports::explain(service);
            out.push(
                Finding::problem(12, "fly-exposes-dist", message)
                    .at(FLY_TOML, Some(service.line))
                    .fix(fix),
            );
        }
        if published.is_empty() {
            out.push(
                Finding::ok(
                    12,
                    "fly-exposes-dist",
                    "no fly.toml service publishes EPMD (4369) or a pinned distribution port",
                )
                .at(FLY_TOML, None),
            );
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Check 13: the Endpoint listens where other Machines reach it.

/// A Phoenix Endpoint's `http: [ip: ...]` in a config the prod release runs.
struct EndpointIp {
    file: String,
    line: usize,
    /// As written.
    ip: String,
    /// With its spaces removed: `{0,0,0,0}`.
    normalized: String,
}

impl Inputs<'_> {
    /// The `ip:` a prod release's Endpoint gets: the last one set, config.exs, then prod.exs, then
    /// the runtime config (which runs last), leaving out branches for other environments.
    fn endpoint_ip(&self) -> Option<EndpointIp> {
        let order = |c: &&ExFile| match c.path.as_str() {
            "config/config.exs" => 0,
            "config/prod.exs" => 1,
            _ => 2,
        };
        let mut files: Vec<&ExFile> = self
            .configs
            .iter()
            .filter(|c| {
                c.is_runtime() || matches!(c.path.as_str(), "config/config.exs" | "config/prod.exs")
            })
            .collect();
        files.sort_by_key(order);
        let mut found = None;
        for file in files {
            for call in elixir::descendants_of_kind(file.root(), "call") {
                if elixir::call_name(call, &file.src) != Some("config")
                    || in_other_env(call, &file.src)
                {
                    continue;
                }
                let Some(args) = elixir::call_args(call) else {
                    continue;
                };
                let items = elixir::items(args);
                if !items.get(1).is_some_and(|m| {
                    m.kind() == "alias" && elixir::text(*m, &file.src).ends_with("Endpoint")
                }) {
                    continue;
                }
                let Some(http) = items
                    .last()
                    .and_then(|k| elixir::keyword_value(*k, &file.src, "http"))
                    .filter(|h| h.kind() == "list")
                else {
                    continue;
                };
                if let Some(ip) = elixir::keyword_value(http, &file.src, "ip") {
                    let written = elixir::text(ip, &file.src);
                    found = Some(EndpointIp {
                        file: file.path.clone(),
                        line: file.line_of(ip),
                        ip: written.to_string(),
                        normalized: written.split_whitespace().collect(),
                    });
                }
            }
        }
        found
    }

    fn check_endpoint_ip(&self, out: &mut Vec<Finding>) {
        let Some(endpoint) = self.endpoint_ip() else {
            return;
        };
        let problem = match endpoint.normalized.as_str() {
            "{127,0,0,1}" | "{0,0,0,0,0,0,0,1}" => Some(
                "loopback: only the Machine itself reaches it, not Fly Proxy (which connects over the private IPv4 address) and not the other Machines",
            ),
            "{0,0,0,0}" => Some(
                "every IPv4 address but no IPv6 one: Fly Proxy reaches it, but the other Machines reach it over the private network (6PN) only on IPv6",
            ),
            _ => None,
        };
        match problem {
            Some(why) => out.push(
                Finding::warning(
                    13,
                    "endpoint-ip",
                    format!("the Endpoint's prod `http: [ip: {}]` listens on {why}", endpoint.ip),
                )
                .at(endpoint.file, Some(endpoint.line))
                .fix("`ip: {0, 0, 0, 0, 0, 0, 0, 0}` listens on IPv6 and IPv4, for Fly Proxy and the other Machines"),
            ),
            None => out.push(
                Finding::ok(
                    13,
                    "endpoint-ip",
                    format!("the Endpoint listens on `{}`", endpoint.ip),
                )
                .at(endpoint.file, Some(endpoint.line)),
            ),
        }
    }
}

/// `node` is inside an `if config_env() == :dev` (or `:test`, ...) branch: a prod release never
/// runs it.
fn in_other_env(node: Node<'_>, src: &str) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if elixir::call_name(n, src) == Some("if")
            && let Some(cond) =
                elixir::call_args(n).and_then(|a| elixir::items(a).into_iter().next())
        {
            let text: String = elixir::text(cond, src).split_whitespace().collect();
            if let Some(env) = text.strip_prefix("config_env()==:")
                && env != "prod"
            {
                return true;
            }
        }
        current = n.parent();
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Check 14: init would still change something.

fn check_init_pending(
    project: &Project,
    opts: &DoctorOptions,
    database: Database,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let fly_app = opts
        .fly_app
        .clone()
        .unwrap_or_else(|| project::default_fly_app(project));
    if project::validate_fly_app(&fly_app).is_err() {
        out.push(
            Finding::warning(14, "init-pending", format!("`{fly_app}` is not a valid Fly app name, so doctor cannot ask init what it would change"))
                .fix("pass `--app NAME`"),
        );
        return Ok(());
    }
    let planned = init::plan(
        project,
        &InitOptions {
            fly_app,
            cookie_mode: CookieMode::None,
            strategy: init::resolve_strategy(project, None),
            database,
            kinds: Kind::ALL.into_iter().collect(),
            force: false,
            app_confirmed: opts.fly_app.is_some(),
        },
        "",
    );
    let plan = match planned {
        Ok(plan) => plan,
        // A file init refuses (it names the file and line) is a finding here, not a failed run.
        Err(e @ crate::error::Error::Input { .. }) => {
            out.push(
                Finding::warning(
                    10,
                    "init-pending",
                    format!("`flycluster init` would refuse to run: {e}"),
                )
                .fix("fix the file it names, then run `flycluster init`"),
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut kinds: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action.writes() || c.action == Action::Manual)
        .map(|c| format!("{} ({})", c.kind.name(), c.action.name()))
        .collect();
    // Manual steps beside a file's own action: the Repo's lines in a written runtime.exs, a
    // service to remove from fly.toml, an application module that was not found.
    for step in &plan.manual {
        let change = plan
            .changes
            .iter()
            .find(|c| c.path == step.path.to_string_lossy());
        if change.is_some_and(|c| c.action == Action::Manual) {
            continue;
        }
        let kind = change.map_or("application", |c| c.kind.name());
        let entry = format!("{kind} (manual)");
        if !kinds.contains(&entry) {
            kinds.push(entry);
        }
    }
    if kinds.is_empty() {
        out.push(Finding::ok(
            14,
            "init-pending",
            "`flycluster init` would change nothing",
        ));
    } else {
        out.push(
            Finding::warning(
                14,
                "init-pending",
                format!("`flycluster init` would still change: {}", kinds.join(", ")),
            )
            .fix("run `flycluster init --dry-run` to see the diffs, then `flycluster init`"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Seg {
        Seg::Lit(s.into())
    }

    fn exp(s: &str) -> Seg {
        Seg::Exp(s.into())
    }

    #[test]
    fn names_an_expansion_reads() {
        assert_eq!(
            env_sh::referenced_names("${FLY_IMAGE_REF##*-}"),
            ["FLY_IMAGE_REF"]
        );
        assert_eq!(
            env_sh::referenced_names("${image_suffix:+-$image_suffix}"),
            ["image_suffix", "image_suffix"]
        );
        assert_eq!(
            env_sh::referenced_names("$(cat /etc/$HOST_FILE)"),
            ["HOST_FILE"]
        );
        assert!(env_sh::referenced_names("$1").is_empty());
    }

    #[test]
    fn node_names_split_at_the_last_literal_at() {
        let (name, host) = split_node(&[
            exp("${FLY_APP_NAME}"),
            lit("-"),
            exp("${FLY_IMAGE_REF##*-}"),
            lit("@"),
            exp("${FLY_PRIVATE_IP}"),
        ])
        .unwrap();
        assert_eq!(
            env_sh::normalized(&name),
            "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}"
        );
        assert_eq!(host, vec![exp("${FLY_PRIVATE_IP}")]);
        let (name, host) = split_node(&[lit("app@host")]).unwrap();
        assert_eq!((name, host), (vec![lit("app")], vec![lit("host")]));
        assert!(split_node(&[exp("${FLY_APP_NAME}")]).is_none());
    }

    #[test]
    fn commented_assignments_in_any_spelling() {
        let text = "# export RELEASE_NODE=x\n#RELEASE_NODE=y\n  # # export RELEASE_NODE=z\nexport RELEASE_NODE=w\n# RELEASE_NODES=v\n";
        assert_eq!(commented_assignments(text, "RELEASE_NODE"), [1, 2, 3]);
    }

    #[test]
    fn self_references_take_the_inherited_value() {
        let inherited = Value {
            origin: Origin::Dockerfile(3),
            value: vec![lit("-proto_dist inet6_tcp")],
        };
        let value = [exp("${ERL_AFLAGS}"), lit(" -proto_dist inet6_tcp")];
        let full = substitute_self(&value, "ERL_AFLAGS", Some(&inherited));
        assert_eq!(env_sh::proto_dist_count(&full), 2);
        let alone = substitute_self(&value, "ERL_AFLAGS", None);
        assert_eq!(env_sh::proto_dist_count(&alone), 1);
    }

    #[test]
    fn text_report_is_one_line_per_finding_and_a_summary() {
        let findings = vec![
            Finding::ok(1, "env-sh-exports", "fine").at(ENV_SH, None),
            Finding::problem(3, "release-node-host", "bad host")
                .at(ENV_SH, Some(8))
                .fix("use the private IP"),
        ];
        assert_eq!(
            text_report(&findings, false, false),
            "ok      env-sh-exports     rel/env.sh.eex: fine\n\
             problem release-node-host  rel/env.sh.eex:8: bad host; fix: use the private IP\n\
             \n1 problem, 0 warnings, 1 ok: clustering on Fly will not work until the problems are fixed\n"
        );
        assert_eq!(
            text_report(&findings, false, true),
            "problem release-node-host  rel/env.sh.eex:8: bad host; fix: use the private IP\n"
        );
        assert!(text_report(&findings, true, false).contains("\x1b[1;31mproblem\x1b[0m"));
        assert_eq!(exit_code(&findings), EXIT_PROBLEMS);
        assert_eq!(exit_code(&findings[..1]), EXIT_OK);
    }
}
