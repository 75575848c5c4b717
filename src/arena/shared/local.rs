//! `LocalArena`: a handle on one thread's lane of a `SharedArena`, for the last nanosecond.
//!
//! `SharedArena::alloc` finds the calling thread's lane through a thread-local cache on every
//! call: a compare and a load, three of the nineteen instructions of a 24-byte allocation
//! (callgrind). A handle looks the lane up once and then allocates exactly as `MemoryArena`
//! does (sixteen). It borrows the `SharedArena`, so everything it allocates lives as long as
//! the arena's borrow, and it counts itself on the lane so that the lane is never handed to
//! another thread while it lives.

use super::LaneArena;
use super::{OwnLine, SharedArena};
use crate::alloc::{AllocError, Allocator, Layout};
#[cfg(doc)]
use crate::arena::MemoryArena; // linked from the docs
use core::fmt;
use core::ptr::NonNull;

/// The calling thread's lane of a [`SharedArena`], taken once with [`SharedArena::local`]:
/// allocations through it skip the per-call thread-local lookup of [`SharedArena::alloc`].
///
/// Every method allocates in the same lane and follows the same rules as the `SharedArena`
/// method of the same name (and as [`MemoryArena`]'s): the values live until the arena is
/// reset or dropped, however long the handle lives; their `Drop` is not run. `&LocalArena` is
/// an [`Allocator`], so collections can grow in place through it.
///
/// Neither `Send` nor `Sync`: the lane belongs to the thread that took the handle.
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let arena = memory_manager::SharedArena::new();
/// send(arena.local()); // a handle cannot leave its thread
/// ```
///
/// # Examples
///
/// ```
/// use memory_manager::allocator_api2::vec::Vec;
///
/// let arena = memory_manager::SharedArena::new();
/// let local = arena.local();
/// let mut squares: Vec<u64, _> = Vec::new_in(&local);
/// squares.extend((0..100u64).map(|i| i * i));
/// let name = local.alloc_str("kept past the handle");
/// drop(squares);
/// drop(local);
/// assert_eq!(name, "kept past the handle");
/// ```
pub struct LocalArena<'a> {
    arena: &'a SharedArena,
    line: &'a OwnLine,
}

impl<'a> LocalArena<'a> {
    /// Counts the new handle on the lane.
    pub(super) fn new(arena: &'a SharedArena, line: &'a OwnLine) -> Self {
        line.handles.set(line.handles.get() + 1);
        Self { arena, line }
    }

