//! What the project's files say, read once for every check.

use crate::doctor::DoctorOptions;
use crate::doctor::checks::reads_env;
use crate::edit::{Database, dockerfile, fly_toml};
use crate::elixir;
use crate::error::Result;
use crate::files;
use crate::project::{self, Project};
use crate::shell::{self as env_sh, FlyVar, FlyView, Seg, ShellError};
use std::path::Path;
use tree_sitter::{Node, Tree};

pub(in crate::doctor) const ENV_SH: &str = "rel/env.sh.eex";
pub(in crate::doctor) const DOCKERFILE: &str = "Dockerfile";
pub(in crate::doctor) const FLY_TOML: &str = "fly.toml";
pub(in crate::doctor) const RUNTIME_EXS: &str = "config/runtime.exs";

pub(in crate::doctor) enum EnvSh {
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
pub(in crate::doctor) struct ExFile {
    pub(in crate::doctor) path: String,
    pub(in crate::doctor) src: String,
    pub(in crate::doctor) tree: Tree,
}

impl ExFile {
    pub(in crate::doctor) fn read(root: &Path, rel: &str) -> Result<Option<ExFile>> {
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

    pub(in crate::doctor) fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// runtime.exs and releases.exs run when the release boots; the others when it is built.
    pub(in crate::doctor) fn is_runtime(&self) -> bool {
        self.path == RUNTIME_EXS || self.path == "config/releases.exs"
    }

    pub(in crate::doctor) fn line_of(&self, node: Node<'_>) -> usize {
        node.start_position().row + 1
    }
}

/// Where a value the release boots with comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::doctor) enum Origin {
    EnvSh(usize),
    Dockerfile(usize),
    FlyToml(usize),
}

impl Origin {
    pub(in crate::doctor) fn file(&self) -> &'static str {
        match self {
            Origin::EnvSh(_) => ENV_SH,
            Origin::Dockerfile(_) => DOCKERFILE,
            Origin::FlyToml(_) => FLY_TOML,
        }
    }

    pub(in crate::doctor) fn line(&self) -> usize {
        match self {
            Origin::EnvSh(l) | Origin::Dockerfile(l) | Origin::FlyToml(l) => *l,
        }
    }

    pub(in crate::doctor) fn describe(&self) -> String {
        format!("{} line {}", self.file(), self.line())
    }
}

/// A variable's value when the release boots on Fly.
#[derive(Debug, Clone)]
pub(in crate::doctor) struct Value {
    pub(in crate::doctor) origin: Origin,
    pub(in crate::doctor) value: Vec<Seg>,
}

impl Value {
    pub(in crate::doctor) fn normalized(&self) -> String {
        env_sh::normalized(&self.value)
    }
}

/// How a variable stands at boot.
#[derive(Debug, Clone)]
pub(in crate::doctor) enum Boot {
    /// rel/env.sh.eex could not be followed: doctor cannot tell.
    Unknown,
    Set(Value),
    /// Set, but a later assignment or unset may or may not run (1-based lines in env.sh.eex).
    Uncertain(Value, Vec<usize>),
    /// Not set: why (a line to point at, and a reason).
    Unset(Option<usize>, String),
}

/// A `-proto_dist` in a vm.args file.
pub(in crate::doctor) struct VmArg {
    pub(in crate::doctor) file: String,
    /// 1-based.
    pub(in crate::doctor) line: usize,
    /// `inet6_tcp`.
    pub(in crate::doctor) carrier: String,
}

pub(in crate::doctor) struct Inputs<'p> {
    pub(in crate::doctor) project: &'p Project,
    /// `--app`, else fly.toml's `app`.
    pub(in crate::doctor) fly_app: Option<String>,
    pub(in crate::doctor) env_sh: EnvSh,
    pub(in crate::doctor) dockerfile: Option<Vec<dockerfile::EnvLine>>,
    pub(in crate::doctor) fly_toml: Option<fly_toml::FlyTomlView>,
    /// `-proto_dist` in rel/vm.args.eex or rel/remote.vm.args.eex.
    pub(in crate::doctor) vm_args_proto_dist: Vec<VmArg>,
    /// config/*.exs, runtime.exs first.
    pub(in crate::doctor) configs: Vec<ExFile>,
    pub(in crate::doctor) application: Option<ExFile>,
    pub(in crate::doctor) mix: Option<ExFile>,
    /// A file under the app's lib/ that reads ECTO_IPV6 at runtime (a Repo's `init/2` may).
    pub(in crate::doctor) lib_ecto_ipv6: Option<(String, usize)>,
    /// `--database`.
    pub(in crate::doctor) asked_database: Option<Database>,
}

impl<'p> Inputs<'p> {
    pub(in crate::doctor) fn read(
        project: &'p Project,
        opts: &DoctorOptions,
    ) -> Result<Inputs<'p>> {
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

    pub(in crate::doctor) fn env_var(&self, name: &str) -> Option<&FlyVar> {
        match &self.env_sh {
            EnvSh::Read { view, .. } => view.var(name),
            _ => None,
        }
    }

    /// The value Fly starts the release with, before env.sh.eex runs: fly.toml's `[env]` over the
    /// final image's `ENV`.
    pub(in crate::doctor) fn inherited(&self, name: &str) -> Option<Value> {
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
    pub(in crate::doctor) fn at_boot(&self, name: &str) -> Boot {
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

    pub(in crate::doctor) fn has_ecto_repo(&self) -> bool {
        self.project.has_network_repo()
    }

    pub(in crate::doctor) fn fly_app_shown(&self) -> String {
        self.fly_app
            .clone()
            .unwrap_or_else(|| project::default_fly_app(self.project))
    }

    /// The Fly app as the query names it: `APP.internal`.
    pub(in crate::doctor) fn expected_query(&self) -> String {
        format!("{}.internal", self.fly_app_shown())
    }
}

/// The first file under the app's lib/ (in path order) that reads `var` from the environment.
pub(in crate::doctor) fn lib_reading_env(
    project: &Project,
    var: &str,
) -> Result<Option<(String, usize)>> {
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
pub(in crate::doctor) fn substitute_self(
    value: &[Seg],
    name: &str,
    inherited: Option<&Value>,
) -> Vec<Seg> {
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
pub(in crate::doctor) fn not_set_reason(
    text: &str,
    name: &str,
    var: Option<&FlyVar>,
) -> (Option<usize>, String) {
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
pub(in crate::doctor) fn commented_assignments(text: &str, name: &str) -> Vec<usize> {
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
}
