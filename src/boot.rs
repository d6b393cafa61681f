//! How each variable stands when the release boots on Fly: the final image's `ENV`, then fly.toml's
//! `[env]` (Fly sets it over the image's), then rel/env.sh.eex as `sh` runs it.

use crate::edit::dockerfile::EnvLine;
use crate::edit::fly_toml::FlyTomlView;
use crate::shell::{self as env_sh, FlyVar, Seg};

use crate::model::{DOCKERFILE, ENV_SH, EnvSh, FLY_TOML};

/// What decides the release's environment on Fly, borrowed from the files read: the final image's
/// `ENV` lines, fly.toml's `[env]`, and rel/env.sh.eex.
pub struct ReleaseEnv<'a> {
    pub env_sh: &'a EnvSh,
    pub dockerfile: Option<&'a [EnvLine]>,
    pub fly_toml: Option<&'a FlyTomlView>,
}

/// Where a value the release boots with comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    EnvSh(usize),
    Dockerfile(usize),
    FlyToml(usize),
}

impl Origin {
    pub fn file(&self) -> &'static str {
        match self {
            Origin::EnvSh(_) => ENV_SH,
            Origin::Dockerfile(_) => DOCKERFILE,
            Origin::FlyToml(_) => FLY_TOML,
        }
    }

    pub fn line(&self) -> usize {
        match self {
            Origin::EnvSh(l) | Origin::Dockerfile(l) | Origin::FlyToml(l) => *l,
        }
    }

    pub fn describe(&self) -> String {
        format!("{} line {}", self.file(), self.line())
    }
}

/// A variable's value when the release boots on Fly.
#[derive(Debug, Clone)]
pub struct Value {
    pub origin: Origin,
    pub value: Vec<Seg>,
}

impl Value {
    pub fn normalized(&self) -> String {
        env_sh::normalized(&self.value)
    }
}

/// A setting that does not decide a variable's value at boot, and the one that does.
#[derive(Debug, Clone)]
pub struct Shadowed {
    pub value: Value,
    /// Where the value the release boots with is set.
    pub by: Origin,
}

/// How a variable stands at boot.
#[derive(Debug, Clone)]
pub enum Boot {
    /// rel/env.sh.eex could not be followed: doctor cannot tell.
    Unknown,
    Set(Value),
    /// Set, but a later assignment or unset may or may not run (1-based lines in env.sh.eex).
    Uncertain(Value, Vec<usize>),
    /// Not set: why (a line to point at, and a reason).
    Unset(Option<usize>, String),
}

impl Boot {
    /// The value it boots with, whether or not a later line may change it.
    pub fn value(self) -> Option<Value> {
        match self {
            Boot::Set(v) | Boot::Uncertain(v, _) => Some(v),
            Boot::Unknown | Boot::Unset(..) => None,
        }
    }
}

impl<'a> ReleaseEnv<'a> {
    pub fn env_var(&self, name: &str) -> Option<&'a FlyVar> {
        match self.env_sh {
            EnvSh::Read { script, .. } => script.on_fly.var(name),
            _ => None,
        }
    }

    /// RELEASE_NODE's name part (before `@`) when the release boots, normalized.
    pub fn release_node_name(&self) -> Option<String> {
        let value = self.at_boot("RELEASE_NODE").value()?;
        env_sh::split_node_name(&value.value).map(|(n, _)| env_sh::normalized(&n))
    }

    /// The value Fly starts the release with, before env.sh.eex runs: fly.toml's `[env]` over the
    /// final image's `ENV`.
    pub fn inherited(&self, name: &str) -> Option<Value> {
        if let Some(entry) = self.fly_toml.and_then(|t| t.env(name))
            && let Some(value) = &entry.value
        {
            return Some(Value {
                origin: Origin::FlyToml(entry.line),
                value: vec![Seg::Lit(value.clone())],
            });
        }
        let line = self
            .dockerfile?
            .iter()
            .rev()
            .find(|l| l.key == name && l.in_final_image)?;
        Some(Value {
            origin: Origin::Dockerfile(line.line),
            value: vec![Seg::Lit(line.value.clone())],
        })
    }

    /// The settings of `name` in fly.toml's `[env]` and the final image's `ENV` that do not decide
    /// its value when the release boots on Fly: rel/env.sh.eex sets it over them (or builds it
    /// anew from them), fly.toml's entry is set over the image's, a later `ENV` over an earlier
    /// one. A reader of that file still sees them.
    pub fn shadowed(&self, name: &str) -> Vec<Shadowed> {
        let Some(effective) = self.at_boot(name).value() else {
            return Vec::new();
        };
        let fly_toml = self.fly_toml.and_then(|t| t.env(name)).and_then(|entry| {
            Some(Value {
                origin: Origin::FlyToml(entry.line),
                value: vec![Seg::Lit(entry.value.clone()?)],
            })
        });
        let image = self
            .dockerfile
            .into_iter()
            .flatten()
            .filter(|l| l.key == name && l.in_final_image)
            .map(|l| Value {
                origin: Origin::Dockerfile(l.line),
                value: vec![Seg::Lit(l.value.clone())],
            });
        fly_toml
            .into_iter()
            .chain(image)
            .filter(|v| v.origin != effective.origin)
            .map(|value| Shadowed {
                value,
                by: effective.origin.clone(),
            })
            .collect()
    }

    /// Each `-proto_dist` erl gets on Fly from the flag variables other than ERL_AFLAGS
    /// (ELIXIR_ERL_OPTIONS, ERL_FLAGS, ERL_ZFLAGS): the variable and where the flag is written,
    /// in env.sh.eex or in the value it inherits from the image or fly.toml. flycluster's block
    /// replaces only ERL_AFLAGS's, so each of these is one `-proto_dist` too many.
    pub fn other_flag_proto_dist(&self) -> Vec<(String, Origin)> {
        let mut sources = Vec::new();
        if let EnvSh::Read { script, .. } = self.env_sh {
            for (var, a) in &script.on_fly.proto_dist_elsewhere {
                sources.push((var.clone(), Origin::EnvSh(a.line)));
            }
        }
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
                    if let Some(v) = inherited.filter(|v| env_sh::proto_dist_count(&v.value) > 0) {
                        sources.push((var.to_string(), v.origin.clone()));
                    }
                }
            }
        }
        sources
    }

    /// How `name` stands when the release boots on Fly.
    pub fn at_boot(&self, name: &str) -> Boot {
        let inherited = self.inherited(name);
        let unset = |reason: String, line: Option<usize>| Boot::Unset(line, reason);
        let (text, var) = match self.env_sh {
            EnvSh::Unparsed(_) => return Boot::Unknown,
            EnvSh::Missing => {
                return match inherited {
                    Some(v) => Boot::Set(v),
                    None => unset(format!("nothing sets it ({ENV_SH} does not exist)"), None),
                };
            }
            EnvSh::Read { text, script } => (text, script.on_fly.var(name)),
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
}

/// `value` with references to `name` itself (`$ERL_AFLAGS ...`) replaced by what it inherits.
pub fn substitute_self(value: &[Seg], name: &str, inherited: Option<&Value>) -> Vec<Seg> {
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
    if let Some(line) = env_sh::commented_assignments(text, name).last() {
        return (Some(*line), format!("line {line} is commented out"));
    }
    (
        None,
        format!("nothing in {ENV_SH}, the Dockerfile or fly.toml sets it"),
    )
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
