//! Check 2: erl gets `-proto_dist inet6_tcp`, exactly once.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{Boot, DOCKERFILE, ENV_SH, Origin, Setup, Shadowed, Value};
use crate::edit::dockerfile;
use crate::shell::{self as env_sh};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    shadowed(setup, out);
    let (value, unset_reason) = match setup.at_boot("ERL_AFLAGS") {
        Boot::Unknown => return,
        Boot::Set(v) => (Some(v), None),
        Boot::Uncertain(v, lines) => {
            let line = *lines.last().expect("uncertain values have lines");
            out.push(
                Finding::problem(FindingId::ErlAflags,
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
        let own = match (&value.origin, setup.env_var("ERL_AFLAGS")) {
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
            && let Some(inherited) = setup.inherited("ERL_AFLAGS")
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
    // flycluster's block replaces the inherited ERL_AFLAGS's -proto_dist (the value the model
    // gives it is the flag it adds); the other flag variables keep theirs.
    sources.extend(setup.release_env().other_flag_proto_dist());
    let total = sources.len() + setup.vm_args_proto_dist.len();

    if total > 1 {
        let mut places: Vec<String> = sources
            .iter()
            .map(|(var, origin)| format!("{var} ({})", origin.describe()))
            .collect();
        places.extend(
            setup
                .vm_args_proto_dist
                .iter()
                .map(|v| format!("{} line {}", v.file, v.line)),
        );
        // A vm.args line is what init cannot change: the finding points there, as init's manual
        // step does.
        let (file, line, fix) = match setup.vm_args_proto_dist.first() {
            Some(vm) => (
                vm.file.clone(),
                vm.line,
                crate::shell::remove_vm_args_proto_dist(&vm.file, vm.line, &vm.carrier),
            ),
            // So is another flag variable in the image or fly.toml.
            None if let Some((var, origin)) = sources.iter().find(|(var, o)| {
                env_sh::OTHER_FLAG_VARS.contains(&var.as_str()) && !matches!(o, Origin::EnvSh(_))
            }) =>
            {
                (
                    origin.file().to_string(),
                    origin.line(),
                    crate::shell::remove_flag_var_proto_dist(origin.file(), origin.line(), var),
                )
            }
            None => {
                let preferred = sources
                    .iter()
                    .find(|(_, o)| matches!(o, Origin::EnvSh(_)))
                    .or(sources.first())
                    .expect("more than one -proto_dist, none of them in vm.args");
                (
                    preferred.1.file().to_string(),
                    preferred.1.line(),
                    "keep one `-proto_dist inet6_tcp`, in ERL_AFLAGS; remove the others (`flycluster init` does this for env.sh.eex)".to_string(),
                )
            }
        };
        out.push(
            Finding::problem(FindingId::ProtoDistTwice,
                format!(
                    "erl gets `-proto_dist` {total} times: {}; erl accepts it only once and otherwise falls back to IPv4, which Fly's private network does not carry",
                    places.join(", ")
                ),
            )
            .at(file, Some(line))
            .fix(fix),
        );
        // ERL_AFLAGS's own carrier is a fact of its own.
        if let Some(v) = value
            .as_ref()
            .filter(|v| env_sh::proto_dist_count(&v.value) > 0 && !env_sh::has_inet6_tcp(&v.value))
        {
            out.push(wrong_carrier(v));
        }
        return;
    }

    if let [vm] = setup.vm_args_proto_dist.as_slice() {
        let finding = if vm.carrier.starts_with("inet6_") {
            Finding::ok(
                FindingId::ErlAflags,
                format!("erl gets `-proto_dist {}` once, from vm.args", vm.carrier),
            )
        } else {
            Finding::problem(FindingId::ErlAflags,
                format!("erl gets `-proto_dist {}` from vm.args: distribution must use `inet6_tcp` on Fly's IPv6 private network", vm.carrier),
            )
            .fix("use `-proto_dist inet6_tcp`")
        };
        out.push(finding.at(vm.file.clone(), Some(vm.line)));
        return;
    }

    if total == 0 {
        // No -proto_dist at all.
        if let Some(b) = builder_only(setup, "ERL_AFLAGS") {
            out.push(
                Finding::problem(FindingId::DockerfileBuilderStage,
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
            (Some(v), _) => Finding::problem(FindingId::ErlAflags,
                format!(
                    "ERL_AFLAGS is `{}`, without `-proto_dist inet6_tcp`: Erlang distribution listens on IPv4, which Fly's private network does not carry",
                    v.normalized()
                ),
            )
            .at_origin(&v.origin),
            (None, Some((line, reason))) => Finding::problem(FindingId::ErlAflags,
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
                FindingId::ErlAflags,
                format!("erl gets `-proto_dist` only from {var}, not ERL_AFLAGS"),
            )
            .at_origin(origin)
            .fix("set `-proto_dist inet6_tcp` in ERL_AFLAGS instead"),
        );
        return;
    }
    let value = value.expect("the one -proto_dist is in ERL_AFLAGS");
    if !env_sh::has_inet6_tcp(&value.value) {
        out.push(wrong_carrier(&value));
        return;
    }
    out.push(
        Finding::ok(
            FindingId::ErlAflags,
            "erl gets `-proto_dist inet6_tcp` once, from ERL_AFLAGS",
        )
        .at_origin(&value.origin),
    );
}

/// ERL_AFLAGS's `-proto_dist` names another carrier than `inet6_tcp`.
fn wrong_carrier(value: &Value) -> Finding {
    Finding::problem(
        FindingId::ErlAflags,
        format!(
            "ERL_AFLAGS is `{}`: distribution must use `-proto_dist inet6_tcp` on Fly's IPv6 private network",
            value.normalized(),
        ),
    )
    .at_origin(&value.origin)
    .fix("set `-proto_dist inet6_tcp` in ERL_AFLAGS")
}

/// An `ENV NAME=...` of a stage the final image does not inherit, when the final image has none.
fn builder_only<'s>(setup: &'s Setup, name: &str) -> Option<&'s dockerfile::EnvLine> {
    let lines = setup.dockerfile.as_ref()?;
    if lines.iter().any(|l| l.key == name && l.in_final_image) {
        return None;
    }
    lines.iter().find(|l| l.key == name && !l.in_final_image)
}

/// An ERL_AFLAGS in the Dockerfile or fly.toml with another `-proto_dist` than `inet6_tcp` that
/// something set later (env.sh.eex, fly.toml over the image, a later `ENV`) sets over on Fly: erl
/// does not get it there, but the line says otherwise (init warns about the same line and leaves
/// it unless given `--force`).
fn shadowed(setup: &Setup, out: &mut Vec<Finding>) {
    for Shadowed { value: v, by } in setup.shadowed("ERL_AFLAGS") {
        let over = by.describe();
        if env_sh::proto_dist_count(&v.value) == 0 || env_sh::has_inet6_tcp(&v.value) {
            continue;
        }
        out.push(
            Finding::warning(
                FindingId::ErlAflags,
                format!(
                    "ERL_AFLAGS is `{}` here, but {over} sets it over this on Fly; the line has no effect there, and names another carrier than `inet6_tcp`",
                    v.normalized()
                ),
            )
            .at_origin(&v.origin)
            .fix("use `-proto_dist inet6_tcp` or remove the flag (`flycluster init --force` replaces it)"),
        );
    }
}
