//! The project as its release boots, read once per run: every file init edits or doctor judges is
//! read here (its bytes kept for apply's stale check) and parsed once — rel/env.sh.eex as `sh` runs
//! it, the Dockerfile's `ENV` lines, fly.toml, vm.args, config/*.exs, the application module and
//! mix.exs — with what the application starts for clustering and the key each child reads.
//!
//! init plans from it (the editors get each file's text from it, and the facts around an edit, such
//! as the topologies a supervisor reads, are read from it), and doctor's checks judge it through
//! `doctor::setup`; doctor's "would init still change something" plans over the same model, so a
//! run reads each file once.

use crate::edit::application;
use crate::edit::dockerfile::{self, EnvLine};
use crate::edit::fly_toml::{self, FlyTomlView};
use crate::edit::{Supervision, runtime};
use crate::elixir;
use crate::error::Result;
use crate::files;
use crate::plan::Original;
use crate::project::{self, Project};
use crate::shell::{self, Script, ShellError};
use std::collections::BTreeMap;
use std::path::Path;
use tree_sitter::{Node, Tree};

pub const ENV_SH: &str = "rel/env.sh.eex";
pub const DOCKERFILE: &str = "Dockerfile";
pub const FLY_TOML: &str = "fly.toml";
pub const RUNTIME_EXS: &str = "config/runtime.exs";
pub const RELEASES_EXS: &str = "config/releases.exs";

/// rel/env.sh.eex, as far as it could be read.
pub enum EnvSh {
    Missing,
    Unparsed(ShellError),
    Read { text: String, script: Script },
}

/// An Elixir file, parsed. A file with a syntax error is kept (init refuses it only where it edits
/// it, doctor refuses it always: [`Model::refuse_unparsed`]).
pub struct ExFile {
    pub path: String,
    pub src: String,
    tree: Tree,
    /// Where the first syntax error is.
    syntax_error: Option<elixir::SyntaxErrorAt>,
}

impl ExFile {
    /// `src`, the text of the file at `rel`, parsed (leniently: see [`ExFile`]).
    pub fn parse(rel: &str, src: String) -> ExFile {
        let tree = elixir::parse(&src);
        let syntax_error = elixir::syntax_error_at(&tree, &src);
        ExFile {
            path: rel.to_string(),
            src,
            tree,
            syntax_error,
        }
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// runtime.exs and releases.exs run when the release boots; the others when it is built.
    pub fn is_runtime(&self) -> bool {
        self.path == RUNTIME_EXS || self.path == RELEASES_EXS
    }

    pub fn line_of(&self, node: Node<'_>) -> usize {
        node.start_position().row + 1
    }
}

/// A `-proto_dist` in a vm.args file.
pub struct VmArg {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// `inet6_tcp`.
    pub carrier: String,
}

/// Everything read, once.
pub struct Model<'p> {
    pub project: &'p Project,
    /// Each file read, by its path relative to the root; `None` when it does not exist.
    files: BTreeMap<String, Option<Original>>,
    pub env_sh: EnvSh,
    /// The Dockerfile's `ENV` lines.
    pub dockerfile: Option<Vec<EnvLine>>,
    pub fly_toml: Option<FlyTomlView>,
    /// `-proto_dist` in rel/vm.args.eex or rel/remote.vm.args.eex.
    pub vm_args_proto_dist: Vec<VmArg>,
    /// config/*.exs, runtime.exs first, then by name.
    pub configs: Vec<ExFile>,
    pub application: Option<ExFile>,
    pub mix: Option<ExFile>,
    /// What the application starts for clustering and the keys its children read.
    pub supervision: Supervision,
}

