//! The cells that hold an arena's bump state, in two kinds: plain `Cell`s ([`Unshared`]) for a
//! `MemoryArena`, relaxed atomics ([`Readable`]) for a `SharedArena` lane.
//!
//! A lane is written only by its own thread, but `SharedArena::allocated_bytes` reads every
//! lane's cursor from whichever thread asks. Plain `Cell`s would make that a data race; relaxed
//! atomics make it a well-defined (if momentary) read.
//!
//! A `MemoryArena` is never read from another thread, and atomics are not free for it even where
//! a relaxed load or store is the same `mov` as a plain one (x86-64): LLVM assumes that an atomic
//! access stronger than `unordered` (Rust's `Relaxed` is LLVM's `monotonic`) may read and write
//! any memory. Inlined into a caller's loop, the relaxed loads of `grow` kept that caller's `Vec`
//! in memory instead of registers, so that the `Vec`'s length stayed apart from the loop's index
//! and LLVM could not see that the `Vec`'s first growth happens in the first iteration only
//! (seen in the IR of the JSON-tree benchmark's object loop, which LLVM peels for every peer).

use core::cell::Cell;
use core::ptr::NonNull;
#[cfg(feature = "std")]
use core::sync::atomic::{
    AtomicPtr, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

/// Which cells an arena's bump state lives in.
pub(crate) trait Sharing: 'static {
    /// A pointer.
    type Ptr<T>: Slot<*mut T>;
    /// A pointer to data written before the pointer was stored (a chunk footer), which a
    /// reader may then read.
    type Published<T>: Slot<*mut T>;
    /// A count.
    type Count: Slot<usize>;
}

/// A `Cell`-like place for a `Copy` value.
pub(crate) trait Slot<V> {
    fn new(value: V) -> Self;
    fn get(&self) -> V;
    fn set(&self, value: V);
}

/// Plain `Cell`s: the arena is only ever touched by the thread that holds it.
pub(crate) enum Unshared {}

impl Sharing for Unshared {
    type Ptr<T> = Cell<*mut T>;
    type Published<T> = Cell<*mut T>;
    type Count = Cell<usize>;
}

impl<V: Copy> Slot<V> for Cell<V> {
    #[inline(always)]
    fn new(value: V) -> Self {
        Cell::new(value)
    }
    #[inline(always)]
    fn get(&self) -> V {
        Cell::get(self)
    }
    #[inline(always)]
    fn set(&self, value: V) {
        Cell::set(self, value);
    }
}

#[cfg(feature = "std")] // only `SharedArena` lanes are read from other threads
/// Atomics: the arena's owner writes, and other threads may read.
pub(crate) enum Readable {}

#[cfg(feature = "std")]
impl Sharing for Readable {
    type Ptr<T> = RelaxedPtr<T>;
    type Published<T> = PublishedPtr<T>;
    type Count = RelaxedCount;
}

#[cfg(feature = "std")]
pub(crate) struct RelaxedPtr<T>(AtomicPtr<T>);

#[cfg(feature = "std")]
impl<T> Slot<*mut T> for RelaxedPtr<T> {
    #[inline(always)]
    fn new(value: *mut T) -> Self {
        Self(AtomicPtr::new(value))
    }
    #[inline(always)]
    fn get(&self) -> *mut T {
        self.0.load(Relaxed)
    }
    #[inline(always)]
    fn set(&self, value: *mut T) {
        self.0.store(value, Relaxed);
    }
}

#[cfg(feature = "std")]
/// Stored with release and loaded with acquire, so that a reader may also read what the pointer
/// points to. Both compile to plain moves on x86-64, and they are off the fast path.
pub(crate) struct PublishedPtr<T>(AtomicPtr<T>);

#[cfg(feature = "std")]
impl<T> Slot<*mut T> for PublishedPtr<T> {
    #[inline(always)]
    fn new(value: *mut T) -> Self {
        Self(AtomicPtr::new(value))
    }
    #[inline(always)]
    fn get(&self) -> *mut T {
        self.0.load(Acquire)
    }
    #[inline(always)]
    fn set(&self, value: *mut T) {
        self.0.store(value, Release);
    }
}

#[cfg(feature = "std")]
pub(crate) struct RelaxedCount(AtomicUsize);

#[cfg(feature = "std")]
impl Slot<usize> for RelaxedCount {
    #[inline(always)]
    fn new(value: usize) -> Self {
        Self(AtomicUsize::new(value))
    }
    #[inline(always)]
    fn get(&self) -> usize {
        self.0.load(Relaxed)
    }
    #[inline(always)]
    fn set(&self, value: usize) {
        self.0.store(value, Relaxed);
    }
}

/// A `Cell<NonNull<T>>` of the kind `S`.
pub(crate) struct PtrSlot<T, S: Sharing>(S::Ptr<T>);

impl<T, S: Sharing> PtrSlot<T, S> {
    #[inline(always)]
    pub(crate) fn new(value: NonNull<T>) -> Self {
        Self(Slot::new(value.as_ptr()))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> NonNull<T> {
        // SAFETY: only `NonNull` values are ever stored.
        unsafe { NonNull::new_unchecked(self.0.get()) }
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: NonNull<T>) {
        self.0.set(value.as_ptr());
    }
}

/// A `Cell<Option<NonNull<T>>>` of the kind `S`, published (see [`Sharing::Published`]).
pub(crate) struct OptionPtrSlot<T, S: Sharing>(S::Published<T>);

impl<T, S: Sharing> OptionPtrSlot<T, S> {
    #[inline(always)]
    pub(crate) fn new(value: Option<NonNull<T>>) -> Self {
        Self(Slot::new(
            value.map_or(core::ptr::null_mut(), NonNull::as_ptr),
        ))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<NonNull<T>> {
        NonNull::new(self.0.get())
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: Option<NonNull<T>>) {
        self.0
            .set(value.map_or(core::ptr::null_mut(), NonNull::as_ptr));
    }
    #[inline(always)]
    pub(crate) fn take(&self) -> Option<NonNull<T>> {
        let value = self.get();
        self.set(None);
        value
    }
}

/// A `Cell<usize>` of the kind `S`.
pub(crate) struct CountSlot<S: Sharing>(S::Count);

impl<S: Sharing> CountSlot<S> {
    #[inline(always)]
    pub(crate) fn new(value: usize) -> Self {
        Self(Slot::new(value))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> usize {
        self.0.get()
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: usize) {
        self.0.set(value);
    }
}
