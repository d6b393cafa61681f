//! Check 11: with several process groups, which ones the query reaches.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::{FLY_TOML, Setup, Value};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(toml) = &setup.fly_toml else {
        return;
    };
    if toml.processes.len() < 2 {
        out.push(
            Finding::ok(FindingId::FlyProcessGroups,
                "fly.toml runs one process group, so the query reaches the Machines that run the app",
            )
            .at(FLY_TOML, toml.processes_line),
        );
        return;
    }
    let groups: Vec<String> = toml
        .processes
        .iter()
        .map(|(g, _)| format!("`{g}`"))
        .collect();
    let app = setup.fly_app_shown();
    let query = setup.at_boot("DNS_CLUSTER_QUERY").value();
    let shown = query.as_ref().map(Value::normalized);
    if let Some(q) = &shown
        && let Some(group) = q
            .strip_suffix(&format!(".process.{app}.internal"))
            .or_else(|| q.strip_suffix(".process.${FLY_APP_NAME}.internal"))
    {
        out.push(
            Finding::ok(
                FindingId::FlyProcessGroups,
                format!("DNS_CLUSTER_QUERY `{q}` reaches only the `{group}` group's Machines"),
            )
            .at_origin(&query.as_ref().expect("shown comes from it").origin),
        );
        return;
    }
    let first = &toml.processes[0].0;
    let mut finding = Finding::warning(FindingId::FlyProcessGroups,
        format!(
            "fly.toml runs the process groups {}; the query `{app}.internal` lists the started Machines of all of them, so every group joins one cluster",
            groups.join(", ")
        ),
    )
    .fix(format!(
        "if only one group should cluster, query `<group>.process.{app}.internal` instead: DNS_CLUSTER_QUERY=\"{first}.process.${{FLY_APP_NAME}}.internal\"{}",
        match &query {
            Some(v) => format!(" where {} sets it", v.origin.describe()),
            None => String::new(),
        }
    ));
    finding = finding.at(FLY_TOML, toml.processes_line);
    out.push(finding);
}
