//! `MemoryPool` and `LocalPool`: a general-purpose allocator with O(1) reuse, zero-on-free,
//! bounded memory, and no per-block header.
//!
//! # Design
//!
//! - **Size classes** (16 B to 8 KiB, 56 classes) are served from 64 KiB slabs aligned to their
//!   size. A slab holds blocks of one class; freed blocks go on the slab's intrusive free list
//!   and are reused first: allocation and free are O(1). `deallocate` receives the `Layout`, so
//!   the class is recomputed from it and the slab is found by masking the address: no header.
//!   (The C design spent ~32 bytes per container and searched containers in O(n).)
//! - **Medium blocks** (to 1 MiB) are carved good-fit from 4 MiB regions, with splitting and
//!   coalescing, in O(1): size buckets behind a bitmap, neighbours found by hash lookup (see
//!   the `medium` module).
//! - **Large blocks** come straight from the system and go straight back.
//! - **Threads**: the slabs are split into shards, each behind its own lock; a thread always
//!   refills from the same shard (chosen round-robin on first use), and a block goes back to
//!   its owner shard, found through the slab header. In front of the shards, each thread has a
//!   cache of free blocks per size class ([`PoolBuilder::thread_cache`], on for `MemoryPool`):
//!   allocation pops from it and free pushes onto it with no lock and no atomic
//!   read-modify-write, and the shard lock is taken once per refill or flush of half a bin (up
//!   to 32 blocks) instead of once per block. `LocalPool` is the same engine with one shard,
//!   no thread caches and [`LocalLock`], which has no atomic instruction at all and makes the
//!   pool `!Sync`.
//! - **Zeroing**: with `zero_on_free` (the default), every byte a caller could have written is
//!   zeroed when the block is freed or shrunk, and fresh memory comes zeroed from the system, so
//!   every block the pool hands out reads zero and `allocate_zeroed` costs nothing extra.
//! - **Bounded**: `max_bytes` caps the memory reserved from the system; a request that cannot
//!   be met calls the out-of-memory handler (with no lock held) and returns `Err`.
//!
//! On a 64-core machine the default is 64 shards (twice the cores, at most 64). Most operations
//! never leave the thread's cache; the rest take the lock of the thread's own shard (shared by
//! at most one other thread while threads do not outnumber twice the cores) or, for a block
//! that another thread allocated, of the block's owner shard. Lock traffic is therefore about
//! one acquisition per 32 operations per thread, spread over 64 locks on their own cache lines:
//! throughput grows with the cores until threads outnumber shards, and even then contention is
//! a thirty-second of a lock-per-operation design. What does not scale is memory held idle: a
//! thread's cache keeps at most 8 KiB per size class (two blocks for classes above 4 KiB: about
//! 500 KiB if it used every class), plus up to 4 MiB more in the bins that grew because the
//! thread kept refilling them (up to 1 MiB a class; `PoolBuilder::thread_cache_bytes` sets the
//! budget), given back when the thread exits, calls `trim`, or needs memory that `max_bytes`
//! would refuse.

mod builder;
#[cfg(feature = "debug")]
mod debug;
mod dump;
mod lock;
pub(crate) mod medium;
mod oom;
pub(crate) mod shard;
pub(crate) mod size_class;
pub(crate) mod slab;
#[cfg(feature = "std")]
mod thread_cache;

pub use builder::{DEFAULT_THREAD_CACHE_BYTES, PoolBuilder};
#[cfg(feature = "debug")]
pub use debug::LiveAllocation;
pub use dump::{ClassUsage, PoolDump};
pub use lock::LocalLock;
pub use oom::{clear_oom_handler, set_oom_handler};

use crate::alloc::{AllocError, Allocator, Layout, MAX_SYSTEM_ALIGN, block, dangling_for};
use crate::error::PoolError;
use crate::rust_alloc::boxed::Box;
use crate::rust_alloc::vec::Vec;
use crate::zero::{first_nonzero, is_zeroed, zero_bytes};
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use lock_api::{Mutex, RawMutex};
use medium::{MediumHeap, REGION_SIZE};
use shard::{Event, ShardHeap};
use size_class::{CLASS_COUNT, Route, class_size, route, small_class};
use slab::{SLAB_LAYOUT, SLAB_SIZE, Slab};

/// The thread-safe pool: sharded, one `parking_lot` lock per shard. `Send + Sync`.
///
/// # Examples
///
/// ```
/// use memory_manager::MemoryPool;
/// use memory_manager::allocator_api2::vec::Vec;
///
/// let pool = MemoryPool::new();
/// std::thread::scope(|s| {
///     for t in 0..4u64 {
///         let pool = &pool;
///         s.spawn(move || {
///             let mut v: Vec<u64, &MemoryPool> = Vec::new_in(pool);
///             v.extend(0..1000 * t);
///         });
///     }
/// });
/// assert_eq!(pool.stats().live_bytes, 0);
/// ```
#[cfg(feature = "std")]
pub type MemoryPool = Pool<parking_lot::RawMutex>;

/// The single-threaded pool: the same engine with one shard and no atomic instruction.
/// `Send`, not `Sync`.
///
/// # Examples
///
/// ```
/// use memory_manager::LocalPool;
/// use memory_manager::allocator_api2::alloc::Allocator;
/// use core::alloc::Layout;
///
/// let pool = LocalPool::new();
/// let layout = Layout::new::<[u64; 8]>();
/// let block = pool.allocate(layout).unwrap();
/// // Every block the pool hands out reads zero.
/// assert!(unsafe { block.as_ref() }.iter().all(|&b| b == 0));
/// unsafe { pool.deallocate(block.cast(), layout) };
/// let again = pool.allocate(layout).unwrap();
/// assert_eq!(again.cast::<u8>(), block.cast::<u8>()); // reused in O(1)
/// assert_eq!(pool.stats().reuse_hits, 1);
/// # unsafe { pool.deallocate(again.cast(), layout) };
/// ```
pub type LocalPool = Pool<LocalLock>;

/// The pool engine, generic over its lock. Use [`MemoryPool`] or [`LocalPool`]; any other
/// `lock_api::RawMutex` works too, through [`PoolBuilder::new`].
///
/// # Examples
///
/// ```
/// use memory_manager::PoolBuilder;
/// use memory_manager::pool::{LocalLock, Pool};
///
/// // `LocalPool` spelled out: the engine with the single-threaded lock.
/// let pool: Pool<LocalLock> = PoolBuilder::new().max_bytes(1 << 20).build();
/// assert_eq!((pool.shard_count(), pool.max_bytes()), (1, Some(1 << 20)));
/// ```
pub struct Pool<R: RawMutex> {
    shards: Box<[Shard<R>]>,
    shard_mask: usize,
    cache: Mutex<R, SlabCache>,
    medium: Mutex<R, MediumHeap>,
    large: Mutex<R, LargeBlocks>,
    reserved: AtomicUsize,
    config: Config,
    /// Per-thread caches (see [`PoolBuilder::thread_cache`]): the pool's unique id, which keys
    /// each thread's lookup, and the list of caches.
    #[cfg(feature = "std")]
    thread_caches: Option<(u64, std::sync::Arc<thread_cache::CacheList>)>,
    /// The pool's own cache (see `Config::owned_cache`), also listed in `thread_caches` (as a
    /// cache with no thread, so `validate` and `trim` walk it and drop frees it).
    #[cfg(feature = "std")]
    owned_cache: Option<thread_cache::OwnedCache>,
    #[cfg(feature = "debug")]
    registry: Mutex<R, debug::Registry>,
}

/// One shard on its own cache lines, so two shards' locks never share one.
#[repr(align(128))]
struct Shard<R: RawMutex>(Mutex<R, ShardHeap>);

#[derive(Clone, Copy)]
pub(crate) struct Config {
    pub(crate) max_bytes: usize,
    pub(crate) zero_on_free: bool,
    pub(crate) min_align: usize,
    pub(crate) oom_handler: Option<fn(Layout)>,
    pub(crate) thread_cache: bool,
    /// With `thread_cache`: one cache owned by the pool itself instead of one per thread, found
    /// with no thread-local lookup. Set only through `PoolBuilder<LocalLock>`, whose pools are
    /// `!Sync`, so one thread at a time uses it.
    pub(crate) owned_cache: bool,
    /// With `thread_cache`: how many bytes of room each cache's bins may gain by growing.
    pub(crate) thread_cache_bytes: usize,
}

