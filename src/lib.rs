//! flycluster: set up an existing Phoenix project for Erlang clustering on Fly.io.
//!
//! The library holds everything; the binary in main.rs only turns [`run::run`]'s result into an exit
//! status. Layers: `cli` (clap types) → `run` and `commands` (each subcommand's arguments into its
//! operation's options) → `init`/`doctor`/`verify` (operations; init's over one in-memory
//! [`plan::Plan`]) → `project`, `shell`, `elixir` (detection and the shared models) → `edit::*` (one
//! pure editor per file kind) → `apply` (the only writer). Everything printed goes through
//! `output`; every exit status is an [`exit::Exit`]. README.md's Architecture section walks a run
//! through them.

pub mod apply;
pub mod boot;
pub mod cli;
pub mod commands;
pub mod cookie;
pub mod dist_ports;
pub mod doctor;
pub mod edit;
pub mod elixir;
pub mod error;
pub mod exit;
pub mod facts;
pub mod files;
pub mod init;
pub mod model;
pub mod output;
pub mod plan;
pub mod preview;
pub mod project;
pub mod prompt;
pub mod report;
pub mod run;
pub mod shell;
pub mod templates;
pub mod textfile;
pub mod verify;
