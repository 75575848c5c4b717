//! Collections on every allocator of the crate: `Vec`, a string buffer, and hashbrown maps on
//! `&MemoryArena`, `&LocalPool` and `&MemoryPool`, with the allocator's numbers before and
//! after.
//!
//! `cargo run --release --example collections`

use memory_manager::allocator_api2::alloc::Allocator;
use memory_manager::allocator_api2::vec::Vec;
use memory_manager::{LocalPool, MemoryArena, MemoryPool};

/// The same work for every allocator: a vector of squares, a text buffer, a word index.
fn workload<A: Allocator + Copy>(alloc: A) -> (usize, usize, usize) {
    let mut squares: Vec<u64, A> = Vec::new_in(alloc);
    squares.extend((0..100_000u64).map(|i| i * i));

    // A growable UTF-8 buffer: bytes through the allocator, checked as text at the end.
    let mut text: Vec<u8, A> = Vec::new_in(alloc);
    for i in 0..10_000 {
        text.extend_from_slice(format!("word{} ", i % 500).as_bytes());
    }
    let text = std::str::from_utf8(&text).expect("ASCII");

    let mut index: hashbrown::HashMap<&str, Vec<usize, A>, hashbrown::DefaultHashBuilder, A> =
        hashbrown::HashMap::with_hasher_in(Default::default(), alloc);
    for (position, word) in text.split_whitespace().enumerate() {
        index
            .entry(word)
            .or_insert_with(|| Vec::new_in(alloc))
            .push(position);
    }
    (squares.len(), text.len(), index.len())
}

fn main() {
    let mut arena = MemoryArena::new();
    println!("MemoryArena: before {:?}", arena);
    let result = workload(&arena);
    println!("  built {result:?}");
    println!("  after  {:?}", arena);
    arena.reset();
    println!("  reset  {:?}", arena);

    let local = LocalPool::new();
    println!("LocalPool: before {:?}", local.stats());
    let result = workload(&local);
    let stats = local.stats();
    println!("  built {result:?}");
    println!(
        "  after: live {} B, peak {} B, reserved {} B, {} of {} allocations reused a freed block",
        stats.live_bytes,
        stats.peak_live_bytes,
        stats.reserved_bytes,
        stats.reuse_hits,
        stats.total_allocations
    );
    local.trim();
    println!("  trim: reserved {} B", local.stats().reserved_bytes);

    let shared = MemoryPool::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| workload(&shared));
        }
    });
    let stats = shared.stats();
    println!(
        "MemoryPool, 4 threads: live {} B after, {} allocations, {} reused, validate {:?}",
        stats.live_bytes,
        stats.total_allocations,
        stats.reuse_hits,
        shared.validate()
    );
}
