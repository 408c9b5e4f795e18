//! `scoped-db`: the command line. Arguments, file discovery and output formats; the analysis is
//! `scoped-db-engine`.

mod args;
mod config;
mod discover;
mod emit;
mod rules;
mod run;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run::check(&args),
        Command::Rules => rules::list(),
        Command::Explain { rule } => rules::explain(&rule),
    }
}
