//! `MemoryArena`: a bump arena that bumps upward, zeroes what it handed out, and can be capped.

mod budget;
mod builder;
pub(crate) mod bumping;
mod chunk;
mod format;
mod raw;
#[cfg(feature = "std")]
mod shared;
mod slot;

pub use builder::{ArenaBuilder, DEFAULT_MAX_CHUNK_SIZE, FIRST_CHUNK_SIZE};
#[cfg(feature = "std")]
pub use shared::{LocalArena, SharedArena, SharedArenaBuilder};

#[cfg(doc)]
use crate::alloc::handle_alloc_error; // linked from the docs
use crate::alloc::{AllocError, Allocator, Layout};
use core::fmt;
use core::ptr::NonNull;
use raw::RawArena;
use slot::Unshared;

/// A bump arena: allocation is a pointer bump, and everything is freed at once.
///
/// - **Fast**: an allocation is an alignment mask, a compare and a pointer store. Growing or
///   shrinking the newest allocation happens in place (the arena bumps upward), so a `Vec` that
///   grows last never copies.
/// - **Secure by default**: every byte handed out is overwritten with zeros on [`reset`], when a
///   [`scope`] ends, and on drop ([`ArenaBuilder::zero_on_free`] turns this off). Bytes given
///   back by deallocating or shrinking the newest allocation are reused by the next allocations
///   and wiped with the rest: the arena remembers how far each chunk was used, not only where
///   its cursor is.
/// - **Bounded**: [`set_allocation_limit`] caps the chunk memory it may hold; past it, `try_*`
///   and the [`Allocator`] methods return `Err` and nothing else changes.
///
/// **The arena never runs `Drop` for the values in it.** Memory is reclaimed, destructors are not:
/// a `String` or `Vec<T, Global>` allocated *in* the arena leaks its own heap buffer. For a value
/// whose destructor must run, box it *through* the arena: `allocator_api2::boxed::Box::new_in(value,
/// &arena)` drops the value when the box goes (and gives the bytes back if it was the newest
/// allocation); collections that allocate through the arena (`allocator_api2::vec::Vec<T,
/// &MemoryArena>`) drop their elements the same way. The plain path pays nothing for this: the
/// arena keeps no list of destructors.
///
/// ```
/// use memory_manager::MemoryArena;
/// use memory_manager::allocator_api2::boxed::Box;
///
/// let arena = MemoryArena::new();
/// let log = std::cell::RefCell::new(Vec::new());
/// struct Noisy<'a>(&'a std::cell::RefCell<Vec<&'static str>>);
/// impl Drop for Noisy<'_> {
///     fn drop(&mut self) {
///         self.0.borrow_mut().push("dropped");
///     }
/// }
/// let boxed = Box::new_in(Noisy(&log), &arena);
/// drop(boxed);
/// assert_eq!(*log.borrow(), ["dropped"]);
/// arena.alloc(Noisy(&log)); // never dropped
/// assert_eq!(log.borrow().len(), 1);
/// ```
///
/// `MemoryArena` is `Send` but not `Sync`: one thread allocates at a time.
///
/// # Examples
///
/// ```
/// use memory_manager::MemoryArena;
/// use memory_manager::allocator_api2::vec::Vec;
///
/// let mut arena = MemoryArena::new();
/// let answer = arena.alloc(42u64);
/// *answer += 1;
/// let name = arena.alloc_str("node");
/// let mut children: Vec<u32, &MemoryArena> = Vec::new_in(&arena);
/// children.extend([1, 2, 3]);
/// assert_eq!((*answer, &*name, children.len()), (43, "node", 3));
/// drop(children);
///
/// arena.reset(); // everything above is gone, and its bytes are zero
/// assert_eq!(arena.allocated_bytes(), 0);
/// ```
///
/// [`reset`]: MemoryArena::reset
/// [`scope`]: MemoryArena::scope
/// [`set_allocation_limit`]: MemoryArena::set_allocation_limit
pub struct MemoryArena {
    raw: RawArena<Unshared>,
}

impl Default for MemoryArena {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryArena {
    /// An empty arena with the default settings. Allocates nothing until first used.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.capacity_bytes(), 0);
    /// ```
    pub fn new() -> Self {
        Self::from_builder(ArenaBuilder::default())
    }

    /// An arena with one chunk that holds at least `bytes` bytes, allocated now.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the chunk cannot be allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::with_capacity(1 << 16);
    /// assert!(arena.capacity_bytes() >= 1 << 16);
    /// assert_eq!(arena.chunk_count(), 1);
    /// ```
    pub fn with_capacity(bytes: usize) -> Self {
        Self::builder().capacity(bytes).build()
    }

    /// A builder for every setting: capacity, zeroing, limit, chunk sizes.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().zero_on_free(false).build();
    /// assert!(!arena.zero_on_free());
    /// ```
    pub fn builder() -> ArenaBuilder {
        ArenaBuilder::default()
    }

