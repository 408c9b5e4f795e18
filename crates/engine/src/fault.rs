//! Test-only fault injection: a named point panics when a test arms it, so the tests can prove
//! that a panic in one file's analysis, in the cross-file step or in the attribute is contained.
//! Outside `cfg(test)` a point compiles to nothing.

#[cfg(test)]
static ARMED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Panics if a test armed `step` for `subject` (a path, a function's name).
#[cfg_attr(not(test), inline(always))]
pub(crate) fn point(step: &str, subject: &str) {
    #[cfg(test)]
    {
        let key = format!("{step}:{subject}");
        let armed = ARMED.lock().map(|a| a.contains(&key)).unwrap_or(false);
        if armed {
            panic!("injected fault at {key}");
        }
    }
    let _ = (step, subject);
}

/// Arms `step` for `subject` for the rest of the test binary's life: tests use subjects of their
/// own, so they never disturb each other.
#[cfg(test)]
pub(crate) fn arm(step: &str, subject: &str) {
    ARMED
        .lock()
        .expect("no test panics while holding the lock")
        .push(format!("{step}:{subject}"));
}
