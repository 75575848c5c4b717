use super::*;
#[cfg(feature = "std")]
use crate::pool::size_class::class_index;
use crate::test_support::all_bytes_are;
use crate::test_support::scaled;
use allocator_api2::vec::Vec as AVec;
use std::format;
use std::string::ToString;

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

fn bytes_of(block: NonNull<[u8]>) -> &'static [u8] {
    // SAFETY: test callers pass live, initialised blocks and stop using the slice before
    // freeing them.
    unsafe { block.as_ref() }
}

#[test]
fn zero_sized_layouts_are_dangling_and_aligned() {
    let pool = LocalPool::new();
    for align_log in 0..16 {
        let l = layout(0, 1 << align_log);
        let p = pool.allocate(l).unwrap();
        assert_eq!(p.len(), 0);
        assert_eq!(p.cast::<u8>().addr().get() % l.align(), 0);
        // SAFETY: zero-sized blocks may be freed too.
        unsafe { pool.deallocate(p.cast(), l) };
    }
    assert_eq!(pool.stats(), PoolStats::default());
}

#[test]
fn every_alignment_including_above_a_page() {
    let pool = LocalPool::new();
    let mut blocks = std::vec::Vec::new();
    let sizes: &[usize] = if cfg!(miri) {
        &[1, 100, 9000]
    } else {
        &[1, 100, 5000, 20_000]
    };
    for align_log in 0..=14 {
        for &size in sizes {
            let l = layout(size, 1 << align_log);
            let p = pool.allocate(l).unwrap();
            assert_eq!(p.cast::<u8>().addr().get() % l.align(), 0, "{l:?}");
            assert!(all_bytes_are(bytes_of(p), 0), "{l:?} not zeroed");
            blocks.push((p, l));
        }
    }
    assert_eq!(pool.validate(), Ok(()));
    for (p, l) in blocks {
        // SAFETY: live with `l`.
        unsafe { pool.deallocate(p.cast(), l) };
    }
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn impossible_sizes_are_errors() {
    // Natively the system refuses these sizes; Miri stops the program instead of returning
    // null, so there a limit refuses them first (the same `Err` path for the caller).
    let pool = if cfg!(miri) {
        LocalPool::builder().max_bytes(1 << 30).build()
    } else {
        LocalPool::new()
    };
    assert!(
        pool.allocate(layout(isize::MAX as usize - 4095, 4096))
            .is_err()
    );
    assert!(pool.allocate(layout(1, 1 << 40)).is_err());
    assert!(pool.allocate(layout(usize::MAX / 4, 1)).is_err());
    assert_eq!(pool.stats().reserved_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn freed_blocks_are_reused_in_place_and_read_zero() {
    let pool = LocalPool::new();
    let l = layout(64, 8);
    let a = pool.allocate(l).unwrap();
    // SAFETY: 64 writable bytes.
    unsafe { a.cast::<u8>().as_ptr().write_bytes(0xAB, 64) };
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(a.cast(), l) };
    let b = pool.allocate(l).unwrap();
    assert_eq!(b.cast::<u8>(), a.cast::<u8>());
    assert!(all_bytes_are(bytes_of(b), 0), "reused block not zeroed");
    let s = pool.stats();
    assert_eq!(
        (s.reuse_hits, s.total_allocations, s.live_bytes),
        (1, 2, 64)
    );
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(b.cast(), l) };
}

#[test]
fn without_zeroing_freed_bytes_stay_but_allocate_zeroed_still_zeroes() {
    let pool = LocalPool::builder().zero_on_free(false).build();
    let l = layout(32, 8);
    let a = pool.allocate(l).unwrap();
    // SAFETY: 32 writable bytes.
    unsafe { a.cast::<u8>().as_ptr().write_bytes(0xCD, 32) };
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(a.cast(), l) };
    let b = pool.allocate(l).unwrap();
    assert_eq!(b.cast::<u8>(), a.cast::<u8>());
    assert_eq!(
        bytes_of(b)[8..],
        [0xCD; 24],
        "zeroing off keeps bytes (link word aside)"
    );
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(b.cast(), l) };
    let c = pool.allocate_zeroed(l).unwrap();
    assert!(all_bytes_are(bytes_of(c), 0));
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(c.cast(), l) };
}