    pub(crate) fn from_builder(builder: ArenaBuilder) -> Self {
        Self {
            raw: RawArena::from_builder(builder),
        }
    }

    /// Allocates a chunk able to hold `bytes` and makes it the current one (builder capacity).
    pub(crate) fn reserve_chunk(&self, bytes: usize) -> Result<(), AllocError> {
        self.raw.reserve_chunk(bytes)
    }

    // ----- allocation -------------------------------------------------------------------------

    /// Moves `value` into the arena and returns a mutable reference to it.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when memory cannot be had (see [`try_alloc`](Self::try_alloc)).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let point = arena.alloc((1.0f32, 2.0f32));
    /// point.0 += 1.0;
    /// assert_eq!(*point, (2.0, 2.0));
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc<T>(&self, value: T) -> &mut T {
        self.raw.alloc(value)
    }

    /// Moves `value` into the arena, or returns `Err` (dropping nothing: the value comes back
    /// inside no error, it is simply dropped) when the limit or the system refuses memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc(7u8).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
        self.raw.try_alloc(value)
    }

    /// Allocates space for a `T`, then calls `f` and writes its result there, so large values
    /// can be built in place.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let table = arena.alloc_with(|| [0u64; 512]);
    /// assert_eq!(table.len(), 512);
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_with<T>(&self, f: impl FnOnce() -> T) -> &mut T {
        self.raw.alloc_with(f)
    }

