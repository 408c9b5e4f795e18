// An unknown rule name is an error on that name.
include!("../support/sqlx.rs");

#[scoped_db::allow(escaped_handle, leaky_handle)]
pub fn a() {}

#[scoped_db::allow(SDB099)]
pub fn b() {}

#[scoped_db::allow()]
pub fn c() {}

fn main() {
    a();
    b();
    c();
}
