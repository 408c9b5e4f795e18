// A provider on its own, a provider above `#[scoped_db]`, and silenced rules.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
use sqlx::{PgPool, PoolConnection, Postgres, Transaction};

#[scoped_db::provider]
pub async fn connection(pool: &PgPool) -> sqlx::Result<PoolConnection<Postgres>> {
    pool.acquire().await
}

#[scoped_db::provider]
#[scoped_db]
pub async fn unit_of_work(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    pool.begin().await
}

#[scoped_db]
#[scoped_db::allow(escaped_handle)]
pub async fn legacy_begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    pool.begin().await
}

#[scoped_db::allow("SDB001")]
#[scoped_db]
pub async fn legacy_acquire(pool: &PgPool) -> sqlx::Result<PoolConnection<Postgres>> {
    pool.acquire().await
}

#[scoped_db]
#[scoped_db::allow(escaped-handle)]
impl Legacy {
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.pool.begin().await
    }
}

pub struct Legacy {
    pool: PgPool,
}

fn main() {
    let pool = PgPool;
    let _ = connection(&pool);
    let _ = unit_of_work(&pool);
    let _ = legacy_begin(&pool);
    let _ = legacy_acquire(&pool);
    let _ = Legacy { pool }.begin();
}
