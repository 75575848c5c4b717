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

/// Whether every byte of `bytes` is `value`. Compares a block at a time against a block of
/// `value`: one `memcmp` each, which Miri runs natively, where a check per byte is interpreted
/// (about a thousand times slower: byte loops over megabyte blocks were most of the pools'
/// Miri tests).
pub(crate) fn all_bytes_are(bytes: &[u8], value: u8) -> bool {
    let block = [value; 1024];
    bytes
        .chunks(block.len())
        .all(|chunk| chunk == &block[..chunk.len()])
}
