//! SharedArena (plain `alloc`, no per-thread handle) against the Sync arenas of other crates:
//! blink-alloc's `SyncBlinkAlloc`, bump-scope's `BumpPool` (one guard per thread), bumpalo
//! behind a `Mutex`, and `MemoryArena` as the single-threaded reference; also SharedArena
//! through a `LocalArena` handle per thread, the like of `BumpPool`'s guard. Each thread makes
//! 1M allocations of 24 bytes; the arena is reset after the join (inside the timing).
//!
//! `cargo bench --bench shared_arena`; `cargo bench --bench shared_arena -- --paired` runs the
//! same rounds for every contestant in alternation instead (see `common/mod.rs`) and prints
//! per-round ratios.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use memory_manager::allocator_api2::alloc::Layout;
use memory_manager::{MemoryArena, SharedArena};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const PER_THREAD: u64 = 1_000_000;
const THREADS: [usize; 3] = [1, 2, 8];

/// Times `iters` rounds of: `threads` threads each running `work` on the shared arena, then
/// `reset` once they are joined.
fn rounds<A: Sync>(
    iters: u64,
    threads: usize,
    arena: &mut A,
    work: impl Fn(&A) + Sync,
    mut reset: impl FnMut(&mut A),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let shared = &*arena;
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| work(shared));
            }
        });
        reset(arena);
        total += start.elapsed();
    }
    total
}

/// One thread's work on a `SharedArena`: plain `alloc`, no handle.
fn shared_arena_work(arena: &SharedArena) {
    for i in 0..PER_THREAD {
        black_box(arena.alloc([i, i, i]));
    }
}

/// One thread's work on a `SharedArena` through a handle on its lane, taken once.
fn shared_arena_local_work(arena: &SharedArena) {
    let local = arena.local();
    for i in 0..PER_THREAD {
        black_box(local.alloc([i, i, i]));
    }
}

/// One thread's work on a `BumpPool`: take a bump for the thread, then allocate from it.
fn bump_pool_work(pool: &bump_scope::BumpPool) {
    let bump = pool.get();
    for i in 0..PER_THREAD {
        black_box(bump.alloc([i, i, i]).into_mut());
    }
}

/// The single-threaded reference: the same allocations in a `MemoryArena`, then its reset.
fn memory_arena_round(arena: &mut MemoryArena) {
    for i in 0..PER_THREAD {
        black_box(arena.alloc([i, i, i]));
    }
    arena.reset();
}

fn shared_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_24B_x1M_per_thread");
    for &t in &THREADS {
        group.throughput(Throughput::Elements(PER_THREAD * t as u64));

        let mut arena = SharedArena::builder().zero_on_free(false).build();
        group.bench_function(BenchmarkId::new("SharedArena", t), |b| {
            b.iter_custom(|iters| {
                rounds(iters, t, &mut arena, shared_arena_work, SharedArena::reset)
            })
        });

        let mut arena = SharedArena::builder().zero_on_free(false).build();
        group.bench_function(BenchmarkId::new("SharedArena, local handle", t), |b| {
            b.iter_custom(|iters| {
                rounds(
                    iters,
                    t,
                    &mut arena,
                    shared_arena_local_work,
                    SharedArena::reset,
                )
            })
        });

        let mut blink = blink_alloc::SyncBlinkAlloc::new();
        group.bench_function(BenchmarkId::new("blink-alloc SyncBlinkAlloc", t), |b| {
            b.iter_custom(|iters| {
                let layout = Layout::new::<[u64; 3]>();
                rounds(
                    iters,
                    t,
                    &mut blink,
                    |blink| {
                        for i in 0..PER_THREAD {
                            let p = blink.allocate(layout).unwrap().cast::<[u64; 3]>();
                            // SAFETY: a fresh block for a `[u64; 3]`.
                            unsafe { p.as_ptr().write([i, i, i]) };
                            black_box(p);
                        }
                    },
                    |blink| blink.reset(),
                )
            })
        });

        let mut pool: bump_scope::BumpPool = bump_scope::BumpPool::new();
        group.bench_function(BenchmarkId::new("bump-scope BumpPool", t), |b| {
            b.iter_custom(|iters| rounds(iters, t, &mut pool, bump_pool_work, |pool| pool.reset()))
        });

        let mut locked = Mutex::new(bumpalo::Bump::new());
        group.bench_function(BenchmarkId::new("bumpalo in a Mutex", t), |b| {
            b.iter_custom(|iters| {
                rounds(
                    iters,
                    t,
                    &mut locked,
                    |locked| {
                        for i in 0..PER_THREAD {
                            let guard = locked.lock().unwrap();
                            black_box(guard.alloc([i, i, i]) as *mut [u64; 3]);
                        }
                    },
                    |locked| locked.get_mut().unwrap().reset(),
                )
            })
        });

        if t == 1 {
            let mut single = MemoryArena::builder().zero_on_free(false).build();
            group.bench_function(
                BenchmarkId::new("MemoryArena (1 thread, reference)", t),
                |b| b.iter(|| memory_arena_round(&mut single)),
            );
        }
    }
    group.finish();
}

