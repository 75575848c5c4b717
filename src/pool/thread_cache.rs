//! Per-thread caches in front of a `MemoryPool`'s shards: the hot path with no lock and no
//! atomic read-modify-write.
//!
//! A shard lock costs two atomic instructions per operation even uncontended (about 20 ns per
//! allocate/free pair on the 2-core machine the benchmarks ran on, four times glibc's whole
//! pair). So each thread keeps, per size class, a short list of free blocks (a *bin*) it took
//! from the shards or freed itself: allocation pops from it, free pushes onto it, and the shard
//! lock is taken once per refill or flush of half a bin (up to 32 blocks) instead of once per
//! block. Blocks in a bin still count as used in their slab, so a slab is never given back
//! while a cache holds one of its blocks.
//!
//! A bin is an array of pointers beside the blocks, not a list through them: popping a block
//! reads the array, whose next entries are already in cache, instead of the block's first
//! word, whose line is usually cold (on 10k × 64 B batches with zeroing on, a third of the
//! samples sat on that load; perf). A cached block thus holds no pointer: with zeroing on it
//! reads zero throughout, which `validate` and debug mode check, and a write after free cannot
//! redirect the cache. The arrays come from the global allocator, 8 bytes per block a bin may
//! hold (at most half the bytes of the blocks themselves); if it refuses one, the thread's
//! blocks of that class go to and from the shard directly.
//!
//! A bin starts small (8 KiB of blocks, at most 64) and grows by a batch at every refill, up to
//! 1 MiB of blocks (at most 16,384), within the pool's growth budget per cache
//! ([`PoolBuilder::thread_cache_bytes`](crate::PoolBuilder::thread_cache_bytes), 4 MiB by
//! default): a thread that cycles through more blocks of a class than the bin holds (allocate
//! ten thousand, free them, again) stops paying a lock and a list walk per batch once its bin
//! holds the whole cycle. Measured on 1k × 64 B batches, one thread: 1.48 ms with fixed 64-block
//! bins, 0.89 ms grown (mimalloc: 0.83 ms); on 10k × 64 B batches, a `LocalPool` whose bins
//! stopped at 64 KiB passed nine blocks in ten through a refill and a flush (in batches of 32)
//! and took 1.0-1.3x mimalloc's time, 0.6-0.65x once the bin held the whole batch (then
//! 0.45-0.48x with bins as arrays, below). Threads that never refill keep small bins.
//!
//! A cache is found through a one-entry thread-local cache keyed by the pool's unique id, as
//! `SharedArena` finds its lanes. When a thread exits, its caches are handed back (marked
//! ownerless, blocks and counters included) and the next thread that meets the pool adopts one,
//! or [`Pool::trim`](crate::pool::Pool::trim) empties it. The caches themselves are freed with
//! the pool.
//!
//! Counters live in the cache as relaxed atomics that only the owner writes (a plain load and
//! store each, no locked instruction), so `stats` can read them from any thread; they are
//! exact once the threads that use the pool are quiet.

use crate::pool::shard::Event;
use crate::pool::size_class::{CLASS_COUNT, class_size};
use core::cell::{Cell, RefCell, UnsafeCell};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::boxed::Box;
use std::sync::{Arc, Weak};
use std::thread::ThreadId;
use std::vec::Vec;

/// Ids are never reused, so a thread's cached entry can never be mistaken for another pool's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh pool id (never 0, which matches no pool).
pub(crate) fn next_pool_id() -> u64 {
    NEXT_ID.fetch_add(1, Relaxed)
}

/// The most bytes a bin holds before it grows; fewer blocks for larger classes.
const BIN_BYTES: usize = 8 * 1024;
/// The most blocks a bin holds before it grows.
const MAX_BIN_BLOCKS: usize = 64;
/// The most bytes a grown bin holds. Smaller under Miri, as the medium heap's regions are:
/// growing a bin to its most takes that many allocations, and there each costs milliseconds.
const GROWN_BIN_BYTES: usize = if cfg!(miri) { 128 * 1024 } else { 1024 * 1024 };
/// The most blocks a grown bin holds.
const MAX_GROWN_BIN_BLOCKS: usize = 16 * 1024;
/// The fewest blocks a full bin holds (for the largest classes).
const MIN_BIN_BLOCKS: usize = 2;

