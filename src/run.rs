//! The command line into work: parse it, hand each subcommand to the command layer
//! ([`crate::commands`]), and turn the result into an exit status, printing the error that stopped
//! the run the way that command prints (so `--color` holds for errors too).

use crate::cli::{Cli, Command};
use crate::commands::{self, output_options};
use crate::exit::Exit;
use crate::output::{Output, OutputOptions};
use clap::Parser;

pub fn run() -> Exit {
    let cli = Cli::parse();
    let out = Output::new(match &cli.command {
        Command::Init(args) => output_options(&args.output),
        Command::Doctor(args) => output_options(&args.output),
        Command::Verify(args) => output_options(&args.output),
        Command::Cookie(_) | Command::Completions { .. } | Command::Man => OutputOptions::default(),
    });
    let result = match cli.command {
        Command::Init(args) => commands::init::run(args, &out),
        Command::Doctor(args) => commands::doctor::run(args, &out),
        Command::Verify(args) => commands::verify::run(args, &out),
        Command::Cookie(args) => commands::cookie::run(args),
        Command::Completions { shell } => commands::man::completions(shell),
        Command::Man => commands::man::run(),
    };
    result.unwrap_or_else(|e| {
        out.error(&e);
        e.exit_code()
    })
}