/// Empty slabs waiting for reuse by any shard and class (zeroed when zeroing is on).
#[derive(Default)]
struct SlabCache(Vec<NonNull<Slab>>);
// SAFETY: cached slabs are owned by the pool alone and only touched under the cache lock.
unsafe impl Send for SlabCache {}

/// Large blocks by address, with the pointer (and provenance) we handed out and their layout.
/// A hash map so that registering one can fail cleanly (`try_reserve`) when the global
/// allocator refuses.
#[derive(Default)]
struct LargeBlocks(hashbrown::HashMap<usize, (NonNull<u8>, Layout)>);
// SAFETY: the blocks are owned by the pool until freed; the map is only touched under its lock.
unsafe impl Send for LargeBlocks {}

/// A snapshot of a pool's counters.
///
/// # Examples
///
/// ```
/// use memory_manager::LocalPool;
/// use memory_manager::allocator_api2::vec::Vec;
///
/// let pool = LocalPool::new();
/// let mut v: Vec<u8, &LocalPool> = Vec::with_capacity_in(100, &pool);
/// v.push(1);
/// let stats = pool.stats();
/// assert_eq!((stats.live_bytes, stats.live_allocations), (100, 1));
/// assert!(stats.reserved_bytes >= 100);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Bytes in live allocations (as requested, not rounded to a class).
    pub live_bytes: usize,
    /// Live allocations.
    pub live_allocations: usize,
    /// The most `live_bytes` ever reached. Exact for `LocalPool` and for a `MemoryPool` used
    /// by one thread; with several threads, the sum of each thread's (and shard's) own peak,
    /// an upper bound that threads never had to synchronise to keep.
    pub peak_live_bytes: usize,
    /// Bytes obtained from the system and not yet given back: slabs, medium regions, large
    /// blocks.
    pub reserved_bytes: usize,
    /// Small allocations served from a free list: a block freed earlier, reused in O(1).
    pub reuse_hits: usize,
    /// Allocations served so far (zero-sized ones excluded).
    pub total_allocations: usize,
    /// Free small blocks held in per-thread caches (see [`PoolBuilder::thread_cache`]): ready
    /// for their thread to reuse, and counted as used by their slabs until then.
    pub cached_blocks: usize,
}

impl PoolStats {
    /// `reserved_bytes / peak_live_bytes`: how much memory the pool holds per byte it ever had
    /// to hold at once (1.0 is perfect). `None` before the first allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::boxed::Box;
    /// let pool = LocalPool::new();
    /// assert_eq!(pool.stats().fragmentation(), None);
    /// let b = Box::new_in([0u8; 4096], &pool);
    /// assert!(pool.stats().fragmentation().unwrap() >= 1.0);
    /// # drop(b);
    /// ```
    pub fn fragmentation(&self) -> Option<f64> {
        (self.peak_live_bytes > 0).then(|| self.reserved_bytes as f64 / self.peak_live_bytes as f64)
    }
}

// ----- construction -------------------------------------------------------------------------------

