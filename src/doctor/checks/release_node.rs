//! Check 3: RELEASE_NODE is `<the same name on every machine>@${FLY_PRIVATE_IP}`.

use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::shell::{self as env_sh, Seg};

/// Variables whose value differs from machine to machine (or region to region).
pub(in crate::doctor) const PER_MACHINE: [&str; 9] = [
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
pub(in crate::doctor) const PER_DEPLOY: [&str; 4] = [
    "FLY_APP_NAME",
    "FLY_IMAGE_REF",
    "RELEASE_NAME",
    "RELEASE_VSN",
];

#[derive(Debug, Default)]
pub(in crate::doctor) struct NameParts {
    /// Expansions that differ between machines, as written.
    pub(in crate::doctor) per_machine: Vec<String>,
    /// Expansions doctor cannot place.
    pub(in crate::doctor) unknown: Vec<String>,
    /// The guide's `${FLY_IMAGE_REF##*-}`.
    pub(in crate::doctor) fragile_suffix: bool,
}

impl Inputs<'_> {
    pub(in crate::doctor) fn check_release_node(&self, out: &mut Vec<Finding>) {
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
                Finding::problem(FindingId::ReleaseNodeHost,
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
                Finding::ok(FindingId::ReleaseNodeHost, "RELEASE_NODE's host is `${FLY_PRIVATE_IP}`")
                    .at_origin(&value.origin),
            ),
            HostKind::HostsFile => out.push(
                Finding::warning(FindingId::ReleaseNodeHost,
                    format!(
                        "RELEASE_NODE's host `{host_text}` reads the private IP from /etc/hosts (fly-local-6pn); it works, but FLY_PRIVATE_IP is the documented source"
                    ),
                )
                .at_origin(&value.origin)
                .fix("use `@${FLY_PRIVATE_IP}`"),
            ),
            HostKind::Other => out.push(
                Finding::problem(FindingId::ReleaseNodeHost,
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
                    FindingId::ReleaseNodeName,
                    "RELEASE_NODE has an empty name before `@`",
                )
                .at_origin(&value.origin)
                .fix("start RELEASE_NODE with `${FLY_APP_NAME}`"),
            );
        } else if !parts.per_machine.is_empty() {
            out.push(
                Finding::problem(FindingId::ReleaseNodeName,
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
                Finding::warning(FindingId::ReleaseNodeName,
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
                    FindingId::ReleaseNodeName,
                    format!(
                        "RELEASE_NODE's name `{name_text}` is the same on every machine of a deploy"
                    ),
                )
                .at_origin(&value.origin),
            );
        }
        if parts.fragile_suffix {
            out.push(
                Finding::warning(FindingId::ReleaseNodeImageSuffix,
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

    pub(in crate::doctor) fn host_kind(&self, host: &[Seg]) -> HostKind {
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
    pub(in crate::doctor) fn classify_name(&self, name: &[Seg]) -> NameParts {
        let mut parts = NameParts::default();
        let mut seen = Vec::new();
        for seg in name {
            if let Seg::Exp(e) = seg {
                self.classify_expansion(e, &mut parts, &mut seen, 0);
            }
        }
        parts
    }

    pub(in crate::doctor) fn classify_expansion(
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

pub(in crate::doctor) enum HostKind {
    PrivateIp,
    HostsFile,
    Other,
}

/// The name and host parts of a node name, split at the last `@` written literally.
pub(in crate::doctor) fn split_node(value: &[Seg]) -> Option<(Vec<Seg>, Vec<Seg>)> {
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
}
