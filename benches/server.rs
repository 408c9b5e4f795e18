//! The language server's latency: from a `didChange` to the `publishDiagnostics` it causes, on a
//! generated 2,000-file Rust workspace, a generated 500-file Python application and the Python
//! benchmark corpus (bench/pypi, when fetched).
//! Each edit flips a helper between letting a connection escape and not, so every edit changes
//! the diagnostics of the edited file and of its caller in another file.
//!
//!     cargo bench --bench server

// The test suite's editor; the bench uses only part of it.
#[path = "../tests/common/lsp.rs"]
#[allow(dead_code)]
mod lsp;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

const HELPER: &str = "use sqlx::PgPool;\n\
pub async fn conn(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
\x20   pool.acquire().await\n\
}\n";

fn fixed(helper: &str) -> String {
    helper.replace(
        "    pool.acquire().await\n",
        "    let c = pool.acquire().await?;\n    drop(c);\n    unimplemented!()\n",
    )
}

/// A workspace of `n` Rust files: one in ten has a helper that lets a connection escape and a
/// caller in the next file, the rest ordinary code that uses the pool.
fn generate(root: &Path, n: usize) {
    for i in 0..n {
        let text = if i % 10 == 0 {
            HELPER.replace("fn conn(", &format!("fn conn_{i}("))
        } else if i % 10 == 1 {
            format!(
                "use crate::m{}::conn_{};\n\
                 pub async fn wrapper_{i}(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {{\n\
                 \x20   conn_{}(pool).await\n}}\n",
                i - 1,
                i - 1,
                i - 1
            )
        } else {
            format!(
                "use sqlx::PgPool;\n\
                 pub async fn count_{i}(pool: &PgPool) -> sqlx::Result<i64> {{\n\
                 \x20   let mut conn = pool.acquire().await?;\n\
                 \x20   let n: (i64,) = sqlx::query_as(\"select count(*) from t{i}\").fetch_one(&mut *conn).await?;\n\
                 \x20   Ok(n.0)\n}}\n"
            )
        };
        let path = root.join(format!("src/m{i}.rs"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A Python service module of the generated application: reads through an SQLAlchemy engine,
/// helpers imported from another module, plain data work; module 0 also has a function that lets
/// a connection escape, which the edited file calls.
fn service(i: usize, helpers: usize) -> String {
    let m = i % helpers;
    let mut text = format!(
        "from sqlalchemy import create_engine, text\n\n\
         from app.helpers_{m} import chunks_{m}, normalise_{m}\n\n\
         engine = create_engine(\"postgresql://app@localhost/app\")\n\n\n\
         def count_{i}(table):\n\
         \x20   with engine.connect() as conn:\n\
         \x20       return conn.execute(text(\"SELECT COUNT(*) FROM \" + normalise_{m}(table))).scalar()\n\n\n\
         class Repository{i}:\n\
         \x20   def __init__(self, name):\n\
         \x20       self.name = name\n\n\
         \x20   def describe(self):\n\
         \x20       return \"repository \" + self.name + \" with \" + str(count_{i}(self.name)) + \" rows\"\n"
    );
    for k in 0..4 {
        text.push_str(&format!(
            "\n\ndef report_{i}_{k}(tables):\n\
             \x20   out = []\n\
             \x20   for batch in chunks_{m}(sorted(tables), 5):\n\
             \x20       for table in batch:\n\
             \x20           with engine.begin() as conn:\n\
             \x20               out.append((table, conn.execute(text(\"SELECT 1\")).scalar()))\n\
             \x20   return out\n\n\n\
             def summary_{i}_{k}(rows):\n\
             \x20   totals = {{}}\n\
             \x20   for row in rows:\n\
             \x20       totals[row[\"kind\"]] = totals.get(row[\"kind\"], 0) + row[\"amount\"]\n\
             \x20   return sorted(totals.items(), key=lambda kv: -kv[1])\n"
        ));
    }
    if i == 0 {
        text.push_str(
            "\n\ndef lease_conn():\n    with engine.connect() as conn:\n        return conn\n",
        );
    }
    text
}

/// A generated Python application of `n` modules (one in ten a helpers module), and the module
/// the bench edits, which calls into module 0: it reports only when the server resolved that
/// call, so the measure shows the whole workspace was read.
fn generate_python(root: &Path, n: usize) -> (std::path::PathBuf, String) {
    let app = root.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("__init__.py"), "").unwrap();
    let helpers = (n / 10).max(1);
    for m in 0..helpers {
        let text = format!(
            "import re\n\n\n\
             def normalise_{m}(name):\n\
             \x20   cleaned = re.sub(r\"[^a-z0-9_]\", \"\", name.lower())\n\
             \x20   if not cleaned:\n\
             \x20       raise ValueError(\"empty table name\")\n\
             \x20   return cleaned\n\n\n\
             def chunks_{m}(items, size):\n\
             \x20   for start in range(0, len(items), size):\n\
             \x20       yield items[start:start + size]\n"
        );
        std::fs::write(app.join(format!("helpers_{m}.py")), text).unwrap();
    }
    for i in 0..n - helpers - 1 {
        std::fs::write(app.join(format!("service_{i}.py")), service(i, helpers)).unwrap();
    }
    let edited = app.join("edited.py");
    let text = "from app.service_0 import count_0, lease_conn\n\n\n\
                def handler(table):\n    conn = lease_conn()\n    return conn\n";
    std::fs::write(&edited, text).unwrap();
    (edited, text.to_string())
}

/// Opens `file`, then edits it `rounds` times; the latency of each edit, sorted.
fn measure(
    root: &Path,
    file: &Path,
    text: &str,
    broken: &str,
    rounds: usize,
) -> (Duration, Vec<Duration>) {
    let binary = Path::new(env!("CARGO_BIN_EXE_scoped-db"));
    let start = Instant::now();
    let mut editor = lsp::Editor::start_with(binary, root);
    editor.open(file, text);
    let uri = lsp::uri(file);
    wait_for_publish(&mut editor, &uri);
    let opened = start.elapsed();
    let mut times = Vec::new();
    for round in 0..rounds {
        let next = if round % 2 == 0 { broken } else { text };
        let sent = Instant::now();
        editor.change(file, next);
        wait_for_publish(&mut editor, &uri);
        times.push(sent.elapsed());
    }
    editor.stop();
    times.sort();
    (opened, times)
}

fn wait_for_publish(editor: &mut lsp::Editor, uri: &str) {
    loop {
        let message: Value = editor.receive();
        if message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri
        {
            return;
        }
    }
}

fn report(what: &str, opened: Duration, times: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: workspace opened in {:.0} ms; didChange to publishDiagnostics over {} edits: \
         median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        ms(opened),
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 95).div_ceil(100) - 1]),
        ms(times[times.len() - 1])
    );
}

