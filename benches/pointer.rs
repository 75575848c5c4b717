//! MemoryPointer against std's `Arc` and `Rc`, in one criterion group: 1M × (create a pointer
//! to a u64, clone it twice, drop all three).
//!
//! `cargo bench --bench pointer`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use memory_manager::allocator_api2::alloc::{Allocator, Global};
use memory_manager::{LocalPointer, LocalPool, MemoryPointer, MemoryPool};
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const N: u64 = 1_000_000;

fn ours<A: Allocator + Copy>(alloc: A) {
    for i in 0..N {
        let a = MemoryPointer::new_in(i, alloc);
        let b = a.clone();
        let c = b.clone();
        black_box((&a, &b, &c));
    }
}

fn pointer_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_clone2_drop3_x1M");
    group.throughput(Throughput::Elements(N));
    let local = LocalPool::new();
    group.bench_function(
        BenchmarkId::from_parameter("MemoryPointer<LocalPool>"),
        |b| b.iter(|| ours(&local)),
    );
    let shared = MemoryPool::new();
    group.bench_function(
        BenchmarkId::from_parameter("MemoryPointer<MemoryPool>"),
        |b| b.iter(|| ours(&shared)),
    );
    group.bench_function(BenchmarkId::from_parameter("MemoryPointer<Global>"), |b| {
        b.iter(|| ours(Global))
    });
    group.bench_function(
        BenchmarkId::from_parameter("LocalPointer<LocalPool>"),
        |b| {
            b.iter(|| {
                for i in 0..N {
                    let a = LocalPointer::new_in(i, &local);
                    let b = a.clone();
                    let c = b.clone();
                    black_box((&a, &b, &c));
                }
            })
        },
    );
    // Not a pointer: the five atomic read-modify-writes that `Arc` semantics need per
    // iteration (two clones, three releases; the last release's weak-count one is skipped),
    // on one heap counter and nothing else. What `MemoryPointer` pays over `LocalPointer`
    // cannot fall below this.
    let counter = Box::new(AtomicUsize::new(1));
    group.bench_function(BenchmarkId::from_parameter("floor: 5 atomic RMWs"), |b| {
        b.iter(|| {
            let counter = black_box(&*counter);
            for _ in 0..N {
                counter.fetch_add(1, Ordering::Relaxed);
                counter.fetch_add(1, Ordering::Relaxed);
                counter.fetch_sub(1, Ordering::Release);
                counter.fetch_sub(1, Ordering::Release);
                black_box(counter.fetch_sub(1, Ordering::Release));
                counter.store(1, Ordering::Relaxed);
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter("std Arc"), |b| {
        b.iter(|| {
            for i in 0..N {
                let a = Arc::new(i);
                let b = a.clone();
                let c = b.clone();
                black_box((&a, &b, &c));
            }
        })
    });
    group.bench_function(BenchmarkId::from_parameter("std Rc"), |b| {
        b.iter(|| {
            for i in 0..N {
                let a = Rc::new(i);
                let b = a.clone();
                let c = b.clone();
                black_box((&a, &b, &c));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pointer_benches
}
criterion_main!(benches);
