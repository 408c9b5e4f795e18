// An inline module: a helper that begins a transaction and hands it out, and a wrapper that passes
// it on; both are reported. The function that commits is not.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;

#[scoped_db]
mod orders {
    use crate::sqlx::{self, PgPool, Postgres, Transaction};

    pub async fn open(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
        pool.begin().await
    }

    pub async fn open_for_orders(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = open(pool).await?;
        Ok(tx)
    }

    pub async fn count(pool: &PgPool) -> sqlx::Result<i64> {
        let mut tx = open(pool).await?;
        let n = sqlx::count(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }
}

fn main() {}