#[test]
fn grow_and_shrink_keep_contents_across_routes() {
    let pool = LocalPool::new();
    // Under Miri, every byte checked costs microseconds: stop at medium sizes there (the large
    // route is covered by the over-aligned blocks of `every_alignment_including_above_a_page`).
    let sizes: &[usize] = if cfg!(miri) {
        &[1, 17, 100, 4000, 9000, 20_000]
    } else {
        &[1, 17, 100, 4000, 9000, 70_000, 2 << 20]
    };
    let mut l = layout(sizes[0], 8);
    let mut p = pool.allocate(l).unwrap().cast::<u8>();
    // SAFETY: one writable byte.
    unsafe { p.as_ptr().write(1) };
    for &size in &sizes[1..] {
        let new = layout(size, 8);
        // SAFETY: `p` is live with `l`.
        let grown = unsafe { pool.grow(p, l, new) }.unwrap();
        assert_eq!(grown.len(), size);
        let bytes = bytes_of(grown);
        assert_eq!(
            &bytes[..l.size()],
            &std::vec![1u8; l.size()][..],
            "grow to {size}"
        );
        assert!(all_bytes_are(&bytes[l.size()..], 0), "grown tail not zero");
        p = grown.cast();
        // SAFETY: fill the whole block.
        unsafe { p.as_ptr().write_bytes(1, size) };
        l = new;
        assert_eq!(pool.stats().live_bytes, size);
    }
    for &size in sizes.iter().rev().skip(1) {
        let new = layout(size, 8);
        // SAFETY: `p` is live with `l`.
        let shrunk = unsafe { pool.shrink(p, l, new) }.unwrap();
        assert!(all_bytes_are(bytes_of(shrunk), 1), "shrink to {size}");
        p = shrunk.cast();
        l = new;
        assert_eq!(pool.validate(), Ok(()));
    }
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(p, l) };
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

