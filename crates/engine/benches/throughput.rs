//! Throughput of the three engine steps over a synthetic project: `cargo bench -p scoped-db-engine`.
//!
//! Generates a few hundred files of realistic shape (repositories over a pool, handlers, helpers,
//! one in ten with an escaping handle and a wrapper in another file), runs `check_sources` over them
//! several times and prints the best time, files per second and MiB per second. Timing lives here,
//! never in `cargo test`.

use std::time::{Duration, Instant};

use scoped_db_engine::{Options, check_sources};

fn file(i: usize) -> String {
    let escaping = if i.is_multiple_of(10) {
        format!(
            "    pub async fn open_{i}(&self) -> sqlx::Result<Transaction<'static, Postgres>> {{\n\
             \x20       let tx = self.pool.begin().await?;\n\
             \x20       Ok(tx)\n\
             \x20   }}\n"
        )
    } else {
        String::new()
    };
    let mut s = format!(
        "use sqlx::{{PgPool, Postgres, Transaction}};\n\
         use crate::repo_{prev}::Repo{prev};\n\n\
         pub struct Repo{i} {{\n    pool: PgPool,\n    next: Repo{prev},\n}}\n\n\
         impl Repo{i} {{\n{escaping}",
        prev = i.saturating_sub(1)
    );
    for m in 0..12 {
        s.push_str(&format!(
            "    pub async fn query_{m}(&self, id: i64) -> sqlx::Result<Option<(i64, String)>> {{\n\
             \x20       let mut tx = self.pool.begin().await?;\n\
             \x20       let row: Option<(i64, String)> = sqlx::query_as(\"SELECT id, name FROM t{m} WHERE id = $1\")\n\
             \x20           .bind(id)\n\
             \x20           .fetch_optional(&mut *tx)\n\
             \x20           .await?;\n\
             \x20       if let Some((id, name)) = &row {{\n\
             \x20           tracing::debug!(id, name, \"found\");\n\
             \x20       }}\n\
             \x20       tx.commit().await?;\n\
             \x20       Ok(row)\n\
             \x20   }}\n\n"
        ));
    }
    if i % 10 == 1 {
        s.push_str(&format!(
            "    pub async fn wrap(&self) -> sqlx::Result<Transaction<'static, Postgres>> {{\n\
             \x20       self.next.open_{prev}().await\n\
             \x20   }}\n",
            prev = i - 1
        ));
    }
    s.push_str("}\n");
    s
}

/// A chain of `n` wrapper functions over `n / 10` files: `link_{k}` returns `link_{k + 1}()`,
/// and the last link begins the transaction, so the handle travels against the order the files
/// are read in. Every link is reported.
fn chain(n: usize) -> Vec<(String, String)> {
    let per_file = 10;
    let files = n / per_file;
    (0..files)
        .map(|f| {
            let mut s = String::from("use sqlx::{PgPool, Postgres, Transaction};\n");
            if f + 1 < files {
                s.push_str(&format!("use crate::chain_{}::*;\n", f + 1));
            }
            for k in f * per_file..(f + 1) * per_file {
                let body = if k + 1 == n {
                    "pool.begin().await".to_string()
                } else {
                    format!("link_{}(pool).await", k + 1)
                };
                s.push_str(&format!(
                    "pub async fn link_{k}(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {{\n    {body}\n}}\n"
                ));
            }
            (format!("src/chain_{f}.rs"), s)
        })
        .collect()
}

/// The link step alone over a chain of `n` wrappers, best of seven (a run of tens of
/// milliseconds is at the mercy of the machine's other work).
fn chain_link(n: usize) -> (Duration, usize) {
    let files = chain(n);
    let sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let decls: Vec<_> = sources
        .iter()
        .map(|(p, t)| {
            scoped_db_engine::index_source(p, t, &Options::default())
                .expect("generated code parses")
        })
        .collect();
    let index = scoped_db_engine::RunIndex::new(decls);
    let groups: Vec<_> = sources
        .iter()
        .map(|(p, t)| {
            scoped_db_engine::summarize_source(p, t, &index, &Options::default())
                .expect("generated code parses")
        })
        .collect();
    let mut best = Duration::MAX;
    let mut findings = 0;
    for _ in 0..7 {
        let start = Instant::now();
        findings = scoped_db_engine::link(&groups).len();
        best = best.min(start.elapsed());
    }
    (best, findings)
}

fn main() {
    let (one, found) = chain_link(10_000);
    let (two, found_two) = chain_link(20_000);
    let (four, _) = chain_link(40_000);
    println!("40,000: {:.1} ms", four.as_secs_f64() * 1000.0);
    println!(
        "propagation over a chain of 10,000 wrappers in 1,000 files: {:.1} ms ({found} findings); \
         20,000: {:.1} ms ({found_two}); ratio {:.2}",
        one.as_secs_f64() * 1000.0,
        two.as_secs_f64() * 1000.0,
        two.as_secs_f64() / one.as_secs_f64()
    );
    let files: Vec<(String, String)> = (0..400)
        .map(|i| (format!("src/repo_{i}.rs"), file(i)))
        .collect();
    let sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut best = Duration::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let report = check_sources(&sources, &Options::default());
        best = best.min(start.elapsed());
        findings = report.findings.len();
    }
    // The floor: parsing every file twice (once per pass), as the engine does.
    let mut parse_best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for (_, text) in &files {
            for _ in 0..2 {
                let file = syn::parse_file(text).expect("generated code parses");
                drop(file);
                proc_macro2::extra::invalidate_current_thread_spans();
            }
        }
        parse_best = parse_best.min(start.elapsed());
    }
    println!(
        "parsing alone (twice per file): {:.1} ms",
        parse_best.as_secs_f64() * 1000.0
    );
    let secs = best.as_secs_f64();
    println!(
        "{} files, {:.1} MiB: best of 5 {:.1} ms, {:.0} files/s, {:.1} MiB/s (single thread), {} findings",
        files.len(),
        bytes as f64 / 1048576.0,
        secs * 1000.0,
        files.len() as f64 / secs,
        bytes as f64 / 1048576.0 / secs,
        findings
    );
}
