//! The `flycluster` binary: exit code from `run()`; nothing else.

fn main() {
    let code = match flycluster::run::run() {
        Ok(code) => code,
        Err(e) => {
            flycluster::run::print_error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
