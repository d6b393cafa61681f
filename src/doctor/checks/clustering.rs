//! Check 6: the clustering child, its config and its dependency agree.

use crate::doctor::finding::{Finding, FindingId, Severity};
use crate::doctor::setup::Setup;
use crate::edit::application;
use crate::edit::{Strategy, deps};

/// The library's dependency: ok, or a problem saying what cannot start without it.
pub(super) fn dependency(
    setup: &Setup,
    library: Strategy,
    id: FindingId,
    missing: &str,
    fix: &str,
) -> Finding {
    let mix = setup.project.mix_exs();
    let finding = if setup.dep_in_umbrella(library) {
        Finding::ok(id, format!("depends on {}", deps::wanted_dep(library).0))
    } else {
        Finding::problem(id, missing).fix(fix)
    };
    finding.at(mix, None)
}

pub(super) fn check(setup: &Setup, out: &mut Vec<Finding>) {
    let started = setup.started();
    let libcluster = setup.dep_of_app(Strategy::Libcluster) || started.cluster_supervisor.is_some();
    let dns_cluster = setup.dep_of_app(Strategy::DnsCluster) || started.dns_cluster.is_some();
    let strategy = setup.default_strategy();
    if let Some((line, message)) = started.both_started() {
        out.push(
            Finding::warning(FindingId::ClusteringBothStarted, message)
                .at(setup.app_file(), Some(line))
                .fix(application::BOTH_STARTED_FIX),
        );
    }
    let (mut dns, mut lib) = (Vec::new(), Vec::new());
    if dns_cluster || (!libcluster && strategy == Strategy::DnsCluster) {
        super::dns_cluster::check(setup, &mut dns);
    }
    if libcluster {
        super::libcluster::check(setup, &mut lib);
    }
    if !dns.is_empty() && !lib.is_empty() {
        // Both libraries are there (started, or a dependency): what one lacks stops nothing while
        // the other forms the cluster. The one the application starts alone is the one in use;
        // with both or neither started, the one that is set up.
        let set_up =
            |findings: &[Finding]| findings.iter().all(|f| f.severity != Severity::Problem);
        let (dns_started, lib_started) = (
            started.dns_cluster.is_some(),
            started.cluster_supervisor.is_some(),
        );
        let (working, other) = if dns_started && !lib_started {
            ("DNSCluster, which the application starts,", &mut lib)
        } else if lib_started && !dns_started {
            ("libcluster, which the application starts,", &mut dns)
        } else if set_up(&dns) {
            ("DNSCluster is set up and", &mut lib)
        } else if set_up(&lib) {
            ("libcluster is set up and", &mut dns)
        } else {
            ("", &mut Vec::new())
        };
        for finding in other.iter_mut().filter(|f| f.severity == Severity::Problem) {
            finding.severity = Severity::Warning;
            finding
                .message
                .push_str(&format!(" ({working} forms the cluster)"));
        }
    }
    out.extend(dns);
    out.extend(lib);
}
