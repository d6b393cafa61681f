//! Detection: the project root, OTP app, application module and its file, Phoenix version, umbrella
//! layout, the Fly app named in fly.toml (and the name to use when none is given, checked as Fly
//! checks it), and the formatter's line length.

use crate::edit::EctoRepo;
use crate::elixir;
use crate::error::{Error, Result};
use crate::files;
use std::path::{Path, PathBuf};

/// What init and doctor know about the project before planning anything.
#[derive(Debug, Clone)]
pub struct Project {
    /// Canonical project root (the folder holding mix.exs; the umbrella root for umbrellas).
    pub root: PathBuf,
    /// The OTP app that gets the clustering child and dep.
    pub otp_app: String,
    /// Folder of that app relative to the root: `""` for a single app, `apps/NAME/` in an umbrella.
    pub app_dir: String,
    /// `HelloElixir.Application`, from `mod:` in mix.exs.
    pub app_module: Option<String>,
    /// Path of the file defining the application module, relative to the root.
    pub application_path: Option<String>,
    /// The Phoenix requirement from deps, e.g. `~> 1.7.14`.
    pub phoenix_version: Option<String>,
    pub umbrella: bool,
    /// `app` in fly.toml.
    pub fly_toml_app: Option<String>,
    /// `RELEASE_COOKIE` in fly.toml's [env], reused so `--cookie fly-toml` stays idempotent.
    pub fly_toml_cookie: Option<String>,
    /// Dependencies named in the app's mix.exs deps list.
    pub deps: Vec<String>,
    /// In an umbrella, the dependencies the other apps declare (one of them may bring dns_cluster).
    pub sibling_deps: Vec<String>,
    /// The formatter's line length for the app's files.
    pub line_length: usize,
    /// The Repos config/config.exs declares with `config :APP, ecto_repos: [...]`.
    pub ecto_repos: Vec<EctoRepo>,
    /// The application module starts a child whose module ends in `.Repo`.
    pub starts_repo: bool,
}

impl Project {
    pub fn mix_exs(&self) -> String {
        format!("{}mix.exs", self.app_dir)
    }

    /// The app's module namespace: `HelloElixir` for `HelloElixir.Application`, else the OTP app
    /// camelized as Mix does (`hello_elixir` → `HelloElixir`).
    pub fn namespace(&self) -> String {
        if let Some((ns, _)) = self.app_module.as_deref().and_then(|m| m.rsplit_once('.')) {
            return ns.to_string();
        }
        self.otp_app
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }

    pub fn has_dep(&self, name: &str) -> bool {
        self.deps.iter().any(|d| d == name)
    }

    /// The project uses Ecto: init's `--database` default and doctor's ECTO_IPV6 check both ask this.
    pub fn has_ecto_repo(&self) -> bool {
        self.has_dep("ecto_sql") || !self.ecto_repos.is_empty() || self.starts_repo
    }

    /// Ecto on a network database: SQLite (`ecto_sqlite3` without a network adapter) lives on the
    /// Machine itself, so `ECTO_IPV6` means nothing to it.
    pub fn has_network_repo(&self) -> bool {
        let sqlite_only = self.has_dep("ecto_sqlite3")
            && !["postgrex", "myxql", "tds"].iter().any(|d| self.has_dep(d));
        self.has_ecto_repo() && !sqlite_only
    }
}

/// Fly app names: lowercase letters, digits and dashes, starting with a letter, at most 63 long.
pub fn validate_fly_app(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!("`{name}` is not a valid Fly app name")).with_help(
            "Fly app names use lowercase letters, digits and dashes, start with a letter and are at most 63 characters",
        ))
    }
}

/// The Fly app name when none is given: fly.toml's `app`, else the OTP app with `_` as `-`.
pub fn default_fly_app(project: &Project) -> String {
    project
        .fly_toml_app
        .clone()
        .unwrap_or_else(|| project.otp_app.replace('_', "-"))
}

/// Facts read from one mix.exs.
struct MixFile {
    app: Option<String>,
    apps_path: Option<String>,
    module: Option<String>,
    deps: Vec<(String, Option<String>)>,
}

