// A statement run on the pool while the transaction begun from it is open.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
#[scoped_db]
pub async fn transfer(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE accounts SET n = n - 1")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE accounts SET n = n + 1")
        .execute(pool)
        .await?;
    tx.commit().await
}

/// Fine: the second statement runs on the transaction.
#[scoped_db]
pub async fn transfer_in_tx(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE accounts SET n = n + 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

fn main() {}