/// In debug mode every resize moves (so both blocks are checked); otherwise growth within a
/// class, or into a free neighbour, stays in place.
#[test]
fn growth_within_a_class_is_in_place() {
    let in_place = !cfg!(feature = "debug");
    let pool = LocalPool::new();
    let p = pool.allocate(layout(130, 8)).unwrap().cast::<u8>();
    // SAFETY: live with that layout; 130 and 144 share the 144-byte class.
    let q = unsafe { pool.grow(p, layout(130, 8), layout(144, 8)) }.unwrap();
    assert_eq!(q.cast::<u8>() == p, in_place);
    // Medium: the next range is free, so growing takes it in place.
    let m = pool.allocate(layout(10_000, 8)).unwrap().cast::<u8>();
    // SAFETY: live with that layout.
    let n = unsafe { pool.grow(m, layout(10_000, 8), layout(50_000, 8)) }.unwrap();
    assert_eq!(n.cast::<u8>() == m, in_place);
    assert_eq!(pool.stats().live_bytes, 144 + 50_000);
    // SAFETY: live with these layouts.
    unsafe {
        pool.deallocate(q.cast(), layout(144, 8));
        pool.deallocate(n.cast(), layout(50_000, 8));
    }
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn min_align_raises_every_block() {
    let pool = LocalPool::builder().min_align(128).build();
    let mut v: AVec<u8, &LocalPool> = AVec::new_in(&pool);
    for i in 0..scaled(10_000) {
        v.push(i as u8);
        assert_eq!(v.as_ptr().addr() % 128, 0);
    }
    let p = pool.allocate(layout(0, 1)).unwrap();
    assert_eq!(p.cast::<u8>().addr().get() % 128, 0);
}

static HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);
fn count_oom(_: Layout) {
    HANDLER_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn limit_calls_the_handler_then_errs_and_stays_usable() {
    let pool = LocalPool::builder()
        .max_bytes(3 * SLAB_SIZE)
        .oom_handler(count_oom)
        .build();
    let before = HANDLER_CALLS.load(Ordering::SeqCst);
    let l = layout(4096, 8);
    let mut blocks = std::vec::Vec::new();
    let err = loop {
        match pool.allocate(l) {
            Ok(p) => blocks.push(p),
            Err(e) => break e,
        }
    };
    let _ = err;
    assert_eq!(HANDLER_CALLS.load(Ordering::SeqCst), before + 1);
    assert!(pool.stats().reserved_bytes <= 3 * SLAB_SIZE);
    assert!(
        pool.allocate(layout(1 << 20, 8)).is_err(),
        "large past the limit"
    );
    assert_eq!(HANDLER_CALLS.load(Ordering::SeqCst), before + 2);
    assert_eq!(pool.validate(), Ok(()));
    let p = blocks.pop().unwrap();
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(p.cast(), l) };
    let again = pool.allocate(l).expect("usable again after a free");
    blocks.push(again);
    for p in blocks {
        // SAFETY: live with `l`.
        unsafe { pool.deallocate(p.cast(), l) };
    }
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn validate_catches_a_write_into_a_cached_slab() {
    // No block cache: a free goes straight to its slab.
    let pool = MemoryPool::builder().thread_cache(false).build();
    let l = layout(1024, 8);
    // Two slabs' worth of blocks, all freed: the slabs they emptied wait in the slab cache.
    let blocks: std::vec::Vec<_> = (0..2 * SLAB_SIZE / 1024)
        .map(|_| pool.allocate(l).unwrap().cast::<u8>())
        .collect();
    for &block in &blocks {
        // SAFETY: live with `l`.
        unsafe { pool.deallocate(block, l) };
    }
    let slab = *pool
        .cache
        .lock()
        .0
        .first()
        .expect("an emptied slab is cached");
    let stale = *blocks.iter().find(|&&b| Slab::of(b) == slab).unwrap();
    assert_eq!(pool.validate(), Ok(()));
    // A buggy caller writes through a stale pointer into the cached (wiped) slab.
    // SAFETY: for the test only: the slab is still the pool's, kept for reuse.
    unsafe { stale.as_ptr().add(5).write(3) };
    match pool.validate() {
        Err(PoolError::FreeBlockNotZero {
            block,
            size,
            offset,
        }) => {
            let at = stale.addr().get() + 5 - slab.addr().get();
            assert_eq!((block, size, offset), (slab.addr().get(), SLAB_SIZE, at));
        }
        other => panic!("expected FreeBlockNotZero, got {other:?}"),
    }
    // SAFETY: repair the damage.
    unsafe { stale.as_ptr().add(5).write(0) };
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn validate_catches_a_write_after_free() {
    let pool = LocalPool::new();
    let l = layout(64, 8);
    let a = pool.allocate(l).unwrap().cast::<u8>();
    let b = pool.allocate(l).unwrap();
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(a, l) };
    // A buggy caller writes through its stale pointer (the memory is still the pool's slab).
    // SAFETY: for the test only: the block lies in a live slab.
    unsafe { a.as_ptr().add(20).write(7) };
    match pool.validate() {
        Err(PoolError::FreeBlockNotZero { block, offset, .. }) => {
            assert_eq!((block, offset), (a.addr().get(), 20));
        }
        other => panic!("expected FreeBlockNotZero, got {other:?}"),
    }
    // SAFETY: repair the damage so the pool is consistent again.
    unsafe { a.as_ptr().add(20).write(0) };
    assert_eq!(pool.validate(), Ok(()));
    // The block waits in the pool's cache, which lists it from outside: even its first word
    // reads zero, so a write there is caught too (and cannot redirect the cache).
    // SAFETY: as above.
    unsafe {
        assert_eq!(a.cast::<usize>().read(), 0, "no link inside a cached block");
        a.as_ptr().write(1);
    }
    match pool.validate() {
        Err(PoolError::FreeBlockNotZero { block, offset, .. }) => {
            assert_eq!((block, offset), (a.addr().get(), 0));
        }
        other => panic!("expected FreeBlockNotZero, got {other:?}"),
    }
    // SAFETY: repair, then free `b`.
    unsafe { a.as_ptr().write(0) };
    assert_eq!(pool.validate(), Ok(()));
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(b.cast(), l) };
}

