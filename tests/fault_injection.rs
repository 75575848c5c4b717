//! Every system allocation the arena and the pools make can fail: with a fault-injecting global
//! allocator under them (failing the Nth request, or past a byte budget), every failure must
//! come back as `Err` and leave the structures intact and usable.

mod common;

use common::failing::{FailingAllocator, Plan, with_faults};
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::{LocalPool, MemoryArena, MemoryPointer, MemoryPool};

#[global_allocator]
static SOURCE: FailingAllocator = FailingAllocator;

const ATTEMPTS: usize = if cfg!(miri) { 3 } else { 40 };
/// Steps per workload: fewer under Miri, where each `validate` reads every free byte slowly.
const STEPS: usize = if cfg!(miri) { 24 } else { 200 };

/// Allocates a mix of sizes through `try_*`; returns how many succeeded before the first error.
fn arena_workload(arena: &MemoryArena) -> Result<usize, usize> {
    for i in 0..STEPS {
        let ok = match i % 4 {
            0 => arena.try_alloc([i as u64; 4]).is_ok(),
            1 => arena.try_alloc_str("some text of moderate length").is_ok(),
            2 => arena.try_alloc_slice_fill_copy(i * 40, 7u8).is_ok(),
            _ => arena
                .allocate(Layout::from_size_align(100 + i * 64, 64).unwrap())
                .is_ok(),
        };
        if !ok {
            return Err(i);
        }
    }
    Ok(STEPS)
}

#[test]
fn arena_failures_come_back_as_err_and_change_nothing() {
    for n in 0..ATTEMPTS {
        let mut arena = MemoryArena::builder().first_chunk_size(512).build();
        let (outcome, refused) = with_faults(Plan::FailNth(n), || {
            let capacity_before = arena.capacity_bytes();
            let result = arena_workload(&arena);
            (result, capacity_before)
        });
        let (result, _) = outcome;
        // A refused chunk either surfaces as `Err` or is absorbed: the arena retries with the
        // exact size the request needs. It never errs without a refusal.
        if result.is_err() {
            assert!(refused > 0, "an error without a refused request (n = {n})");
        }
        // Intact and usable afterwards, with the failed request leaving no trace.
        let used = arena.allocated_bytes();
        assert!(arena.capacity_bytes() >= used);
        assert_eq!(*arena.alloc(41u32), 41);
        arena.reset();
        assert_eq!(arena.allocated_bytes(), 0);
        assert!(arena_workload(&arena).is_ok());
    }
}

#[test]
fn arena_budget_exhaustion_is_clean() {
    // Less than the workload needs (it is shorter under Miri).
    let budget = if cfg!(miri) { 8 * 1024 } else { 64 * 1024 };
    let arena = MemoryArena::new();
    let (result, refused) = with_faults(Plan::Budget(budget), || arena_workload(&arena));
    assert!(refused > 0 && result.is_err());
    assert!(arena.capacity_bytes() <= budget);
    assert!(
        arena_workload(&arena).is_ok(),
        "usable once memory is available again"
    );
}

/// The blocks a workload holds, in a list made before the faults are armed (the test's own
/// allocations must not be refused).
type Live = Vec<(std::ptr::NonNull<[u8]>, Layout)>;

/// Allocates blocks of every route (small, medium, large); frees half as it goes. `live` has
/// room for `STEPS` blocks.
fn pool_workload<A: Allocator>(pool: &A, live: &mut Live) -> Result<(), ()> {
    for i in 0..STEPS {
        let size = match i % 3 {
            0 => 24 + i,
            1 => 10_000 + i * 100,
            _ => {
                if cfg!(miri) {
                    70_000
                } else {
                    2 << 20
                }
            }
        };
        let layout = Layout::from_size_align(size, 8).unwrap();
        match pool.allocate(layout) {
            Ok(block) => live.push((block, layout)),
            Err(_) => {
                for (block, layout) in live.drain(..) {
                    // SAFETY: live with `layout`.
                    unsafe { pool.deallocate(block.cast(), layout) };
                }
                return Err(());
            }
        }
        if i % 2 == 1 {
            let (block, layout) = live.swap_remove(0);
            // SAFETY: live with `layout`.
            unsafe { pool.deallocate(block.cast(), layout) };
        }
    }
    for (block, layout) in live.drain(..) {
        // SAFETY: live with `layout`.
        unsafe { pool.deallocate(block.cast(), layout) };
    }
    Ok(())
}

/// Every request fails in turn: first only the system-sized ones (a slab, a region, a large
/// block), each of which must surface as `Err`; then every request, the pools' own bookkeeping
/// included (slab lists, slab cache, large-block registry, the medium heap's index, thread
/// caches), where a refusal may also be absorbed (a thread served without a cache, a freed
/// medium range kept out of the index) but never aborts the process.
#[test]
fn pool_failures_come_back_as_err_and_leave_the_pool_valid() {
    let (mut live_a, mut live_b) = (Live::with_capacity(STEPS), Live::with_capacity(STEPS));
    for n in 0..ATTEMPTS {
        for (plan, system_sized) in [
            (Plan::FailNthAtLeast { n, min_size: 4096 }, true),
            (Plan::FailNth(n), false),
        ] {
            let local = LocalPool::new();
            let shared = MemoryPool::new();
            let ((a, b), refused) = with_faults(plan, || {
                (
                    pool_workload(&local, &mut live_a),
                    pool_workload(&shared, &mut live_b),
                )
            });
            if a.is_err() || b.is_err() {
                assert!(refused > 0, "an error without a refused request (n = {n})");
            }
            if system_sized && refused > 0 {
                assert!(
                    a.is_err() || b.is_err(),
                    "a refused slab or region must surface as Err"
                );
            }
            for stats in [local.stats(), shared.stats()] {
                assert_eq!((stats.live_bytes, stats.live_allocations), (0, 0));
            }
            assert_eq!(local.validate(), Ok(()));
            assert_eq!(shared.validate(), Ok(()));
            assert!(
                pool_workload(&local, &mut live_a).is_ok()
                    && pool_workload(&shared, &mut live_b).is_ok()
            );
        }
    }
}