/// How many blocks the bin of each class may hold, computed once at compile time: on the hot
/// path a division by the class size cost a `div` per push (15% of a refill, measured).
const BIN_CAPACITY: [u8; CLASS_COUNT] = {
    let mut table = [0u8; CLASS_COUNT];
    let mut class = 0;
    while class < CLASS_COUNT {
        let blocks = BIN_BYTES / class_size(class);
        let blocks = if blocks < MIN_BIN_BLOCKS {
            MIN_BIN_BLOCKS
        } else if blocks > MAX_BIN_BLOCKS {
            MAX_BIN_BLOCKS
        } else {
            blocks
        };
        table[class] = blocks as u8;
        class += 1;
    }
    table
};
const _: () = assert!(MAX_BIN_BLOCKS <= u8::MAX as usize);

/// How many blocks the bin of each class may hold once grown (at least its starting capacity).
const GROWN_BIN_CAPACITY: [u16; CLASS_COUNT] = {
    let mut table = [0u16; CLASS_COUNT];
    let mut class = 0;
    while class < CLASS_COUNT {
        let blocks = GROWN_BIN_BYTES / class_size(class);
        let blocks = if blocks > MAX_GROWN_BIN_BLOCKS {
            MAX_GROWN_BIN_BLOCKS
        } else {
            blocks
        };
        let base = BIN_CAPACITY[class] as usize;
        table[class] = if blocks < base { base } else { blocks } as u16;
        class += 1;
    }
    table
};
const _: () = assert!(MAX_GROWN_BIN_BLOCKS <= u16::MAX as usize);

/// How many blocks the bin of `class` may hold once grown.
#[inline]
pub(crate) fn grown_bin_capacity(class: usize) -> usize {
    usize::from(GROWN_BIN_CAPACITY[class])
}

/// How many blocks the bin of `class` may hold.
#[inline(always)]
pub(crate) fn bin_capacity(class: usize) -> usize {
    debug_assert!(class < CLASS_COUNT, "class {class} out of range");
    usize::from(BIN_CAPACITY[class])
}

/// How many blocks a refill takes from the shard, and a flush gives back: half a bin, so that
/// a thread alternating around the boundary does not take the lock every time.
#[inline(always)]
pub(crate) fn batch_size(class: usize) -> usize {
    bin_capacity(class).div_ceil(2)
}

/// Every pool's list of caches, shared with the threads' exit hooks (which hold it weakly).
pub(crate) type CacheList = lock_api::Mutex<parking_lot::RawMutex, Vec<CacheSlot>>;

/// A cache and the thread that owns it (`None`: its thread exited; free to adopt or empty).
pub(crate) struct CacheSlot {
    pub(crate) thread: Option<ThreadId>,
    pub(crate) cache: NonNull<ThreadCache>,
}

// SAFETY: the slot is only read or written under the list's lock; the cache it points to is
// used by its owning thread alone, or by whoever holds the lock while it has no owner.
unsafe impl Send for CacheSlot {}

std::thread_local! {
    /// The cache this thread used last: (pool id, cache). Id 0 matches no pool.
    static LAST_CACHE: Cell<(u64, *const ThreadCache)> =
        const { Cell::new((0, core::ptr::null())) };
    /// The caches this thread owns, handed back when it exits.
    static OWNED_CACHES: RefCell<CacheRelease> = const { RefCell::new(CacheRelease(Vec::new())) };
}

/// Marks a thread's caches ownerless when the thread exits.
struct CacheRelease(Vec<(Weak<CacheList>, NonNull<ThreadCache>)>);

impl Drop for CacheRelease {
    fn drop(&mut self) {
        // From here on this thread must not use a cached entry: the cache may be adopted.
        let _ = LAST_CACHE.try_with(|last| last.set((0, core::ptr::null())));
        for (list, cache) in self.0.drain(..) {
            if let Some(list) = list.upgrade() {
                for slot in list.lock().iter_mut().filter(|slot| slot.cache == cache) {
                    slot.thread = None;
                }
            }
        }
    }
}

/// The calling thread's cache for the pool `(id, list)`, made or adopted on first use. `None`
/// while the thread is being torn down and has no cache of this pool yet.
#[inline(always)]
pub(crate) fn current(id: u64, list: &Arc<CacheList>, growth: usize) -> Option<&ThreadCache> {
    if let Ok((last_id, cache)) = LAST_CACHE.try_with(Cell::get)
        && last_id == id
    {
        // SAFETY: the entry only ever holds this thread's own cache of the pool with this id;
        // ids are unique, and a cache lives (boxed, never moved) as long as its pool, which is
        // alive: the caller is one of its methods.
        return Some(unsafe { &*cache });
    }
    current_slow(id, list, growth)
}

