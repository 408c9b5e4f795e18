// Malformed arguments are errors on the argument; the item still compiles as written.
include!("../support/sqlx.rs");

#[scoped_db::scoped_db(handle(Lease))]
pub fn a() {}

#[scoped_db::scoped_db(handles())]
pub fn b() {}

#[scoped_db::scoped_db(handles(Lease), strict)]
pub fn c() {}

#[scoped_db::scoped_db]
pub struct NotAFunction;

#[scoped_db::provider(always)]
pub fn d() {}

fn main() {
    a();
    b();
    c();
    d();
    let _ = NotAFunction;
}
