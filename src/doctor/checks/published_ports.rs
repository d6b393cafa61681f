//! Check 12: no service publishes EPMD or the distribution port.

use crate::dist_ports;
use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{FLY_TOML, Setup};
use crate::error::Result;

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) -> Result<()> {
    let Some(toml) = &setup.fly_toml else {
        return Ok(());
    };
    let pinned = dist_ports::pinned(setup);
    let published = dist_ports::published(toml, &pinned);
    for service in &published {
        let (message, fix) = dist_ports::explain(service);
        out.push(
            Finding::problem(FindingId::FlyExposesDist, message)
                .at(FLY_TOML, Some(service.line))
                .fix(fix),
        );
    }
    if published.is_empty() {
        out.push(
            Finding::ok(
                FindingId::FlyExposesDist,
                "no fly.toml service publishes EPMD (4369) or a pinned distribution port",
            )
            .at(FLY_TOML, None),
        );
    }
    Ok(())
}
