//! Formatting into an arena: `MemoryArena::alloc_fmt` against the usual way round
//! (`alloc_str(&format!(..))`, a heap `String` copied in), bumpalo's `format!(in &bump, ..)` and
//! bump-scope's `alloc_fmt`. Each iteration formats 100k short labels (16-25 bytes), then resets.
//!
//! `cargo bench --bench arena_format`; `cargo bench --bench arena_format -- --paired` runs the
//! contestants in alternating rounds instead (see `common/mod.rs`).

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use memory_manager::MemoryArena;
use std::hint::black_box;
use std::time::{Duration, Instant};

const LABELS: u64 = 100_000;

fn label_parts(i: u64) -> (u64, u64) {
    (i, i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF)
}

fn ours(arena: &mut MemoryArena) {
    for i in 0..LABELS {
        let (n, hash) = label_parts(i);
        black_box(arena.alloc_fmt(format_args!("node-{n}:{hash:08x}")));
    }
    arena.reset();
}

fn ours_through_string(arena: &mut MemoryArena) {
    for i in 0..LABELS {
        let (n, hash) = label_parts(i);
        black_box(arena.alloc_str(&format!("node-{n}:{hash:08x}")));
    }
    arena.reset();
}

fn bumpalo_format(bump: &mut bumpalo::Bump) {
    for i in 0..LABELS {
        let (n, hash) = label_parts(i);
        black_box(bumpalo::format!(in &*bump, "node-{}:{:08x}", n, hash).into_bump_str());
    }
    bump.reset();
}

fn bump_scope_format(bump: &mut bump_scope::Bump) {
    for i in 0..LABELS {
        let (n, hash) = label_parts(i);
        black_box(
            bump.alloc_fmt(format_args!("node-{n}:{hash:08x}"))
                .into_ref(),
        );
    }
    bump.reset();
}

/// A contestant: its name and one iteration (format, then reset).
type Contestant = (&'static str, Box<dyn FnMut()>);

/// Every contestant, each on an arena of its own (zeroing off for ours, as the peers do not
/// zero).
fn contestants() -> Vec<Contestant> {
    let quiet = || MemoryArena::builder().zero_on_free(false).build();
    let (mut a, mut b) = (quiet(), quiet());
    let mut c = bumpalo::Bump::new();
    let mut d = bump_scope::Bump::new();
    vec![
        ("MemoryArena alloc_fmt", Box::new(move || ours(&mut a))),
        (
            "MemoryArena alloc_str(&format!)",
            Box::new(move || ours_through_string(&mut b)),
        ),
        (
            "bumpalo format!(in)",
            Box::new(move || bumpalo_format(&mut c)),
        ),
        (
            "bump-scope alloc_fmt",
            Box::new(move || bump_scope_format(&mut d)),
        ),
    ]
}

fn format_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("format_100k_labels");
    group.throughput(Throughput::Elements(LABELS));
    for (name, mut run) in contestants() {
        group.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(&mut run));
    }
    group.finish();
}

fn format_paired() {
    let timed = contestants()
        .into_iter()
        .map(|(name, mut run)| -> common::Timed<'static> {
            (
                name,
                Box::new(move || {
                    let start = Instant::now();
                    run();
                    start.elapsed()
                }),
            )
        })
        .collect();
    common::paired(
        "format_100k_labels",
        timed,
        &[common::Versus {
            ours: "MemoryArena alloc_fmt",
            peers: &[
                "MemoryArena alloc_str(&format!)",
                "bumpalo format!(in)",
                "bump-scope alloc_fmt",
            ],
        }],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = format_benches
}
fn main() {
    common::main(format_paired, benches);
}