/// Opens a file with `text` in the Python corpus and flips its `return conn` 40 times.
fn python_edits(pypi: &Path, text: &str) -> (Duration, Vec<Duration>) {
    let seed = pypi.join("scoped_db_bench_seed.py");
    std::fs::write(&seed, text).unwrap();
    let fixed = text.replace("        return conn\n", "        await conn.close()\n");
    let binary = Path::new(env!("CARGO_BIN_EXE_scoped-db"));
    let start = Instant::now();
    let mut editor = lsp::Editor::start_with(binary, pypi);
    editor.open(&seed, text);
    let uri = lsp::uri(&seed);
    wait_for_publish(&mut editor, &uri);
    let opened = start.elapsed();
    let mut times = Vec::new();
    for round in 0..40 {
        let next = if round % 2 == 0 {
            fixed.clone()
        } else {
            text.to_string()
        };
        let sent = Instant::now();
        editor.change(&seed, &next);
        wait_for_publish(&mut editor, &uri);
        times.push(sent.elapsed());
    }
    editor.stop();
    std::fs::remove_file(&seed).unwrap();
    times.sort();
    (opened, times)
}

/// The seed's own application (lllucius/chatter at 50b364af, 458 Python files checked), where
/// `scripts/realworld.sh` fetched it: an edit in a body of `chatter/utils/database.py` (its
/// `return conn` and back; the function has no return annotation, so what it is inferred to
/// return changes, a declaration no other module names) and, with it, an edit of a signature ten
/// other modules name.
fn real_application(root: &Path) {
    let file = root.join("chatter/utils/database.py");
    let text = std::fs::read_to_string(&file).unwrap();
    let body = text.replacen("            return conn\n", "            pass\n", 1);
    let (opened, times) = measure(root, &file, &text, &body, 200);
    report(
        "lllucius/chatter at 50b364af, 458 Python files, an edit in a body",
        opened,
        &times,
    );
    // With the body edit too: the server publishes a file's diagnostics when they change.
    let signature = body.replacen(
        "def get_session_maker() -> async_sessionmaker[AsyncSession]:",
        "def get_session_maker():",
        1,
    );
    let (opened, times) = measure(root, &file, &text, &signature, 40);
    report(
        "lllucius/chatter, an edit of a signature ten modules name",
        opened,
        &times,
    );
}

fn main() {
    // `SERVER_BENCH=chatter` (or `rust`, `python`, `pypi`) measures only that part.
    let only = std::env::var("SERVER_BENCH").ok();
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let chatter = Path::new(env!("CARGO_MANIFEST_DIR")).join("realworld/python-apps/chatter");
    if wanted("chatter") {
        if chatter.is_dir() {
            real_application(&chatter);
        } else {
            println!(
                "realworld/python-apps/chatter not fetched (scripts/realworld.sh fetches it): the real application is skipped"
            );
        }
    }
    if wanted("rust") {
        rust_and_python(wanted("python"));
    } else if wanted("python") {
        rust_and_python(true);
    }
    if wanted("pypi") {
        pypi();
    }
}

fn rust_and_python(python: bool) {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 2000);
    let file = dir.path().join("src/m1000.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    let (opened, times) = measure(dir.path(), &file, &text, &fixed(&text), 40);
    report("generated workspace, 2,000 Rust files", opened, &times);
    if !python {
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let (file, text) = generate_python(dir.path(), 500);
    let edited = text.replace("conn = lease_conn()", "conn = count_0(table)");
    let (opened, times) = measure(dir.path(), &file, &text, &edited, 200);
    report(
        "generated Python application, 500 files, an edit in a body",
        opened,
        &times,
    );
}

fn pypi() {
    let pypi = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/pypi");
    if pypi.is_dir() {
        // An edit inside the body (the declared return type stays): one file is read again.
        let annotated = "from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine\n\n\
                         engine = create_async_engine(\"postgresql+asyncpg://localhost/db\")\n\n\
                         async def open_conn() -> AsyncConnection:\n    async with engine.begin() as conn:\n        return conn\n";
        let (opened, times) = python_edits(&pypi, annotated);
        report(
            "bench/pypi, 2,173 Python files, an edit in a body",
            opened,
            &times,
        );
        // An edit that changes what the function returns (no annotation: the return is its
        // declared type): the index is rebuilt and the files naming `open_conn` are read again.
        let inferred = annotated.replace(" -> AsyncConnection", "");
        let (opened, times) = python_edits(&pypi, &inferred);
        report(
            "bench/pypi, an edit that changes a declaration",
            opened,
            &times,
        );
    } else {
        println!("bench/pypi not fetched (bench/run.sh fetches it): the corpus run is skipped");
    }
}
