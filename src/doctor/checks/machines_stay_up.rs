//! Check 10: fly.toml keeps the cluster's Machines running.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{FLY_TOML, Setup};
use crate::edit::fly_toml;

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(toml) = &setup.fly_toml else {
        return;
    };
    let mut stopping = false;
    for service in &toml.services {
        let Some((auto_stop, line)) = &service.auto_stop else {
            continue;
        };
        let min = service.min_machines_running.as_ref().map_or(0, |(n, _)| *n);
        if !auto_stop.stops() || min > 0 {
            continue;
        }
        stopping = true;
        let kept = match &service.min_machines_running {
            Some((_, line)) => format!("`min_machines_running = 0`, line {line}"),
            None => "no `min_machines_running`".into(),
        };
        let verb = match auto_stop {
            fly_toml::AutoStop::Suspend => "suspend",
            _ => "stop",
        };
        out.push(
            Finding::warning(FindingId::FlyAutoStop,
                format!(
                    "`{}` has Fly {verb} idle Machines and keep none running ({kept}); `{}.internal` lists only started Machines, so when traffic stops the cluster shrinks to nothing, and a Machine a request starts boots alone",
                    service.section,
                    setup.fly_app_shown()
                ),
            )
            .at(FLY_TOML, Some(*line))
            .fix(format!(
                "set `min_machines_running = 2` (or the cluster size you want; Fly keeps them in the primary region) in `{}`, or `auto_stop_machines = 'off'`",
                service.section
            )),
        );
    }
    if !stopping {
        out.push(
            Finding::ok(
                FindingId::FlyAutoStop,
                "fly.toml does not stop the cluster's Machines when idle",
            )
            .at(FLY_TOML, None),
        );
    }
}
