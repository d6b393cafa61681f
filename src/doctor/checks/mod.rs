//! One file per check; each adds its findings to the list `diagnose` sorts.

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

pub(in crate::doctor) use ecto_ipv6::reads_env;
pub(in crate::doctor) use init_pending::check_init_pending;
