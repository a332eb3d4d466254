//! The command line: every command, its options and how they are checked.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use shared::mtls::cert::ClientIdRule;
use shared::mtls::registry::Status;

use crate::output::Format;

/// The client-certificate lifecycle of the mTLS authorizer: CA, issue, register, rotate,
/// revoke. Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict, 4 registry, 5 local file or key.
#[derive(Debug, Parser)]
#[command(name = "clientctl", version, propagate_version = true)]
pub struct Cli {
    /// State directory: CA keys and certificates, issued client keys and certificates
    #[arg(long, global = true, env = "CLIENTCTL_DIR", default_value = ".clientctl")]
    pub dir: PathBuf,
    /// The registry table
    #[arg(long, global = true, env = "AUTHZ_REGISTRY_TABLE")]
    pub table: Option<String>,
    /// DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else the region's endpoint)
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Where the authorizer reads the client_id: subject_cn, or uri_san:<prefix>
    #[arg(long, global = true, env = "AUTHZ_MTLS_CLIENT_ID_FROM", default_value = "subject_cn", value_name = "RULE", value_parser = ClientIdRule::parse)]
    pub client_id_from: ClientIdRule,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The certificate authority
    #[command(subcommand)]
    Ca(CaCommand),
    /// Issue a key and certificate for a client and register it active
    Issue(IssueArgs),
    /// Register a certificate issued elsewhere
    Import(ImportArgs),
    /// Pin a registered certificate: write its SHA-256 into its item, which an item needs
    /// before the authorizer allows it (AUTHZ_MTLS_REQUIRE_CERT_PIN, on by default)
    Pin(PinArgs),
    /// Revoke one certificate (from active or suspended)
    Revoke(RevokeArgs),
    /// Suspend one certificate (from active): the authorizer answers 403
    Suspend(KeyArgs),
    /// Resume one suspended certificate
    Resume(KeyArgs),
    /// Issue a new certificate; the client's active ones stay valid only for the overlap
    Rotate(RotateArgs),
    /// List registered certificates
    List(ListArgs),
    /// Show a client's certificates, or one of them
    Show(ShowArgs),
    /// The PEM bundle (root and intermediate) for API Gateway's mTLS truststore
    Truststore(TruststoreArgs),
    /// The registry table itself (local servers)
    #[command(subcommand)]
    Table(TableCommand),
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a root CA and an intermediate (issuing) CA signed by it
    Init(CaInitArgs),
}

#[derive(Debug, Subcommand)]
pub enum TableCommand {
    /// Create the registry table (on-demand, TTL on expires_at); production tables come from infra/
    Create,
}

#[derive(Debug, Args)]
pub struct CaInitArgs {
    /// Organisation in the CA subjects (O=ORG, CN=ORG Root CA / ORG Issuing CA)
    #[arg(long, default_value = "clientctl")]
    pub org: String,
    #[arg(long, default_value_t = 3650, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub root_days: u32,
    #[arg(long, default_value_t = 1825, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub intermediate_days: u32,
}

/// What the registry item of a new certificate carries besides its key.
#[derive(Debug, Args)]
pub struct Grants {
    /// Tenant, copied to the authorizer context
    #[arg(long, value_parser = word)]
    pub tenant: Option<String>,
    /// A scope, copied to the authorizer context (repeat for several)
    #[arg(long = "scope", value_name = "SCOPE", value_parser = word)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The client, as the authorizer's client_id rule reads it from the certificate
    #[arg(long)]
    pub client_id: String,
    #[command(flatten)]
    pub grants: Grants,
    /// Validity in days
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The client, as the authorizer's client_id rule reads it from the certificate
    #[arg(long)]
    pub client_id: String,
    /// The certificate (one PEM CERTIFICATE block)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    #[command(flatten)]
    pub grants: Grants,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// The registered certificate (one PEM CERTIFICATE block); its client_id and serial name
    /// the item
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The client, as the authorizer's client_id rule reads it from the certificate
    #[arg(long)]
    pub client_id: String,
    /// Serial: hex, colons and upper case accepted (decimal is not)
    #[arg(long, value_parser = canonical_serial)]
    pub serial: String,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Why (recorded as revoked_reason)
    #[arg(long, value_parser = reason)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The client, as the authorizer's client_id rule reads it from the certificate
    #[arg(long)]
    pub client_id: String,
    /// How long the replaced certificates stay valid (0 revokes them at once)
    #[arg(long, default_value = "24h", value_parser = crate::duration::parse_secs)]
    pub overlap: u64,
    /// Validity of the new certificate in days
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Tenant and scopes of the new certificate (default: those of the newest active one)
    #[command(flatten)]
    pub grants: Grants,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this client's certificates
    #[arg(long)]
    pub client_id: Option<String>,
    /// Only items with this stored status: active, suspended or revoked
    #[arg(long, value_parser = status)]
    pub status: Option<Status>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The client, as the authorizer's client_id rule reads it from the certificate
    #[arg(long)]
    pub client_id: String,
    /// Only this certificate (hex serial)
    #[arg(long, value_parser = canonical_serial)]
    pub serial: Option<String>,
}

#[derive(Debug, Args)]
pub struct TruststoreArgs {
    /// Write the bundle here instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The canonical serial (lower-case hex, no separators or leading zeros) of a serial written
/// in hex, with or without colons.
pub fn canonical_serial(text: &str) -> Result<String, String> {
    let s = text.trim();
    let digits: String = if s.contains(':') {
        if !s.split(':').all(|g| g.len() == 2) {
            return Err(format!("expected hex such as 1a2b3c or 1a:2b:3c, got {text:?}"));
        }
        s.replace(':', "")
    } else {
        s.to_owned()
    };
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("expected hex such as 1a2b3c or 1a:2b:3c, got {text:?}"));
    }
    let trimmed = digits.trim_start_matches('0').to_ascii_lowercase();
    Ok(if trimmed.is_empty() { "0".to_owned() } else { trimmed })
}

/// A tenant or scope: 1 to 128 printable characters without spaces (the authorizer context
/// joins scopes with spaces).
fn word(text: &str) -> Result<String, String> {
    let ok = !text.is_empty() && text.len() <= 128 && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(text.to_owned()) } else { Err(format!("expected 1 to 128 characters without spaces, got {text:?}")) }
}

fn reason(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.len() > 256 || t.chars().any(char::is_control) {
        return Err(format!("expected 1 to 256 printable characters, got {text:?}"));
    }
    Ok(t.to_owned())
}

fn status(text: &str) -> Result<Status, String> {
    Status::parse(text).ok_or_else(|| format!("expected active, suspended or revoked, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Result<&str, ()>) {
        assert_eq!(canonical_serial(text).map_err(|_| ()), expected.map(str::to_owned), "{text:?}");
    }

    #[test]
    fn serials() {
        check("1a2b", Ok("1a2b"));
        check("001A2B", Ok("1a2b"));
        check("00:1a:2b", Ok("1a2b"));
        check("0", Ok("0"));
        check("00:00", Ok("0"));
        for bad in ["", "0x1a", "1:a", "1a::2b", "g1", "1a 2b", &"f".repeat(65)] {
            check(bad, Err(()));
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
