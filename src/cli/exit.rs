//! Exit statuses (Jepsen's convention, DESIGN §3) and the errors that end a
//! command early.

use faultline_checker::Verdict;

/// How a command ended, as the process exit status reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked is valid (also: help or version was printed).
    Valid,
    /// Something checked is invalid.
    Invalid,
    /// A checker could not decide within its budget.
    Unknown,
    /// Bad arguments or unreadable / malformed input.
    BadInput,
    /// A bug: faultline itself failed.
    Internal,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Valid => 0,
            Exit::Invalid => 1,
            Exit::Unknown => 2,
            Exit::BadInput => 254,
            Exit::Internal => 255,
        }
    }

    /// How bad the status is: valid < unknown < invalid < bad input <
    /// internal error.
    fn severity(self) -> u8 {
        match self {
            Exit::Valid => 0,
            Exit::Unknown => 1,
            Exit::Invalid => 2,
            Exit::BadInput => 3,
            Exit::Internal => 4,
        }
    }

    /// The worse of two statuses (several files: the worst one wins).
    #[must_use]
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl From<Verdict> for Exit {
    /// The one mapping from a verdict to an exit status: 0 valid, 1 invalid,
    /// 2 unknown.
    fn from(verdict: Verdict) -> Exit {
        match verdict {
            Verdict::Valid => Exit::Valid,
            Verdict::Invalid => Exit::Invalid,
            Verdict::Unknown => Exit::Unknown,
        }
    }
}

/// An error that ends a command before it produced its results.
#[derive(Debug)]
pub enum CliError {
    /// The arguments or an input file are bad (exit 254).
    BadInput(anyhow::Error),
    /// faultline failed (exit 255).
    Internal(anyhow::Error),
}

impl CliError {
    /// The underlying error, for printing.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            CliError::BadInput(err) | CliError::Internal(err) => err,
        }
    }

    /// The exit status this error maps to.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::BadInput(_) => Exit::BadInput,
            CliError::Internal(_) => Exit::Internal,
        }
    }

    /// A bad-input error with `message`.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        CliError::BadInput(anyhow::anyhow!("{message}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_wins_in_any_order() {
        let all = [
            Exit::Valid,
            Exit::Unknown,
            Exit::Invalid,
            Exit::BadInput,
            Exit::Internal,
        ];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert_eq!(a.worst(*b), all[i.max(j)]);
            }
        }
    }

    #[test]
    fn codes_follow_jepsen() {
        assert_eq!(Exit::from(Verdict::Valid).code(), 0);
        assert_eq!(Exit::from(Verdict::Invalid).code(), 1);
        assert_eq!(Exit::from(Verdict::Unknown).code(), 2);
        assert_eq!(Exit::BadInput.code(), 254);
        assert_eq!(Exit::Internal.code(), 255);
    }
}
