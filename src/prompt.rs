//! Questions at a terminal, through dialoguer. Nothing here runs without a terminal: the caller
//! refuses first, so the tool never waits for input that cannot come.

use crate::cli::CookieMode;
use crate::edit::Database;
use crate::error::{Error, Result};
use crate::init::validate_fly_app;
use dialoguer::console::Term;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Input, Select};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Both ends a person would use are a terminal.
pub fn has_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Set by Ctrl-C; read before each prompt and before anything is written.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Turn Ctrl-C into [`Error::Interrupted`] instead of death by SIGINT: console raises SIGINT when it
/// reads ^C at a prompt, and the default action would leave the cursor dialoguer hid hidden, and,
/// outside a prompt, could stop a run half-way through writing its files.
pub fn catch_interrupts() {
    // An error only means a handler is already installed (a second run in one process).
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// `Err(Error::Interrupted)` once Ctrl-C was pressed.
pub fn check_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// A prompt failed: Ctrl-C (console reports it as an interrupted read), or the terminal went away.
/// Either way nothing is written; the cursor comes back and the error starts on a fresh line.
fn interrupted(e: dialoguer::Error) -> Error {
    let term = Term::stderr();
    let _ = term.show_cursor();
    let _ = term.write_line("");
    match e {
        dialoguer::Error::IO(_) => Error::Interrupted,
    }
}

pub fn ask_fly_app(default: &str) -> Result<String> {
    check_interrupted()?;
    Input::<String>::with_theme(&ColorfulTheme::default())
        .with_prompt("Fly app name")
        .default(default.to_string())
        .validate_with(|s: &String| validate_fly_app(s).map_err(|e| e.to_string()))
        .interact_text()
        .map_err(interrupted)
}

pub fn ask_cookie_mode() -> Result<CookieMode> {
    check_interrupted()?;
    let choices = [
        "Fly secret (recommended): print the `fly secrets set` command",
        "fly.toml [env]: written into fly.toml (visible to anyone with the repo)",
        "none: I manage RELEASE_COOKIE myself",
    ];
    let i = Select::with_theme(&ColorfulTheme::default())
        .with_prompt("Release cookie")
        .items(choices)
        .default(0)
        .interact()
        .map_err(interrupted)?;
    Ok([CookieMode::Secret, CookieMode::FlyToml, CookieMode::None][i])
}

pub fn ask_database(default: Database) -> Result<Database> {
    check_interrupted()?;
    let choices = [
        (
            Database::Fly,
            "on Fly (Fly Postgres, Managed Postgres): set ECTO_IPV6, the Repo connects over IPv6",
        ),
        (
            Database::External,
            "outside Fly (IPv4): no ECTO_IPV6, the Repo connects over IPv4",
        ),
        (
            Database::None,
            "no database: leave ECTO_IPV6 and the Repo alone",
        ),
    ];
    let i = Select::with_theme(&ColorfulTheme::default())
        .with_prompt("Where does the database live?")
        .items(choices.map(|(_, text)| text))
        .default(choices.iter().position(|(d, _)| *d == default).unwrap_or(0))
        .interact()
        .map_err(interrupted)?;
    Ok(choices[i].0)
}

/// The answer for one file's diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAnswer {
    Yes,
    No,
    All,
    Quit,
}

pub fn ask_file(path: &str) -> Result<FileAnswer> {
    check_interrupted()?;
    let i = Select::with_theme(&ColorfulTheme::default())
        .with_prompt(format!("Apply this change to {path}?"))
        .items([
            "yes",
            "no (skip this file)",
            "all (this and every remaining file)",
            "quit (write nothing)",
        ])
        .default(0)
        .interact()
        .map_err(interrupted)?;
    Ok([
        FileAnswer::Yes,
        FileAnswer::No,
        FileAnswer::All,
        FileAnswer::Quit,
    ][i])
}

/// For a very long diff: show it here, or write it to a file to read elsewhere.
pub fn ask_long_diff(path: &str, lines: usize) -> Result<bool> {
    check_interrupted()?;
    let i = Select::with_theme(&ColorfulTheme::default())
        .with_prompt(format!("The diff of {path} changes {lines} lines"))
        .items(["show it here", "write it to a file instead"])
        .default(1)
        .interact()
        .map_err(interrupted)?;
    Ok(i == 0)
}
