//! clientctl's errors: one variant per exit code, so scripts can tell the cases apart.
//!
//! | exit | kind | meaning |
//! |---|---|---|
//! | 0 | | done |
//! | 1 | `usage` | bad arguments, or an input that breaks a rule: a certificate whose client_id does not follow the rule, an expired or a CA certificate |
//! | 2 | `not_found` | no such client or certificate in the registry |
//! | 3 | `conflict` | duplicate serial, a status that does not allow the change, a concurrent change by someone else, an existing CA or table |
//! | 4 | `registry` | registry unreachable, table missing, throttled, or an unusable answer |
//! | 5 | `local` | a local file or key: missing, unreadable, malformed, not writable |

/// Exit status of a successful command.
pub const EXIT_OK: u8 = 0;
pub const EXIT_USAGE: u8 = 1;
pub const EXIT_NOT_FOUND: u8 = 2;
pub const EXIT_CONFLICT: u8 = 3;
pub const EXIT_REGISTRY: u8 = 4;
pub const EXIT_LOCAL: u8 = 5;

/// Why a command failed. Messages are lower case and name the input they are about.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CtlError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Registry(String),
    #[error("{0}")]
    Local(String),
}

impl CtlError {
    pub const fn exit_code(&self) -> u8 {
        match self {
            CtlError::Usage(_) => EXIT_USAGE,
            CtlError::NotFound(_) => EXIT_NOT_FOUND,
            CtlError::Conflict(_) => EXIT_CONFLICT,
            CtlError::Registry(_) => EXIT_REGISTRY,
            CtlError::Local(_) => EXIT_LOCAL,
        }
    }

    /// The stable name of the error's class, as `--output json` prints it.
    pub const fn kind(&self) -> &'static str {
        match self {
            CtlError::Usage(_) => "usage",
            CtlError::NotFound(_) => "not_found",
            CtlError::Conflict(_) => "conflict",
            CtlError::Registry(_) => "registry",
            CtlError::Local(_) => "local",
        }
    }
}

pub type Result<T> = std::result::Result<T, CtlError>;
