//! Check 12: no service publishes EPMD or the distribution port.

use crate::dist_ports;
use crate::doctor::finding::*;
use crate::doctor::inputs::*;
use crate::error::Result;

impl Inputs<'_> {
    pub(in crate::doctor) fn check_published_ports(&self, out: &mut Vec<Finding>) -> Result<()> {
        let Some(toml) = &self.fly_toml else {
            return Ok(());
        };
        let pinned = dist_ports::pinned(self.project, Some(toml))?;
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
}
