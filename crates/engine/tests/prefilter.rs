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
