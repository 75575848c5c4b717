//! `Cell`-like slots for the arena's bump state that another thread may read.
//!
//! A `SharedArena` lane is written only by its own thread, but `SharedArena::allocated_bytes`
//! reads every lane's cursor from whichever thread asks. Plain `Cell`s would make that a data
//! race; relaxed atomics make it a well-defined (if momentary) read. On the platforms we target
//! a relaxed load or store is the same instruction as a plain one, so `MemoryArena` pays nothing.

use core::ptr::NonNull;
use core::sync::atomic::{
    AtomicPtr, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

/// A `Cell<NonNull<T>>` readable from other threads.
pub(crate) struct PtrSlot<T>(AtomicPtr<T>);

impl<T> PtrSlot<T> {
    #[inline(always)]
    pub(crate) fn new(value: NonNull<T>) -> Self {
        Self(AtomicPtr::new(value.as_ptr()))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> NonNull<T> {
        // SAFETY: only `NonNull` values are ever stored.
        unsafe { NonNull::new_unchecked(self.0.load(Relaxed)) }
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: NonNull<T>) {
        self.0.store(value.as_ptr(), Relaxed);
    }
}

/// A `Cell<Option<NonNull<T>>>` readable from other threads, published with release/acquire
/// so that a reader may also read what the pointer points to (a chunk footer, written before the
/// chunk was installed). Both compile to plain moves on x86-64, and it is off the fast path.
pub(crate) struct OptionPtrSlot<T>(AtomicPtr<T>);

impl<T> OptionPtrSlot<T> {
    #[inline(always)]
    pub(crate) fn new(value: Option<NonNull<T>>) -> Self {
        Self(AtomicPtr::new(
            value.map_or(core::ptr::null_mut(), NonNull::as_ptr),
        ))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<NonNull<T>> {
        NonNull::new(self.0.load(Acquire))
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: Option<NonNull<T>>) {
        self.0.store(
            value.map_or(core::ptr::null_mut(), NonNull::as_ptr),
            Release,
        );
    }
    #[inline(always)]
    pub(crate) fn take(&self) -> Option<NonNull<T>> {
        let value = self.get();
        self.set(None);
        value
    }
}

/// A `Cell<usize>` readable from other threads.
pub(crate) struct CountSlot(AtomicUsize);

impl CountSlot {
    #[inline(always)]
    pub(crate) fn new(value: usize) -> Self {
        Self(AtomicUsize::new(value))
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> usize {
        self.0.load(Relaxed)
    }
    #[inline(always)]
    pub(crate) fn set(&self, value: usize) {
        self.0.store(value, Relaxed);
    }
}
