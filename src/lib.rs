//! flycluster: set up an existing Phoenix project for Erlang clustering on Fly.io.
//!
//! The library holds everything; the binary in main.rs only turns [`run::run`]'s result into an exit
//! code. Layers: `cli` (clap types) → `run` (modes) → `init`/`doctor`/`verify` (operations over one in-memory
//! [`plan::Plan`]) → `edit::*` (one pure editor per file kind) → `apply` (the only writer).

pub mod apply;
pub mod cli;
pub mod commands;
pub mod cookie;
pub mod dist_ports;
pub mod doctor;
pub mod edit;
pub mod elixir;
pub mod error;
pub mod exit;
pub mod files;
pub mod init;
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
