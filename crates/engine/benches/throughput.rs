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

fn main() {
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
