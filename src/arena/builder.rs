//! `ArenaBuilder`: every setting of a [`MemoryArena`] in one place.

use crate::alloc::{AllocError, Layout, handle_alloc_error};
use crate::arena::MemoryArena;

/// The size of the first chunk an arena allocates when no capacity was given (bytes, footer
/// included). Small enough that an unused arena costs little, large enough that a parser's first
/// few hundred nodes do not each reach the slow path.
///
/// # Examples
///
/// ```
/// let arena = memory_manager::MemoryArena::new();
/// arena.alloc(1u8);
/// assert_eq!(arena.capacity_bytes(), memory_manager::arena::FIRST_CHUNK_SIZE);
/// ```
pub const FIRST_CHUNK_SIZE: usize = 4096;

/// The default cap on the size of the regular chunks (chunk sizes double up to it). A single
/// request larger than this still gets a chunk of its own, sized to fit.
///
/// # Examples
///
/// ```
/// assert_eq!(memory_manager::arena::DEFAULT_MAX_CHUNK_SIZE, 256 << 20);
/// ```
pub const DEFAULT_MAX_CHUNK_SIZE: usize = 256 << 20;

/// Configures and builds a [`MemoryArena`].
///
/// # Examples
///
/// ```
/// use memory_manager::MemoryArena;
///
/// let arena = MemoryArena::builder()
///     .capacity(64 * 1024)          // one chunk up front
///     .allocation_limit(1 << 20)    // never hold more than 1 MiB
///     .zero_on_free(true)           // the default: wipe on reset, scope exit and drop
///     .build();
/// assert!(arena.capacity_bytes() >= 64 * 1024);
/// assert_eq!(arena.allocation_limit(), Some(1 << 20));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ArenaBuilder {
    pub(crate) capacity: usize,
    pub(crate) zero_on_free: bool,
    pub(crate) allocation_limit: Option<usize>,
    pub(crate) first_chunk_size: usize,
    pub(crate) max_chunk_size: usize,
}

impl Default for ArenaBuilder {
    fn default() -> Self {
        Self {
            capacity: 0,
            zero_on_free: true,
            allocation_limit: None,
            first_chunk_size: FIRST_CHUNK_SIZE,
            max_chunk_size: DEFAULT_MAX_CHUNK_SIZE,
        }
    }
}

impl ArenaBuilder {
    /// Allocate one chunk able to hold `bytes` bytes of data when the arena is built.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().capacity(10_000).build();
    /// assert!(arena.capacity_bytes() >= 10_000 && arena.chunk_count() == 1);
    /// ```
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// Whether every byte handed out is overwritten with zeros on `reset`, on `scope` exit and on
    /// drop, bytes given back (by deallocating or shrinking the newest allocation) included. On
    /// by default.
    ///
    /// The cost is one `memset` over the bytes actually used, when they are released. Measured
    /// on the arena benchmarks (twelve code layouts, zeroing ÷ not zeroing, same rounds): +76%
    /// on a loop that does nothing but allocate 24-byte values, +25-29% on strings and a `Vec`
    /// pushed to 1M, +18-21% on a hash map and a JSON-like tree, +6% on a JSON parser; an
    /// earlier machine gave +19-22% and 0-10% (see the README).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().zero_on_free(false).build();
    /// assert!(!arena.zero_on_free());
    /// ```
    pub fn zero_on_free(mut self, zero: bool) -> Self {
        self.zero_on_free = zero;
        self
    }

    /// Cap on [`MemoryArena::capacity_bytes`]: a request that would need more chunk memory than
    /// this fails with `AllocError` (or panics, in the non-`try_` forms).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(4096).build();
    /// assert!(arena.try_alloc([0u8; 8192]).is_err());
    /// ```
    pub fn allocation_limit(mut self, bytes: usize) -> Self {
        self.allocation_limit = Some(bytes);
        self
    }

    /// The size of the first regular chunk (footer included), when no `capacity` was given.
    /// Later chunks double from it. Values below 64 bytes are raised to 64.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().first_chunk_size(1 << 16).build();
    /// arena.alloc(1u8);
    /// assert_eq!(arena.capacity_bytes(), 1 << 16);
    /// ```
    pub fn first_chunk_size(mut self, bytes: usize) -> Self {
        self.first_chunk_size = bytes.max(64);
        self
    }

    /// Regular chunks double in size up to this many bytes (default
    /// [`DEFAULT_MAX_CHUNK_SIZE`]); larger single requests still get a chunk sized to fit.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().first_chunk_size(4096).max_chunk_size(8192).build();
    /// for _ in 0..100 {
    ///     arena.alloc([0u8; 4000]);
    /// }
    /// // Doubling stopped at 8 KiB: no chunk is larger.
    /// assert!(arena.capacity_bytes() <= arena.chunk_count() * 8192);
    /// ```
    pub fn max_chunk_size(mut self, bytes: usize) -> Self {
        self.max_chunk_size = bytes.max(64);
        self
    }

    /// Builds the arena, allocating the `capacity` chunk if one was asked for.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when that chunk cannot be allocated or exceeds the
    /// allocation limit; [`try_build`](Self::try_build) returns the error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().build();
    /// assert_eq!(arena.capacity_bytes(), 0);
    /// ```
    pub fn build(self) -> MemoryArena {
        let capacity = self.capacity;
        self.try_build().unwrap_or_else(|_| {
            handle_alloc_error(
                Layout::from_size_align(capacity.min(isize::MAX as usize), 1)
                    .expect("size clamped to isize::MAX"),
            )
        })
    }

    /// Builds the arena, or returns `Err` when the `capacity` chunk cannot be allocated or would
    /// exceed the allocation limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let refused = memory_manager::MemoryArena::builder().capacity(1 << 20).allocation_limit(1024).try_build();
    /// assert!(refused.is_err());
    /// ```
    pub fn try_build(self) -> Result<MemoryArena, AllocError> {
        let capacity = self.capacity;
        let arena = MemoryArena::from_builder(self);
        if capacity > 0 {
            arena.reserve_chunk(capacity)?;
        }
        Ok(arena)
    }
}
