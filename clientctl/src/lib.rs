//! clientctl: the client-certificate lifecycle of the mTLS authorizer, from the CA to
//! revocation, against the DynamoDB client registry.
//!
//! [`cli`] parses the command line, [`run`] dispatches to [`commands`] (reads, CA,
//! truststore) and [`lifecycle`] (registry writes); [`ca`] makes keys and certificates,
//! [`state`] keeps them on disk, [`registry`] reads and conditionally writes the table
//! through the item format of `shared::mtls::registry`, and [`output`] prints text or JSON.
//! Every failure is a [`error::CtlError`] whose variant is the exit code.

pub mod ca;
pub mod cli;
pub mod commands;
pub mod duration;
pub mod error;
pub mod lifecycle;
pub mod output;
pub mod registry;
pub mod state;

use cli::{CaCommand, Cli, Command, TableCommand};
use commands::Context;
use lifecycle::Action;
use output::Report;
use state::State;

/// Runs one command at `now` (Unix seconds).
pub async fn run(cli: Cli, now: u64) -> error::Result<Report> {
    let ctx = Context {
        state: State::new(cli.dir),
        table: cli.table,
        endpoint_url: cli.endpoint_url,
        rule: cli.client_id_from,
        now,
    };
    match &cli.command {
        Command::Ca(CaCommand::Init(args)) => commands::ca_init(&ctx, args),
        Command::Issue(args) => lifecycle::issue(&ctx, args).await,
        Command::Import(args) => lifecycle::import(&ctx, args).await,
        Command::Pin(args) => lifecycle::pin(&ctx, args).await,
        Command::Revoke(args) => {
            lifecycle::change_status(&ctx, &args.key, &Action::Revoke { reason: args.reason.clone() }).await
        }
        Command::Suspend(key) => lifecycle::change_status(&ctx, key, &Action::Suspend).await,
        Command::Resume(key) => lifecycle::change_status(&ctx, key, &Action::Resume).await,
        Command::Rotate(args) => lifecycle::rotate(&ctx, args).await,
        Command::List(args) => commands::list(&ctx, args).await,
        Command::Show(args) => commands::show(&ctx, args).await,
        Command::Truststore(args) => commands::truststore(&ctx, args),
        Command::Table(TableCommand::Create) => commands::table_create(&ctx).await,
    }
}
