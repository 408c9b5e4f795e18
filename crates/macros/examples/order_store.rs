//! `#[scoped_db]` on sqlx-style code that keeps its handles in scope: it compiles, and the README's
//! snippet is this file. (`sqlx` here is a small stand-in with sqlx's names and signatures, so the
//! example builds without a database driver.)

include!("../tests/ui/support/sqlx.rs");

use scoped_db::scoped_db;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

pub struct OrderStore {
    pool: PgPool,
}

#[scoped_db]
impl OrderStore {
    /// Begin, work, commit; only data leaves.
    pub async fn count_orders(&self) -> sqlx::Result<i64> {
        let mut tx = self.pool.begin().await?;
        let n = count_in(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A unit of work that hands its transaction out on purpose: callers must finish it.
    #[scoped_db::provider]
    pub async fn unit_of_work(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.pool.begin().await
    }

    /// Uses the provider's transaction and returns data.
    pub async fn archive(&self) -> sqlx::Result<i64> {
        let mut tx = self.unit_of_work().await?;
        let n = count_in(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Helpers borrow the caller's connection.
#[scoped_db]
async fn count_in(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::count(conn).await
}

fn main() {
    let store = OrderStore { pool: PgPool };
    // Futures are built, not run: the example is about what compiles.
    drop(store.count_orders());
    drop(store.archive());
}