impl<'p> Model<'p> {
    /// Read and parse the project's files. Errors are files that cannot be read as text (outside
    /// the root, too large, not UTF-8) or a fly.toml that is not TOML.
    pub fn read(project: &'p Project) -> Result<Model<'p>> {
        let root = &project.root;
        let mut config_names = project::config_files(root);
        config_names.sort_by_key(|n| (n != RUNTIME_EXS, n.clone()));
        let names: Vec<String> = [ENV_SH, DOCKERFILE, FLY_TOML]
            .into_iter()
            .chain(shell::VM_ARGS_FILES)
            .map(str::to_string)
            .chain(config_names.iter().cloned())
            .chain([RUNTIME_EXS.to_string(), RELEASES_EXS.to_string()])
            .chain([project.mix_exs()])
            .chain(project.application_path.clone())
            .collect();
        let mut files = BTreeMap::new();
        for rel in names {
            if let std::collections::btree_map::Entry::Vacant(entry) = files.entry(rel) {
                let read = files::read(root, entry.key())?;
                entry.insert(read);
            }
        }
        let text = |rel: &str| -> Option<String> {
            files
                .get(rel)
                .and_then(Option::as_ref)
                .map(|f: &Original| f.format.text.clone())
        };
        let env_sh = match text(ENV_SH) {
            None => EnvSh::Missing,
            Some(text) => match shell::read(&text) {
                Ok(script) => EnvSh::Read { text, script },
                Err(e) => EnvSh::Unparsed(e),
            },
        };
        let dockerfile = text(DOCKERFILE).map(|t| dockerfile::env_lines(&t));
        let fly_toml = match text(FLY_TOML) {
            Some(t) => Some(fly_toml::read_view(Path::new(FLY_TOML), &t)?),
            None => None,
        };
        let mut vm_args_proto_dist = Vec::new();
        for rel in shell::VM_ARGS_FILES {
            if let Some(t) = text(rel) {
                for (line, carrier) in shell::vm_args_proto_dist(&t) {
                    vm_args_proto_dist.push(VmArg {
                        file: rel.to_string(),
                        line,
                        carrier,
                    });
                }
            }
        }
        let configs = config_names
            .iter()
            .filter_map(|rel| Some(ExFile::parse(rel, text(rel)?)))
            .collect();
        let application = project
            .application_path
            .as_deref()
            .and_then(|rel| Some(ExFile::parse(rel, text(rel)?)));
        let mix_exs = project.mix_exs();
        let mix = text(&mix_exs).map(|t| ExFile::parse(&mix_exs, t));
        let supervision = application
            .as_ref()
            .map(|app: &ExFile| application::supervision(app.root(), &app.src))
            .unwrap_or_default();
        Ok(Model {
            project,
            files,
            env_sh,
            dockerfile,
            fly_toml,
            vm_args_proto_dist,
            configs,
            application,
            mix,
            supervision,
        })
    }

    /// The file as read. Every file a run may edit or judge is read by [`Model::read`]; asking for
    /// another is a bug.
    pub fn original(&self, rel: &str) -> Option<&Original> {
        self.files
            .get(rel)
            .unwrap_or_else(|| panic!("`{rel}` is not one of the files the model reads"))
            .as_ref()
    }

    pub fn text(&self, rel: &str) -> Option<&str> {
        self.original(rel).map(|f| f.format.text.as_str())
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.original(rel).is_some()
    }

    /// config/*.exs in name order (as Mix lists them), not runtime.exs first.
    pub fn configs_by_name(&self) -> Vec<&ExFile> {
        let mut configs: Vec<&ExFile> = self.configs.iter().collect();
        configs.sort_by(|a, b| a.path.cmp(&b.path));
        configs
    }

    /// The config file at `rel`, parsed.
    pub fn config(&self, rel: &str) -> Option<&ExFile> {
        self.configs.iter().find(|c| c.path == rel)
    }

    /// The first Elixir file that does not parse, as the error init gives where it edits one.
    pub fn refuse_unparsed(&self) -> Result<()> {
        let files = self
            .configs
            .iter()
            .chain(&self.application)
            .chain(&self.mix);
        for file in files {
            if let Some(at) = file.syntax_error {
                return Err(elixir::syntax_error(Path::new(&file.path), at));
            }
        }
        Ok(())
    }

    /// The release's environment on Fly, as the files read decide it.
    pub fn release_env(&self) -> crate::boot::ReleaseEnv<'_> {
        crate::boot::ReleaseEnv {
            env_sh: &self.env_sh,
            dockerfile: self.dockerfile.as_deref(),
            fly_toml: self.fly_toml.as_ref(),
        }
    }

    /// The env.sh reading, when the file was read as shell.
    pub fn script(&self) -> Option<&Script> {
        match &self.env_sh {
            EnvSh::Read { script, .. } => Some(script),
            _ => None,
        }
    }

    /// The libcluster topologies' strategies in every config, under the key the started
    /// Cluster.Supervisor reads: (topology name, strategy).
    pub fn topology_strategies(&self) -> Vec<(String, Option<String>)> {
        let (app, key) = self.supervision.topologies_key();
        self.configs
            .iter()
            .flat_map(|c| runtime::topology_strategies(c.root(), &c.src, &app, &key))
            .collect()
    }
}
