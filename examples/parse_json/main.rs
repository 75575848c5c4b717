//! Arena-scoped parsing: a JSON document parsed into a tree whose nodes, strings and child
//! vectors all live in one `MemoryArena`, freed (and wiped) by one `reset` per document.
//! Compared in the same run with the same parser on the global allocator and with
//! `serde_json::Value`.
//!
//! `cargo run --release --example parse_json [FILE.json]`
//!
//! Without a file it generates a sample document of about 8 MB.

mod json;
mod sample;

use memory_manager::MemoryArena;
use memory_manager::allocator_api2::alloc::Global;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn main() {
    let (name, input) = match std::env::args().nth(1) {
        Some(path) => {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
            (path, bytes)
        }
        None => ("generated sample".to_string(), sample::document(8 << 20)),
    };
    println!(
        "parsing {name}: {:.1} MB, {RUNS} runs each, median time",
        input.len() as f64 / 1e6
    );

    // The arena: one reset per document keeps the largest chunk, so later runs allocate nothing.
    let mut arena = MemoryArena::new();
    let mut census = json::Census::default();
    let arena_time = median(|run| {
        let start = Instant::now();
        let tree = json::parse(&input, &arena).unwrap_or_else(|e| panic!("invalid JSON: {e}"));
        let parsed = start.elapsed();
        census = tree.census();
        drop(tree);
        if run == 0 {
            println!(
                "  arena after the document: {} bytes allocated in {} chunk(s), {} bytes of capacity",
                arena.allocated_bytes(),
                arena.chunk_count(),
                arena.capacity_bytes()
            );
        }
        let start = Instant::now();
        arena.reset();
        parsed + start.elapsed()
    });
    println!(
        "  tree: {} nodes, {} strings ({} bytes of text)",
        census.nodes, census.strings, census.string_bytes
    );

    let global_time = median(|_| {
        let start = Instant::now();
        let tree = json::parse(&input, Global).expect("parsed above");
        let parsed = start.elapsed();
        assert_eq!(tree.census(), census);
        let start = Instant::now();
        drop(tree);
        parsed + start.elapsed()
    });

    let serde_time = median(|_| {
        let start = Instant::now();
        let value: serde_json::Value = serde_json::from_slice(&input).expect("parsed above");
        std::hint::black_box(&value);
        drop(value);
        start.elapsed()
    });

    println!(
        "  MemoryArena (zeroing on reset):  {:>8.2} ms",
        ms(arena_time)
    );
    println!(
        "  same parser, global allocator:   {:>8.2} ms  (arena is {:.2}x its time)",
        ms(global_time),
        arena_time.as_secs_f64() / global_time.as_secs_f64()
    );
    println!(
        "  serde_json::Value:               {:>8.2} ms  (arena is {:.2}x its time)",
        ms(serde_time),
        arena_time.as_secs_f64() / serde_time.as_secs_f64()
    );
}

/// Runs `document` (which times itself: parsing plus dropping or resetting, both part of the
/// cost of a document) `RUNS` times and returns the median.
fn median(mut document: impl FnMut(usize) -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(&mut document).collect();
    times.sort();
    times[RUNS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
