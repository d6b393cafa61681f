//! Check 8: ECTO_IPV6 and the Repo agree with where the database lives.

use crate::doctor::finding::{Finding, FindingId, Severity};
use crate::doctor::setup::{Boot, DatabaseChoice, RUNTIME_EXS, Setup, Shadowed, Value};
use crate::edit::{Database, repo_ipv6};

fn truthy(value: &str) -> bool {
    matches!(value, "true" | "1")
}

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    if !setup.has_ecto_repo() {
        return;
    }
    let choice = setup.database_choice();
    let value = match setup.at_boot("ECTO_IPV6") {
        Boot::Set(v) | Boot::Uncertain(v, _) => Some(v),
        // env.sh.eex could not be followed: check 1 says so.
        Boot::Unknown => return,
        Boot::Unset(..) => None,
    };
    let honoured = setup.ecto_ipv6_honoured();
    match (&choice, choice.database()) {
        (DatabaseChoice::NoRepo, _) => {}
        (_, Database::None) => out.push(Finding::ok(
            FindingId::EctoIpv6Runtime,
            "`--database none`: ECTO_IPV6 and the Repo are not judged",
        )),
        (_, Database::External) => judge_external(value.as_ref(), honoured, out),
        (_, Database::Fly) => judge_fly(setup, &choice, value.as_ref(), honoured, out),
    }
    shadowed(setup, choice.database(), out);
}

/// An ECTO_IPV6 in the Dockerfile or fly.toml that something set later (env.sh.eex, fly.toml over
/// the image, a later `ENV`) sets over on Fly: harmless there, but it says the opposite of the
/// database choice to whoever reads that file (init warns about the same lines, and with
/// `--database external` takes them out).
fn shadowed(setup: &Setup, database: Database, out: &mut Vec<Finding>) {
    for Shadowed { value: v, by } in setup.shadowed("ECTO_IPV6") {
        let over = by.describe();
        let on = truthy(&v.normalized());
        let finding = match database {
            Database::Fly if !on => Finding::warning(
                FindingId::EctoIpv6Value,
                format!(
                    "ECTO_IPV6 is `{}` here, but {over} sets it over this on Fly; the line has no effect there, and says Ecto connects over IPv4",
                    v.normalized()
                ),
            )
            .fix("set it to \"true\" or remove it (`flycluster init --force` sets it)"),
            Database::External if on => Finding::warning(
                FindingId::EctoIpv6External,
                format!(
                    "ECTO_IPV6 is `{}` here, for a database outside Fly (`--database external`); {over} sets it over this on Fly, but the line says Ecto connects over IPv6",
                    v.normalized()
                ),
            )
            .fix("remove it (`flycluster init --database external` takes it out)"),
            _ => continue,
        };
        out.push(finding.at_origin(&v.origin));
    }
}

fn judge_external(
    value: Option<&Value>,
    honoured: Option<(String, usize)>,
    out: &mut Vec<Finding>,
) {
    if let Some(v) = value.filter(|v| truthy(&v.normalized())) {
        let (severity, message) = match &honoured {
            Some((file, line)) => (
                Severity::Problem,
                format!(
                    "ECTO_IPV6 is `{}` ({}) and {file} line {line} turns it into `socket_options: [:inet6]`, but the database is outside Fly (`--database external`): Postgrex then asks only for IPv6 addresses, and an IPv4-only host fails with `:nxdomain`",
                    v.normalized(),
                    v.origin.describe()
                ),
            ),
            // Set, but nothing reads it: harmless now, and the Repo's config may read it tomorrow
            // (what `mix phx.gen.release` writes does); init takes it out.
            None => (
                Severity::Warning,
                format!(
                    "ECTO_IPV6 is `{}` ({}) for a database outside Fly (`--database external`); no runtime config reads it, so the Repo connects over IPv4 now, but one that turns it into `socket_options: [:inet6]` would make Postgrex ask only for IPv6 addresses",
                    v.normalized(),
                    v.origin.describe()
                ),
            ),
        };
        out.push(
            Finding::new(FindingId::EctoIpv6External, severity, message)
                .at_origin(&v.origin)
                .fix(format!(
                    "remove ECTO_IPV6 from {} (`flycluster init --database external` takes it out of the Dockerfile and fly.toml)",
                    v.origin.file()
                )),
        );
        return;
    }
    out.push(Finding::ok(
        FindingId::EctoIpv6External,
        "the Repo connects over IPv4, as a database outside Fly (`--database external`) needs",
    ));
}

fn judge_fly(
    setup: &Setup,
    choice: &DatabaseChoice,
    value: Option<&Value>,
    honoured: Option<(String, usize)>,
    out: &mut Vec<Finding>,
) {
    let known = !matches!(choice, DatabaseChoice::Unknown);
    let Some(value) = value else {
        // Nothing sets ECTO_IPV6: with `--database fly` that is wrong; without a choice it is
        // right for a database outside Fly, so it is a warning: init on such a project leaves it
        // unset, and its result must pass doctor.
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
                Finding::new(FindingId::EctoIpv6Unset,
                    severity,
                    format!(
                        "the Repo reads ECTO_IPV6 here, but nothing sets it when the release boots on Fly, so it connects over IPv4 and cannot reach Fly Postgres{choose}"
                    ),
                )
                .at(file.clone(), Some(*line))
                .fix("run `flycluster init --database fly`: it exports ECTO_IPV6=\"true\" in rel/env.sh.eex and the Dockerfile"),
            ),
            None => {
                let (file, line) = setup.repo_config().unwrap_or((RUNTIME_EXS.to_string(), None));
                out.push(
                    Finding::new(FindingId::EctoIpv6Runtime,
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
            Finding::problem(FindingId::EctoIpv6Value,
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
                FindingId::EctoIpv6Runtime,
                "reads ECTO_IPV6 for the repo's socket options",
            )
            .at(file, Some(line)),
        );
        return;
    }
    let build_time = setup.read_at_build_time("ECTO_IPV6");
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
            setup
                .repo_config()
                .unwrap_or((RUNTIME_EXS.to_string(), None)),
        ),
    };
    out.push(
        Finding::problem(FindingId::EctoIpv6Runtime, message)
            .at(at.0.clone(), at.1)
            .fix(format!(
                "run `flycluster init`, or in {}: {} and `socket_options: maybe_ipv6` in the Repo's config",
                at.0,
                repo_ipv6::BINDING_SHOWN
            )),
    );
}
