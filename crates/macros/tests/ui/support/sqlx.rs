// A stand-in for the parts of sqlx the UI tests use, so they build without a database driver.
// `#[scoped_db]` sees only the marked item, so what matters is the shape of the calls and the
// names in signatures, which are sqlx's.
#[allow(dead_code)]
pub mod sqlx {
    use std::marker::PhantomData;

    #[derive(Debug)]
    pub struct Error;
    pub type Result<T> = std::result::Result<T, Error>;
    pub struct Postgres;
    pub struct PgConnection;
    pub struct PoolConnection<DB>(PhantomData<DB>);
    pub struct Transaction<'c, DB>(pub PhantomData<(&'c (), DB)>);
    #[derive(Clone)]
    pub struct PgPool;

    impl PgPool {
        pub async fn acquire(&self) -> Result<PoolConnection<Postgres>> {
            Ok(PoolConnection(PhantomData))
        }
        pub async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
            Ok(Transaction(PhantomData))
        }
    }

    impl<'c> Transaction<'c, Postgres> {
        pub async fn commit(self) -> Result<()> {
            Ok(())
        }
        pub async fn rollback(self) -> Result<()> {
            Ok(())
        }
    }

    impl<'c> std::ops::Deref for Transaction<'c, Postgres> {
        type Target = PgConnection;
        fn deref(&self) -> &PgConnection {
            &PgConnection
        }
    }

    impl<'c> std::ops::DerefMut for Transaction<'c, Postgres> {
        fn deref_mut(&mut self) -> &mut PgConnection {
            Box::leak(Box::new(PgConnection))
        }
    }

    pub async fn count(_conn: &mut PgConnection) -> Result<i64> {
        Ok(0)
    }

    pub struct Query;

    pub fn query(_sql: &str) -> Query {
        Query
    }

    impl Query {
        pub async fn execute<E>(self, _executor: E) -> Result<u64> {
            Ok(0)
        }
    }
}