#[cold]
#[inline(never)]
fn current_slow(id: u64, list: &Arc<CacheList>, growth: usize) -> Option<&ThreadCache> {
    let me = std::thread::current().id();
    let mut slots = list.lock();
    let cache = if let Some(slot) = slots.iter().find(|slot| slot.thread == Some(me)) {
        slot.cache
    } else {
        // Room to remember the cache for the thread's exit: without it (a thread past its
        // thread-local destructors, or memory refused) the thread goes without a cache.
        let room = OWNED_CACHES.try_with(|owned| {
            let owned = &mut owned.borrow_mut().0;
            // Forget the caches of pools dropped since: a long-lived thread that meets many
            // short-lived pools keeps one entry per live pool, not one per pool ever seen.
            owned.retain(|(list, _)| list.strong_count() > 0);
            owned.try_reserve(1).is_ok()
        });
        if room != Ok(true) {
            return None;
        }
        let cache = match slots.iter_mut().find(|slot| slot.thread.is_none()) {
            Some(orphan) => {
                orphan.thread = Some(me);
                orphan.cache
            }
            None => {
                // Every allocation here may be refused: the pool then serves this thread
                // through the shard locks, as if it had no thread caches.
                slots.try_reserve(1).ok()?;
                let cache = allocate_cache(growth)?;
                slots.push(CacheSlot {
                    thread: Some(me),
                    cache,
                });
                cache
            }
        };
        // Cannot fail or allocate: room was reserved above.
        let _ =
            OWNED_CACHES.try_with(|owned| owned.borrow_mut().0.push((Arc::downgrade(list), cache)));
        cache
    };
    drop(slots);
    let cache: *const ThreadCache = cache.as_ptr();
    let _ = LAST_CACHE.try_with(|last| last.set((id, cache)));
    // SAFETY: this thread's own cache, boxed and kept until the pool is dropped.
    Some(unsafe { &*cache })
}

/// A new cache listed with no thread, for a pool to own itself (`Config::owned_cache`), or
/// `None` if the global allocator refuses the memory. No thread adopts it: the pool that owns
/// it never looks caches up by thread.
pub(crate) fn new_unowned(list: &CacheList, growth: usize) -> Option<OwnedCache> {
    let mut slots = list.lock();
    slots.try_reserve(1).ok()?;
    let cache = allocate_cache(growth)?;
    slots.push(CacheSlot {
        thread: None,
        cache,
    });
    Some(OwnedCache(cache))
}

/// The cache a pool owns itself (`Config::owned_cache`), freed with the pool's cache list.
#[derive(Clone, Copy)]
pub(crate) struct OwnedCache(NonNull<ThreadCache>);

// SAFETY: a cache has no thread affinity (no thread-local state, nothing tied to the thread
// that made it): moving the pool that owns it to another thread moves the cache's only user.
unsafe impl Send for OwnedCache {}
// SAFETY: only pools built through `PoolBuilder<LocalLock>` hold one, and `LocalLock` makes those
// pools `!Sync`, so no two threads can reach the same `OwnedCache`; in every `Sync` pool the
// field is `None`.
unsafe impl Sync for OwnedCache {}

impl OwnedCache {
    /// The cache.
    ///
    /// # Safety
    ///
    /// The pool that owns the cache is alive (the cache is freed with it), and the caller is
    /// one of its methods: the pool is `!Sync`, so the calling thread is its only user.
    #[inline(always)]
    pub(crate) unsafe fn get(&self) -> &ThreadCache {
        // SAFETY: allocated by `allocate_cache` and freed only with the pool (caller's promise).
        unsafe { self.0.as_ref() }
    }
}

/// A new, empty cache whose bins may grow by `growth` bytes together, from the global
/// allocator (freed as a `Box` by [`free_all`]), or `None` if the allocator refuses.
fn allocate_cache(growth: usize) -> Option<NonNull<ThreadCache>> {
    let layout = core::alloc::Layout::new::<ThreadCache>();
    // SAFETY: the layout has a non-zero size.
    let cache = NonNull::new(unsafe { std::alloc::alloc(layout) }.cast::<ThreadCache>())?;
    // SAFETY: freshly allocated for a `ThreadCache`, so valid for this write and aligned.
    unsafe { cache.write(ThreadCache::new(growth)) };
    Some(cache)
}

