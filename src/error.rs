//! One error type for the whole tool: each variant carries what the message needs and maps to an exit code.

use crate::exit::Exit;
use std::fmt;
use std::path::PathBuf;

/// Everything that stops a run. Messages are lower-case, names in backticks, no colour codes.
#[derive(Debug)]
pub enum Error {
    /// The command line does not make sense (exit 2).
    Usage {
        message: String,
        help: Option<String>,
    },
    /// A file the tool read is not something it can work with (exit 2).
    Input {
        path: PathBuf,
        line: Option<usize>,
        message: String,
        help: Option<String>,
    },
    /// A filesystem call failed (exit 2).
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// A file changed on disk between planning and writing; nothing was written (exit 2).
    Stale { path: PathBuf },
    /// A write failed half-way; files already written were put back (exit 2).
    WriteFailed {
        path: PathBuf,
        source: std::io::Error,
        restored: Vec<PathBuf>,
    },
    /// The user stopped the run at a prompt; nothing was written (exit 2... but quiet).
    Interrupted,
    /// An edit produced output that fails our own validation: a bug, never written (exit 2).
    Invalid { path: PathBuf, message: String },
    /// The fly CLI is missing, not logged in, does not know the app, or the app has no Machine to
    /// ask (verify; exit 2).
    Fly {
        message: String,
        help: Option<String>,
    },
}

impl Error {
    pub fn input(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            path: path.into(),
            line,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Usage { help, .. } | Error::Input { help, .. } | Error::Fly { help, .. } => {
                *help = Some(text.into())
            }
            _ => {}
        }
        self
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            help: None,
        }
    }

    pub fn fly(message: impl Into<String>) -> Self {
        Error::Fly {
            message: message.into(),
            help: None,
        }
    }

    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// Every error stops the run before anything is written, or puts back what was: bad usage or
    /// bad input.
    pub fn exit_code(&self) -> Exit {
        Exit::BadInput
    }

    pub fn help(&self) -> Option<&str> {
        match self {
            Error::Usage { help, .. } | Error::Input { help, .. } | Error::Fly { help, .. } => {
                help.as_deref()
            }
            Error::Stale { .. } => {
                Some("run `flycluster init` again to plan against the new content")
            }
            Error::Invalid { .. } => Some(
                "this is a bug in flycluster; please report it with the file that triggered it",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage { message, .. } | Error::Fly { message, .. } => write!(f, "{message}"),
            Error::Input {
                path,
                line: Some(line),
                message,
                ..
            } => write!(f, "`{}` line {line}: {message}", path.display()),
            Error::Input { path, message, .. } => write!(f, "`{}`: {message}", path.display()),
            Error::Io {
                path,
                action,
                source,
            } => write!(f, "could not {action} `{}`: {source}", path.display()),
            Error::Stale { path } => write!(
                f,
                "`{}` changed on disk while flycluster was running; nothing was written",
                path.display()
            ),
            Error::WriteFailed {
                path,
                source,
                restored,
            } => {
                write!(f, "could not write `{}`: {source}", path.display())?;
                if restored.is_empty() {
                    write!(f, "; no file had been written yet")
                } else {
                    let names: Vec<String> = restored
                        .iter()
                        .map(|p| format!("`{}`", p.display()))
                        .collect();
                    write!(f, "; restored {}", names.join(", "))
                }
            }
            Error::Interrupted => write!(f, "interrupted; nothing was written"),
            Error::Invalid { path, message } => write!(
                f,
                "the planned edit of `{}` does not validate ({message}); nothing was written",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
