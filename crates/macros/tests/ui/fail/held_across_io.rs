// A transaction held open while the thread sleeps.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
#[scoped_db]
pub async fn settle(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE accounts SET n = n - 1")
        .execute(&mut *tx)
        .await?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    tx.commit().await
}

/// Fine: it sleeps after the commit.
#[scoped_db]
pub async fn settle_then_wait(pool: &sqlx::PgPool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE accounts SET n = n - 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    Ok(())
}

fn main() {}