#[test]
fn trim_returns_empty_memory_and_dump_describes_the_pool() {
    let pool = LocalPool::new();
    let mut v: AVec<u64, &LocalPool> = AVec::new_in(&pool);
    v.extend(0..scaled(300_000) as u64);
    let small = AVec::<u8, &LocalPool>::with_capacity_in(40, &pool);
    let text = pool.dump().to_string();
    // The slab counts the live block and the blocks waiting in the pool's cache as used.
    let cached = pool.stats().cached_blocks;
    // With `std`, the pool keeps a cache of its own, which a refill filled.
    assert_eq!(cached > 0, cfg!(feature = "std"), "{text}");
    let class_line = format!("class 48 B: 1 slab(s), {} used", 1 + cached);
    assert!(text.contains(&class_line), "{text}");
    if cached > 0 {
        assert!(
            text.contains(&format!("{cached} free block(s) in thread caches")),
            "{text}"
        );
    }
    drop(v);
    pool.trim();
    let s = pool.stats();
    assert_eq!(
        s.reserved_bytes, SLAB_SIZE,
        "only the slab of the live block is kept"
    );
    assert_eq!(s.live_bytes, 40);
    drop(small);
    pool.trim();
    assert_eq!(pool.stats().reserved_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn dropping_a_pool_with_live_blocks_frees_them() {
    let pool = LocalPool::new();
    for size in [8, 9000, 2 << 20] {
        core::mem::forget(AVec::<u8, &LocalPool>::with_capacity_in(size, &pool));
    }
    assert_eq!(pool.stats().live_allocations, 3);
    drop(pool); // Miri checks that nothing leaks
}

#[test]
fn with_capacity_reserves_up_front() {
    let pool = LocalPool::with_capacity(200_000);
    assert_eq!(pool.stats().reserved_bytes, 4 * SLAB_SIZE);
    let p = pool.allocate(layout(100, 8)).unwrap();
    assert_eq!(
        pool.stats().reserved_bytes,
        4 * SLAB_SIZE,
        "served from the reserve"
    );
    // SAFETY: live with that layout.
    unsafe { pool.deallocate(p.cast(), layout(100, 8)) };
    assert!(
        LocalPool::builder()
            .max_bytes(1000)
            .capacity(200_000)
            .try_build()
            .is_err()
    );
}

#[test]
#[should_panic(expected = "LocalLock locked twice")]
fn local_lock_refuses_reentry() {
    use lock_api::RawMutex as _;
    let lock = LocalLock::INIT;
    lock.lock();
    lock.lock();
}

#[test]
fn pools_are_send_and_memory_pool_is_sync() {
    fn send<T: Send>() {}
    send::<LocalPool>();
    #[cfg(feature = "std")]
    {
        fn sync<T: Sync>() {}
        send::<MemoryPool>();
        sync::<MemoryPool>();
    }
}

/// A block pointer that may cross threads in a test.
#[cfg(feature = "std")]
struct SendPtr(NonNull<u8>);
// SAFETY: the tests hand each block to exactly one other thread, which then owns it.
#[cfg(feature = "std")]
unsafe impl Send for SendPtr {}

#[cfg(feature = "std")]
#[test]
fn cross_thread_frees_go_back_to_the_owner() {
    let pool = MemoryPool::builder().shards(4).build();
    let l = layout(48, 8);
    let blocks: std::vec::Vec<SendPtr> = std::thread::scope(|s| {
        s.spawn(|| {
            (0..scaled(1000))
                .map(|_| SendPtr(pool.allocate(l).unwrap().cast::<u8>()))
                .collect()
        })
        .join()
        .unwrap()
    });
    std::thread::scope(|s| {
        s.spawn(|| {
            for block in blocks {
                // SAFETY: every block is live with `l`.
                unsafe { pool.deallocate(block.0, l) };
            }
        });
    });
    let s = pool.stats();
    assert_eq!((s.live_bytes, s.live_allocations), (0, 0));
    assert_eq!(pool.validate(), Ok(()));
}

// ----- thread caches ------------------------------------------------------------------------

#[cfg(feature = "std")]
#[test]
fn thread_cache_reuses_freed_blocks_without_the_shards() {
    let pool = MemoryPool::new();
    let l = layout(64, 8);
    let a = pool.allocate(l).unwrap().cast::<u8>();
    // The first allocation refilled half a bin (32 blocks of 64 B) from a fresh slab.
    assert_eq!(pool.stats().cached_blocks, 31);
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(a, l) };
    assert_eq!(pool.stats().cached_blocks, 32);
    let b = pool.allocate(l).unwrap();
    assert_eq!(b.cast::<u8>(), a, "the block just freed comes back first");
    assert!(all_bytes_are(bytes_of(b), 0), "and reads zero");
    let s = pool.stats();
    assert_eq!(
        (s.reuse_hits, s.total_allocations, s.live_bytes),
        (1, 2, 64)
    );
    assert_eq!(pool.validate(), Ok(()));
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(b.cast(), l) };
    pool.trim();
    assert_eq!(pool.stats().cached_blocks, 0);
    assert_eq!(pool.stats().reserved_bytes, 0);
}

