//! The command layer: each subcommand turns its clap arguments into the options of the operation it
//! runs ([`crate::init`], [`crate::doctor`], [`crate::verify`]), runs it, and prints the result
//! through [`crate::output`]. Only this layer and `run` know the clap types.

pub mod cookie;
pub mod doctor;
pub mod init;
pub mod man;
pub mod verify;

use crate::cli::{self, ColorChoice, DatabaseArg, Format, OutputArgs, StrategyArg};
use crate::edit::{Database, Strategy};
use crate::output::{ColorWhen, OutputOptions};

/// `--format`, `--color` and `-q` as the output knows them.
pub fn output_options(args: &OutputArgs) -> OutputOptions {
    OutputOptions {
        json: args.format == Format::Json,
        quiet: args.quiet,
        color: match args.color {
            ColorChoice::Auto => ColorWhen::Auto,
            ColorChoice::Always => ColorWhen::Always,
            ColorChoice::Never => ColorWhen::Never,
        },
    }
}

/// `--database` as the editors know it.
pub fn database(arg: DatabaseArg) -> Database {
    match arg {
        DatabaseArg::Fly => Database::Fly,
        DatabaseArg::External => Database::External,
        DatabaseArg::None => Database::None,
    }
}

/// `--strategy` as the editors know it.
pub fn strategy(arg: StrategyArg) -> Strategy {
    match arg {
        StrategyArg::DnsCluster => Strategy::DnsCluster,
        StrategyArg::Libcluster => Strategy::Libcluster,
    }
}

/// `--cookie` as init knows it.
pub fn cookie_mode(arg: cli::CookieMode) -> crate::cookie::CookieMode {
    match arg {
        cli::CookieMode::Secret => crate::cookie::CookieMode::Secret,
        cli::CookieMode::FlyToml => crate::cookie::CookieMode::FlyToml,
        cli::CookieMode::None => crate::cookie::CookieMode::None,
    }
}
