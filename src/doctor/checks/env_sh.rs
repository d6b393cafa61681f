//! Check 1: rel/env.sh.eex exists and the five exports take effect on Fly.

use crate::doctor::finding::{Finding, FindingId, Severity};
use crate::doctor::setup::{Boot, ENV_SH, EnvSh, Origin, Setup};
use crate::edit::Database;
use crate::shell::{self as env_sh, Seg};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    match &setup.env_sh {
        EnvSh::Missing => {
            out.push(
                Finding::problem(FindingId::EnvShMissing,
                    "there is no rel/env.sh.eex, so nothing names the node for clustering: the release boots as `sname` with its own name",
                )
                .at(ENV_SH, None)
                .fix("run `flycluster init` (it creates the file as `mix release.init` would, plus the clustering block)"),
            );
        }
        EnvSh::Unparsed(e) => {
            out.push(
                Finding::warning(FindingId::EnvShUnparsed,
                    format!(
                        "{}; doctor cannot follow the shell there, so it does not judge what the file exports",
                        e.message
                    ),
                )
                .at(ENV_SH, Some(e.line))
                .fix("check the file with `sh -n`; ERL_AFLAGS, ECTO_IPV6, DNS_CLUSTER_QUERY, RELEASE_DISTRIBUTION and RELEASE_NODE must take effect on Fly"),
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
        if matches!(setup.env_sh, EnvSh::Missing) && !env_sh::needs_export(name) {
            all_set = false;
            continue;
        }
        match setup.at_boot(name) {
            Boot::Unknown => {}
            Boot::Set(v) => {
                if !matches!(v.origin, Origin::EnvSh(_)) {
                    from_elsewhere.push(format!("{name} from {}", v.origin.file()));
                }
            }
            // Check 2 judges ERL_AFLAGS with every source of -proto_dist.
            Boot::Uncertain(..) if name == "ERL_AFLAGS" => all_set = false,
            // Check 8 judges ECTO_IPV6 by where the database lives: only for one on Fly must it
            // hold there.
            Boot::Uncertain(..)
                if name == "ECTO_IPV6" && setup.database_choice().database() != Database::Fly => {}
            Boot::Uncertain(v, lines) => {
                all_set = false;
                let line = *lines.last().expect("uncertain values have lines");
                out.push(
                    Finding::problem(FindingId::EnvShExports,
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
                        FindingId::EnvShExports,
                        severity,
                        format!("{name} is not set when the release boots on Fly: {reason}; {why}"),
                    )
                    .at(ENV_SH, line)
                    .fix(fix),
                );
            }
        }
    }
    if all_set && matches!(setup.env_sh, EnvSh::Read { .. }) {
        let elsewhere = if from_elsewhere.is_empty() {
            String::new()
        } else {
            format!(" ({})", from_elsewhere.join(", "))
        };
        out.push(
            Finding::ok(FindingId::EnvShExports,
                if ecto_ipv6_unset {
                    format!("the four clustering settings take effect when the release boots on Fly{elsewhere}; ECTO_IPV6 is not set (check 8 judges it)")
                } else {
                    format!("the five clustering settings take effect when the release boots on Fly{elsewhere}")
                },
            )
            .at(ENV_SH, None),
        );
    }
    check_unguarded(setup, out);
}

/// RELEASE_NODE built from Fly's variables but set outside a FLY_APP_NAME guard: off Fly (a
/// local `bin/APP start`, CI) those are empty and the node name is invalid.
fn check_unguarded(setup: &Setup, out: &mut Vec<Finding>) {
    let EnvSh::Read { script, .. } = &setup.env_sh else {
        return;
    };
    let Some(a) = script.node_name_broken_off_fly() else {
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
        Finding::warning(FindingId::EnvShUnguarded,
            format!(
                "RELEASE_NODE is built from Fly's variables where it also runs off Fly; off Fly (a local `bin/{} start`, CI) Fly's variables are empty, the node is named `{off_fly}` and the release does not boot",
                setup.project.otp_app
            ),
        )
        .at(ENV_SH, Some(a.line))
        .fix("run `flycluster init`: it replaces these lines with its block, which runs only where FLY_PRIVATE_IP is set"),
    );
}
