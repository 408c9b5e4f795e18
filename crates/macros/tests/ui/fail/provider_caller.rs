// A provider hands a transaction out on purpose; a caller that returns it further is reported, one
// that uses it and returns data is not.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
use sqlx::{PgPool, Postgres, Transaction};

pub struct UnitOfWork {
    pool: PgPool,
}

#[scoped_db]
impl UnitOfWork {
    #[scoped_db::provider]
    pub async fn start(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.pool.begin().await
    }

    pub async fn start_for_caller(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let tx = self.start().await?;
        Ok(tx)
    }

    pub async fn count(&self) -> sqlx::Result<i64> {
        let mut tx = self.start().await?;
        let n = sqlx::count(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }
}

fn main() {}
