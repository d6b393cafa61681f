//! Questions at a terminal, through dialoguer. Nothing here runs without a terminal: the caller
//! refuses first, so the tool never waits for input that cannot come.

use crate::cookie::CookieMode;
use crate::edit::Database;
use crate::error::{Error, Result};
use crate::project::validate_fly_app;
use dialoguer::console::{Key, Term};
use dialoguer::theme::{ColorfulTheme, Theme};
use dialoguer::{Input, Select};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Both ends a person would use are a terminal.
pub fn has_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Colour the questions as the rest of the output is coloured on stderr (`--color`, `NO_COLOR`):
/// dialoguer would otherwise decide for itself, and it does not read `NO_COLOR`.
pub fn set_colors(on: bool) {
    dialoguer::console::set_colors_enabled_stderr(on);
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

/// The per-file menu: its items, the key that answers each, and what the key does (for `?`).
const FILE_CHOICES: [(FileAnswer, char, &str, &str); 4] = [
    (FileAnswer::Yes, 'y', "yes", "apply this change"),
    (
        FileAnswer::No,
        'n',
        "no (skip this file)",
        "skip this file; it stays as it is",
    ),
    (
        FileAnswer::All,
        'a',
        "all (this and every remaining file)",
        "apply this change and every remaining one without asking",
    ),
    (
        FileAnswer::Quit,
        'q',
        "quit (write nothing)",
        "quit: nothing is written, not even files already accepted",
    ),
];

/// Ask about one file's diff: a menu that arrow keys (or j/k) and Enter answer, as dialoguer's
/// `Select` does, and that single keys answer at once, as `git add -p` does: `y`, `n`, `a`, `q`,
/// and `?` for what each means.
pub fn ask_file(path: &str) -> Result<FileAnswer> {
    check_interrupted()?;
    let term = Term::stderr();
    let theme = ColorfulTheme::default();
    let keys: String = FILE_CHOICES.iter().map(|(_, k, _, _)| *k).collect();
    let prompt = format!("Apply this change to {path}? [{}]", with_commas(&keys));
    let answer =
        file_menu(&term, &theme, &prompt).map_err(|e| interrupted(dialoguer::Error::IO(e)))?;
    Ok(answer)
}

fn with_commas(keys: &str) -> String {
    keys.chars()
        .chain(['?'])
        .map(String::from)
        .collect::<Vec<_>>()
        .join(",")
}

fn file_menu(term: &Term, theme: &dyn Theme, prompt: &str) -> std::io::Result<FileAnswer> {
    let mut sel = 0;
    let mut help = false;
    let mut shown = 0;
    term.hide_cursor()?;
    loop {
        let mut text = String::new();
        let mut line = |write: &dyn Fn(&mut String) -> std::fmt::Result| {
            let mut one = String::new();
            let _ = write(&mut one);
            text.push_str(&one);
            text.push('\n');
        };
        line(&|f| theme.format_select_prompt(f, prompt));
        if help {
            for (_, key, _, meaning) in FILE_CHOICES {
                line(&|f| std::fmt::Write::write_fmt(f, format_args!("  {key} - {meaning}")));
            }
            line(&|f| std::fmt::Write::write_str(f, "  ? - print this help"));
        }
        for (i, (_, _, item, _)) in FILE_CHOICES.iter().enumerate() {
            line(&|f| theme.format_select_prompt_item(f, item, i == sel));
        }
        term.clear_last_lines(shown)?;
        term.write_str(&text)?;
        term.flush()?;
        shown = text.lines().count();
        let answer = match term.read_key()? {
            Key::ArrowDown | Key::Tab | Key::Char('j') => {
                sel = (sel + 1) % FILE_CHOICES.len();
                None
            }
            Key::ArrowUp | Key::BackTab | Key::Char('k') => {
                sel = (sel + FILE_CHOICES.len() - 1) % FILE_CHOICES.len();
                None
            }
            Key::Enter | Key::Char(' ') => Some(sel),
            Key::Char('?') => {
                help = !help;
                None
            }
            Key::Char(c) => FILE_CHOICES
                .iter()
                .position(|(_, key, _, _)| *key == c.to_ascii_lowercase()),
            _ => None,
        };
        if let Some(i) = answer {
            term.clear_last_lines(shown)?;
            let mut done = String::new();
            let _ = theme.format_select_prompt_selection(&mut done, prompt, FILE_CHOICES[i].2);
            term.write_line(&done)?;
            term.show_cursor()?;
            term.flush()?;
            return Ok(FILE_CHOICES[i].0);
        }
    }
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