/// One timed round for the paired mode: `threads` threads run `work`, then `reset`.
fn timed_rounds<'a, A: Sync + 'a>(
    name: &'static str,
    threads: usize,
    mut arena: A,
    work: impl Fn(&A) + Sync + 'a,
    mut reset: impl FnMut(&mut A) + 'a,
) -> common::Timed<'a> {
    let run = move || rounds(1, threads, &mut arena, &work, &mut reset);
    (name, Box::new(run))
}

/// The criterion group's contestants at each thread count, in alternating rounds (bumpalo in a
/// `Mutex` and blink-alloc, 10-60x slower, are left out: they would take all the time).
fn shared_paired() {
    for &t in &THREADS {
        let mut contestants = vec![
            timed_rounds(
                "SharedArena",
                t,
                SharedArena::builder().zero_on_free(false).build(),
                shared_arena_work,
                SharedArena::reset,
            ),
            timed_rounds(
                "SharedArena, local handle",
                t,
                SharedArena::builder().zero_on_free(false).build(),
                shared_arena_local_work,
                SharedArena::reset,
            ),
            timed_rounds(
                "bump-scope BumpPool",
                t,
                bump_scope::BumpPool::new(),
                bump_pool_work,
                |pool| pool.reset(),
            ),
        ];
        let mut versus = vec![
            common::Versus {
                ours: "SharedArena",
                peers: &["bump-scope BumpPool"],
            },
            common::Versus {
                ours: "SharedArena, local handle",
                peers: &["bump-scope BumpPool"],
            },
        ];
        if t == 1 {
            let mut single = MemoryArena::builder().zero_on_free(false).build();
            let run = move || {
                let start = Instant::now();
                memory_arena_round(&mut single);
                start.elapsed()
            };
            contestants.push(("MemoryArena (1 thread, no spawn)", Box::new(run)));
            // The same loops on the calling thread, with no spawn either: what the lane lookup
            // costs per allocation, and what a handle saves of it.
            let no_spawn = |name, work: fn(&SharedArena)| -> common::Timed<'static> {
                let mut arena = SharedArena::builder().zero_on_free(false).build();
                let run = move || {
                    let start = Instant::now();
                    work(&arena);
                    arena.reset();
                    start.elapsed()
                };
                (name, Box::new(run))
            };
            contestants.push(no_spawn("SharedArena (no spawn)", shared_arena_work));
            contestants.push(no_spawn(
                "SharedArena, local handle (no spawn)",
                shared_arena_local_work,
            ));
            for ours in [
                "SharedArena",
                "SharedArena, local handle",
                "SharedArena (no spawn)",
                "SharedArena, local handle (no spawn)",
            ] {
                versus.push(common::Versus {
                    ours,
                    peers: &["MemoryArena (1 thread, no spawn)"],
                });
            }
        }
        common::paired(&format!("{t} thread(s)"), contestants, &versus);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = shared_benches
}
fn main() {
    common::main(shared_paired, benches);
}
