//! Check 13: the Endpoint listens where other Machines reach it.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::Setup;

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(endpoint) = setup.endpoint_ip() else {
        return;
    };
    let problem = match endpoint.normalized.as_str() {
        "{127,0,0,1}" | "{0,0,0,0,0,0,0,1}" => Some(
            "loopback: only the Machine itself reaches it, not Fly Proxy (which connects over the private IPv4 address) and not the other Machines",
        ),
        "{0,0,0,0}" => Some(
            "every IPv4 address but no IPv6 one: Fly Proxy reaches it, but the other Machines reach it over the private network (6PN) only on IPv6",
        ),
        _ => None,
    };
    match problem {
        Some(why) => out.push(
            Finding::warning(FindingId::EndpointIp,
                format!("the Endpoint's prod `http: [ip: {}]` listens on {why}", endpoint.ip),
            )
            .at(endpoint.file, Some(endpoint.line))
            .fix("`ip: {0, 0, 0, 0, 0, 0, 0, 0}` listens on IPv6 and IPv4, for Fly Proxy and the other Machines"),
        ),
        None => out.push(
            Finding::ok(FindingId::EndpointIp,
                format!("the Endpoint listens on `{}`", endpoint.ip),
            )
            .at(endpoint.file, Some(endpoint.line)),
        ),
    }
}
