//! The prefilter never changes a finding: every fixture run, all fixtures in one run, and a
//! generated tree where the handle travels through files that name no catalog term, each checked
//! with and without it.

mod common;

use scoped_db_engine::{InMemory, Options, Source, check_run_with, pipeline};

fn findings(sources: &[Source<'_>], prefilter: bool) -> Vec<String> {
    let report = check_run_with(sources, prefilter);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings
        .iter()
        .map(|(i, f)| {
            format!(
                "{}:{}:{} {} {}",
                sources[*i].path,
                f.primary.span.start.line,
                f.primary.span.start.column,
                f.rule.code(),
                f.function
            )
        })
        .collect()
}

#[test]
fn every_fixture_run_finds_the_same_with_and_without_the_prefilter() {
    let (texts, options) = common::runs();
    let mut all = Vec::new();
    for (unit, options) in texts.iter().zip(&options) {
        let sources = common::sources(unit, options);
        assert_eq!(
            findings(&sources, true),
            findings(&sources, false),
            "{}",
            sources[0].path
        );
        all.extend(sources);
    }
    assert_eq!(findings(&all, true), findings(&all, false));
}

/// `f_0.rs` begins the transaction; `f_k.rs` wraps `step_{k-1}` and names no catalog crate or
/// type (only the project's own alias and the function it calls); `other_k.rs` has nothing to do
/// with databases.
fn tree(n: usize) -> Vec<(String, String)> {
    let mut files = vec![(
        "app/src/f_0.rs".to_string(),
        "use sqlx::{PgPool, Postgres, Transaction};\n\
         pub type Tx = Transaction<'static, Postgres>;\n\
         pub type Res<T> = Result<T, sqlx::Error>;\n\
         pub struct Db { pool: PgPool }\n\
         pub async fn step_0(db: &Db) -> Res<Tx> { db.pool.begin().await }\n"
            .to_string(),
    )];
    for k in 1..n {
        files.push((
            format!("app/src/f_{k}.rs"),
            format!(
                "use crate::f_{prev}::step_{prev};\n\
                 pub async fn step_{k}<D>(db: &D) -> Out<D> {{ step_{prev}(db).await }}\n",
                prev = k - 1
            ),
        ));
        files.push((
            format!("app/src/other_{k}.rs"),
            format!("pub fn add_{k}(a: u32, b: u32) -> u32 {{ a + b }}\n"),
        ));
    }
    files
}

#[test]
fn a_handle_through_files_that_name_no_catalog_term_is_found_either_way() {
    let files = tree(12);
    let options = Options::default();
    let sources: Vec<Source<'_>> = files
        .iter()
        .map(|(path, text)| Source {
            path,
            text,
            options: &options,
        })
        .collect();
    let with = findings(&sources, true);
    assert_eq!(with, findings(&sources, false));
    // Every link of the chain is reported.
    assert_eq!(with.len(), 12, "{with:#?}");

    // And the files that cannot matter were never parsed.
    let outcome = pipeline::check(&InMemory(&sources), true);
    assert_eq!(outcome.skipped, 11);
    assert_eq!(pipeline::check(&InMemory(&sources), false).skipped, 0);
}

/// Runs of two files that use the database, where the second gets its handle from the first, and
/// one unrelated file: what the first declares is looked for in the unrelated file and found
/// nowhere, and the run still reads both against an index that holds the first's declarations
/// (nostr-rs-relay's shape lost its findings so). In Rust and in Python.
#[test]
fn declarations_that_let_no_file_through_still_index_the_run() {
    let runs: [[(&str, &str); 3]; 2] = [
        [
            (
                "app/src/db.rs",
                "use sqlx::{PgPool, Postgres, Transaction};\n\
                 pub type Tx = Transaction<'static, Postgres>;\n\
                 pub struct Db { pub pool: PgPool }\n\
                 pub async fn open_tx(db: &Db) -> sqlx::Result<Tx> { db.pool.begin().await }\n",
            ),
            (
                "app/src/service.rs",
                "use sqlx::PgPool;\n\
                 pub async fn relay(db: &crate::db::Db) -> crate::db::Tx {\n\
                 \x20   crate::db::open_tx(db).await.unwrap()\n\
                 }\n",
            ),
            (
                "app/src/util.rs",
                "pub fn add(a: u32, b: u32) -> u32 { a + b }\n",
            ),
        ],
        [
            (
                "app/db.py",
                "from sqlalchemy import create_engine\n\
                 engine = create_engine('sqlite://')\n\
                 def lease():\n\
                 \x20   with engine.connect() as conn:\n\
                 \x20       return conn\n",
            ),
            (
                "app/service.py",
                "import sqlalchemy\n\
                 from app.db import lease\n\
                 def relay():\n\
                 \x20   return lease()\n",
            ),
            ("app/util.py", "def add(a, b):\n    return a + b\n"),
        ],
    ];
    let options = Options::default();
    for files in runs {
        let sources: Vec<Source<'_>> = files
            .iter()
            .map(|&(path, text)| Source {
                path,
                text,
                options: &options,
            })
            .collect();
        let with = findings(&sources, true);
        assert_eq!(with, findings(&sources, false));
        assert_eq!(with.len(), 2, "{with:#?}");
        assert_eq!(pipeline::check(&InMemory(&sources), true).skipped, 1);
    }
}

/// A catalog library's own package checked in the same run as an application (a monorepo that
/// vendors it, or a run over site-packages) neither adds nor removes a finding: its classes do not
/// stand in for the catalog's types of the same names (the seed's application lost its findings
/// in one run with SQLAlchemy's source so).
#[test]
fn a_catalog_librarys_own_source_in_the_run_changes_nothing() {
    let app = [(
        "svc/app/db.py",
        "from sqlalchemy.ext.asyncio import AsyncEngine\n\
         async def lease(engine: AsyncEngine):\n\
         \x20   async with engine.connect() as conn:\n\
         \x20       return conn\n",
    )];
    let library = [
        ("lib/sqlalchemy/__init__.py", ""),
        ("lib/sqlalchemy/ext/__init__.py", ""),
        (
            "lib/sqlalchemy/ext/asyncio/__init__.py",
            "class AsyncEngine:\n\
             \x20   def connect(self):\n\
             \x20       return self\n\
             def create_async_engine(url):\n\
             \x20   with open(url) as f:\n\
             \x20       return AsyncEngine()\n",
        ),
    ];
    let options = Options::default();
    let sources = |files: &[(&'static str, &'static str)]| -> Vec<Source<'_>> {
        files
            .iter()
            .map(|&(path, text)| Source {
                path,
                text,
                options: &options,
            })
            .collect()
    };
    let alone = findings(&sources(&app), true);
    assert_eq!(alone.len(), 1, "{alone:#?}");
    let both: Vec<_> = app.iter().chain(&library).copied().collect();
    for prefilter in [true, false] {
        assert_eq!(findings(&sources(&both), prefilter), alone);
    }
}

