//! The `scoped-db` command line as a library, so `scoped-db` and `cargo scoped-db` are the same
//! program: arguments, file discovery, configuration and output formats. The analysis is
//! `scoped-db-engine`.

mod args;
mod baseline;
mod config;
mod discover;
mod emit;
mod fingerprint;
mod output;
mod report;
mod rules;
mod run;
mod server;
mod settle;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Runs the command line on `args` (the program name first, as `std::env::args_os` gives it).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Check(args) => run::check(&args),
        Command::Rules => rules::list(),
        Command::Server => server::run(),
        Command::Explain { rule } => rules::explain(&rule),
    }
}

/// The arguments of `cargo scoped-db ...`: cargo runs `cargo-scoped-db scoped-db ...`; the
/// subcommand's own name is dropped so the rest reads as `scoped-db ...` does.
pub fn cargo_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args = args.into_iter();
    let mut out = vec![OsString::from("cargo scoped-db")];
    args.next();
    let mut rest = args.peekable();
    if rest.peek().is_some_and(|a| a == "scoped-db") {
        rest.next();
    }
    out.extend(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_drops_its_subcommand_name() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            cargo_args(args(&["/bin/cargo-scoped-db", "scoped-db", "check", "src"])),
            args(&["cargo scoped-db", "check", "src"])
        );
        // Run directly, as `cargo-scoped-db check`.
        assert_eq!(
            cargo_args(args(&["cargo-scoped-db", "check"])),
            args(&["cargo scoped-db", "check"])
        );
    }
}
