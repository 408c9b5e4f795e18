// The seed's "proper usage patterns": the handle stays in the scope that obtained it.
include!("../support/sqlx.rs");

use scoped_db::scoped_db;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

pub struct DatabaseManager {
    pool: PgPool,
}

#[scoped_db]
impl DatabaseManager {
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    pub async fn count_users(&self) -> sqlx::Result<i64> {
        let mut tx = self.pool.begin().await?;
        let n = count_in(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn tag(
        &self,
        tx: Transaction<'static, Postgres>,
    ) -> sqlx::Result<Transaction<'static, Postgres>> {
        Ok(tx)
    }
}

#[scoped_db]
async fn count_in(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::count(conn).await
}

fn main() {
    let db = DatabaseManager { pool: sqlx::PgPool };
    let _ = db.pool();
    let _ = db.count_users();
    let _ = db.tag(sqlx::Transaction(std::marker::PhantomData));
}