#[test]
fn pool_budget_exhaustion_is_clean_and_pointers_report_it() {
    let pool = LocalPool::new();
    let (result, refused) = with_faults(Plan::Budget(300 * 1024), || {
        let mut pointers = Vec::new();
        loop {
            match MemoryPointer::try_from_slice_in(&[1u8; 3000][..], &pool) {
                Ok(p) => pointers.push(p),
                Err(_) => return pointers.len(),
            }
        }
    });
    assert!(
        refused > 0 && result > 10,
        "{result} pointers, {refused} refusals"
    );
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

/// Small blocks only (no medium B-tree involved): every request fails in turn, the pools' own
/// bookkeeping included (for `MemoryPool`, the thread cache it makes on first use: refused, the
/// thread is served through the shard locks), and each failure comes back as `Err`.
#[test]
fn pool_bookkeeping_failures_are_clean() {
    bookkeeping_failures_are_clean(LocalPool::new);
    bookkeeping_failures_are_clean(MemoryPool::new);
}

fn bookkeeping_failures_are_clean<R: lock_api::RawMutex>(
    new_pool: fn() -> memory_manager::pool::Pool<R>,
) {
    for n in 0..ATTEMPTS {
        let pool = new_pool();
        // The test's own list is allocated before the faults are armed.
        let mut blocks = Vec::with_capacity(40);
        let (result, refused) = with_faults(Plan::FailNth(n), || {
            for i in 0..40usize {
                let layout = Layout::from_size_align(16 << (i % 9), 8).unwrap();
                match pool.allocate(layout) {
                    Ok(block) => blocks.push((block, layout)),
                    Err(_) => break,
                }
            }
            let count = blocks.len();
            for (block, layout) in blocks.drain(..) {
                // SAFETY: live with `layout`.
                unsafe { pool.deallocate(block.cast(), layout) };
            }
            count
        });
        if refused == 0 {
            assert_eq!(result, 40);
        }
        assert_eq!(pool.stats().live_allocations, 0);
        assert_eq!(pool.validate(), Ok(()));
    }
}

/// Medium blocks only (8 KiB to 1 MiB), split, merged, grown and shrunk while every request
/// fails in turn. The medium heap's index used std's B-tree, which aborts the process when the
/// global allocator refuses one of its nodes; the index now reserves room before each insertion:
/// an allocation that cannot get it fails with `Err`, and a free that cannot is kept out of the
/// index (its bytes stay zeroed and reserved until the pool drops).
#[test]
fn medium_index_refusals_are_errors_not_aborts() {
    type MediumLive = Vec<(std::ptr::NonNull<u8>, Layout)>;
    /// `live` has room for every block (the test's own list must not allocate under faults).
    fn workload<A: Allocator>(pool: &A, live: &mut MediumLive) -> Result<(), ()> {
        let mut result = Ok(());
        for i in 0..STEPS / 4 {
            let layout = Layout::from_size_align(9_000 + (i % 7) * 13_000, 64).unwrap();
            match pool.allocate(layout) {
                Ok(block) => live.push((block.cast(), layout)),
                Err(_) => {
                    result = Err(());
                    break;
                }
            }
            if i % 3 == 2 {
                // Free a block from the middle: a hole, merged later with its neighbours.
                let (block, layout) = live.remove(live.len() / 2);
                // SAFETY: live with `layout`.
                unsafe { pool.deallocate(block, layout) };
            }
            if i % 5 == 4 {
                let (block, layout) = live.pop().unwrap();
                let bigger = Layout::from_size_align(layout.size() + 20_000, 64).unwrap();
                // SAFETY: live with `layout`; on failure it stays live with `layout`.
                match unsafe { pool.grow(block, layout, bigger) } {
                    Ok(grown) => live.push((grown.cast(), bigger)),
                    Err(_) => live.push((block, layout)),
                }
            }
        }
        for (block, layout) in live.drain(..) {
            // SAFETY: live with `layout`.
            unsafe { pool.deallocate(block, layout) };
        }
        result
    }
    let mut live_a = MediumLive::with_capacity(STEPS);
    let mut live_b = MediumLive::with_capacity(STEPS);
    for n in 0..ATTEMPTS {
        let local = LocalPool::new();
        let shared = MemoryPool::new();
        let ((a, b), refused) = with_faults(Plan::FailNth(n), || {
            (
                workload(&local, &mut live_a),
                workload(&shared, &mut live_b),
            )
        });
        if a.is_err() || b.is_err() {
            assert!(refused > 0, "an error without a refused request (n = {n})");
        }
        for pool_stats in [local.stats(), shared.stats()] {
            assert_eq!((pool_stats.live_bytes, pool_stats.live_allocations), (0, 0));
        }
        assert_eq!(local.validate(), Ok(()));
        assert_eq!(shared.validate(), Ok(()));
        // Usable again, with nothing refused.
        assert!(workload(&local, &mut live_a).is_ok() && workload(&shared, &mut live_b).is_ok());
        assert_eq!(local.validate(), Ok(()));
    }
}
