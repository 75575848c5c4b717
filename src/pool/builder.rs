//! `PoolBuilder`: every setting of a pool in one place.

use crate::alloc::{AllocError, Layout, handle_alloc_error};
use crate::pool::{Config, LocalLock, Pool};
use core::marker::PhantomData;
use lock_api::RawMutex;

/// How many bytes of room each thread cache's bins may gain by growing, unless
/// [`PoolBuilder::thread_cache_bytes`] says otherwise.
pub const DEFAULT_THREAD_CACHE_BYTES: usize = 4 * 1024 * 1024;

/// Configures and builds a pool; `MemoryPool::builder()` builds a `MemoryPool`,
/// `LocalPool::builder()` a `LocalPool`.
///
/// # Examples
///
/// ```
/// use core::alloc::Layout;
/// use memory_manager::LocalPool;
///
/// fn on_oom(layout: Layout) {
///     eprintln!("pool full: {} bytes refused", layout.size());
/// }
/// let pool = LocalPool::builder()
///     .max_bytes(1 << 20)     // never hold more than 1 MiB
///     .min_align(64)          // every block on its own cache line
///     .oom_handler(on_oom)
///     .zero_on_free(true)     // the default
///     .build();
/// assert_eq!(pool.max_bytes(), Some(1 << 20));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<R> {
    config: Config,
    capacity: usize,
    shards: usize,
    _lock: PhantomData<fn() -> R>,
}

impl<R> Clone for PoolBuilder<R> {
    fn clone(&self) -> Self {
        Self {
            config: self.config,
            capacity: self.capacity,
            shards: self.shards,
            _lock: PhantomData,
        }
    }
}

impl<R> core::fmt::Debug for PoolBuilder<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("max_bytes", &self.config.max_bytes)
            .field("zero_on_free", &self.config.zero_on_free)
            .field("min_align", &self.config.min_align)
            .field("oom_handler", &self.config.oom_handler.is_some())
            .field("thread_cache", &self.config.thread_cache)
            .field("capacity", &self.capacity)
            .field("shards", &self.shards)
            .finish()
    }
}

impl<R: RawMutex> Default for PoolBuilder<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolBuilder<LocalLock> {
    /// With [`thread_cache`](Self::thread_cache) on, the pool keeps one cache of its own
    /// instead of one per thread: found with no thread-local lookup. Only for `LocalLock`,
    /// whose pools are `!Sync` (one thread at a time uses them, and so the cache).
    pub(crate) fn cache_owned_by_pool(mut self) -> Self {
        self.config.owned_cache = true;
        self
    }
}

impl<R: RawMutex> PoolBuilder<R> {
    /// A builder with the defaults: no limit, zeroing on, no raised alignment, no handler of its
    /// own, nothing reserved, one shard.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::PoolBuilder;
    /// use memory_manager::pool::{LocalLock, Pool};
    /// let pool: Pool<LocalLock> = PoolBuilder::new().build();
    /// assert_eq!(pool.shard_count(), 1);
    /// ```
    pub fn new() -> Self {
        Self {
            config: Config {
                max_bytes: usize::MAX,
                zero_on_free: true,
                min_align: 1,
                oom_handler: None,
                thread_cache: false,
                owned_cache: false,
                thread_cache_bytes: DEFAULT_THREAD_CACHE_BYTES,
            },
            capacity: 0,
            shards: 1,
            _lock: PhantomData,
        }
    }