/// Frees every cache of a pool that is being dropped. The blocks in them need no attention:
/// the pool frees their slabs.
///
/// # Safety
///
/// Called once, from the pool's drop: no thread can use the pool's caches any more (a thread
/// reaches a cache only through the pool's id, inside one of its methods).
pub(crate) unsafe fn free_all(list: &CacheList) {
    for slot in list.lock().drain(..) {
        // SAFETY: allocated by `allocate_cache` with the global allocator and the layout of a
        // `ThreadCache`, as a `Box` is; freed once here (the caller's promise).
        drop(unsafe { Box::from_raw(slot.cache.as_ptr()) });
    }
}

/// Free blocks of one class, as an array of pointers beside the blocks (jemalloc's tcache
/// keeps its bins the same way): taking a block reads the array, not the block, so allocation
/// never waits for a block's cache line, and a freed block holds no pointer at all (with
/// zeroing on, a cached block reads zero throughout; a write after free cannot redirect the
/// cache). Bit 0 of an entry says that the block came straight from a slab's never-used tail
/// (so handing it out is not a reuse); blocks are 16-aligned, so the bit is free.
#[derive(Clone, Copy)]
struct Bin {
    /// `cap` entries from the global allocator (null while `cap` is 0), `len` of them in use.
    slots: *mut *mut u8,
    /// Entries allocated: 0, or exactly `limit` (the array grows with the limit).
    cap: usize,
    len: usize,
    /// How many blocks the bin may hold now: [`bin_capacity`] at first, growing towards
    /// [`grown_bin_capacity`] (see [`ThreadCache::grow_bin`]).
    limit: usize,
}

impl Bin {
    /// Gives the array `limit` entries (allocating or reallocating it); `false`, and the bin
    /// unchanged, if the global allocator refuses.
    #[cold]
    fn resize_slots(&mut self, limit: usize) -> bool {
        let Ok(new) = core::alloc::Layout::array::<*mut u8>(limit) else {
            return false;
        };
        let slots = if self.cap == 0 {
            // SAFETY: `limit >= MIN_BIN_BLOCKS > 0`, so the layout has a non-zero size.
            unsafe { std::alloc::alloc(new) }
        } else {
            let old = core::alloc::Layout::array::<*mut u8>(self.cap).expect("allocated before");
            // SAFETY: `slots` was allocated with `old` by this global allocator; the new size
            // is non-zero and fits `isize` (checked by `Layout::array`).
            unsafe { std::alloc::realloc(self.slots.cast(), old, new.size()) }
        };
        if slots.is_null() {
            return false;
        }
        self.slots = slots.cast();
        self.cap = limit;
        true
    }

    /// Frees the array (the blocks it lists are the pool's business).
    fn free_slots(&mut self) {
        if self.cap > 0 {
            let layout = core::alloc::Layout::array::<*mut u8>(self.cap).expect("allocated before");
            // SAFETY: allocated with `layout` by this global allocator (`resize_slots`).
            unsafe { std::alloc::dealloc(self.slots.cast(), layout) };
            self.slots = core::ptr::null_mut();
            self.cap = 0;
        }
    }
}

/// A cache's bins, and how much room they gained by growing.
struct Bins {
    bins: [Bin; CLASS_COUNT],
    grown_bytes: usize,
    /// The most room, in bytes, the bins may gain together (the pool's setting).
    growth_budget: usize,
}

/// One thread's cache for one pool.
pub(crate) struct ThreadCache {
    /// Touched only by the owning thread, or under the pool's cache-list lock while the cache
    /// has no owner.
    bins: UnsafeCell<Bins>,
    pub(crate) counters: CacheCounters,
}

/// What went through a cache; written by its owner, read by anyone.
#[derive(Default)]
pub(crate) struct CacheCounters {
    pub(crate) allocated_bytes: AtomicUsize,
    pub(crate) allocations: AtomicUsize,
    pub(crate) freed_bytes: AtomicUsize,
    pub(crate) frees: AtomicUsize,
    pub(crate) peak_live_bytes: AtomicUsize,
    pub(crate) reuse_hits: AtomicUsize,
    /// Blocks sitting in the bins (each counted as used by its slab).
    pub(crate) cached_blocks: AtomicUsize,
}