macro_rules! constructors {
    ($pool:ty, $lock:ty, $doc:literal, $defaults:expr) => {
        impl $pool {
            #[doc = concat!("A ", $doc, " with the default settings: zeroing on, no limit. Reserves nothing until used.")]
            pub fn new() -> Self {
                Self::builder().build()
            }

            #[doc = concat!("A ", $doc, " with `bytes` bytes of slabs reserved up front (the seed's `mem_pool_init` capacity).")]
            ///
            /// # Panics
            ///
            /// Calls `handle_alloc_error` if the memory cannot be reserved.
            pub fn with_capacity(bytes: usize) -> Self {
                Self::builder().capacity(bytes).build()
            }

            #[doc = concat!("A builder for a ", $doc, ": `max_bytes`, `zero_on_free`, `min_align`, `oom_handler`, `capacity`, `shards`.")]
            pub fn builder() -> PoolBuilder<$lock> {
                let defaults: fn(PoolBuilder<$lock>) -> PoolBuilder<$lock> = $defaults;
                defaults(PoolBuilder::new())
            }
        }

        impl Default for $pool {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

// One shard, and a cache of free blocks that the pool owns (no thread-local lookup).
constructors!(LocalPool, LocalLock, "single-threaded pool", |builder| {
    builder.shards(1).thread_cache(true).cache_owned_by_pool()
});
// Shards for the cores, and a cache of free blocks per thread.
#[cfg(feature = "std")]
constructors!(
    MemoryPool,
    parking_lot::RawMutex,
    "thread-safe pool",
    |builder| { builder.shards(default_shards()).thread_cache(true) }
);

/// Twice the cores, as a power of two, at most 64: enough that threads rarely share a shard.
#[cfg(feature = "std")]
fn default_shards() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 2)
        .next_power_of_two()
        .min(64)
}

impl<R: RawMutex> Pool<R> {
    pub(crate) fn from_config(config: Config, shards: usize) -> Self {
        let shards = shards.max(1).next_power_of_two();
        #[cfg(feature = "std")]
        let (thread_caches, owned_cache) = if config.thread_cache {
            let list = std::sync::Arc::new(thread_cache::CacheList::new(Vec::new()));
            // If the cache cannot be had, the pool works through its shard lock instead.
            let owned = if config.owned_cache {
                thread_cache::new_unowned(&list, config.thread_cache_bytes)
            } else {
                None
            };
            (Some((thread_cache::next_pool_id(), list)), owned)
        } else {
            (None, None)
        };
        Self {
            shards: (0..shards)
                .map(|index| Shard(Mutex::new(ShardHeap::new(index))))
                .collect(),
            shard_mask: shards - 1,
            cache: Mutex::new(SlabCache::default()),
            medium: Mutex::new(MediumHeap::default()),
            large: Mutex::new(LargeBlocks::default()),
            reserved: AtomicUsize::new(0),
            config,
            #[cfg(feature = "std")]
            thread_caches,
            #[cfg(feature = "std")]
            owned_cache,
            #[cfg(feature = "debug")]
            registry: Mutex::new(debug::Registry::default()),
        }
    }

    /// Reserves `bytes` of slabs up front, into the slab cache.
    pub(crate) fn reserve_slabs(&self, bytes: usize) -> Result<(), AllocError> {
        let count = bytes.div_ceil(SLAB_SIZE);
        for _ in 0..count {
            let slab = self.system_alloc(SLAB_LAYOUT).ok_or(AllocError)?;
            self.cache_slab(slab.cast());
        }
        Ok(())
    }

    /// How many shards the pool has.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPool};
    /// assert_eq!(LocalPool::new().shard_count(), 1);
    /// assert_eq!(MemoryPool::builder().shards(3).build().shard_count(), 4); // a power of two
    /// ```
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Whether freed memory is zeroed (see [`PoolBuilder::zero_on_free`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(memory_manager::LocalPool::new().zero_on_free());
    /// ```
    pub fn zero_on_free(&self) -> bool {
        self.config.zero_on_free
    }

    /// The cap on reserved memory, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPool;
    /// assert_eq!(LocalPool::new().max_bytes(), None);
    /// assert_eq!(LocalPool::builder().max_bytes(4096).build().max_bytes(), Some(4096));
    /// ```
    pub fn max_bytes(&self) -> Option<usize> {
        (self.config.max_bytes != usize::MAX).then_some(self.config.max_bytes)
    }

    // ----- system memory --------------------------------------------------------------------------

    /// `reserved + bytes`, if that stays within `max_bytes`.
    fn within_limit(&self, reserved: usize, bytes: usize) -> Option<usize> {
        reserved
            .checked_add(bytes)
            .filter(|&total| total <= self.config.max_bytes)
    }

    /// Counts `bytes` against `max_bytes`; `false` if that would exceed it.
    fn reserve(&self, bytes: usize) -> bool {
        self.reserved
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |reserved| {
                self.within_limit(reserved, bytes)
            })
            .is_ok()
    }

    fn unreserve(&self, bytes: usize) {
        self.reserved.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Zeroed memory from the system, within `max_bytes`.
    fn system_alloc(&self, layout: Layout) -> Option<NonNull<u8>> {
        if layout.align() > MAX_SYSTEM_ALIGN || !self.reserve(layout.size()) {
            return None;
        }
        // SAFETY: every layout we ask for has a non-zero size.
        let ptr = NonNull::new(unsafe { crate::rust_alloc::alloc::alloc_zeroed(layout) });
        if ptr.is_none() {
            self.unreserve(layout.size());
        }
        ptr
    }

    /// As [`Pool::system_alloc`], but when `max_bytes` is what refuses, first gives back the
    /// idle memory the pool holds (as [`Pool::trim`]: the calling thread's cached blocks,
    /// empty slabs, free regions) and tries once more, so that free blocks of one size kept
    /// for reuse never make a request of another size fail. Only with no lock of the pool
    /// held: `trim` takes them.
    fn system_alloc_or_trim(&self, layout: Layout) -> Option<NonNull<u8>> {
        if let Some(ptr) = self.system_alloc(layout) {
            return Some(ptr);
        }
        let over_limit = self
            .within_limit(self.reserved.load(Ordering::Relaxed), layout.size())
            .is_none();
        if layout.align() > MAX_SYSTEM_ALIGN || !over_limit {
            return None;
        }
        self.trim();
        self.system_alloc(layout)
    }

    /// Gives memory back to the system.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Pool::system_alloc`] with `layout` and is not used afterwards.
    unsafe fn system_free(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { crate::rust_alloc::alloc::dealloc(ptr.as_ptr(), layout) };
        self.unreserve(layout.size());
    }

    /// A request could not be met: call the handler (with no lock held) and fail.
    #[cold]
    #[inline(never)]
    fn out_of_memory(&self, layout: Layout) -> AllocError {
        #[cfg(feature = "debug")]
        log::debug!(
            "pool out of memory: {} B (align {}) refused, {} B reserved, max_bytes {:?}",
            layout.size(),
            layout.align(),
            self.reserved.load(Ordering::Relaxed),
            self.max_bytes()
        );
        if let Some(handler) = self.config.oom_handler.or_else(oom::global_handler) {
            handler(layout);
        }
        AllocError
    }

    // ----- shards -------------------------------------------------------------------------------

    /// The shard the calling thread allocates from.
    #[inline(always)]
    fn home_shard(&self) -> &Mutex<R, ShardHeap> {
        let index = if self.shard_mask == 0 {
            0
        } else {
            thread_hint() & self.shard_mask
        };
        self.shard(index)
    }

    /// The shard at `index`, which must be below the shard count (a masked hint or a slab's
    /// owner field); checked in debug builds only, as it is on every allocation.
    #[inline(always)]
    fn shard(&self, index: usize) -> &Mutex<R, ShardHeap> {
        debug_assert!(index < self.shards.len(), "shard {index} out of range");
        // SAFETY: `shards.len() == shard_mask + 1`, so a masked hint is in range, and a slab's
        // owner is the index of a shard that adopted it.
        &unsafe { self.shards.get_unchecked(index) }.0
    }

    /// Counts an allocation, free or in-place resize outside the small fast paths in the
    /// calling thread's counters: its thread cache's when it has one (so that one thread's
    /// operations all land in one place and its peak is exact), else its home shard's.
    fn account(&self, event: Event) {
        #[cfg(feature = "std")]
        if let Some(cache) = self.thread_cache() {
            cache.counters.apply(event);
            return;
        }
        self.home_shard().lock().counters.apply(event);
    }

    // ----- small blocks -------------------------------------------------------------------------

    /// The calling thread's cache, when the pool has thread caches.
    #[cfg(feature = "std")]
    #[inline(always)]
    fn thread_cache(&self) -> Option<&thread_cache::ThreadCache> {
        if let Some(cache) = &self.owned_cache {
            // SAFETY: the pool is alive (this is one of its methods) and, holding an owned
            // cache, `!Sync`: the calling thread owns the cache as a thread owns its own.
            return Some(unsafe { cache.get() });
        }
        let (id, list) = self.thread_caches.as_ref()?;
        thread_cache::current(*id, list, self.config.thread_cache_bytes)
    }

    #[inline(always)]
    fn alloc_small(
        &self,
        class: usize,
        layout: Layout,
        counted: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        #[cfg(feature = "std")]
        if let Some(cache) = self.thread_cache() {
            return self.alloc_cached(cache, class, layout, counted);
        }
        let (ptr, _reuse) = self.alloc_from_shard(class, layout, Some(counted))?;
        #[cfg(feature = "debug")]
        if _reuse {
            log::trace!("pool reuse {ptr:p} (class {} B)", class_size(class));
            debug::check_reused(ptr, class_size(class), self.config.zero_on_free);
        }
        Ok(ptr)
    }

    /// A block of `class` straight from the home shard's slabs (adding a slab if it has none
    /// free), with its link cleared when zeroing is on: `(block, reuse)`. With `count`, counts
    /// the allocation in the shard's counters, under the lock already held.
    fn alloc_from_shard(
        &self,
        class: usize,
        layout: Layout,
        count: Option<usize>,
    ) -> Result<(NonNull<u8>, bool), AllocError> {
        let mut heap = self.home_shard().lock();
        let (ptr, reuse) = match heap.alloc(class, self.config.zero_on_free) {
            Some(hit) => hit,
            None => {
                drop(heap);
                heap = self.add_slab(class, layout)?;
                heap.alloc(class, self.config.zero_on_free)
                    .expect("a fresh slab has a free block")
            }
        };
        if let Some(counted) = count {
            heap.counters.on_alloc(counted, reuse);
        }
        Ok((ptr, reuse))
    }

    /// Gives the home shard a fresh slab for `class` and returns the shard, locked; on failure
    /// calls the OOM handler (with no lock held) and returns `Err`.
    #[cold]
    #[inline(never)]
    fn add_slab(
        &self,
        class: usize,
        layout: Layout,
    ) -> Result<lock_api::MutexGuard<'_, R, ShardHeap>, AllocError> {
        let slab = self.new_slab();
        let mut heap = self.home_shard().lock();
        match slab {
            Some(slab) if heap.adopt(slab, class).is_ok() => Ok(heap),
            refused => {
                drop(heap);
                if let Some(slab) = refused {
                    // The slab list could not grow: keep the (zeroed) slab for later.
                    self.cache_slab(slab);
                }
                Err(self.out_of_memory(layout))
            }
        }
    }

    /// A small allocation through the thread's cache: a pop, or a refill of half a bin from
    /// the home shard under one lock.
    #[cfg(feature = "std")]
    #[inline(always)]
    fn alloc_cached(
        &self,
        cache: &thread_cache::ThreadCache,
        class: usize,
        layout: Layout,
        counted: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        // SAFETY: the calling thread owns `cache`, and `class` comes from `class_index`.
        let (ptr, fresh) = match unsafe { cache.pop(class) } {
            Some(hit) => hit,
            None => self.refill(cache, class, layout)?,
        };
        cache.counters.on_alloc(counted, !fresh);
        #[cfg(feature = "debug")]
        if !fresh {
            log::trace!("pool reuse {ptr:p} (class {} B)", class_size(class));
            debug::check_reused(ptr, class_size(class), self.config.zero_on_free);
        }
        Ok(ptr)
    }

    /// Moves up to half a (starting) bin of `class` blocks from the home shard into `cache`
    /// (adding a slab if the shard has none free), lets the bin grow, and takes one block out
    /// (`(block, fresh)`). If the bin cannot have its array (the global allocator refused),
    /// the block comes straight from the shard instead.
    #[cfg(feature = "std")]
    #[cold]
    #[inline(never)]
    fn refill(
        &self,
        cache: &thread_cache::ThreadCache,
        class: usize,
        layout: Layout,
    ) -> Result<(NonNull<u8>, bool), AllocError> {
        // SAFETY: the calling thread owns `cache`.
        if !unsafe { cache.make_room(class) } {
            let (ptr, reuse) = self.alloc_from_shard(class, layout, None)?;
            return Ok((ptr, !reuse));
        }
        let zero = self.config.zero_on_free;
        let mut heap = self.home_shard().lock();
        let mut taken = 0;
        while taken < thread_cache::batch_size(class) {
            let Some((block, reuse)) = heap.alloc(class, zero) else {
                if taken > 0 {
                    break;
                }
                drop(heap);
                heap = self.add_slab(class, layout)?;
                continue;
            };
            // SAFETY: the calling thread owns `cache`; the block was just taken from a slab,
            // so the bin (empty before a refill, with its array) has room for it.
            let kept = unsafe { cache.push(class, block, !reuse) };
            debug_assert!(kept, "a refill overflowed its bin");
            taken += 1;
        }
        drop(heap);
        // The thread used up its bin: let the bin hold more, so that a thread cycling through
        // more blocks than it held stops coming back to the shard.
        // SAFETY: the calling thread owns `cache`.
        unsafe { cache.grow_bin(class) };
        // SAFETY: as above.
        Ok(unsafe { cache.pop(class) }.expect("a refill leaves a block in the bin"))
    }

    /// An empty slab: from the cache, or new from the system.
    #[cold]
    fn new_slab(&self) -> Option<NonNull<Slab>> {
        let cached = self.cache.lock().0.pop();
        if cached.is_some() {
            return cached;
        }
        self.system_alloc_or_trim(SLAB_LAYOUT).map(NonNull::cast)
    }

    /// # Safety
    ///
    /// `ptr` is a live small block allocated with `layout`.
    #[inline(always)]
    unsafe fn free_small(&self, ptr: NonNull<u8>, class: usize, layout: Layout, counted: usize) {
        if self.config.zero_on_free {
            // SAFETY: the block has at least `layout.size()` bytes, and is ours again.
            unsafe { zero_bytes(ptr, layout.size()) };
        }
        #[cfg(feature = "std")]
        if let Some(cache) = self.thread_cache() {
            // SAFETY: the calling thread owns `cache`; the block is a free block of `class`.
            if !unsafe { cache.push(class, ptr, false) } {
                self.flush(cache, class);
                // SAFETY: as above.
                if !unsafe { cache.push(class, ptr, false) } {
                    // The bin has no array (the global allocator refused it).
                    // SAFETY: the block is live (the caller's promise).
                    unsafe { self.free_to_shard(ptr, None) };
                }
            }
            cache.counters.on_free(counted);
            return;
        }
        #[cfg(not(feature = "std"))]
        let _ = class;
        // SAFETY: the caller's promise.
        unsafe { self.free_to_shard(ptr, Some(counted)) };
    }

    /// Gives a small block straight back to its slab, under its owner shard's lock; with
    /// `count`, counts the free in that shard's counters.
    ///
    /// # Safety
    ///
    /// `ptr` is a live small block of this pool, not used afterwards.
    unsafe fn free_to_shard(&self, ptr: NonNull<u8>, count: Option<usize>) {
        let slab = Slab::of(ptr);
        // SAFETY: the block is live, so its slab's owner is stable.
        let owner = unsafe { Slab::owner_of(ptr) };
        let mut heap = self.shard(owner).lock();
        let empty = heap.free(slab, ptr);
        if let Some(counted) = count {
            heap.counters.on_free(counted);
        }
        drop(heap);
        if let Some(slab) = empty {
            self.retire_slab(slab);
        }
    }

    /// Gives half the bin of `class` back to the slabs, taking each owner shard's lock once
    /// for a run of blocks it owns.
    #[cfg(feature = "std")]
    #[cold]
    #[inline(never)]
    fn flush(&self, cache: &thread_cache::ThreadCache, class: usize) {
        // SAFETY: the calling thread owns `cache`.
        unsafe { self.drain_bin(cache, class, thread_cache::batch_size(class)) };
    }

    /// Gives up to `count` blocks of the bin of `class` back to their slabs.
    ///
    /// # Safety
    ///
    /// The caller owns `cache` (its thread, or the list lock while it has no owner).
    #[cfg(feature = "std")]
    unsafe fn drain_bin(&self, cache: &thread_cache::ThreadCache, class: usize, count: usize) {
        let mut locked: Option<(usize, lock_api::MutexGuard<'_, R, ShardHeap>)> = None;
        for _ in 0..count {
            // SAFETY: the caller owns `cache`; `class` is in range.
            let Some((block, _)) = (unsafe { cache.pop(class) }) else {
                break;
            };
            // SAFETY: blocks in a bin are counted as used by their slab, whose owner is stable.
            let owner = unsafe { Slab::owner_of(block) };
            if locked.as_ref().is_some_and(|(shard, _)| *shard != owner) {
                // Never wait for one shard while holding another.
                locked = None;
            }
            let heap = match &mut locked {
                Some((_, heap)) => heap,
                None => &mut locked.insert((owner, self.shard(owner).lock())).1,
            };
            if let Some(empty) = heap.free(Slab::of(block), block) {
                locked = None;
                self.retire_slab(empty);
            }
        }
    }

    /// A slab with no live block left its shard: wipe it and keep it for reuse.
    #[cold]
    fn retire_slab(&self, slab: NonNull<Slab>) {
        if self.config.zero_on_free {
            // SAFETY: the slab was detached from its shard and has no live block.
            unsafe { Slab::wipe(slab) };
        }
        self.cache_slab(slab);
    }

    /// Keeps an empty slab for reuse, or gives it back to the system if the cache cannot grow
    /// (the global allocator refused the cache's own bookkeeping).
    fn cache_slab(&self, slab: NonNull<Slab>) {
        let mut cache = self.cache.lock();
        if cache.0.try_reserve(1).is_ok() {
            cache.0.push(slab);
        } else {
            drop(cache);
            // SAFETY: an empty slab from `system_alloc(SLAB_LAYOUT)`, owned by no one else.
            unsafe { self.system_free(slab.cast(), SLAB_LAYOUT) };
        }
    }

    // ----- medium and large blocks --------------------------------------------------------------

    fn alloc_medium(
        &self,
        size: usize,
        layout: Layout,
        counted: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        let mut heap = self.medium.lock();
        let ptr = match heap.alloc(size) {
            Ok(ptr) => Some(ptr),
            // The global allocator refused the index room to split a range.
            Err(medium::Shortage::Index) => None,
            Err(medium::Shortage::NoRange) => {
                // A new region, with the lock released: making room may need `trim`.
                drop(heap);
                let region_layout =
                    Layout::from_size_align(REGION_SIZE, 4096).expect("region layout");
                let region = self.system_alloc_or_trim(region_layout);
                heap = self.medium.lock();
                match region {
                    Some(region) if heap.add_region(region) => {
                        // Fails only for want of index room; the region then stays, free and
                        // indexed, for the next request.
                        heap.alloc(size).ok()
                    }
                    Some(region) => {
                        // SAFETY: just allocated with `region_layout`, and never used.
                        unsafe { self.system_free(region, region_layout) };
                        None
                    }
                    None => None,
                }
            }
        };
        drop(heap);
        // The handler is called with no lock held.
        let Some(ptr) = ptr else {
            return Err(self.out_of_memory(layout));
        };
        #[cfg(feature = "debug")]
        debug::check_reused(ptr, layout.size(), self.config.zero_on_free);
        self.account(Event::Alloc(counted));
        Ok(ptr)
    }

    /// # Safety
    ///
    /// `ptr` is a live medium block of `size` (rounded) bytes allocated with `layout`.
    unsafe fn free_medium(&self, ptr: NonNull<u8>, size: usize, layout: Layout, counted: usize) {
        if self.config.zero_on_free {
            // SAFETY: the block has at least `layout.size()` bytes and is ours again.
            unsafe { zero_bytes(ptr, layout.size()) };
        }
        self.medium.lock().free(ptr, size);
        self.account(Event::Free(counted));
    }

    fn alloc_large(
        &self,
        system: Layout,
        layout: Layout,
        counted: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        let Some(ptr) = self.system_alloc_or_trim(system) else {
            return Err(self.out_of_memory(layout));
        };
        let mut large = self.large.lock();
        if large.0.try_reserve(1).is_err() {
            drop(large);
            // SAFETY: just allocated with `system`, never handed out.
            unsafe { self.system_free(ptr, system) };
            return Err(self.out_of_memory(layout));
        }
        large.0.insert(ptr.addr().get(), (ptr, system));
        drop(large);
        self.account(Event::Alloc(counted));
        Ok(ptr)
    }

    /// # Safety
    ///
    /// `ptr` is a live large block allocated with `layout`.
    unsafe fn free_large(&self, ptr: NonNull<u8>, layout: Layout, counted: usize) {
        let Some((ours, system)) = self.large.lock().0.remove(&ptr.addr().get()) else {
            panic!(
                "deallocate({ptr:p}, size {}, align {}): not a block of this pool",
                layout.size(),
                layout.align()
            );
        };
        if self.config.zero_on_free {
            // SAFETY: the whole block is ours again; zero it before it leaves.
            unsafe { zero_bytes(ours, system.size()) };
        }
        // SAFETY: allocated by `system_alloc` with `system`, now unregistered.
        unsafe { self.system_free(ours, system) };
        self.account(Event::Free(counted));
    }

    // ----- the allocator ------------------------------------------------------------------------

    /// Places a block for `layout`, counting `counted` bytes as live (the two differ only in
    /// debug mode, where `layout` includes the canary).
    #[inline(always)]
    fn alloc_raw(&self, layout: Layout, counted: usize) -> Result<NonNull<u8>, AllocError> {
        if let Some(class) = small_class(layout, self.config.min_align) {
            return self.alloc_small(class, layout, counted);
        }
        match route(layout, self.config.min_align) {
            Route::Small(class) => self.alloc_small(class, layout, counted),
            Route::Zero => Ok(dangling_for(
                Layout::from_size_align(0, layout.align().max(self.config.min_align))
                    .map_err(|_| AllocError)?,
            )),
            Route::Medium(size) => self.alloc_medium(size, layout, counted),
            Route::Large(system) => {
                if system.size() != layout.size() {
                    // `min_align` made the layout impossible.
                    return Err(AllocError);
                }
                self.alloc_large(system, layout, counted)
            }
        }
    }

    /// Frees a block placed by `alloc_raw(layout, counted)`.
    ///
    /// # Safety
    ///
    /// `ptr` is live, allocated by `alloc_raw` with `layout`.
    #[inline(always)]
    unsafe fn dealloc_raw(&self, ptr: NonNull<u8>, layout: Layout, counted: usize) {
        if let Some(class) = small_class(layout, self.config.min_align) {
            // SAFETY: the caller guarantees `ptr` is live with `layout`.
            return unsafe { self.free_small(ptr, class, layout, counted) };
        }
        match route(layout, self.config.min_align) {
            // SAFETY: the caller guarantees `ptr` is live with `layout`.
            Route::Small(class) => unsafe { self.free_small(ptr, class, layout, counted) },
            Route::Zero => {}
            // SAFETY: as above.
            Route::Medium(size) => unsafe { self.free_medium(ptr, size, layout, counted) },
            // SAFETY: as above.
            Route::Large(_) => unsafe { self.free_large(ptr, layout, counted) },
        }
    }

    #[cfg(not(feature = "debug"))]
    #[inline(always)]
    fn alloc_inner(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.alloc_raw(layout, layout.size())
    }

    /// # Safety
    ///
    /// As `Allocator::deallocate`.
    #[cfg(not(feature = "debug"))]
    #[inline(always)]
    unsafe fn dealloc_inner(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { self.dealloc_raw(ptr, layout, layout.size()) }
    }

    /// Moves a block to a fresh allocation, copying `copy` bytes.
    ///
    /// # Safety
    ///
    /// `ptr` is live with `old`; `copy <= min(old.size(), new.size())`.
    unsafe fn reallocate(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
        copy: usize,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let fresh = self.alloc_inner(new)?;
        // SAFETY: `fresh` is a new block, disjoint from `ptr`; both hold `copy` bytes.
        unsafe { fresh.as_ptr().copy_from_nonoverlapping(ptr.as_ptr(), copy) };
        // SAFETY: the caller's contract; the contents now live in `fresh`.
        unsafe { self.deallocate(ptr, old) };
        Ok(block(fresh, new.size()))
    }

    // ----- introspection ------------------------------------------------------------------------

    /// A snapshot of the counters, consistent across shards (they are all locked at once).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// let pool = memory_manager::LocalPool::new();
    /// let layout = Layout::new::<[u8; 48]>();
    /// let a = pool.allocate(layout).unwrap();
    /// let b = pool.allocate(layout).unwrap();
    /// unsafe { pool.deallocate(a.cast(), layout) };
    /// let s = pool.stats();
    /// assert_eq!((s.live_bytes, s.live_allocations, s.peak_live_bytes), (48, 1, 96));
    /// # unsafe { pool.deallocate(b.cast(), layout) };
    /// ```
    pub fn stats(&self) -> PoolStats {
        let guards: Vec<_> = self.shards.iter().map(|shard| shard.0.lock()).collect();
        let mut stats = PoolStats::default();
        for heap in &guards {
            let c = &heap.counters;
            stats.live_bytes = stats.live_bytes.wrapping_add(c.live_bytes());
            stats.live_allocations = stats.live_allocations.wrapping_add(c.live_allocations());
            stats.peak_live_bytes += c.peak_live_bytes;
            stats.reuse_hits += c.reuse_hits;
            stats.total_allocations += c.allocations;
        }
        drop(guards);
        #[cfg(feature = "std")]
        if let Some((_, list)) = &self.thread_caches {
            for slot in list.lock().iter() {
                // SAFETY: a cache lives as long as its pool; only its atomic counters are read.
                let c = unsafe { &slot.cache.as_ref().counters };
                let load = |counter: &AtomicUsize| counter.load(Ordering::Relaxed);
                stats.live_bytes = stats.live_bytes.wrapping_add(c.live_bytes());
                stats.live_allocations = stats.live_allocations.wrapping_add(c.live_allocations());
                stats.peak_live_bytes += load(&c.peak_live_bytes);
                stats.reuse_hits += load(&c.reuse_hits);
                stats.total_allocations += load(&c.allocations);
                stats.cached_blocks += load(&c.cached_blocks);
            }
        }
        stats.reserved_bytes = self.reserved.load(Ordering::Relaxed);
        stats
    }

    /// Checks the thread caches for `validate`, with every shard locked (`heaps`): the bins of
    /// the calling thread's cache and of caches whose thread has exited are walked (each block
    /// in a slab of its class, on a block boundary, zero throughout); other threads' bins
    /// are theirs alone, so only their counts are used. Returns (blocks cached, live
    /// allocations counted by the caches).
    #[cfg(feature = "std")]
    fn validate_thread_caches(
        &self,
        slots: &[thread_cache::CacheSlot],
        heaps: &[lock_api::MutexGuard<'_, R, ShardHeap>],
    ) -> Result<(usize, usize), PoolError> {
        let me = std::thread::current().id();
        let (mut cached, mut live) = (0usize, 0usize);
        for slot in slots {
            // SAFETY: a cache lives as long as its pool.
            let cache = unsafe { slot.cache.as_ref() };
            let counted = cache.counters.cached_blocks.load(Ordering::Relaxed);
            cached += counted;
            live = live.wrapping_add(cache.counters.live_allocations());
            if slot.thread.is_some_and(|thread| thread != me) {
                continue;
            }
            let (mut walked, mut grown_by_limits) = (0, 0);
            for class in 0..CLASS_COUNT {
                // SAFETY: the cache is ours or ownerless (and we hold the list lock, which an
                // adopter needs); `class` is in range.
                let (blocks, len) = unsafe { (cache.blocks(class), cache.len(class)) };
                if blocks.len() != len {
                    return Err(PoolError::CountMismatch {
                        what: "blocks in a thread cache's bin",
                        expected: len,
                        found: blocks.len(),
                    });
                }
                // SAFETY: as above.
                let limit = unsafe { cache.limit(class) };
                let start = thread_cache::bin_capacity(class);
                if len > limit || limit < start || limit > thread_cache::grown_bin_capacity(class) {
                    return Err(PoolError::CountMismatch {
                        what: "blocks a thread cache's bin may hold",
                        expected: thread_cache::grown_bin_capacity(class),
                        found: limit.max(len),
                    });
                }
                grown_by_limits += (limit - start) * class_size(class);
                walked += len;
                for block in blocks {
                    validate_cached_block(heaps, block, class, self.config.zero_on_free)?;
                }
            }
            // SAFETY: as above.
            let grown = unsafe { cache.grown_bytes() };
            if grown != grown_by_limits {
                return Err(PoolError::CountMismatch {
                    what: "bytes a thread cache's bins grew by, against their limits",
                    expected: grown_by_limits,
                    found: grown,
                });
            }
            // SAFETY: as above.
            let budget = unsafe { cache.growth_budget() };
            if budget != self.config.thread_cache_bytes {
                return Err(PoolError::CountMismatch {
                    what: "growth budget of a thread cache, against the pool's setting",
                    expected: self.config.thread_cache_bytes,
                    found: budget,
                });
            }
            if grown > budget {
                return Err(PoolError::CountMismatch {
                    what: "bytes a thread cache's bins grew by, against their budget",
                    expected: budget,
                    found: grown,
                });
            }
            if walked != counted {
                return Err(PoolError::CountMismatch {
                    what: "blocks in a thread cache",
                    expected: walked,
                    found: counted,
                });
            }
        }
        Ok((cached, live))
    }

    /// Checks every internal structure and returns the first inconsistency: slab headers
    /// against their shard, every free list (inside its slab, on block boundaries, no block
    /// listed twice, length matching the counts), no block both free and live, free and
    /// never-used memory still zero (with zeroing on), the medium free set, and the totals
    /// (live blocks, reserved bytes, `max_bytes`). The seed's `mem_pool_validate`.
    ///
    /// All locks are held for the walk, so other threads wait; it reads every free byte, so it
    /// costs time in proportion to the memory the pool holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// let pool = memory_manager::LocalPool::new();
    /// let p = pool.allocate(Layout::new::<u64>()).unwrap();
    /// assert_eq!(pool.validate(), Ok(()));
    /// # unsafe { pool.deallocate(p.cast(), Layout::new::<u64>()) };
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        // The cache list before the shards: `trim` holds it while it takes shard locks.
        #[cfg(feature = "std")]
        let cache_slots = self.thread_caches.as_ref().map(|(_, list)| list.lock());
        #[cfg(feature = "std")]
        let cache_slots: &[thread_cache::CacheSlot] = cache_slots.as_deref().map_or(&[], |v| v);
        let heaps: Vec<_> = self.shards.iter().map(|shard| shard.0.lock()).collect();
        let cache = self.cache.lock();
        let medium = self.medium.lock();
        let large = self.large.lock();
        let zero = self.config.zero_on_free;

        let mut live_allocations = 0usize;
        let mut small_blocks = 0;
        let mut slab_count = 0;
        for heap in &heaps {
            for (index, &slab) in heap.slabs.iter().enumerate() {
                small_blocks += validate_slab(slab, heap.index, index, zero)?;
            }
            slab_count += heap.slabs.len();
            for (class, list) in heap.classes.iter().enumerate() {
                validate_class_list(heap, class, list)?;
            }
            live_allocations = live_allocations.wrapping_add(heap.counters.live_allocations());
        }
        #[cfg(feature = "std")]
        let cached_blocks = {
            let (cached, live) = self.validate_thread_caches(cache_slots, &heaps)?;
            live_allocations = live_allocations.wrapping_add(live);
            cached
        };
        #[cfg(not(feature = "std"))]
        let cached_blocks = 0;
        for &slab in &cache.0 {
            if zero {
                // The header of a reused slab is rewritten on adoption; only its data must be 0.
                let header = core::mem::size_of::<Slab>();
                // SAFETY: cached slabs are ours and entirely initialised (zeroed); the data
                // follows the header inside the slab.
                let offset =
                    unsafe { first_nonzero(slab.cast::<u8>().add(header), SLAB_SIZE - header) };
                if offset < SLAB_SIZE - header {
                    return Err(PoolError::FreeBlockNotZero {
                        block: slab.addr().get(),
                        size: SLAB_SIZE,
                        offset: header + offset,
                    });
                }
            }
        }
        medium.validate(zero)?;

        // The structures (live blocks in slabs, medium blocks, large blocks) against the
        // counters kept on every allocation and free.
        let blocks = small_blocks.wrapping_sub(cached_blocks) + medium.live_blocks + large.0.len();
        if blocks != live_allocations {
            return Err(PoolError::CountMismatch {
                what: "live allocations (small + medium + large)",
                expected: blocks,
                found: live_allocations,
            });
        }
        let reserved = self.reserved.load(Ordering::Relaxed);
        let held = (slab_count + cache.0.len()) * SLAB_SIZE
            + medium.region_count() * REGION_SIZE
            + large.0.values().map(|(_, l)| l.size()).sum::<usize>();
        if held != reserved {
            return Err(PoolError::CountMismatch {
                what: "reserved bytes",
                expected: held,
                found: reserved,
            });
        }
        if reserved > self.config.max_bytes {
            return Err(PoolError::OverLimit {
                reserved,
                max_bytes: self.config.max_bytes,
            });
        }
        drop((heaps, cache, medium, large));
        #[cfg(feature = "debug")]
        self.validate_registry(live_allocations)?;
        Ok(())
    }

    /// Diagnostics (the seed's `mem_pool_dump`): per size class, the slabs and their used and
    /// free blocks; the slab cache; medium regions with free bytes and the largest free range;
    /// large blocks; live, peak and reserved bytes and the fragmentation ratio. Taken as one
    /// consistent snapshot; print it with `{}`.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::boxed::Box;
    /// let pool = LocalPool::new();
    /// let value = Box::new_in([7u32; 10], &pool);
    /// let text = pool.dump().to_string();
    /// assert!(text.contains("class 48 B"), "{text}");
    /// # drop(value);
    /// ```
    pub fn dump(&self) -> PoolDump {
        let stats = self.stats();
        let heaps: Vec<_> = self.shards.iter().map(|shard| shard.0.lock()).collect();
        let mut classes: Vec<ClassUsage> = (0..CLASS_COUNT)
            .map(|class| ClassUsage {
                block_size: class_size(class),
                ..ClassUsage::default()
            })
            .collect();
        for heap in &heaps {
            for &slab in &heap.slabs {
                // SAFETY: we hold the shard's lock; the slab is one of its own.
                let s = unsafe { &*slab.as_ptr() };
                let usage = &mut classes[s.class];
                usage.slabs += 1;
                usage.used_blocks += s.used;
                usage.free_blocks += s.capacity - s.used;
            }
        }
        drop(heaps);
        classes.retain(|usage| usage.slabs > 0);
        let cached_slabs = self.cache.lock().0.len();
        let medium = self.medium.lock();
        let (large_blocks, large_bytes) = {
            let large = self.large.lock();
            (large.0.len(), large.0.values().map(|(_, l)| l.size()).sum())
        };
        PoolDump {
            stats,
            shards: self.shards.len(),
            classes,
            cached_slabs,
            #[cfg(feature = "std")]
            thread_caches: self
                .thread_caches
                .as_ref()
                .map_or(0, |(_, list)| list.lock().len()),
            #[cfg(not(feature = "std"))]
            thread_caches: 0,
            medium_regions: medium.region_count(),
            medium_live_blocks: medium.live_blocks,
            medium_free_bytes: medium.free_bytes(),
            medium_largest_free: medium.largest_free(),
            large_blocks,
            large_bytes,
            max_bytes: self.max_bytes(),
            zero_on_free: self.config.zero_on_free,
            #[cfg(feature = "debug")]
            live: self.live_by_address(),
        }
    }

    /// Gives memory that holds no live block back to the system: empty slabs (cached or still
    /// attached to a shard) and entirely free medium regions. With zeroing on, all of it reads
    /// zero when it goes.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::vec::Vec;
    /// let pool = LocalPool::new();
    /// let mut v: Vec<u64, &LocalPool> = Vec::new_in(&pool);
    /// v.extend(0..1000); // small blocks: kept in their slabs once freed
    /// drop(v);
    /// assert!(pool.stats().reserved_bytes > 0);
    /// pool.trim();
    /// assert_eq!(pool.stats().reserved_bytes, 0);
    /// ```
    pub fn trim(&self) {
        #[cfg(feature = "debug")]
        let before = self.reserved.load(Ordering::Relaxed);
        #[cfg(feature = "std")]
        if let Some((_, list)) = &self.thread_caches {
            let me = std::thread::current().id();
            for slot in list.lock().iter() {
                if slot.thread.is_some_and(|thread| thread != me) {
                    continue;
                }
                // SAFETY: a cache lives as long as its pool.
                let cache = unsafe { slot.cache.as_ref() };
                for class in 0..CLASS_COUNT {
                    // SAFETY: the cache is the calling thread's, or ownerless while we hold
                    // the list lock (which adopting it needs).
                    unsafe { self.drain_bin(cache, class, usize::MAX) };
                }
            }
        }
        let mut empty = Vec::new();
        for shard in self.shards.iter() {
            shard.0.lock().take_empty_slabs(&mut empty);
        }
        empty.append(&mut self.cache.lock().0);
        for slab in empty {
            if self.config.zero_on_free {
                // SAFETY: the slab is detached and has no live block.
                unsafe { Slab::wipe(slab) };
            }
            // SAFETY: slabs come from `system_alloc(SLAB_LAYOUT)` and are detached.
            unsafe { self.system_free(slab.cast(), SLAB_LAYOUT) };
        }
        let regions = self.medium.lock().take_free_regions();
        let region_layout = Layout::from_size_align(REGION_SIZE, 4096).expect("region layout");
        for region in regions {
            // SAFETY: an entirely free region, detached; with zeroing on, its free ranges were
            // zeroed when freed, so it leaves zeroed.
            unsafe { self.system_free(region, region_layout) };
        }
        #[cfg(feature = "debug")]
        log::debug!(
            "pool trim: {} B given back, {} B still reserved",
            before - self.reserved.load(Ordering::Relaxed),
            self.reserved.load(Ordering::Relaxed)
        );
    }
}

/// The calling thread's shard hint: a number fixed per thread, handed out round-robin.
#[cfg(feature = "std")]
#[inline(always)]
fn thread_hint() -> usize {
    use core::cell::Cell;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static HINT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    HINT.with(|hint| {
        let value = hint.get();
        if value != usize::MAX {
            return value;
        }
        let value = NEXT.fetch_add(1, Ordering::Relaxed) & (usize::MAX >> 1);
        hint.set(value);
        value
    })
}

/// Without `std` there is no thread-local storage: threads are told apart by their stacks,
/// which lie at least 64 KiB apart on every platform we know of.
#[cfg(not(feature = "std"))]
#[inline(always)]
fn thread_hint() -> usize {
    let marker = 0u8;
    let addr = core::ptr::addr_of!(marker).addr();
    (addr >> 16) ^ (addr >> 24)
}

/// Checks a block held in a thread cache's bin of `class`: it must lie in a slab one of the
/// (locked) shards owns, of that class, on a handed-out block boundary, and read zero
/// throughout when zeroing is on.
#[cfg(feature = "std")]
fn validate_cached_block<R: RawMutex>(
    heaps: &[lock_api::MutexGuard<'_, R, ShardHeap>],
    block: NonNull<u8>,
    class: usize,
    zero: bool,
) -> Result<(), PoolError> {
    let slab = Slab::of(block);
    let at = block.addr().get();
    let bad = |reason| {
        Err(PoolError::CorruptFreeList {
            slab: slab.addr().get(),
            class_size: class_size(class),
            block: at,
            reason,
        })
    };
    // Only read the header of a slab that a shard lists as its own.
    let owned = heaps.iter().any(|heap| heap.slabs.contains(&slab));
    if !owned {
        return bad("thread cache block outside every slab of the pool");
    }
    // SAFETY: the slab is listed by a shard whose lock we hold, so its header is initialised
    // and stable.
    let s = unsafe { &*slab.as_ptr() };
    if s.class != class {
        return bad("thread cache block in a slab of another class");
    }
    let start = slab.addr().get() + s.data_offset;
    if at < start
        || !(at - start).is_multiple_of(s.block_size)
        || at - start >= s.bumped * s.block_size
    {
        return bad("thread cache block not on a handed-out block boundary");
    }
    // A cached block holds no link (the bin lists it from outside): with zeroing on, every
    // byte of it reads zero.
    // SAFETY: a free block (in a bin) of a live slab; its bytes are initialised.
    if zero && !unsafe { is_zeroed(block, s.block_size) } {
        return Err(PoolError::FreeBlockNotZero {
            block: at,
            size: s.block_size,
            // SAFETY: as above.
            offset: unsafe { first_nonzero(block, s.block_size) },
        });
    }
    Ok(())
}

/// Checks one slab; returns its live block count.
fn validate_slab(
    slab: NonNull<Slab>,
    shard: usize,
    index: usize,
    zero: bool,
) -> Result<usize, PoolError> {
    // SAFETY: the caller holds the owning shard's lock; the slab is one of its own.
    let s = unsafe { &*slab.as_ptr() };
    let addr = slab.addr().get();
    let corrupt = |reason| {
        Err(PoolError::CorruptSlab {
            slab: addr,
            class_size: s.block_size,
            reason,
        })
    };
    if s.owner.load(Ordering::Relaxed) != shard {
        return corrupt("owned by another shard than the one listing it");
    }
    if s.all_index != index {
        return corrupt("position in the shard's slab list is out of date");
    }
    if s.class >= CLASS_COUNT || class_size(s.class) != s.block_size {
        return corrupt("block size does not match its class");
    }
    if s.bumped > s.capacity || s.used > s.bumped {
        return corrupt("more blocks used or handed out than the slab holds");
    }
    // Every block handed out and not in use must be on the free list.
    let free_count = s.bumped - s.used;
    let start = addr + s.data_offset;
    let end = start + s.bumped * s.block_size;
    let mut seen = crate::rust_alloc::vec![false; s.capacity];
    let mut count = 0;
    let mut next = s.free;
    while let Some(block) = next {
        let at = block.addr().get();
        let bad = |reason| {
            Err(PoolError::CorruptFreeList {
                slab: addr,
                class_size: s.block_size,
                block: at,
                reason,
            })
        };
        if at < start || at >= end {
            return bad("outside the slab's used blocks");
        }
        if !(at - start).is_multiple_of(s.block_size) {
            return bad("not on a block boundary");
        }
        let slot = (at - start) / s.block_size;
        if seen[slot] {
            return bad("listed twice (double free, or a cycle)");
        }
        seen[slot] = true;
        count += 1;
        if count > free_count {
            return bad("longer than the blocks handed out and not in use");
        }
        if zero {
            // SAFETY: a free block of our slab: initialised, and nobody else's.
            let tail = unsafe { block.add(8) };
            // SAFETY: as above; the block has `block_size >= 16` bytes.
            if !unsafe { is_zeroed(tail, s.block_size - 8) } {
                return Err(PoolError::FreeBlockNotZero {
                    block: at,
                    size: s.block_size,
                    // SAFETY: as above.
                    offset: 8 + unsafe { first_nonzero(tail, s.block_size - 8) },
                });
            }
        }
        // SAFETY: free blocks hold the next link in their first word.
        next = unsafe { block.cast::<Option<NonNull<u8>>>().read() };
    }
    if count != free_count {
        return corrupt("free list shorter than the blocks handed out and not in use");
    }
    if zero {
        let fresh = Slab::data_start(slab, s.data_offset);
        let used = s.bumped * s.block_size;
        let left = (s.capacity - s.bumped) * s.block_size;
        // SAFETY: never-used blocks of our slab, zeroed when the slab was obtained.
        let tail = unsafe { fresh.add(used) };
        // SAFETY: as above.
        if !unsafe { is_zeroed(tail, left) } {
            return Err(PoolError::FreeBlockNotZero {
                block: tail.addr().get(),
                size: left,
                // SAFETY: as above.
                offset: unsafe { first_nonzero(tail, left) },
            });
        }
    }
    Ok(s.used)
}

fn validate_class_list(
    heap: &ShardHeap,
    class: usize,
    list: &shard::ClassSlabs,
) -> Result<(), PoolError> {
    let check = |slab: NonNull<Slab>, reason| {
        // SAFETY: the caller holds the shard's lock; listed slabs are its own.
        let s = unsafe { &*slab.as_ptr() };
        if s.class != class || heap.slabs.get(s.all_index) != Some(&slab) {
            return Err(PoolError::CorruptSlab {
                slab: slab.addr().get(),
                class_size: s.block_size,
                reason,
            });
        }
        Ok(s)
    };
    if let Some(current) = list.current {
        check(current, "current slab of the wrong class or not owned")?;
    }
    let mut next = list.partial;
    let mut steps = 0;
    while let Some(slab) = next {
        let s = check(slab, "partial slab of the wrong class or not owned")?;
        steps += 1;
        if !s.listed || s.used >= s.capacity || steps > heap.slabs.len() {
            return Err(PoolError::CorruptSlab {
                slab: slab.addr().get(),
                class_size: s.block_size,
                reason: "partial list entry without free blocks, or a cycle",
            });
        }
        next = s.next;
    }
    Ok(())
}

impl<R: RawMutex> Drop for Pool<R> {
    fn drop(&mut self) {
        #[cfg(feature = "debug")]
        self.report_leaks();
        #[cfg(feature = "std")]
        if let Some((_, list)) = &self.thread_caches {
            // SAFETY: `&mut self`: no thread is inside a method of the pool, and none can reach
            // its caches afterwards (they are found through the pool's id). The blocks in them
            // are wiped and freed with their slabs below.
            unsafe { thread_cache::free_all(list) };
        }
        let zero = self.config.zero_on_free;
        let mut slabs = core::mem::take(&mut self.cache.get_mut().0);
        for shard in self.shards.iter_mut() {
            slabs.append(&mut shard.0.get_mut().slabs);
        }
        for slab in slabs {
            if zero {
                // SAFETY: `&mut self`: nothing else can use the slab; live blocks die with the
                // pool, so wiping them too is what "dropping frees everything, zeroed" means.
                unsafe { Slab::wipe(slab) };
            }
            // SAFETY: allocated with `SLAB_LAYOUT` by `system_alloc`.
            unsafe { self.system_free(slab.cast(), SLAB_LAYOUT) };
        }
        let region_layout = Layout::from_size_align(REGION_SIZE, 4096).expect("region layout");
        let regions: Vec<_> = self.medium.get_mut().drain_regions().collect();
        for region in regions {
            if zero {
                // SAFETY: the whole region is ours, initialised (zeroed from the system).
                unsafe { zero_bytes(region, REGION_SIZE) };
            }
            // SAFETY: allocated with `region_layout` by `system_alloc`.
            unsafe { self.system_free(region, region_layout) };
        }
        for (_, (ptr, layout)) in core::mem::take(&mut self.large.get_mut().0) {
            if zero {
                // SAFETY: a live large block, ours alone now.
                unsafe { zero_bytes(ptr, layout.size()) };
            }
            // SAFETY: allocated with `layout` by `system_alloc`.
            unsafe { self.system_free(ptr, layout) };
        }
    }
}

impl<R: RawMutex> fmt::Debug for Pool<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("shards", &self.shards.len())
            .field("stats", &self.stats())
            .field("max_bytes", &self.max_bytes())
            .field("zero_on_free", &self.config.zero_on_free)
            .finish()
    }
}

impl<R: RawMutex> crate::AllocationNames for Pool<R> {
    /// Records the name in debug mode (shown by `dump` and `leaks`); without the `debug`
    /// feature the pool keeps no names and returns `false`.
    fn name_allocation(&self, ptr: NonNull<u8>, name: &'static str) -> bool {
        #[cfg(feature = "debug")]
        return self.record_name(ptr, name);
        #[cfg(not(feature = "debug"))]
        {
            let _ = (ptr, name);
            false
        }
    }
}

// SAFETY: blocks are carved from slabs, regions and system allocations the pool owns and keeps
// until they are freed (or the pool is dropped, which needs every borrow to have ended). A block
// is in exactly one place at a time (handed out, on a free list, or in a free range), guarded by
// the lock of its shard or heap, so blocks never overlap. `route` is a pure function of the
// layout, so `deallocate`/`grow`/`shrink` find the block where `allocate` put it. Moves copy
// `min(old, new)` bytes.
unsafe impl<R: RawMutex> Allocator for Pool<R> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.alloc_inner(layout)
            .map(|ptr| block(ptr, layout.size()))
    }

    #[inline(always)]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        let ptr = self.alloc_inner(layout)?;
        if !self.config.zero_on_free {
            // SAFETY: a fresh block of `layout.size()` bytes.
            unsafe { ptr.as_ptr().write_bytes(0, layout.size()) };
        }
        // With zeroing on, every block reads zero already: nothing to do.
        Ok(block(ptr, layout.size()))
    }

    #[inline(always)]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { self.dealloc_inner(ptr, layout) }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let min_align = self.config.min_align;
        let (old, new) = (old_layout.size(), new_layout.size());
        // In debug mode every resize moves, so both blocks go through the checks.
        let routes = if cfg!(feature = "debug") {
            (Route::Zero, Route::Zero)
        } else {
            (route(old_layout, min_align), route(new_layout, min_align))
        };
        match routes {
            (Route::Small(a), Route::Small(b)) if a == b => {
                self.account(Event::Resize(old, new));
                return Ok(block(ptr, new));
            }
            (Route::Medium(a), Route::Medium(b)) if self.medium.lock().grow_in_place(ptr, a, b) => {
                self.account(Event::Resize(old, new));
                return Ok(block(ptr, new));
            }
            _ => {}
        }
        // SAFETY: `ptr` is live with `old_layout`; `old <= new`.
        unsafe { self.reallocate(ptr, old_layout, new_layout, old) }
    }

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        let grown = unsafe { self.grow(ptr, old_layout, new_layout)? };
        if !self.config.zero_on_free {
            let (old, new) = (old_layout.size(), new_layout.size());
            // SAFETY: the grown block has `new` bytes; the tail past `old` is ours to set.
            unsafe { grown.cast::<u8>().add(old).write_bytes(0, new - old) };
        }
        // With zeroing on, the bytes past the old size were never written since they were last
        // zeroed (in place) or come from a block that reads zero (moved).
        Ok(grown)
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let min_align = self.config.min_align;
        let (old, new) = (old_layout.size(), new_layout.size());
        let in_place = match (route(old_layout, min_align), route(new_layout, min_align)) {
            // In debug mode every resize moves, so both blocks go through the checks.
            _ if cfg!(feature = "debug") => None,
            (Route::Small(a), Route::Small(b)) if a == b => Some(None),
            (Route::Medium(a), Route::Medium(b)) => Some(Some((a, b))),
            _ => None,
        };
        let Some(medium) = in_place else {
            // SAFETY: `ptr` is live with `old_layout`; `new <= old`.
            return unsafe { self.reallocate(ptr, old_layout, new_layout, new) };
        };
        if self.config.zero_on_free {
            // SAFETY: the tail `new..old` of a live block, given back by the caller.
            unsafe { zero_bytes(ptr.add(new), old - new) };
        }
        match medium {
            None => self.account(Event::Resize(old, new)),
            Some((a, b)) => {
                self.medium.lock().shrink_in_place(ptr, a, b);
                self.account(Event::Resize(old, new));
            }
        }
        Ok(block(ptr, new))
    }
}

#[cfg(test)]
mod tests;