fn read_mix(root: &Path, rel: &str) -> Result<Option<MixFile>> {
    let Some(original) = files::read(root, rel)? else {
        return Ok(None);
    };
    let src = original.format.text;
    let tree = elixir::parse(&src);
    if let Some(at) = elixir::first_error_at(&tree) {
        return Err(elixir::syntax_error(Path::new(rel), at));
    }
    let root_node = tree.root_node();
    let project_kw = elixir::find_defs(root_node, &src, "project")
        .into_iter()
        .filter_map(|d| elixir::def_result(d, &src))
        .find(|e| e.kind() == "list");
    let app = project_kw
        .and_then(|l| elixir::keyword_value(l, &src, "app"))
        .and_then(|v| elixir::atom_name(v, &src))
        .map(str::to_string);
    let apps_path = project_kw
        .and_then(|l| elixir::keyword_value(l, &src, "apps_path"))
        .map(|v| elixir::text(v, &src).trim_matches('"').to_string());
    let module = elixir::find_defs(root_node, &src, "application")
        .into_iter()
        .filter_map(|d| elixir::def_result(d, &src))
        .filter(|e| e.kind() == "list")
        .find_map(|l| elixir::keyword_value(l, &src, "mod"))
        .filter(|v| v.kind() == "tuple")
        .and_then(|t| elixir::items(t).into_iter().next())
        .filter(|a| a.kind() == "alias")
        .map(|a| elixir::text(a, &src).to_string());
    let deps = crate::edit::deps::declared(root_node, &src)
        .into_iter()
        .map(|(name, requirement)| (name.to_string(), requirement.map(str::to_string)))
        .collect();
    Ok(Some(MixFile {
        app,
        apps_path,
        module,
        deps,
    }))
}

pub struct DetectOptions<'a> {
    pub otp_app: Option<&'a str>,
}

/// Detect the project at `path`.
pub fn detect(path: &Path, opts: &DetectOptions<'_>) -> Result<Project> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "open", e))?;
    if !meta.is_dir() {
        return Err(Error::input(path, None, "is not a directory")
            .with_help("pass the folder that holds the project's mix.exs"));
    }
    let root = path
        .canonicalize()
        .map_err(|e| Error::io(path, "resolve", e))?;
    let Some(mix) = read_mix(&root, "mix.exs")? else {
        return Err(Error::input(
            root.join("mix.exs"),
            None,
            "not found: this folder is not a Mix project",
        )
        .with_help("run flycluster in (or pass the path of) the folder that holds mix.exs"));
    };

    let umbrella = mix.apps_path.is_some();
    let (otp_app, app_dir, app_mix, sibling_deps) = match &mix.apps_path {
        Some(apps_path) => pick_umbrella_app(&root, apps_path, opts.otp_app)?,
        None => {
            let Some(app) = mix.app.clone() else {
                return Err(Error::input(
                    "mix.exs",
                    None,
                    "has no `app:` in its `project` function",
                )
                .with_help(
                    "a Mix project names its OTP app with `app: :my_app` in `def project`",
                ));
            };
            if let Some(wanted) = opts.otp_app
                && wanted != app
            {
                return Err(Error::usage(format!(
                    "`--otp-app {wanted}` does not match `app: :{app}` in mix.exs"
                )));
            }
            (app, String::new(), mix, Vec::new())
        }
    };

    let application_path = match &app_mix.module {
        Some(module) => find_module_file(&root, &app_dir, &otp_app, module)?,
        None => None,
    };
    let phoenix_version = app_mix
        .deps
        .iter()
        .find(|(n, _)| n == "phoenix")
        .and_then(|(_, v)| v.clone());
    let (fly_toml_app, fly_toml_cookie) = read_fly_toml(&root)?;
    let formatter = files::read(&root, &format!("{app_dir}.formatter.exs"))?
        .or(files::read(&root, ".formatter.exs")?);
    let line_length =
        elixir::formatter_line_length(formatter.as_ref().map(|f| f.format.text.as_str()));
    let ecto_repos = match files::read(&root, "config/config.exs")? {
        Some(f) => declared_repos(&f.format.text),
        None => Vec::new(),
    };
    let starts_repo = match &application_path {
        Some(rel) => files::read(&root, rel)?.is_some_and(|f| {
            let src = &f.format.text;
            elixir::descendants_of_kind(elixir::parse(src).root_node(), "alias")
                .into_iter()
                .any(|a| elixir::text(a, src).ends_with(".Repo"))
        }),
        None => false,
    };

    Ok(Project {
        root,
        otp_app,
        app_dir,
        app_module: app_mix.module.clone(),
        application_path,
        phoenix_version,
        umbrella,
        fly_toml_app,
        fly_toml_cookie,
        deps: app_mix.deps.into_iter().map(|(n, _)| n).collect(),
        sibling_deps,
        line_length,
        ecto_repos,
        starts_repo,
    })
}

