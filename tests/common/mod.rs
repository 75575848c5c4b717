//! Helpers shared by the integration tests: configuration that works under Miri, and the
//! checks every allocator model test makes.
#![allow(dead_code)] // each test binary uses a different subset

use std::ptr::NonNull;

pub mod arena_ops;
#[cfg(feature = "std")]
pub mod failing;
#[cfg(feature = "std")]
pub mod parse;
pub mod pointer_ops;
#[cfg(feature = "std")]
pub mod pool_ops;
#[cfg(feature = "std")]
pub mod pool_threads;

/// `cases` proptest cases natively (or `PROPTEST_CASES` when set), a handful under Miri, and
/// no failure files (Miri isolates the file system).
#[cfg(test)]
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: if cfg!(miri) {
            3
        } else {
            std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases)
        },
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Test sizes are scaled down under Miri, which runs about a thousand times slower.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) { n / 200 + 1 } else { n }
}

/// Whether every byte of `bytes` is `value`. Compares a block at a time against a block of
/// `value`: one `memcmp` each, which Miri runs natively, where a check per byte is interpreted
/// (about a thousand times slower: byte loops over megabyte blocks were most of the pools'
/// Miri tests).
pub fn all_bytes_are(bytes: &[u8], value: u8) -> bool {
    let block = [value; 1024];
    bytes
        .chunks(block.len())
        .all(|chunk| chunk == &block[..chunk.len()])
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
        all_bytes_are(bytes, self.fill)
    }
    /// Whether every byte reads zero.
    pub fn zeroed(&self) -> bool {
        // SAFETY: as `intact`, for memory the allocator promised to be zero.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.size) };
        all_bytes_are(bytes, 0)
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

/// Decodes a program from fuzzer-style bytes, as the fuzz targets do.
pub fn decode<'a, T: arbitrary::Arbitrary<'a>>(bytes: &'a [u8]) -> arbitrary::Result<T> {
    T::arbitrary_take_rest(arbitrary::Unstructured::new(bytes))
}

/// The fixed seeds every fuzz target's logic also runs on under `cargo test` (and Miri): a
/// deterministic set of pseudo-random inputs, plus, natively, the checked-in corpus of
/// `fuzz/corpus/<target>/`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let count = if cfg!(miri) { 4 } else { 64 };
    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ target.len() as u64;
    let mut seeds: Vec<Vec<u8>> = (0..count)
        .map(|i| {
            (0..(i * 37) % 2048)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng as u8
                })
                .collect()
        })
        .collect();
    if !cfg!(miri) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            seeds.extend(files.iter().filter_map(|path| std::fs::read(path).ok()));
        }
    }
    seeds
}
