//! Check 4: RELEASE_DISTRIBUTION is `name`.

use crate::doctor::finding::{Finding, FindingId};
use crate::doctor::setup::Setup;
use crate::shell::{self as env_sh};

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let Some(value) = setup.release_setting("RELEASE_DISTRIBUTION") else {
        return;
    };
    let shown = value.normalized();
    if shown == "name" {
        out.push(
            Finding::ok(
                FindingId::ReleaseDistribution,
                "RELEASE_DISTRIBUTION is `name`",
            )
            .at_origin(&value.origin),
        );
        return;
    }
    let mut message = format!(
        "RELEASE_DISTRIBUTION is `{shown}` when the release boots on Fly; clustering across machines needs long names, `name`"
    );
    if let Some(var) = setup.env_var("RELEASE_DISTRIBUTION")
        && let Some(earlier) = var
            .overridden
            .iter()
            .rev()
            .find(|a| env_sh::normalized(&a.value) == "name")
    {
        message.push_str(&format!(
            " (line {} sets `name`, but line {} overrides it)",
            earlier.line,
            value.origin.line()
        ));
    }
    out.push(
        Finding::problem(FindingId::ReleaseDistribution, message)
            .at_origin(&value.origin)
            .fix("set RELEASE_DISTRIBUTION=\"name\" last, inside the Fly block"),
    );
}
