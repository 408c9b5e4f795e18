//! The model of the standard library and the async runtimes that the Rust walker reads through:
//! `Result`/`Option` plumbing, collections, locks and guards, cells, containers and the functions
//! that run a future or a closure. Not database data (that is [`super::catalog`]): what lets a
//! handle be followed through the code around it.

/// Methods that hand back what their receiver carries (`Result`/`Option` plumbing, error context,
/// future adaptors): `pool.begin().await.map_err(Error::from)?` is still the transaction.
pub static CARRIER_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "unwrap_unchecked",
    "map_err",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "change_context",
    "attach_printable",
    "inspect_err",
    "inspect",
    "or_else",
    "ok",
    "ok_or",
    "ok_or_else",
    "into",
    "boxed",
    "boxed_local",
    "instrument",
    "in_current_span",
    "clone",
    "err_into",
    "map_err_into",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "borrow",
    "borrow_mut",
    "get_ref",
    "into_inner",
];

/// Standard collections and the accessors that give an `Option` of an element: the element is the
/// type argument at `element` (a map's value is its second).
pub static COLLECTIONS: &[(&[&str], usize, &[&str])] = &[
    (
        &["HashMap", "BTreeMap", "IndexMap", "DashMap"],
        1,
        &["get", "get_mut", "remove"],
    ),
    (
        &["Vec", "VecDeque", "[slice]"],
        0,
        &[
            "get",
            "get_mut",
            "first",
            "last",
            "pop",
            "pop_front",
            "pop_back",
        ],
    ),
];

/// Locks whose guard gives what they hold: `self.conn.lock().await` on a `Mutex<PgConnection>`.
pub static LOCKS: &[&str] = &["Mutex", "RwLock", "ReentrantMutex"];
pub static LOCK_METHODS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "lock_owned",
    "read_owned",
    "write_owned",
];

/// Methods whose closure argument receives what the receiver carries, and whose result is what the
/// closure returns: `pool.begin().await.map(|tx| Self { tx })`.
pub static MAPPING_METHODS: &[&str] = &["map", "and_then", "map_ok", "and_then_ok"];

/// Functions that wrap a future and resolve to its output (the future is the last argument):
/// `tokio::time::timeout(d, pool.acquire())`.
pub static FUTURE_WRAPPERS: &[(&str, &str)] = &[
    ("tokio", "timeout"),
    ("tokio", "timeout_at"),
    ("async_std", "timeout"),
    ("futures", "ready"),
    ("std", "ready"),
    ("core", "ready"),
];

/// Functions that run the closure they are given (on a blocking thread) and give what it returns:
/// `(crate, name)`.
pub static BLOCKING_RUNNERS: &[(&str, &str)] = &[
    ("tokio", "spawn_blocking"),
    ("tokio", "block_in_place"),
    ("actix_web", "block"),
    ("actix_rt", "spawn_blocking"),
    ("async_std", "spawn_blocking"),
];

/// Functions that store their argument in a container returned to the caller:
/// `Box::new(conn)`, `Arc::new(Mutex::new(tx))`.
pub static CONTAINER_CONSTRUCTORS: &[(&str, &str)] = &[
    ("Box", "new"),
    ("Box", "pin"),
    ("Arc", "new"),
    ("Rc", "new"),
    ("Mutex", "new"),
    ("RwLock", "new"),
    ("RefCell", "new"),
    ("Cell", "new"),
    ("Pin", "new"),
    ("Some", ""),
    ("Ok", ""),
];

/// Wrappers that method calls and field accesses see through (`Arc<PgPool>`, axum `State<AppState>`,
/// actix `web::Data<AppState>`).
pub static DEREF_WRAPPERS: &[&str] = &[
    "Lazy",
    "LazyLock",
    "Arc",
    "Rc",
    "Box",
    "Data",
    "State",
    "Extension",
    "ManuallyDrop",
    "Pin",
    // Lock guards (std, parking_lot, tokio) and `RefCell`'s borrows: a project accessor that
    // returns one (`fn raw(&self) -> MutexGuard<'_, Connection>`) gives what it guards.
    "MutexGuard",
    "MappedMutexGuard",
    "OwnedMutexGuard",
    "OwnedMappedMutexGuard",
    "ReentrantMutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "MappedRwLockReadGuard",
    "MappedRwLockWriteGuard",
    "OwnedRwLockReadGuard",
    "OwnedRwLockWriteGuard",
    "Ref",
    "RefMut",
];

/// Types that hold no handle whatever their arguments: primitives and strings.
pub static DATA_TYPES: &[&str] = &[
    "bool", "char", "str", "String", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize", "f32", "f64", "()",
];

/// Standard containers: they hold a handle when an argument does.
pub static STD_CONTAINERS: &[&str] = &[
    "Result", "Option", "Vec", "VecDeque", "HashMap", "BTreeMap", "Box", "Arc", "Rc", "Mutex",
    "RwLock", "RefCell", "Cell", "Pin", "Cow",
];

/// Lazily initialised cells: `POOL.get()` is an `Option` of what the cell holds, `get_or_init` and
/// deref give it directly.
pub static LAZY_CELLS: &[&str] = &["OnceCell", "OnceLock", "Lazy", "LazyLock", "OnceBox"];
