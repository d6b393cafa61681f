//! flycluster: set up an existing Phoenix project for Erlang clustering on Fly.io.
//! `main` only turns `run`'s result into an exit code.

mod apply;
mod cli;
mod cookie;
mod doctor;
mod edit;
mod elixir;
mod error;
mod files;
mod init;
mod plan;
mod preview;
mod project;
mod prompt;
mod report;
mod run;
mod templates;
mod textfile;

fn main() {
    let code = match run::run() {
        Ok(code) => code,
        Err(e) => {
            run::print_error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
