//! `scoped-db`: the command line. Arguments, file discovery and output formats; the analysis is
//! `scoped-db-engine`.

mod args;
mod baseline;
mod config;
mod discover;
mod emit;
mod fingerprint;
mod output;
mod rules;
mod run;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

// A run allocates many small strings and maps across threads; mimalloc (as ruff uses) halves the
// time spent in the allocator on the benchmark corpus. Without transparent huge pages, which would
// triple peak memory for a few per cent of time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run::check(&args),
        Command::Rules => rules::list(),
        Command::Explain { rule } => rules::explain(&rule),
    }
}
