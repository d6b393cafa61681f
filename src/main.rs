//! The `flycluster` binary: exit code from `run()`; nothing else.

fn main() -> std::process::ExitCode {
    match flycluster::run::run() {
        Ok(exit) => exit.into(),
        Err(e) => {
            flycluster::run::print_error(&e);
            e.exit_code().into()
        }
    }
}
