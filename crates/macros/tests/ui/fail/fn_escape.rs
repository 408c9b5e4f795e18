// A free function that acquires a pooled connection and returns it.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
#[scoped_db]
pub async fn checkout(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::PoolConnection<sqlx::Postgres>> {
    let conn = pool.acquire().await?;
    Ok(conn)
}

fn main() {}
