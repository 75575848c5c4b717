//! Shared helpers for the unit tests.

use proptest::test_runner::Config;

/// A proptest configuration that runs `cases` cases natively and a handful under Miri, and
/// never touches the file system (Miri isolates it).
pub(crate) fn proptest_config(cases: u32) -> Config {
    Config {
        cases: if cfg!(miri) {
            4
        } else {
            std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases)
        },
        failure_persistence: None,
        ..Config::default()
    }
}

/// Test sizes are scaled down under Miri, which runs about a thousand times slower.
pub(crate) const fn scaled(n: usize) -> usize {
    if cfg!(miri) { n / 100 + 1 } else { n }
}