    /// Never reserve more than `bytes` from the system. A request past it calls the OOM handler
    /// and returns `Err(AllocError)`; the pool stays fully usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// let pool = LocalPool::builder().max_bytes(1 << 20).build();
    /// assert!(pool.allocate(Layout::from_size_align(2 << 20, 8).unwrap()).is_err());
    /// assert!(pool.allocate(Layout::new::<u64>()).is_ok()); // still usable
    /// ```
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.config.max_bytes = bytes;
        self
    }

    /// Whether every byte a caller could have written is zeroed when its block is freed (and
    /// therefore every block handed out reads zero). On by default.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = memory_manager::LocalPool::builder().zero_on_free(false).build();
    /// assert!(!pool.zero_on_free());
    /// ```
    pub fn zero_on_free(mut self, zero: bool) -> Self {
        self.config.zero_on_free = zero;
        self
    }

    /// Raise every allocation's alignment to at least `align` (the seed's `MEM_ALIGNMENT`:
    /// cache lines, SIMD).
    ///
    /// # Panics
    ///
    /// If `align` is not a power of two.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::boxed::Box;
    /// let pool = LocalPool::builder().min_align(64).build();
    /// let b = Box::new_in(1u8, &pool);
    /// assert_eq!((&*b as *const u8).addr() % 64, 0);
    /// ```
    pub fn min_align(mut self, align: usize) -> Self {
        assert!(
            align.is_power_of_two(),
            "min_align({align}): alignment must be a power of two"
        );
        self.config.min_align = align;
        self
    }

    /// A handler called, with no lock held, when this pool cannot meet a request; it takes
    /// precedence over the process-wide one ([`set_oom_handler`](crate::set_oom_handler)).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// fn note(layout: Layout) {
    ///     eprintln!("refused {} bytes", layout.size());
    /// }
    /// let pool = LocalPool::builder().max_bytes(0).oom_handler(note).build();
    /// assert!(pool.allocate(Layout::new::<u64>()).is_err()); // `note` was called first
    /// ```
    pub fn oom_handler(mut self, handler: fn(Layout)) -> Self {
        self.config.oom_handler = Some(handler);
        self
    }

    /// Reserve `bytes` of slabs when the pool is built.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = memory_manager::LocalPool::builder().capacity(128 * 1024).build();
    /// assert_eq!(pool.stats().reserved_bytes, 128 * 1024);
    /// ```
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// How many shards (independently locked heaps) to split the pool into; rounded up to a
    /// power of two. Threads are spread over them round-robin.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = memory_manager::MemoryPool::builder().shards(8).build();
    /// assert_eq!(pool.shard_count(), 8);
    /// ```
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1);
        self
    }

    /// Give each thread that uses the pool a small cache of free blocks per size class (on by
    /// default). Allocation and free then take no lock and no atomic read-modify-write: the
    /// shard lock is taken once per refill or flush of half a bin (up to 32 blocks). A
    /// [`LocalPool`](crate::LocalPool) (built with [`LocalPool::builder`](crate::LocalPool))
    /// keeps one cache of its own instead, found with no thread-local lookup: only one thread
    /// uses it at a time. Its no-op lock is cheap, but the cache's pop and push are cheaper
    /// still than the slab bookkeeping behind them (lifo allocate/free pairs: 3.1 ms for 1M
    /// without the cache, 2.1 ms with it).
    ///
    /// A bin starts at 8 KiB of blocks (at most 64) and grows by a batch at each refill, up
    /// to 1 MiB (at most 16,384 blocks), while the cache's bins have grown by less than
    /// [`thread_cache_bytes`](Self::thread_cache_bytes) (4 MiB by default): a thread that
    /// cycles through ten thousand blocks of a class then never touches the shard.
    ///
    /// The price: the free blocks a thread holds (at most 8 KiB per class, or two blocks above
    /// 4 KiB: ~500 KiB if a thread used every class, typically far less, plus the growth
    /// budget) stay counted as used in their slabs until the thread reuses them, exits, calls
    /// [`trim`](crate::pool::Pool::trim), or needs memory that `max_bytes` would refuse (the
    /// pool then empties the calling thread's cache and gives its empty slabs back before
    /// refusing). A thread that exits hands its cache to the next
    /// thread that meets the pool, and `trim` empties the calling thread's cache and those
    /// whose thread has exited (a thread hands its cache back in its thread-local destructors,
    /// which may still be running just after a `join` returns). `stats` and `validate` are
    /// exact once the threads using the pool are quiet. Needs the `std` feature
    /// (thread-local storage); ignored without it.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::MemoryPool;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// let pool = MemoryPool::builder().thread_cache(false).build(); // a lock on every operation
    /// let layout = Layout::new::<u64>();
    /// let block = pool.allocate(layout).unwrap();
    /// unsafe { pool.deallocate(block.cast(), layout) };
    /// assert_eq!(pool.stats().cached_blocks, 0);
    /// ```
    pub fn thread_cache(mut self, on: bool) -> Self {
        self.config.thread_cache = on;
        self
    }

    /// How many bytes of room each thread cache's bins may gain together by growing past
    /// their starting size ([`DEFAULT_THREAD_CACHE_BYTES`], 4 MiB, unless set). More room lets
    /// a thread that frees and reallocates many blocks of one size in batches keep them all
    /// in its cache (10,000 blocks of 64 bytes need 640 KiB; when bins stopped at 64 KiB,
    /// nine in ten of them went through a refill and a flush each round: 1.7-1.8x the time);
    /// less bounds the free memory each thread keeps away from the others. `0` keeps every bin
    /// at its starting size. Ignored without [`thread_cache`](Self::thread_cache) or the `std`
    /// feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// use memory_manager::LocalPool;
    /// use memory_manager::allocator_api2::alloc::Allocator;
    /// let pool = LocalPool::builder().thread_cache_bytes(0).build();
    /// let layout = Layout::new::<[u64; 8]>();
    /// let blocks: Vec<_> = (0..1000).map(|_| pool.allocate(layout).unwrap()).collect();
    /// for block in blocks {
    ///     unsafe { pool.deallocate(block.cast(), layout) };
    /// }
    /// // Its bin kept at most its starting 64 blocks; the rest went back to their slabs.
    /// assert!(pool.stats().cached_blocks <= 64);
    /// ```
    pub fn thread_cache_bytes(mut self, bytes: usize) -> Self {
        self.config.thread_cache_bytes = bytes;
        self
    }

    /// Builds the pool.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the `capacity` cannot be reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = memory_manager::MemoryPool::builder().max_bytes(1 << 30).build();
    /// assert_eq!(pool.max_bytes(), Some(1 << 30));
    /// ```
    pub fn build(self) -> Pool<R> {
        let capacity = self.capacity;
        self.try_build().unwrap_or_else(|_| {
            handle_alloc_error(
                Layout::from_size_align(capacity.min(isize::MAX as usize), 1)
                    .expect("size clamped to isize::MAX"),
            )
        })
    }

    /// Builds the pool, or returns `Err` if the `capacity` cannot be reserved (for example
    /// because it exceeds `max_bytes`).
    ///
    /// # Examples
    ///
    /// ```
    /// let refused = memory_manager::LocalPool::builder().max_bytes(1024).capacity(1 << 20).try_build();
    /// assert!(refused.is_err());
    /// ```
    pub fn try_build(self) -> Result<Pool<R>, AllocError> {
        let pool = Pool::from_config(self.config, self.shards);
        pool.reserve_slabs(self.capacity)?;
        Ok(pool)
    }
}
