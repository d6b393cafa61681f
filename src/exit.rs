//! The exit status of a run: one meaning per code, the same for every command, so a script can act
//! on it without reading the output.

/// What `flycluster`'s exit status tells the script or CI job that ran it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, or nothing to do (doctor: no problem, warnings allowed; verify: every started node
    /// sees every other).
    Done,
    /// 1: not there yet: `init --check` found changes to make, doctor found a problem, or verify
    /// found nodes that do not see each other.
    Incomplete,
    /// 2: bad usage or bad input; nothing was written.
    BadInput,
    /// 3: the files were written, but some step must be done by hand (each one is listed).
    ManualSteps,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Incomplete => 1,
            Exit::BadInput => 2,
            Exit::ManualSteps => 3,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_meaning_has_its_code() {
        let codes: Vec<u8> = [
            Exit::Done,
            Exit::Incomplete,
            Exit::BadInput,
            Exit::ManualSteps,
        ]
        .into_iter()
        .map(Exit::code)
        .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
