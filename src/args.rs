//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Catch database connections and transactions that escape the scope that manages them.
#[derive(Debug, Parser)]
#[command(name = "scoped-db", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Rust sources under the given paths.
    ///
    /// Exit status: 0 when nothing was reported, 1 when findings were reported, 2 when the run
    /// could not do its job fully (bad arguments, or a file that could not be read or parsed; every
    /// other file is still checked).
    Check(CheckArgs),
    /// List the rules: code, name, default severity and what each reports.
    Rules,
    /// Print a rule's documentation: what it does, why it is bad, an example and the fix.
    Explain {
        /// A rule code (`SDB003`) or name (`leaked-handle`, `leaked_handle`).
        rule: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check. Directories are walked, skipping `target/`, hidden
    /// directories and (unless `--include-tests`) `tests/`, `benches/` and `examples/`; files named
    /// here are always checked.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also check code that only builds for tests: `tests/`, `benches/`, `examples/`,
    /// `#[cfg(test)]` items and `#[test]` functions.
    #[arg(long)]
    pub include_tests: bool,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Read settings from this file (a `scoped-db.toml`, or a `Cargo.toml` with
    /// `[package.metadata.scoped-db]`) instead of searching upward from each path.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Report only these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Do not report these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// The lowest severity that makes the exit status 1 (overrides the configuration's `fail-on`).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Also report suppression comments that silenced nothing; they count as findings.
    #[arg(long)]
    pub report_unused_suppressions: bool,

    /// Parse every Rust file, not only those whose text can matter (the findings are the same;
    /// this is slower).
    #[arg(long)]
    pub no_prefilter: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warning,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels, for people.
    Human,
    /// One JSON document (see CONTRACT.md), for tools.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}