/// Adds to a counter that only one thread writes: a load and a store, no locked instruction.
#[inline(always)]
fn bump(counter: &AtomicUsize, by: usize) {
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Subtracts from a counter that only one thread writes.
#[inline(always)]
fn bump_down(counter: &AtomicUsize, by: usize) {
    counter.store(counter.load(Relaxed).wrapping_sub(by), Relaxed);
}

impl CacheCounters {
    #[inline(always)]
    pub(crate) fn on_alloc(&self, bytes: usize, reuse: bool) {
        bump(&self.allocated_bytes, bytes);
        bump(&self.allocations, 1);
        bump(&self.reuse_hits, usize::from(reuse));
        self.raise_peak();
    }

    #[inline(always)]
    pub(crate) fn on_free(&self, bytes: usize) {
        bump(&self.freed_bytes, bytes);
        bump(&self.frees, 1);
    }

    /// Counts a medium or large allocation, free, or an in-place resize.
    pub(crate) fn apply(&self, event: Event) {
        match event {
            Event::Alloc(bytes) => self.on_alloc(bytes, false),
            Event::Free(bytes) => self.on_free(bytes),
            Event::Resize(old, new) if new >= old => {
                bump(&self.allocated_bytes, new - old);
                self.raise_peak();
            }
            Event::Resize(old, new) => bump(&self.freed_bytes, old - new),
        }
    }

    #[inline(always)]
    fn raise_peak(&self) {
        let live = self.live_bytes();
        if (live as isize) > (self.peak_live_bytes.load(Relaxed) as isize) {
            self.peak_live_bytes.store(live, Relaxed);
        }
    }

    /// Allocated less freed bytes (wrapping: a thread may free what another allocated).
    #[inline(always)]
    pub(crate) fn live_bytes(&self) -> usize {
        self.allocated_bytes
            .load(Relaxed)
            .wrapping_sub(self.freed_bytes.load(Relaxed))
    }

    /// Allocations less frees (wrapping, as above).
    pub(crate) fn live_allocations(&self) -> usize {
        self.allocations
            .load(Relaxed)
            .wrapping_sub(self.frees.load(Relaxed))
    }
}

impl ThreadCache {
    fn new(growth_budget: usize) -> Self {
        let mut bins = [Bin {
            slots: core::ptr::null_mut(),
            cap: 0,
            len: 0,
            limit: 0,
        }; CLASS_COUNT];
        for (class, bin) in bins.iter_mut().enumerate() {
            bin.limit = bin_capacity(class);
        }
        Self {
            bins: UnsafeCell::new(Bins {
                bins,
                grown_bytes: 0,
                growth_budget,
            }),
            counters: CacheCounters::default(),
        }
    }

    /// The bin of `class`.
    ///
    /// # Safety
    ///
    /// The caller is the cache's owner (or holds the list lock while it has none), no other
    /// reference to the bins is alive, and `class < CLASS_COUNT`.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // the bins sit in an `UnsafeCell`; exclusivity is the caller's promise
    unsafe fn bin(&self, class: usize) -> &mut Bin {
        debug_assert!(class < CLASS_COUNT, "class {class} out of range");
        // SAFETY: the caller's promises: exclusive access and an index in range.
        unsafe { (*self.bins.get()).bins.get_unchecked_mut(class) }
    }

    /// Takes a block of `class`: `Some((block, fresh))`. The block itself is not read.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    #[inline(always)]
    pub(crate) unsafe fn pop(&self, class: usize) -> Option<(NonNull<u8>, bool)> {
        // SAFETY: the caller's promises.
        let bin = unsafe { self.bin(class) };
        if bin.len == 0 {
            return None;
        }
        bin.len -= 1;
        // SAFETY: `len < cap`: entries below `len` were written by `push`.
        let entry = unsafe { bin.slots.add(bin.len).read() };
        bump_down(&self.counters.cached_blocks, 1);
        // SAFETY: entries are block pointers, never null, with bit 0 as the fresh flag.
        let block = unsafe { NonNull::new_unchecked(entry.map_addr(|addr| addr & !1)) };
        Some((block, entry.addr() & 1 != 0))
    }

    /// Puts a free block of `class` in its bin, unless the bin is full or its array cannot be
    /// had from the global allocator (`false`).
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`]; `block` is a free block of `class` that nothing else uses.
    #[inline(always)]
    pub(crate) unsafe fn push(&self, class: usize, block: NonNull<u8>, fresh: bool) -> bool {
        // SAFETY: the caller's promises.
        let bin = unsafe { self.bin(class) };
        if bin.len >= bin.cap && (bin.len >= bin.limit || !bin.resize_slots(bin.limit)) {
            return false;
        }
        let entry = block.as_ptr().map_addr(|addr| addr | usize::from(fresh));
        // SAFETY: `len < cap` entries were allocated.
        unsafe { bin.slots.add(bin.len).write(entry) };
        bin.len += 1;
        bump(&self.counters.cached_blocks, 1);
        true
    }

    /// Whether the bin of `class` has its array (allocating it if need be), so that it can
    /// take blocks up to its limit; `false` if the global allocator refuses.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn make_room(&self, class: usize) -> bool {
        // SAFETY: the caller's promises.
        let bin = unsafe { self.bin(class) };
        bin.cap > 0 || bin.resize_slots(bin.limit)
    }

    /// Lets the bin of `class` hold a batch more blocks (up to [`grown_bin_capacity`], while
    /// the cache's bins stay within their growth budget, and the global allocator gives its
    /// array the room). Called on every refill: the thread took more blocks of the class than
    /// the bin held.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn grow_bin(&self, class: usize) {
        // SAFETY: the caller's promises: exclusive access to the bins.
        let bins = unsafe { &mut *self.bins.get() };
        let bin = &mut bins.bins[class];
        let step = batch_size(class).min(grown_bin_capacity(class) - bin.limit);
        let bytes = step * class_size(class);
        if step > 0
            && bins.grown_bytes + bytes <= bins.growth_budget
            && (bin.cap == 0 || bin.resize_slots(bin.limit + step))
        {
            bin.limit += step;
            bins.grown_bytes += bytes;
        }
    }

    /// How many blocks the bin of `class` may hold now.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn limit(&self, class: usize) -> usize {
        // SAFETY: the caller's promises.
        unsafe { self.bin(class) }.limit
    }

    /// How much room the bins gained by growing, in bytes.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn grown_bytes(&self) -> usize {
        // SAFETY: the caller's promises.
        unsafe { &*self.bins.get() }.grown_bytes
    }

    /// The most room, in bytes, the bins may gain together by growing.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn growth_budget(&self) -> usize {
        // SAFETY: the caller's promises.
        unsafe { &*self.bins.get() }.growth_budget
    }

    /// How many blocks the bin of `class` holds.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn len(&self, class: usize) -> usize {
        // SAFETY: the caller's promises.
        unsafe { self.bin(class) }.len
    }

    /// The blocks in the bin of `class`, for `validate`.
    ///
    /// # Safety
    ///
    /// As [`ThreadCache::bin`].
    pub(crate) unsafe fn blocks(&self, class: usize) -> Vec<NonNull<u8>> {
        // SAFETY: the caller's promises.
        let bin = *unsafe { self.bin(class) };
        (0..bin.len)
            .filter_map(|index| {
                // SAFETY: entries below `len` were written by `push`.
                let entry = unsafe { bin.slots.add(index).read() };
                NonNull::new(entry.map_addr(|addr| addr & !1))
            })
            .collect()
    }
}

impl Drop for ThreadCache {
    fn drop(&mut self) {
        for bin in &mut self.bins.get_mut().bins {
            bin.free_slots();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_capacities_hold_at_most_bin_bytes_within_the_block_bounds() {
        for class in 0..CLASS_COUNT {
            let capacity = bin_capacity(class);
            let expected = (BIN_BYTES / class_size(class)).clamp(MIN_BIN_BLOCKS, MAX_BIN_BLOCKS);
            assert_eq!(capacity, expected, "class {class}");
            assert!((MIN_BIN_BLOCKS..=MAX_BIN_BLOCKS).contains(&capacity));
            assert!(batch_size(class) >= 1 && batch_size(class) <= capacity);
        }
        // The smallest class fills a whole bin; the largest keeps the minimum.
        assert_eq!(bin_capacity(0), MAX_BIN_BLOCKS);
        assert_eq!(bin_capacity(CLASS_COUNT - 1), MIN_BIN_BLOCKS);
    }
}
