//! LocalPool and MemoryPool against glibc malloc (`System`) and mimalloc, all through the
//! `Allocator` trait and in the same criterion groups, with and without zeroing.
//!
//! `cargo bench --bench pool`
//!
//! The peers "+zero" are wrapped to zero each block before freeing it: the cheapest way to get
//! the pools' guarantee (no freed byte keeps its contents) from them.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use memory_manager::allocator_api2::alloc::{AllocError, Allocator, GlobalAlloc, Layout, System};
use memory_manager::{LocalPool, MemoryPool};
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

/// A `GlobalAlloc` seen through the `Allocator` trait, optionally zeroing before each free.
struct Global<G, const ZERO: bool>(G);

// SAFETY: forwards to a `GlobalAlloc`, which upholds the same contract for non-zero sizes;
// zero sizes never reach it (the benchmarks use none).
unsafe impl<G: GlobalAlloc, const ZERO: bool> Allocator for Global<G, ZERO> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: the benchmarks never ask for zero bytes.
        let ptr = NonNull::new(unsafe { self.0.alloc(layout) }).ok_or(AllocError)?;
        Ok(NonNull::slice_from_raw_parts(ptr, layout.size()))
    }

    #[inline(always)]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if ZERO {
            // SAFETY: the block has `layout.size()` bytes and is being freed.
            unsafe { ptr.as_ptr().write_bytes(0, layout.size()) };
            black_box(ptr);
        }
        // SAFETY: allocated by `self.0` with `layout`.
        unsafe { self.0.dealloc(ptr.as_ptr(), layout) };
    }
}

const LIFO_OPS: usize = 1_000_000;
const BATCH: usize = 10_000;
const BATCH_ROUNDS: usize = 100;

fn lifo<A: Allocator>(a: &A) {
    let layout = Layout::new::<[u8; 64]>();
    for _ in 0..LIFO_OPS {
        let p = a.allocate(layout).unwrap();
        black_box(p);
        // SAFETY: live with `layout`.
        unsafe { a.deallocate(p.cast(), layout) };
    }
}

fn batch<A: Allocator>(a: &A, blocks: &mut Vec<NonNull<u8>>) {
    let layout = Layout::new::<[u8; 64]>();
    for _ in 0..BATCH_ROUNDS {
        for _ in 0..BATCH {
            blocks.push(a.allocate(layout).unwrap().cast());
        }
        for p in blocks.drain(..) {
            // SAFETY: live with `layout`.
            unsafe { a.deallocate(p, layout) };
        }
    }
}

/// One step of the random trace: allocate `size` bytes into `slot`, or free `slot`.
#[derive(Clone, Copy)]
enum Step {
    Alloc { slot: u32, size: u32 },
    Free { slot: u32 },
}

const TRACE_OPS: usize = 1_000_000;
const MAX_LIVE: usize = 20_000;
/// The medium trace: sizes log-uniform in 8 KiB..=256 KiB (the pools' medium heap), fewer
/// operations and live blocks (the zeroing contestants wipe ~70 KiB per free on average).
const MEDIUM_OPS: usize = 20_000;
const MEDIUM_MAX_LIVE: usize = 500;

/// The small-size trace: sizes log-uniform in 8..=8192, up to 20k live.
fn trace() -> Vec<Step> {
    trace_of(TRACE_OPS, MAX_LIVE, 3, 13)
}

/// A fixed pseudo-random trace of `ops` steps, sizes log-uniform in `2^min_log..=2^max_log`.
/// Allocations outnumber frees 3:2 until `max_live` blocks are live, then the count hovers
/// there (a program at its working size).
fn trace_of(ops: usize, max_live: usize, min_log: u32, max_log: u32) -> Vec<Step> {
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut live: Vec<u32> = Vec::new();
    let mut free_slots: Vec<u32> = (0..max_live as u32).rev().collect();
    let mut steps = Vec::with_capacity(ops);
    let span = f64::from(max_log - min_log);
    while steps.len() < ops {
        let r = next();
        let alloc = live.is_empty() || (live.len() < max_live && r % 5 < 3);
        if alloc {
            let slot = free_slots.pop().unwrap();
            let log = f64::from(min_log) + (next() % 10_000) as f64 / 10_000.0 * span;
            let size = (2f64.powf(log) as u32).clamp(1 << min_log, 1 << max_log);
            live.push(slot);
            steps.push(Step::Alloc { slot, size });
        } else {
            let i = (next() % live.len() as u64) as usize;
            let slot = live.swap_remove(i);
            free_slots.push(slot);
            steps.push(Step::Free { slot });
        }
    }
    for slot in live {
        steps.push(Step::Free { slot });
    }
    steps
}