/// The `.exs` files of config/ (`config/prod.exs`, ...), sorted; none without the folder.
pub fn config_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(root.join("config")) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".exs"))
            .map(|n| format!("config/{n}"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// `config :APP, ecto_repos: [A.Repo, ...]` in config/config.exs, every spelling of the keyword.
/// A file that does not parse declares nothing here (the editors report it where they edit it).
fn declared_repos(src: &str) -> Vec<EctoRepo> {
    let tree = elixir::parse(src);
    let mut repos = Vec::new();
    for call in elixir::descendants_of_kind(tree.root_node(), "call") {
        if elixir::call_name(call, src) != Some("config") {
            continue;
        }
        let Some(args) = elixir::call_args(call) else {
            continue;
        };
        let items = elixir::items(args);
        let Some(app) = items.first().and_then(|a| elixir::atom_name(*a, src)) else {
            continue;
        };
        let Some(list) = items[1..]
            .iter()
            .filter(|a| matches!(a.kind(), "keywords" | "list"))
            .find_map(|a| elixir::keyword_value(*a, src, "ecto_repos"))
            .filter(|v| v.kind() == "list")
        else {
            continue;
        };
        for module in elixir::items(list)
            .into_iter()
            .filter(|m| m.kind() == "alias")
        {
            repos.push(EctoRepo {
                app: app.to_string(),
                module: elixir::text(module, src).to_string(),
            });
        }
    }
    repos
}

/// In an umbrella, the app that supervises PubSub (where phx.new puts DNSCluster), else the one with
/// an Endpoint, else the only app. `--otp-app` overrides. With the app: its folder, its mix.exs, and
/// the dependencies the other apps declare.
fn pick_umbrella_app(
    root: &Path,
    apps_path: &str,
    wanted: Option<&str>,
) -> Result<(String, String, MixFile, Vec<String>)> {
    let apps_dir = root.join(apps_path);
    let mut names: Vec<String> = std::fs::read_dir(&apps_dir)
        .map_err(|e| Error::io(&apps_dir, "list", e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("mix.exs").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut candidates = Vec::new();
    for name in names {
        let dir = format!("{}/{name}/", apps_path.trim_end_matches('/'));
        let Some(mix) = read_mix(root, &format!("{dir}mix.exs"))? else {
            continue;
        };
        let Some(app) = mix.app.clone() else { continue };
        let source = match &mix.module {
            Some(m) => match find_module_file(root, &dir, &app, m)? {
                Some(p) => files::read(root, &p)?
                    .map(|o| o.format.text)
                    .unwrap_or_default(),
                None => String::new(),
            },
            None => String::new(),
        };
        let score = if source.contains("Phoenix.PubSub") {
            2
        } else if source.contains("Endpoint") {
            1
        } else {
            0
        };
        candidates.push((score, app, dir, mix));
    }
    let chosen = match wanted {
        Some(wanted) => candidates
            .iter()
            .position(|(_, app, _, _)| app == wanted)
            .ok_or_else(|| {
                Error::usage(format!(
                    "no app `{wanted}` under `{apps_path}` in this umbrella"
                ))
            })?,
        // The first of the best score, in folder order.
        None => (0..candidates.len())
            .min_by_key(|i| std::cmp::Reverse(candidates[*i].0))
            .ok_or_else(|| {
                Error::input(
                    "mix.exs",
                    None,
                    format!(
                        "is an umbrella, but no app under `{apps_path}` has a mix.exs with `app:`"
                    ),
                )
            })?,
    };
    let (_, app, dir, mix) = candidates.remove(chosen);
    let sibling_deps = candidates
        .into_iter()
        .flat_map(|(_, _, _, other)| other.deps.into_iter().map(|(name, _)| name))
        .collect();
    Ok((app, dir, mix, sibling_deps))
}

/// The file defining `module`: the conventional `lib/APP/application.ex` first, else a search of lib/.
fn find_module_file(root: &Path, app_dir: &str, app: &str, module: &str) -> Result<Option<String>> {
    let conventional = format!("{app_dir}lib/{app}/application.ex");
    let needle = format!("defmodule {module} do");
    if let Some(f) = files::read(root, &conventional)?
        && f.format.text.contains(&needle)
    {
        return Ok(Some(conventional));
    }
    let mut stack = vec![root.join(format!("{app_dir}lib"))];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() && path.extension().is_some_and(|e| e == "ex") {
                let rel = path
                    .strip_prefix(root)
                    .expect("walked from under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                if let Some(f) = files::read(root, &rel)?
                    && f.format.text.contains(&needle)
                {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    Ok(found.into_iter().next())
}

/// `app` and `[env] RELEASE_COOKIE` from fly.toml, when it exists and parses (the fly-toml editor
/// reports a malformed file with its line).
fn read_fly_toml(root: &Path) -> Result<(Option<String>, Option<String>)> {
    let Some(f) = files::read(root, "fly.toml")? else {
        return Ok((None, None));
    };
    let Ok(doc) = f.format.text.parse::<toml_edit::DocumentMut>() else {
        return Ok((None, None));
    };
    let app = doc.get("app").and_then(|v| v.as_str()).map(str::to_string);
    let cookie = doc
        .get("env")
        .and_then(|e| e.get("RELEASE_COOKIE"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Ok((app, cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fly_app_names() {
        for ok in ["hello-elixir", "a", "app2", "a-b-c"] {
            assert!(validate_fly_app(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Hello",
            "hello_elixir",
            "-a",
            "a-",
            "1app",
            "a b",
            "a$(x)",
            &"a".repeat(64),
        ] {
            assert!(validate_fly_app(bad).is_err(), "{bad}");
        }
    }
}