    /// Copies a slice into the arena.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let copy = arena.alloc_slice_copy(&[1u16, 2, 3]);
    /// copy[0] = 9;
    /// assert_eq!(copy, &[9, 2, 3]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        self.raw.alloc_slice_copy(src)
    }

    /// Copies a slice into the arena, or returns `Err` when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.try_alloc_slice_copy(&[1, 2]).unwrap(), &[1, 2]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        self.raw.try_alloc_slice_copy(src)
    }

    /// Allocates `len` copies of `value`.
    ///
    /// # Panics
    ///
    /// Panics with "capacity overflow" when `len` values of `T` exceed `isize::MAX` bytes, and
    /// calls [`handle_alloc_error`] when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.alloc_slice_fill_copy(3, 7u8), &[7, 7, 7]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_copy<T: Copy>(&self, len: usize, value: T) -> &mut [T] {
        self.raw.alloc_slice_fill_copy(len, value)
    }

    /// Allocates `len` copies of `value`, or returns `Err` when the size overflows or memory
    /// cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.try_alloc_slice_fill_copy(2, 'x').unwrap(), &['x', 'x']);
    /// assert!(arena.try_alloc_slice_fill_copy(usize::MAX, 0u64).is_err()); // size overflow
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_copy<T: Copy>(
        &self,
        len: usize,
        value: T,
    ) -> Result<&mut [T], AllocError> {
        self.raw.try_alloc_slice_fill_copy(len, value)
    }

    /// Allocates a slice of `len` values, the `i`-th being `f(i)`.
    ///
    /// # Panics
    ///
    /// As [`alloc_slice_fill_copy`](Self::alloc_slice_fill_copy). If `f` panics, the values
    /// already written are leaked (the arena never drops values).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.alloc_slice_fill_with(4, |i| i * i), &[0, 1, 4, 9]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_with<T>(&self, len: usize, f: impl FnMut(usize) -> T) -> &mut [T] {
        self.raw.alloc_slice_fill_with(len, f)
    }

    /// The fallible form of [`alloc_slice_fill_with`](Self::alloc_slice_fill_with).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(1024).build();
    /// assert_eq!(arena.try_alloc_slice_fill_with(3, |i| i).unwrap(), &[0, 1, 2]);
    /// assert!(arena.try_alloc_slice_fill_with(10_000, |i| i).is_err()); // over the limit
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_with<T>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        self.raw.try_alloc_slice_fill_with(len, f)
    }

    /// Clones every value of `src` into the arena.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when memory cannot be had. If a `clone` panics, the clones
    /// already made are leaked (the arena never drops values).
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(Clone, Debug, PartialEq)] // not `Copy`
    /// struct Token { kind: u8, start: u32 }
    ///
    /// let arena = memory_manager::MemoryArena::new();
    /// let tokens = [Token { kind: 1, start: 0 }, Token { kind: 2, start: 4 }];
    /// let copies = arena.alloc_slice_clone(&tokens);
    /// copies[1].start = 5;
    /// assert_eq!(copies[0], tokens[0]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_clone<T: Clone>(&self, src: &[T]) -> &mut [T] {
        self.raw.alloc_slice_clone(src)
    }

    /// The fallible form of [`alloc_slice_clone`](Self::alloc_slice_clone).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc_slice_clone(&[1u8, 2]).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_clone<T: Clone>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        self.raw.try_alloc_slice_clone(src)
    }

    /// Moves the values of an iterator of known length into one slice in the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc_slice_fill_copy`](Self::alloc_slice_fill_copy); also when the iterator yields
    /// fewer values than its [`len`](ExactSizeIterator::len) promised (values past that length
    /// are never asked for). On a panic the values already moved in are leaked.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let squares = arena.alloc_slice_fill_iter((1..5u32).map(|i| i * i));
    /// assert_eq!(squares, &[1, 4, 9, 16]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_iter<T, I>(&self, values: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.raw.alloc_slice_fill_iter(values)
    }

    /// The fallible form of [`alloc_slice_fill_iter`](Self::alloc_slice_fill_iter): `Err` when
    /// the size overflows or memory cannot be had (the iterator is then left untouched).
    ///
    /// # Panics
    ///
    /// When the iterator yields fewer values than its `len` promised.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(1024).build();
    /// assert_eq!(arena.try_alloc_slice_fill_iter([3u8, 2, 1]).unwrap(), &[3, 2, 1]);
    /// assert!(arena.try_alloc_slice_fill_iter(0..100_000usize).is_err()); // over the limit
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_iter<T, I>(&self, values: I) -> Result<&mut [T], AllocError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.raw.try_alloc_slice_fill_iter(values)
    }

    /// Copies a string into the arena.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let s = arena.alloc_str("héllo");
    /// s.make_ascii_uppercase();
    /// assert_eq!(s, "HéLLO");
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_str(&self, s: &str) -> &mut str {
        self.raw.alloc_str(s)
    }

    /// Copies a string into the arena, or returns `Err` when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.try_alloc_str("text").unwrap(), "text");
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        self.raw.try_alloc_str(s)
    }

    /// Allocates uninitialised memory for `layout`.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// let arena = memory_manager::MemoryArena::new();
    /// let ptr = arena.alloc_layout(Layout::from_size_align(100, 64).unwrap());
    /// assert_eq!(ptr.as_ptr() as usize % 64, 0);
    /// ```
    #[inline(always)]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.raw.alloc_layout(layout)
    }

    /// Allocates uninitialised memory for `layout`, or returns `Err` when the allocation limit
    /// or the system refuses it. Zero-sized layouts get an aligned dangling pointer.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// let arena = memory_manager::MemoryArena::new();
    /// let huge = Layout::from_size_align(isize::MAX as usize - 4095, 4096).unwrap();
    /// assert!(arena.try_alloc_layout(huge).is_err());
    /// assert_eq!(arena.capacity_bytes(), 0); // nothing changed
    /// ```
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.raw.try_alloc_layout(layout)
    }

    // ----- freeing ------------------------------------------------------------------------------

    /// Frees everything allocated, keeping only the largest chunk for reuse. With zeroing on (the
    /// default), every byte handed out since the last reset is overwritten with zeros first.
    ///
    /// Of several largest chunks (chunks stop growing at [`ArenaBuilder::max_chunk_size`]), the
    /// oldest is kept: it was used to its end, so all its pages are mapped already, where the
    /// newest may be partly untouched. A cycle that needs more than one chunk holds gets the rest
    /// from the system again after every `reset` (and the system maps it in again page by page);
    /// [`reset_keep_chunks`](Self::reset_keep_chunks) keeps it all instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut arena = memory_manager::MemoryArena::new();
    /// for i in 0..10_000u64 {
    ///     arena.alloc(i);
    /// }
    /// assert!(arena.chunk_count() > 1);
    /// arena.reset();
    /// assert_eq!(arena.chunk_count(), 1); // the largest chunk is kept
    /// assert_eq!(arena.allocated_bytes(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.raw.reset()
    }

    /// Frees everything allocated but keeps every chunk (zeroed, when zeroing is on) for reuse:
    /// the next allocations fill them before any new chunk is requested.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut arena = memory_manager::MemoryArena::new();
    /// for i in 0..10_000u64 {
    ///     arena.alloc(i);
    /// }
    /// let (chunks, capacity) = (arena.chunk_count(), arena.capacity_bytes());
    /// arena.reset_keep_chunks();
    /// for i in 0..10_000u64 {
    ///     arena.alloc(i);
    /// }
    /// assert_eq!((arena.chunk_count(), arena.capacity_bytes()), (chunks, capacity));
    /// ```
    pub fn reset_keep_chunks(&mut self) {
        self.raw.reset_keep_chunks()
    }

    /// Runs `f` with the arena, then rewinds it: everything `f` allocated is freed (and zeroed,
    /// when zeroing is on), chunks it added included. Nothing allocated inside can escape: `f`
    /// gets a borrow that ends when it returns.
    ///
    /// Allocations made before the scope are untouched. The rewind also happens if `f` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut arena = memory_manager::MemoryArena::new();
    /// let before = arena.alloc(1u32) as *const u32;
    /// let used = arena.allocated_bytes();
    /// let total = arena.scope(|scratch| {
    ///     let squares = scratch.alloc_slice_fill_with(1000, |i| (i * i) as u64);
    ///     squares.iter().sum::<u64>()
    /// });
    /// assert_eq!(total, 332_833_500);
    /// assert_eq!(arena.allocated_bytes(), used); // rewound
    /// # let _ = before;
    /// ```
    pub fn scope<R>(&mut self, f: impl FnOnce(&MemoryArena) -> R) -> R {
        /// Rewinds the arena when the scope ends, even by a panic.
        struct Rewind<'a> {
            raw: &'a RawArena<Unshared>,
            checkpoint: raw::Checkpoint,
        }
        impl Drop for Rewind<'_> {
            fn drop(&mut self) {
                self.raw.rewind(self.checkpoint);
            }
        }
        let _rewind = Rewind {
            raw: &self.raw,
            checkpoint: self.raw.checkpoint(),
        };
        f(self)
    }

    // ----- introspection ------------------------------------------------------------------------

    /// Bytes handed out since the last reset: the sum of the sizes of all allocations, less the
    /// bytes given back by deallocating or shrinking the newest allocation, plus in-place
    /// growth. Alignment padding is not counted.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// arena.alloc(1u8);
    /// arena.alloc(2u64);
    /// assert_eq!(arena.allocated_bytes(), 9);
    /// ```
    pub fn allocated_bytes(&self) -> usize {
        self.raw.allocated_bytes()
    }

    /// Bytes held in chunks (footers and spare chunks included): what the arena costs.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// arena.alloc(1u8);
    /// assert!(arena.capacity_bytes() >= memory_manager::arena::FIRST_CHUNK_SIZE);
    /// ```
    pub fn capacity_bytes(&self) -> usize {
        self.raw.capacity_bytes()
    }

    /// How many chunks the arena holds, spare ones included.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// assert_eq!(arena.chunk_count(), 0);
    /// arena.alloc(1u8);
    /// assert_eq!(arena.chunk_count(), 1);
    /// ```
    pub fn chunk_count(&self) -> usize {
        self.raw.chunk_count()
    }

    /// Caps [`capacity_bytes`](Self::capacity_bytes): a request that would need more chunk
    /// memory fails with `Err` from `try_*` and the [`Allocator`] methods (the panicking forms
    /// call [`handle_alloc_error`]); nothing else changes. `None` removes the cap. Lowering the
    /// cap below what is already held frees nothing; it only stops growth.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// let arena = memory_manager::MemoryArena::new();
    /// arena.set_allocation_limit(Some(8 * 1024));
    /// let big = Layout::from_size_align(16 * 1024, 8).unwrap();
    /// assert!(arena.try_alloc_layout(big).is_err());
    /// arena.set_allocation_limit(None);
    /// assert!(arena.try_alloc_layout(big).is_ok());
    /// ```
    pub fn set_allocation_limit(&self, limit: Option<usize>) {
        self.raw.set_allocation_limit(limit)
    }

    /// The cap set by [`set_allocation_limit`](Self::set_allocation_limit), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(1 << 20).build();
    /// assert_eq!(arena.allocation_limit(), Some(1 << 20));
    /// ```
    pub fn allocation_limit(&self) -> Option<usize> {
        self.raw.allocation_limit()
    }

    /// Whether freed bytes are overwritten with zeros (see [`ArenaBuilder::zero_on_free`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(memory_manager::MemoryArena::new().zero_on_free());
    /// ```
    pub fn zero_on_free(&self) -> bool {
        self.raw.zero_on_free()
    }
}

impl fmt::Debug for MemoryArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryArena")
            .field("chunks", &self.chunk_count())
            .field("capacity_bytes", &self.capacity_bytes())
            .field("allocated_bytes", &self.allocated_bytes())
            .field("allocation_limit", &self.allocation_limit())
            .field("zero_on_free", &self.zero_on_free())
            .finish()
    }
}

// SAFETY: every method forwards to the same method of the `RawArena`, which upholds the
// contract (see its impl).
unsafe impl Allocator for MemoryArena {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.raw.allocate(layout)
    }

    #[inline(always)]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.raw.allocate_zeroed(layout)
    }

    #[inline(always)]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.raw.deallocate(ptr, layout) }
    }

    #[inline(always)]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.raw.grow(ptr, old_layout, new_layout) }
    }

    #[inline(always)]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.raw.grow_zeroed(ptr, old_layout, new_layout) }
    }

    #[inline(always)]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.raw.shrink(ptr, old_layout, new_layout) }
    }
}

#[cfg(test)]
mod tests;
