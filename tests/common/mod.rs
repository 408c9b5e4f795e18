//! What the command-line tests share: running the built binary as a process in a directory, and
//! the small sources they write.
#![allow(dead_code)]

pub mod lsp;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scoped-db` in `dir` and renders everything it did, for a snapshot.
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("scoped-db")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().expect("exited normally"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs `scoped-db` in `dir` with `input` on standard input.
pub fn run_with_stdin(dir: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    let out = Command::cargo_bin("scoped-db")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    (
        out.status.code().expect("exited normally"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub fn transcript(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run_in(dir, args);
    format!("exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}

pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Fields of every finding in a JSON document, joined by spaces: `pluck(doc, &["rule", "/related/0/message"])`
/// (a name, or a JSON pointer into the finding).
pub fn pluck(doc: &serde_json::Value, fields: &[&str]) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            fields
                .iter()
                .map(|field| {
                    let v = if field.starts_with('/') {
                        f.pointer(field).unwrap()
                    } else {
                        &f[*field]
                    };
                    v.as_str().unwrap().to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub const ESCAPES: &str = "use sqlx::PgPool;\n\
    pub async fn conn(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
    \x20   pool.acquire().await\n\
    }\n";

/// A Python function that returns the connection of its `async with`, as in the seed.
pub const PY_ESCAPES: &str = "from sqlalchemy.ext.asyncio import create_async_engine\n\
\n\
engine = create_async_engine(\"postgresql+asyncpg://localhost/db\")\n\
\n\
async def open_conn():\n\
\x20   async with engine.begin() as conn:\n\
\x20       return conn\n";

pub fn json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run_in(dir, &all);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, doc)
}
