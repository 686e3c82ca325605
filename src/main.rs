//! faultline: Jepsen-style fault injection and linearizability testing.
//!
//! `main` installs the process's `tracing` subscriber (the node-log router),
//! then only parses, runs and maps the outcome to an exit code (DESIGN §3:
//! 0 valid, 1 invalid, 2 unknown, 254 bad arguments or unreadable input,
//! 255 internal error). A panic anywhere is an internal error.

mod cli;
mod explain;
mod run;
mod shrink;
mod store;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A failure here surfaces as an internal error of the first run that
    // captures node logs; other commands do not need them.
    let _ = faultline_sim::node_log::install();
    let outcome = std::panic::catch_unwind(|| cli::run(std::env::args_os()));
    let exit = match outcome {
        Ok(Ok(exit)) => exit,
        Ok(Err(err)) => {
            eprintln!("faultline: error: {:#}", err.error());
            err.exit()
        }
        // The panic hook already printed the message and location.
        Err(_) => cli::Exit::Internal,
    };
    ExitCode::from(exit.code())
}
