//! Questions at a terminal, through dialoguer. Nothing here runs without a terminal: the caller
//! refuses first, so the tool never waits for input that cannot come.

use crate::cli::CookieMode;
use crate::error::{Error, Result};
use crate::init::validate_fly_app;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Input, Select};
use std::io::IsTerminal;

/// Both ends a person would use are a terminal.
pub fn has_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn interrupted(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(_) => Error::Interrupted,
    }
}

pub fn ask_fly_app(default: &str) -> Result<String> {
    Input::<String>::with_theme(&ColorfulTheme::default())
        .with_prompt("Fly app name")
        .default(default.to_string())
        .validate_with(|s: &String| validate_fly_app(s).map_err(|e| e.to_string()))
        .interact_text()
        .map_err(interrupted)
}

pub fn ask_cookie_mode() -> Result<CookieMode> {
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

/// The answer for one file's diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAnswer {
    Yes,
    No,
    All,
    Quit,
}

pub fn ask_file(path: &str) -> Result<FileAnswer> {
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
    Ok([FileAnswer::Yes, FileAnswer::No, FileAnswer::All, FileAnswer::Quit][i])
}

/// For a very long diff: show it here, or write it to a file to read elsewhere.
pub fn ask_long_diff(path: &str, lines: usize) -> Result<bool> {
    let i = Select::with_theme(&ColorfulTheme::default())
        .with_prompt(format!("The diff of {path} changes {lines} lines"))
        .items(["show it here", "write it to a file instead"])
        .default(1)
        .interact()
        .map_err(interrupted)?;
    Ok(i == 0)
}