fn random<A: Allocator>(a: &A, steps: &[Step], slots: &mut [(usize, usize)]) {
    for step in steps {
        match *step {
            Step::Alloc { slot, size } => {
                let layout = Layout::from_size_align(size as usize, 8).unwrap();
                let p = a.allocate(layout).unwrap().cast::<u8>();
                // SAFETY: at least 8 bytes; write the first and last 8, as a program would.
                unsafe {
                    p.cast::<u64>().write(size as u64);
                    p.as_ptr()
                        .add(size as usize - 8)
                        .cast::<u64>()
                        .write_unaligned(size as u64);
                }
                slots[slot as usize] = (p.as_ptr() as usize, size as usize);
            }
            Step::Free { slot } => {
                let (addr, size) = slots[slot as usize];
                let layout = Layout::from_size_align(size, 8).unwrap();
                let ptr = NonNull::new(addr as *mut u8).unwrap();
                // SAFETY: live with `layout` (allocated by the matching step).
                unsafe { a.deallocate(ptr, layout) };
            }
        }
    }
}

/// Every single-threaded contestant on one workload, back to back in one group, so the
/// machine's drift between groups does not enter the ratios.
macro_rules! single_threaded_group {
    ($c:expr, $group:expr, $elements:expr, |$a:ident| $body:expr) => {{
        let raw_local = LocalPool::builder().zero_on_free(false).build();
        let raw_shared = MemoryPool::builder().zero_on_free(false).build();
        let local = LocalPool::new();
        let shared = MemoryPool::new();
        let mut group = $c.benchmark_group($group);
        group.throughput(Throughput::Elements($elements as u64));
        macro_rules! contestant {
            ($name:expr, $alloc:expr) => {{
                let $a = $alloc;
                group.bench_function(BenchmarkId::from_parameter($name), |b| b.iter(|| $body));
            }};
        }
        contestant!("LocalPool(raw)", &raw_local);
        contestant!("MemoryPool(raw)", &raw_shared);
        contestant!("LocalPool(zeroing)", &local);
        contestant!("MemoryPool(zeroing)", &shared);
        contestant!("glibc", &Global::<_, false>(System));
        contestant!("glibc+zero", &Global::<_, true>(System));
        contestant!("mimalloc", &Global::<_, false>(mimalloc::MiMalloc));
        contestant!("mimalloc+zero", &Global::<_, true>(mimalloc::MiMalloc));
        group.finish();
    }};
}

/// T threads sharing one allocator, each allocating and freeing batches of 1k × 64 B.
fn threads<A: Allocator + Sync>(c: &mut Criterion, name: &str, a: &A) {
    const ROUNDS: usize = 200;
    const BATCH: usize = 1000;
    let mut group = c.benchmark_group("threads_batch_1k_64B");
    for t in [1usize, 2, 8] {
        group.throughput(Throughput::Elements((t * ROUNDS * BATCH * 2) as u64));
        group.bench_function(BenchmarkId::new(name, t), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..t {
                            s.spawn(|| {
                                let layout = Layout::new::<[u8; 64]>();
                                let mut blocks = Vec::with_capacity(BATCH);
                                for _ in 0..ROUNDS {
                                    for _ in 0..BATCH {
                                        blocks.push(a.allocate(layout).unwrap().cast::<u8>());
                                    }
                                    for p in blocks.drain(..) {
                                        // SAFETY: live with `layout`.
                                        unsafe { a.deallocate(p, layout) };
                                    }
                                }
                            });
                        }
                    });
                    total += start.elapsed();
                }
                total
            })
        });
    }
}

fn pool_benches(c: &mut Criterion) {
    let steps = trace();
    let mut blocks = Vec::with_capacity(BATCH);
    let mut slots = vec![(0usize, 0usize); MAX_LIVE];
    single_threaded_group!(c, "lifo_64B_x1M", LIFO_OPS, |a| lifo(a));
    single_threaded_group!(c, "batch_10k_64B_x100", BATCH * BATCH_ROUNDS, |a| batch(
        a,
        &mut blocks
    ));
    single_threaded_group!(c, "random_trace_1M", steps.len(), |a| random(
        a, &steps, &mut slots
    ));
    let medium = trace_of(MEDIUM_OPS, MEDIUM_MAX_LIVE, 13, 18);
    single_threaded_group!(c, "medium_trace_20k", medium.len(), |a| random(
        a, &medium, &mut slots
    ));

    let raw_shared = MemoryPool::builder().zero_on_free(false).build();
    let raw_local = LocalPool::builder().zero_on_free(false).build();
    threads(c, "MemoryPool(raw)", &raw_shared);
    threads(c, "MemoryPool(zeroing)", &MemoryPool::new());
    threads(c, "glibc", &Global::<_, false>(System));
    threads(c, "mimalloc", &Global::<_, false>(mimalloc::MiMalloc));

    // Fragmentation: reserved bytes over peak live bytes after the random trace.
    for (name, pool) in [
        ("LocalPool(zeroing)", LocalPool::new()),
        ("LocalPool(raw)", raw_local),
    ] {
        let mut slots = vec![(0usize, 0usize); MAX_LIVE];
        random(&pool, &steps, &mut slots);
        let stats = pool.stats();
        println!(
            "fragmentation/{name}: reserved {} B / peak live {} B = {:.3}",
            stats.reserved_bytes,
            stats.peak_live_bytes,
            stats.fragmentation().unwrap()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pool_benches
}
criterion_main!(benches);
