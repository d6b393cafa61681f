//! The `flycluster` binary: exit code from `run()`; nothing else.

fn main() -> std::process::ExitCode {
    flycluster::run::run().into()
}
