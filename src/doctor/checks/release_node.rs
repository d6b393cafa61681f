//! Check 3: RELEASE_NODE is `<the same name on every machine>@${FLY_PRIVATE_IP}`.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::Setup;
use crate::shell::{self as env_sh, ExpansionKind, Seg};

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

/// Words in a command substitution whose output differs from machine to machine (or run to run).
const PER_MACHINE_COMMANDS: [&str; 8] = [
    "hostname",
    "uname",
    "ip ",
    "ifconfig",
    "/etc/hosts",
    "date",
    "random",
    "uuid",
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

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(value) = setup.release_setting("RELEASE_NODE") else {
        return;
    };
    let shown = value.normalized();
    let Some((name, host)) = env_sh::split_node_name(&value.value) else {
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
    match host_kind(setup, &host) {
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
    let parts = classify_name(setup, &name);
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
                    quoted(&parts.per_machine)
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
                    quoted(&parts.unknown)
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

/// `` `a`, `b` ``.
fn quoted(expansions: &[String]) -> String {
    expansions
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn host_kind(setup: &Setup, host: &[Seg]) -> HostKind {
    let text = env_sh::normalized(host);
    if text == "${FLY_PRIVATE_IP}" {
        return HostKind::PrivateIp;
    }
    // `$ip` where the file sets `ip` once, to the private IP or a lookup of it.
    if let [Seg::Exp(e)] = host {
        let names = env_sh::referenced_names(e);
        if let [name] = names.as_slice()
            && let Some(var) = setup.env_var(name)
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
fn classify_name(setup: &Setup, name: &[Seg]) -> NameParts {
    let mut parts = NameParts::default();
    let mut seen = Vec::new();
    for seg in name {
        if let Seg::Exp(e) = seg {
            classify_expansion(setup, e, &mut parts, &mut seen, 0);
        }
    }
    parts
}

fn classify_expansion(
    setup: &Setup,
    e: &str,
    parts: &mut NameParts,
    seen: &mut Vec<String>,
    depth: usize,
) {
    if env_sh::after_last_dash_of(e, "FLY_IMAGE_REF") {
        parts.fragile_suffix = true;
    }
    let names = match env_sh::expansion_kind(e) {
        ExpansionKind::Command => {
            let lower = e.to_ascii_lowercase();
            if PER_MACHINE_COMMANDS.iter().any(|w| lower.contains(w)) {
                parts.per_machine.push(e.to_string());
            } else {
                parts.unknown.push(e.to_string());
            }
            return;
        }
        ExpansionKind::ProcessId => {
            parts.per_machine.push(e.to_string());
            return;
        }
        ExpansionKind::Parameters(names) => names,
    };
    for name in names {
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
        let assignments: Vec<&env_sh::Assignment> = match setup.env_var(&name) {
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
                    classify_expansion(setup, &format!("${{{source}}}"), parts, seen, depth + 1);
                }
                continue;
            }
            for seg in &a.value {
                if let Seg::Exp(inner) = seg {
                    classify_expansion(setup, inner, parts, seen, depth + 1);
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
