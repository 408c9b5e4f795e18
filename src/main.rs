//! `scoped-db`: the command line (see the library for what it does).

use std::process::ExitCode;

// A run allocates many small strings and maps across threads; mimalloc (as ruff uses) halves the
// time spent in the allocator on the benchmark corpus. Without transparent huge pages, which would
// triple peak memory for a few per cent of time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    scoped_db_cli::main(std::env::args_os())
}
