// The seed's DatabaseManager (README, "What it catches") in sqlx style: three methods, three errors, each on
// the expression that hands the transaction out.
include!("../support/sqlx.rs");

use std::time::Duration;

use scoped_db::scoped_db;
use sqlx::{PgPool, Postgres, Transaction};

#[derive(Debug)]
pub enum DatabaseError {
    Sqlx(sqlx::Error),
    Timeout(Duration),
}

impl From<sqlx::Error> for DatabaseError {
    fn from(e: sqlx::Error) -> Self {
        DatabaseError::Sqlx(e)
    }
}

pub struct DatabaseManager {
    pool: PgPool,
    max_retries: u32,
}

#[scoped_db]
impl DatabaseManager {
    async fn _attempt_connection(&self) -> Result<Transaction<'static, Postgres>, DatabaseError> {
        let pool = &self.pool;
        let conn = pool.begin().await?;
        Ok(conn)
    }

    pub async fn get_connection_with_retry(
        &self,
    ) -> Result<Transaction<'static, Postgres>, DatabaseError> {
        let mut last_error = None;
        for _ in 0..self.max_retries {
            match self._attempt_connection().await {
                Ok(conn) => return Ok(conn),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or(DatabaseError::Timeout(Duration::from_secs(1))))
    }

    pub async fn get_connection_with_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Transaction<'static, Postgres>, DatabaseError> {
        let attempt = self._attempt_connection();
        let _ = timeout;
        attempt.await
    }

    pub async fn health_check(&self) -> Result<bool, DatabaseError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::count(&mut tx).await?;
        tx.rollback().await?;
        Ok(n >= 0)
    }
}

fn main() {}
