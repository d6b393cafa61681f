//! One module per check, each a judgement over the shared [`Setup`]; [`all`] runs them in check
//! order. The clustering check (6) has one module per library beside its own.

mod clustering;
mod cookie;
mod dns_cluster;
mod dns_cluster_query;
mod ecto_ipv6;
mod endpoint_ip;
mod env_sh;
mod erl_aflags;
mod init_pending;
mod legacy_env;
mod libcluster;
mod machines_stay_up;
mod process_groups;
mod published_ports;
mod release_distribution;
mod release_node;

use super::finding::Finding;
use super::setup::{DoctorOptions, Setup};
use crate::error::Result;

/// Every check's findings, in the order of the checks. Errors are bad input, as init reports it.
pub(super) fn all(setup: &Setup, opts: &DoctorOptions) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    env_sh::check(setup, &mut out);
    erl_aflags::check(setup, &mut out);
    release_node::check(setup, &mut out);
    release_distribution::check(setup, &mut out);
    dns_cluster_query::check(setup, &mut out);
    clustering::check(setup, &mut out);
    cookie::check(setup, &mut out);
    ecto_ipv6::check(setup, &mut out);
    legacy_env::check(setup, &mut out);
    machines_stay_up::check(setup, &mut out);
    process_groups::check(setup, &mut out);
    published_ports::check(setup, &mut out)?;
    endpoint_ip::check(setup, &mut out);
    init_pending::check(setup, opts, &mut out)?;
    Ok(out)
}