/// The class a `size`-byte request lands in (debug mode adds a canary after each block).
#[cfg(feature = "std")]
fn class_of(size: usize) -> usize {
    #[cfg(feature = "debug")]
    let size = size + debug::CANARY.len();
    class_index(size)
}

#[cfg(feature = "std")]
#[test]
fn a_full_bin_flushes_a_batch_back_to_the_slabs() {
    let pool = MemoryPool::new();
    // A class whose grown bin holds a thousand blocks (64-byte bins grow to 16,384; under Miri,
    // where grown bins are smaller, 128 and 2,048).
    let l = layout(1024, 8);
    let class = class_of(1024);
    let (most, batch) = (
        thread_cache::grown_bin_capacity(class),
        thread_cache::batch_size(class),
    );
    // Enough refills to grow the bin to its most, and 176 blocks more.
    let n = most + 176;
    let blocks: std::vec::Vec<_> = (0..n).map(|_| pool.allocate(l).unwrap()).collect();
    // SAFETY: this thread owns its cache.
    let limit = unsafe { pool.thread_cache().unwrap().limit(class) };
    assert_eq!(limit, most, "the refills grew the bin to its most");
    // What the last refill left in the bin, then a model of the frees: a free into a full
    // bin first gives a batch back.
    let mut model = pool.stats().cached_blocks;
    for &block in &blocks {
        // SAFETY: live with `l`.
        unsafe { pool.deallocate(block.cast(), l) };
        if model >= most {
            model -= batch;
        }
        model += 1;
        let cached = pool.stats().cached_blocks;
        assert_eq!(cached, model);
        assert!(
            cached <= most,
            "{cached} blocks cached: the bin holds at most {most}"
        );
    }
    let s = pool.stats();
    assert_eq!((s.live_bytes, s.live_allocations), (0, 0));
    assert_eq!(pool.validate(), Ok(()));
    let dump = pool.dump();
    assert_eq!(dump.thread_caches, 1);
    assert!(dump.to_string().contains("thread caches: 1"), "{dump}");
}