    /// The lane, borrowed for as long as the arena is.
    #[inline(always)]
    fn lane(&self) -> &'a LaneArena {
        &self.line.arena
    }

    /// The arena this handle allocates in.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// let local = arena.local();
    /// local.alloc(1u8);
    /// assert_eq!(local.arena().allocated_bytes(), 1);
    /// ```
    pub fn arena(&self) -> &'a SharedArena {
        self.arena
    }

    /// Moves `value` into the lane ([`SharedArena::alloc`]).
    ///
    /// # Panics
    ///
    /// Calls `handle_alloc_error` when memory cannot be had.
    #[inline(always)]
    pub fn alloc<T: Send>(&self, value: T) -> &'a mut T {
        self.lane().alloc(value)
    }

    /// Moves `value` into the lane, or returns `Err` past the limit or when the system refuses
    /// ([`SharedArena::try_alloc`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.local().try_alloc(1u8).is_err());
    /// ```
    #[inline(always)]
    pub fn try_alloc<T: Send>(&self, value: T) -> Result<&'a mut T, AllocError> {
        self.lane().try_alloc(value)
    }

    /// Builds a value in place with `f` ([`SharedArena::alloc_with`]).
    #[inline(always)]
    pub fn alloc_with<T: Send>(&self, f: impl FnOnce() -> T) -> &'a mut T {
        self.lane().alloc_with(f)
    }

    /// Copies a string into the lane ([`SharedArena::alloc_str`]).
    #[inline]
    pub fn alloc_str(&self, s: &str) -> &'a mut str {
        self.lane().alloc_str(s)
    }

    /// Copies a string into the lane, or returns `Err` ([`SharedArena::try_alloc_str`]).
    #[inline]
    pub fn try_alloc_str(&self, s: &str) -> Result<&'a mut str, AllocError> {
        self.lane().try_alloc_str(s)
    }

    /// Formats `args` into the lane ([`SharedArena::alloc_fmt`]).
    #[inline]
    pub fn alloc_fmt(&self, args: core::fmt::Arguments<'_>) -> &'a mut str {
        self.lane().alloc_fmt(args)
    }

    /// Formats `args` into the lane, or returns `Err` ([`SharedArena::try_alloc_fmt`]).
    #[inline]
    pub fn try_alloc_fmt(&self, args: core::fmt::Arguments<'_>) -> Result<&'a mut str, AllocError> {
        self.lane().try_alloc_fmt(args)
    }

    /// Copies a slice into the lane ([`SharedArena::alloc_slice_copy`]).
    #[inline]
    pub fn alloc_slice_copy<T: Copy + Send>(&self, src: &[T]) -> &'a mut [T] {
        self.lane().alloc_slice_copy(src)
    }

    /// Copies a slice into the lane, or returns `Err` ([`SharedArena::try_alloc_slice_copy`]).
    #[inline]
    pub fn try_alloc_slice_copy<T: Copy + Send>(
        &self,
        src: &[T],
    ) -> Result<&'a mut [T], AllocError> {
        self.lane().try_alloc_slice_copy(src)
    }

    /// `len` copies of `value` ([`SharedArena::alloc_slice_fill_copy`]).
    #[inline]
    pub fn alloc_slice_fill_copy<T: Copy + Send>(&self, len: usize, value: T) -> &'a mut [T] {
        self.lane().alloc_slice_fill_copy(len, value)
    }

    /// `len` copies of `value`, or `Err` ([`SharedArena::try_alloc_slice_fill_copy`]).
    #[inline]
    pub fn try_alloc_slice_fill_copy<T: Copy + Send>(
        &self,
        len: usize,
        value: T,
    ) -> Result<&'a mut [T], AllocError> {
        self.lane().try_alloc_slice_fill_copy(len, value)
    }

    /// `len` values, the `i`-th being `f(i)` ([`SharedArena::alloc_slice_fill_with`]).
    #[inline]
    pub fn alloc_slice_fill_with<T: Send>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> &'a mut [T] {
        self.lane().alloc_slice_fill_with(len, f)
    }

    /// `len` values from `f`, or `Err` ([`SharedArena::try_alloc_slice_fill_with`]).
    #[inline]
    pub fn try_alloc_slice_fill_with<T: Send>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> Result<&'a mut [T], AllocError> {
        self.lane().try_alloc_slice_fill_with(len, f)
    }

    /// Clones a slice into the lane ([`SharedArena::alloc_slice_clone`]).
    #[inline]
    pub fn alloc_slice_clone<T: Clone + Send>(&self, src: &[T]) -> &'a mut [T] {
        self.lane().alloc_slice_clone(src)
    }

    /// Clones a slice into the lane, or returns `Err` ([`SharedArena::try_alloc_slice_clone`]).
    #[inline]
    pub fn try_alloc_slice_clone<T: Clone + Send>(
        &self,
        src: &[T],
    ) -> Result<&'a mut [T], AllocError> {
        self.lane().try_alloc_slice_clone(src)
    }

    /// The values of an exact-size iterator ([`SharedArena::alloc_slice_fill_iter`]).
    #[inline]
    pub fn alloc_slice_fill_iter<T: Send, I>(&self, values: I) -> &'a mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.lane().alloc_slice_fill_iter(values)
    }

    /// The values of an exact-size iterator, or `Err` with the iterator untouched
    /// ([`SharedArena::try_alloc_slice_fill_iter`]).
    #[inline]
    pub fn try_alloc_slice_fill_iter<T: Send, I>(
        &self,
        values: I,
    ) -> Result<&'a mut [T], AllocError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.lane().try_alloc_slice_fill_iter(values)
    }

    /// Uninitialised memory for `layout` ([`SharedArena::alloc_layout`]).
    #[inline(always)]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.lane().alloc_layout(layout)
    }

    /// Uninitialised memory for `layout`, or `Err` ([`SharedArena::try_alloc_layout`]).
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.lane().try_alloc_layout(layout)
    }
}

impl Clone for LocalArena<'_> {
    fn clone(&self) -> Self {
        Self::new(self.arena, self.line)
    }
}

impl Drop for LocalArena<'_> {
    fn drop(&mut self) {
        self.line.handles.set(self.line.handles.get() - 1);
    }
}

impl fmt::Debug for LocalArena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalArena")
            .field("lane_allocated_bytes", &self.lane().allocated_bytes())
            .field("arena", self.arena)
            .finish()
    }
}

// SAFETY: every call goes to one lane, a `LaneArena` (`MemoryArena`'s implementation) whose
// `Allocator` impl upholds the contract, used only by the thread that owns it (the handle is
// neither `Send` nor `Sync`, and the lane is not handed over while a handle lives). Blocks of other
// lanes (allocated through the `SharedArena` on another thread) are never the newest of this lane,
// so freeing or resizing them leaves them in place or copies them, as for `SharedArena`. Everything
// stays valid until the arena's `reset` or drop, which need `&mut` access the handle's borrow rules
// out.
unsafe impl Allocator for LocalArena<'_> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.lane().allocate(layout)
    }

    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.lane().allocate_zeroed(layout)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.lane().deallocate(ptr, layout) }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.lane().grow(ptr, old_layout, new_layout) }
    }

    #[inline]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.lane().grow_zeroed(ptr, old_layout, new_layout) }
    }

    #[inline]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.lane().shrink(ptr, old_layout, new_layout) }
    }
}