/// Sources in two parts (two projects of one run): part 0 is a project with database code, part
/// 1 one without.
#[cfg(feature = "python")]
struct TwoParts<'s, 'a>(&'s [Source<'a>]);

#[cfg(feature = "python")]
impl pipeline::SourceSet for TwoParts<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn path(&self, i: usize) -> &str {
        self.0[i].path
    }
    fn options(&self, i: usize) -> &Options {
        self.0[i].options
    }
    fn text(&self, i: usize) -> Result<String, String> {
        Ok(self.0[i].text.to_string())
    }
    fn part(&self, i: usize) -> usize {
        usize::from(self.0[i].path.starts_with("tools/"))
    }
}

/// SDB009 through helpers that name no database package, and a project with sleeps and no
/// database code: the slow call two files down is found either way, and the other project's
/// sleeps are never parsed (a slow call matters only to a caller in its part holding a scope).
#[cfg(feature = "python")]
#[test]
fn a_slow_call_matters_only_in_a_part_that_holds_database_code() {
    let options = Options::default();
    let files = [
        (
            "app/orders.py",
            "from sqlalchemy import create_engine, text\n\
             from app.notify import announce\n\
             engine = create_engine('x')\n\n\
             def place():\n    with engine.begin() as conn:\n        conn.execute(text('x'))\n        announce()\n",
        ),
        (
            "app/notify.py",
            "from app.pause import pause\n\ndef announce():\n    pause()\n",
        ),
        (
            "app/pause.py",
            "import time\n\ndef pause():\n    time.sleep(2)\n",
        ),
        (
            "tools/poll.py",
            "import time\n\ndef poll():\n    time.sleep(5)\n",
        ),
        (
            "tools/wait.py",
            "from time import sleep\n\ndef wait():\n    sleep(1)\n",
        ),
    ];
    let sources: Vec<Source<'_>> = files
        .iter()
        .map(|(path, text)| Source {
            path,
            text,
            options: &options,
        })
        .collect();
    let run = |prefilter| {
        let outcome = pipeline::check(&TwoParts(&sources), prefilter);
        let found: Vec<String> = outcome
            .findings
            .iter()
            .map(|(i, f)| format!("{} {} {}", sources[*i].path, f.rule.code(), f.function))
            .collect();
        (found, outcome.skipped)
    };
    let (with, skipped) = run(true);
    assert_eq!(with, ["app/orders.py SDB009 place"]);
    assert_eq!(with, run(false).0);
    assert_eq!(skipped, 2);
}
