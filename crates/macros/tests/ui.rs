//! trybuild: what `#[scoped_db]` refuses to compile (with the reviewed errors in `ui/fail/*.stderr`)
//! and what it lets through.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
