//! `cargo scoped-db check`: the same program as `scoped-db`, reached the way clippy is.

use std::process::ExitCode;

// As in `scoped-db` (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    scoped_db_cli::main(scoped_db_cli::cargo_args(std::env::args_os()))
}