#[cfg(feature = "std")]
#[test]
fn a_bin_grows_while_its_thread_keeps_refilling() {
    let pool = MemoryPool::new();
    let l = layout(64, 8);
    let cache = pool.thread_cache().expect("MemoryPool has thread caches");
    let class = class_of(64);
    let (start, batch) = (
        thread_cache::bin_capacity(class),
        thread_cache::batch_size(class),
    );
    // SAFETY: this thread owns its cache.
    assert_eq!(unsafe { cache.limit(class) }, start);
    // A working set of 300 blocks, cycled: the refills of the first cycle grow the bin.
    for round in 0..3 {
        let blocks: std::vec::Vec<_> = (0..300).map(|_| pool.allocate(l).unwrap()).collect();
        for block in blocks {
            // SAFETY: live with `l`.
            unsafe { pool.deallocate(block.cast(), l) };
        }
        // SAFETY: as above.
        let limit = unsafe { cache.limit(class) };
        assert!(limit >= 300, "round {round}: the bin holds {limit}");
        // Every block stayed in the bin, with what the last refill of the first round left.
        assert_eq!(
            pool.stats().cached_blocks,
            batch * 300usize.div_ceil(batch),
            "round {round}"
        );
    }
    // Only the first round refilled (once per batch, from an empty bin); later rounds found
    // every block in the bin, so it stopped growing.
    // SAFETY: as above.
    let settled = unsafe { cache.limit(class) };
    assert_eq!(settled, start + batch * 300usize.div_ceil(batch));
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn bins_grow_within_the_cache_budget() {
    const BUDGET: usize = 96 * 1024;
    let pool = MemoryPool::builder().thread_cache_bytes(BUDGET).build();
    let cache = pool.thread_cache().expect("MemoryPool has thread caches");
    // SAFETY: this thread owns its cache.
    assert_eq!(unsafe { cache.growth_budget() }, BUDGET);
    // Twelve classes, each cycling 32 KiB of blocks: together they would grow by ~384 KiB,
    // four times the budget.
    let sizes = [
        512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584,
    ];
    let classes: std::collections::BTreeSet<usize> = sizes.iter().map(|&s| class_of(s)).collect();
    assert_eq!(classes.len(), sizes.len(), "distinct classes");
    for &size in &sizes {
        cycle(&pool, layout(size, 16), 32 * 1024 / size, 1);
    }
    // SAFETY: this thread owns its cache.
    let grown = unsafe { cache.grown_bytes() };
    assert!(grown <= BUDGET, "{grown} bytes of growth");
    // The largest step is a batch of 512-byte blocks (8: 4 KiB).
    assert!(
        grown + 4096 > BUDGET,
        "growth stopped only at the budget: {grown} bytes"
    );
    let stopped = sizes.iter().filter(|&&size| {
        // SAFETY: as above.
        let limit = unsafe { cache.limit(class_of(size)) };
        limit < 32 * 1024 / size
    });
    assert!(
        stopped.count() > 0,
        "the budget kept some bins from growing"
    );
    assert_eq!(pool.validate(), Ok(()));
    pool.trim();
    assert_eq!(pool.stats().reserved_bytes, 0);
}

/// Cycles `n` blocks of `l` through `pool` `rounds` times; returns the blocks cached after
/// each round.
#[cfg(feature = "std")]
fn cycle<R: RawMutex>(pool: &Pool<R>, l: Layout, n: usize, rounds: usize) -> std::vec::Vec<usize> {
    (0..rounds)
        .map(|_| {
            let blocks: std::vec::Vec<_> = (0..n).map(|_| pool.allocate(l).unwrap()).collect();
            for block in blocks {
                // SAFETY: live with `l`.
                unsafe { pool.deallocate(block.cast(), l) };
            }
            pool.stats().cached_blocks
        })
        .collect()
}

#[cfg(feature = "std")]
#[test]
fn thread_cache_bytes_sets_how_far_a_bin_grows() {
    let n = scaled(10_000);
    let l = layout(64, 8);
    let class = class_of(64);
    let start = thread_cache::bin_capacity(class);
    // The default budget keeps a whole batch of 64-byte blocks: after the first round every
    // block is in the bin (with what the last refill left), and the count stays put.
    let pool = LocalPool::new();
    let cached = cycle(&pool, l, n, 3);
    assert!(cached[0] >= n, "{cached:?}");
    assert_eq!(cached[1], cached[0]);
    assert_eq!(cached[2], cached[0]);
    assert_eq!(pool.validate(), Ok(()));
    // No budget: the bin never grows, so frees past its starting size go back to the slabs.
    let pool = LocalPool::builder().thread_cache_bytes(0).build();
    let cached = cycle(&pool, l, n, 2);
    assert!(cached.iter().all(|&c| c <= start), "{cached:?}");
    assert_eq!(pool.validate(), Ok(()));
    // A budget of 8 KiB: 128 blocks of growth beyond the start.
    let pool = LocalPool::builder().thread_cache_bytes(8 * 1024).build();
    let cached = cycle(&pool, l, n, 2);
    let most = start + 8 * 1024 / class_size(class);
    assert!(cached.iter().all(|&c| c <= most), "{cached:?}");
    assert!(cached.iter().all(|&c| c > start), "{cached:?}");
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
static RECLAIM_HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);
#[cfg(feature = "std")]
fn count_reclaim_oom(_: Layout) {
    RECLAIM_HANDLER_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[cfg(feature = "std")]
#[test]
fn max_bytes_empties_the_cache_before_refusing_another_size() {
    let pool = LocalPool::builder()
        .max_bytes(2 * SLAB_SIZE)
        .oom_handler(count_reclaim_oom)
        .build();
    // Two slabs of small blocks (less the slabs' headers), all freed into the pool's cache
    // (which now holds both slabs as used). 64-byte blocks; 512-byte ones under Miri, an
    // eighth as many operations.
    let size = if cfg!(miri) { 512 } else { 64 };
    let small = layout(size, 8);
    let n = (2 * SLAB_SIZE - 4096) / class_size(class_of(size));
    let cached = cycle(&pool, small, n, 1)[0];
    assert!(cached >= n, "{cached} blocks cached");
    assert_eq!(pool.stats().reserved_bytes, 2 * SLAB_SIZE);
    // Another class needs a slab of its own: the pool gives the idle ones back first.
    let big = layout(2048, 8);
    let block = pool.allocate(big).expect("the cached blocks made way");
    assert_eq!(RECLAIM_HANDLER_CALLS.load(Ordering::SeqCst), 0);
    // Only what the refill of the new class left is cached.
    assert!(pool.stats().cached_blocks < thread_cache::batch_size(class_of(2048)));
    assert_eq!(pool.stats().reserved_bytes, SLAB_SIZE);
    assert_eq!(pool.validate(), Ok(()));
    // The same for a request past the slabs, straight from the system.
    // SAFETY: live with `big`.
    unsafe { pool.deallocate(block.cast(), big) };
    // (An alignment past the medium granule sends it to the system whatever its size.)
    let large = layout(SLAB_SIZE + SLAB_SIZE / 2, 512);
    let block = pool.allocate(large).expect("the cached slab made way");
    // SAFETY: live with `large`; fresh memory reads as zero.
    assert!(unsafe { is_zeroed(block.cast(), large.size()) });
    // SAFETY: as above.
    unsafe { pool.deallocate(block.cast(), large) };
    assert_eq!(RECLAIM_HANDLER_CALLS.load(Ordering::SeqCst), 0);
    // What the limit refuses even then is refused, with the handler called once.
    assert!(pool.allocate(layout(3 * SLAB_SIZE, 8)).is_err());
    assert_eq!(RECLAIM_HANDLER_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn max_bytes_gives_idle_slabs_back_before_refusing_a_region() {
    use crate::pool::medium::REGION_SIZE;
    let pool = LocalPool::builder().max_bytes(REGION_SIZE).build();
    // A region's worth of 1 KiB blocks, freed: some stay cached, the rest go back to slabs
    // that are kept, empty, for reuse.
    let small = layout(1024, 8);
    let n = REGION_SIZE / SLAB_SIZE * (SLAB_SIZE / class_size(class_of(1024)) - 4);
    cycle(&pool, small, n, 1);
    assert!(pool.stats().reserved_bytes >= REGION_SIZE / 2);
    // A medium block needs a region: everything idle goes back first.
    let medium = layout(8 * 1024 + 256, 8);
    assert!(matches!(
        route(medium, 1),
        crate::pool::size_class::Route::Medium(_)
    ));
    let block = pool.allocate(medium).expect("the idle slabs made way");
    assert_eq!(pool.stats().reserved_bytes, REGION_SIZE);
    assert_eq!(pool.stats().cached_blocks, 0);
    assert_eq!(pool.validate(), Ok(()));
    // SAFETY: live with `medium`.
    unsafe { pool.deallocate(block.cast(), medium) };
}

#[cfg(feature = "std")]
#[test]
fn validate_walks_the_callers_thread_cache() {
    let pool = MemoryPool::new();
    let l = layout(48, 8);
    let a = pool.allocate(l).unwrap().cast::<u8>();
    // SAFETY: live with `l`; it goes to this thread's cache.
    unsafe { pool.deallocate(a, l) };
    // A buggy caller writes through its stale pointer into the cached block.
    // SAFETY: for the test only: the block lies in a live slab.
    unsafe { a.as_ptr().add(30).write(1) };
    match pool.validate() {
        Err(PoolError::FreeBlockNotZero { block, offset, .. }) => {
            assert_eq!((block, offset), (a.addr().get(), 30));
        }
        other => panic!("expected FreeBlockNotZero, got {other:?}"),
    }
    // SAFETY: repair the damage.
    unsafe { a.as_ptr().add(30).write(0) };
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn thread_caches_of_exited_threads_are_adopted_and_trimmed() {
    let pool = MemoryPool::new();
    let l = layout(256, 16);
    let rounds = scaled(6);
    for _ in 0..rounds {
        std::thread::scope(|s| {
            s.spawn(|| {
                let blocks: std::vec::Vec<_> = (0..10).map(|_| pool.allocate(l).unwrap()).collect();
                for block in blocks {
                    // SAFETY: live with `l`.
                    unsafe { pool.deallocate(block.cast(), l) };
                }
            });
        });
    }
    // A thread hands its cache back in its thread-local destructor, which may trail `scope`:
    // each round adopts the last one's cache, or at worst starts one more.
    let caches = pool.dump().thread_caches;
    assert!((1..=rounds).contains(&caches), "{caches} caches");
    // Every cache is ownerless once the threads are fully gone; `trim` then empties them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pool.stats().reserved_bytes != 0 {
        assert!(std::time::Instant::now() < deadline, "{:?}", pool.stats());
        std::thread::yield_now();
        pool.trim();
    }
    let s = pool.stats();
    assert_eq!((s.cached_blocks, s.live_bytes), (0, 0));
    assert_eq!(s.total_allocations, 10 * rounds);
    assert_eq!(pool.validate(), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn thread_cache_off_takes_the_shard_path() {
    let pool = MemoryPool::builder().thread_cache(false).build();
    let l = layout(64, 8);
    let a = pool.allocate(l).unwrap();
    // SAFETY: live with `l`.
    unsafe { pool.deallocate(a.cast(), l) };
    let s = pool.stats();
    assert_eq!((s.cached_blocks, s.live_bytes), (0, 0));
    assert_eq!(pool.dump().thread_caches, 0);
    assert_eq!(pool.validate(), Ok(()));
}
