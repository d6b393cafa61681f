//! Check 5: DNS_CLUSTER_QUERY names the Fly app, `.internal`, wherever it is set.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{FLY_TOML, Origin, Setup};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    if let (Some(asked), Some((app, line))) = (
        setup.fly_app.as_ref(),
        setup.fly_toml.as_ref().and_then(|t| t.app.as_ref()),
    ) && asked != app
    {
        out.push(
                Finding::warning(FindingId::FlyAppMismatch,
                    format!(
                        "fly.toml's `app` is `{app}`, but doctor checks against `--app {asked}`; `fly deploy` deploys `{app}` unless it is given `--app`"
                    ),
                )
                .at(FLY_TOML, Some(*line))
                .fix(format!("set `app = '{asked}'` in fly.toml, or deploy with `fly deploy --app {asked}`")),
            );
    }
    let Some(value) = setup.at_boot("DNS_CLUSTER_QUERY").value() else {
        return;
    };
    let expected = setup.expected_query();
    let shown = value.normalized();
    let fly_entry = setup
        .fly_toml
        .as_ref()
        .and_then(|t| t.env("DNS_CLUSTER_QUERY"))
        .filter(|e| e.value.is_some());
    let boot_from_env_sh = matches!(value.origin, Origin::EnvSh(_));

    match setup.query_fits(&shown) {
        Some(false) => {
            let mut message = format!(
                "DNS_CLUSTER_QUERY is `{shown}` when the release boots, but the Fly app's nodes are found at `{expected}`"
            );
            if boot_from_env_sh
                && let Some(entry) = fly_entry {
                    let fly_value = entry.value.as_deref().unwrap_or_default();
                    if setup.query_fits(fly_value) == Some(true) {
                        message.push_str(&format!(
                            "; fly.toml line {} has the right `{fly_value}`, but env.sh.eex runs after Fly sets the environment, so its value wins",
                            entry.line
                        ));
                    }
                }
            out.push(
                Finding::problem(FindingId::DnsClusterQuery, message)
                    .at_origin(&value.origin)
                    .fix("set DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\" in env.sh.eex and `<app>.internal` in fly.toml"),
            );
            return;
        }
        None => out.push(
            Finding::warning(FindingId::DnsClusterQuery,
                format!(
                    "DNS_CLUSTER_QUERY is `{shown}`; with no fly.toml `app` (or `--app`), doctor cannot check that it names the Fly app"
                ),
            )
            .at_origin(&value.origin)
            .fix("use `${FLY_APP_NAME}.internal` in env.sh.eex, or pass `--app NAME`"),
        ),
        Some(true) => out.push(
            Finding::ok(FindingId::DnsClusterQuery,
                format!("DNS_CLUSTER_QUERY is `{shown}` when the release boots"),
            )
            .at_origin(&value.origin),
        ),
    }

    // Both set: a disagreement is harmless at boot (env.sh.eex wins), but misleading.
    if boot_from_env_sh && let Some(entry) = fly_entry {
        let fly_value = entry.value.as_deref().unwrap_or_default();
        if setup.query_fits(fly_value) == Some(false) {
            out.push(
                    Finding::warning(FindingId::DnsClusterQueryMismatch,
                        format!(
                            "fly.toml sets DNS_CLUSTER_QUERY = `{fly_value}`, but {} sets `{shown}`; env.sh.eex runs after Fly sets the environment, so `{shown}` wins at boot and fly.toml's value is never used",
                            value.origin.describe()
                        ),
                    )
                    .at(FLY_TOML, Some(entry.line))
                    .fix(format!("set DNS_CLUSTER_QUERY = '{expected}' in fly.toml")),
                );
        }
    }
}
