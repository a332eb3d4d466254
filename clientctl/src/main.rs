//! The `clientctl` binary: parses the command line, runs one command, prints its result
//! (stdout) or its error (stderr) and exits with the error's code.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser as _;
use clientctl::cli::Cli;
use clientctl::error::{CtlError, EXIT_USAGE};
use clientctl::output::render_error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let format = cli.output;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CtlError::Local(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(clientctl::run(cli, now)));
    match result {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", report.render(format));
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr().lock(), "{}", render_error(&error, format));
            ExitCode::from(error.exit_code())
        }
    }
}
