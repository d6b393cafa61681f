//! Check 9: no legacy `ENV KEY value` lines for these settings.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{DOCKERFILE, Setup};
use crate::edit::dockerfile;

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

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(lines) = &setup.dockerfile else {
        return;
    };
    let legacy: Vec<&dockerfile::EnvLine> = lines
        .iter()
        .filter(|l| l.legacy && DOCKERFILE_KEYS.contains(&l.key.as_str()))
        .collect();
    if legacy.is_empty() {
        out.push(
            Finding::ok(
                FindingId::DockerfileLegacyEnv,
                "no legacy `ENV KEY value` line for the clustering settings",
            )
            .at(DOCKERFILE, None),
        );
    }
    for l in legacy {
        out.push(
            Finding::warning(FindingId::DockerfileLegacyEnv,
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
