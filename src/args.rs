//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Catch database connections and transactions that escape the scope that manages them.
#[derive(Debug, Parser)]
#[command(name = "scoped-db", version = env!("SCOPED_DB_VERSION"), about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Rust and Python sources under the given paths.
    ///
    /// Exit status: 0 when nothing was reported, 1 when findings were reported, 2 when the run
    /// could not do its job fully (bad arguments, or a file that could not be read or parsed; every
    /// other file is still checked).
    Check(Box<CheckArgs>),
    /// List the rules: code, name, default severity and what each reports.
    Rules,
    /// Run the language server (LSP over standard input and output) for editors.
    Server,
    /// Print a rule's documentation: what it does, why it is bad, an example and the fix.
    Explain {
        /// A rule code (`SDB003`) or name (`leaked-handle`, `leaked_handle`).
        rule: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check; `-` reads one file from standard input (with
    /// `--stdin-filename`). Directories are walked the way git sees them (`.gitignore`, `.ignore`,
    /// `.git/info/exclude`, the global excludes file), skipping `target/`, hidden directories and
    /// (unless `--include-tests`) `tests/`, `benches/` and `examples/`; files named here are
    /// always checked.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Check the paths given in the context of the project under this directory: declarations
    /// and function summaries come from every file under it (walked as a path is), findings and
    /// errors are reported only for the paths given. For pre-commit and editors, which pass a few
    /// files of a project: a staged wrapper of an unstaged helper is still reported.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output (replaced atomically; never a
    /// file being checked).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output_file: Option<PathBuf>,

    /// Check source read from standard input as if it were this file: its language, its
    /// configuration and the name findings carry come from this path. Give `-` as the path.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Do not read `.gitignore`, `.ignore` or git's exclude files when walking directories.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip files and directories matching these globs while walking (added to the
    /// configuration's `exclude` and `extend-exclude`; comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than this (bytes, or with a unit: 500K, 64M, 1G; KiB-based), reported as
    /// skipped, not as errors.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Follow symbolic links while walking directories.
    #[arg(long)]
    pub follow_links: bool,

    /// Report only findings that are not in this baseline (written by `--write-baseline`).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Write every current finding to this baseline file, and exit 0 unless a file could not be
    /// checked.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Exit 0 even when findings are reported (2 still means a file could not be checked).
    #[arg(long)]
    pub exit_zero: bool,

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

    /// Apply the configuration's `exclude` and `--exclude` to files and directories named on the
    /// command line too (pre-commit names every staged file, excluded or not).
    #[arg(long)]
    pub force_exclude: bool,

    /// Count the findings per rule: with `human` or `short`, a table of the counts instead of the
    /// findings; with `json`, the counts in `summary.statistics` as well.
    #[arg(long)]
    pub statistics: bool,

    /// Parse every file, not only those whose text can matter (the findings are the same; this is
    /// slower, and reports a syntax error in any file).
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
    /// Source snippets with labels, for people (`full` is the same).
    #[value(alias = "full")]
    Human,
    /// `path:line:column: CODE message`, one line per finding, for editors and grep (`concise` is
    /// the same).
    #[value(alias = "concise")]
    Short,
    /// One JSON document (see CONTRACT.md), for tools.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// GitLab Code Quality JSON (`artifacts:reports:codequality`): findings in merge requests.
    Gitlab,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// A size in bytes: a number, optionally followed by K, M or G (powers of 1024; `KB`, `KiB`,
/// `MB`, `MiB`... read the same).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 1048576, 500K, 64M, 1G)"))?;
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{unit}` is not a size unit (B, K, M or G)")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_and_without_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("500K"), Ok(500 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1 GB"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
