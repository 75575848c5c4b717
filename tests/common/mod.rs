//! Helpers shared by the integration tests: configuration that works under Miri, and the
//! checks every allocator model test makes.
#![allow(dead_code)] // each test binary uses a different subset

use proptest::test_runner::Config;
use std::ptr::NonNull;

/// `cases` proptest cases natively (or `PROPTEST_CASES` when set), a handful under Miri, and no failure files (Miri isolates
/// the file system).
pub fn proptest_config(cases: u32) -> Config {
    Config {
        cases: if cfg!(miri) {
            3
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
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) { n / 200 + 1 } else { n }
}

/// One live block in a model: where it is, how big, and the byte it was filled with.
#[derive(Clone, Debug)]
pub struct LiveBlock {
    pub ptr: NonNull<u8>,
    pub size: usize,
    pub align: usize,
    pub fill: u8,
}

impl LiveBlock {
    pub fn start(&self) -> usize {
        self.ptr.addr().get()
    }
    pub fn end(&self) -> usize {
        self.start() + self.size
    }
    /// Writes the fill byte over the whole block.
    pub fn fill(&self) {
        // SAFETY: model blocks are live allocations of `size` bytes.
        unsafe { self.ptr.as_ptr().write_bytes(self.fill, self.size) }
    }
    /// Writes the fill byte over `from..size` (after a grow).
    pub fn fill_from(&self, from: usize) {
        // SAFETY: as above; `from <= size`.
        unsafe {
            self.ptr
                .as_ptr()
                .add(from)
                .write_bytes(self.fill, self.size - from)
        }
    }
    /// Whether every byte still holds the fill byte.
    pub fn intact(&self) -> bool {
        // SAFETY: model blocks are live and were filled when created.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.size) };
        bytes.iter().all(|&b| b == self.fill)
    }
    /// Whether every byte reads zero.
    pub fn zeroed(&self) -> bool {
        // SAFETY: as `intact`, for memory the allocator promised to be zero.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.size) };
        bytes.iter().all(|&b| b == 0)
    }
}

/// Checks a new block against the live ones: aligned, and overlapping none of them.
pub fn check_new_block(live: &[LiveBlock], new: &LiveBlock) {
    assert_eq!(
        new.start() % new.align,
        0,
        "{:#x} not aligned to {}",
        new.start(),
        new.align
    );
    if new.size == 0 {
        return;
    }
    for other in live.iter().filter(|b| b.size != 0) {
        assert!(
            new.end() <= other.start() || other.end() <= new.start(),
            "{:#x}+{} overlaps {:#x}+{}",
            new.start(),
            new.size,
            other.start(),
            other.size
        );
    }
}

/// Checks that every live block kept its contents.
pub fn check_contents(live: &[LiveBlock]) {
    for block in live {
        assert!(
            block.intact(),
            "block {:#x}+{} lost its contents",
            block.start(),
            block.size
        );
    }
}
