//! The two kinds of reference count a pointer can keep: atomic ([`Atomic`], for
//! [`MemoryPointer`](crate::MemoryPointer), like `Arc`) and plain ([`Local`], for
//! [`LocalPointer`](crate::LocalPointer), like `Rc`). The pointer code is written once against
//! [`RefCount`]; the plain count compiles its orderings to nothing.

use core::cell::Cell;
use core::sync::atomic::{AtomicUsize, Ordering};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Atomic {}
    impl Sealed for super::Local {}
    impl Sealed for core::sync::atomic::AtomicUsize {}
    impl Sealed for super::LocalCount {}
}

/// Atomic counts: the pointer may be shared across threads (when `T` and `A` allow).
///
/// # Examples
///
/// ```
/// use memory_manager::MemoryPointer;
/// use memory_manager::pointer::Atomic;
/// let p: MemoryPointer<u8, memory_manager::allocator_api2::alloc::Global, Atomic> = MemoryPointer::new(1);
/// assert_eq!(*p, 1);
/// ```
#[derive(Debug)]
pub enum Atomic {}

/// Plain counts: the pointer stays on one thread (never `Send` or `Sync`), and cloning or
/// dropping it costs a load and a store, no atomic instruction.
///
/// # Examples
///
/// ```
/// let p = memory_manager::LocalPointer::new(1); // a MemoryPointer<_, _, Local> inside
/// assert_eq!(*p, 1);
/// ```
#[derive(Debug)]
pub enum Local {}

/// Which kind of count a pointer keeps. Sealed: [`Atomic`] or [`Local`].
///
/// # Examples
///
/// ```
/// fn count_kind<C: memory_manager::pointer::RefCount>() -> &'static str {
///     core::any::type_name::<C>()
/// }
/// assert!(count_kind::<memory_manager::pointer::Atomic>().ends_with("Atomic"));
/// ```
pub trait RefCount: sealed::Sealed + 'static {
    /// The count's storage.
    #[doc(hidden)]
    type Cell: CountCell;
}

/// The operations the pointer performs on a count, with `AtomicUsize`'s names and signatures.
#[doc(hidden)]
pub trait CountCell: sealed::Sealed {
    fn new(value: usize) -> Self;
    fn load(&self, order: Ordering) -> usize;
    fn store(&self, value: usize, order: Ordering);
    fn fetch_add(&self, value: usize, order: Ordering) -> usize;
    fn fetch_sub(&self, value: usize, order: Ordering) -> usize;
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize>;
    fn compare_exchange_weak(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize>;
}

impl RefCount for Atomic {
    type Cell = AtomicUsize;
}

impl RefCount for Local {
    type Cell = LocalCount;
}

impl CountCell for AtomicUsize {
    #[inline(always)]
    fn new(value: usize) -> Self {
        AtomicUsize::new(value)
    }
    #[inline(always)]
    fn load(&self, order: Ordering) -> usize {
        AtomicUsize::load(self, order)
    }
    #[inline(always)]
    fn store(&self, value: usize, order: Ordering) {
        AtomicUsize::store(self, value, order)
    }
    #[inline(always)]
    fn fetch_add(&self, value: usize, order: Ordering) -> usize {
        AtomicUsize::fetch_add(self, value, order)
    }
    #[inline(always)]
    fn fetch_sub(&self, value: usize, order: Ordering) -> usize {
        AtomicUsize::fetch_sub(self, value, order)
    }
    #[inline(always)]
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        AtomicUsize::compare_exchange(self, current, new, success, failure)
    }
    #[inline(always)]
    fn compare_exchange_weak(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        AtomicUsize::compare_exchange_weak(self, current, new, success, failure)
    }
}

/// A plain count (`Cell<usize>`).
#[doc(hidden)]
#[derive(Debug)]
pub struct LocalCount(Cell<usize>);

impl CountCell for LocalCount {
    #[inline(always)]
    fn new(value: usize) -> Self {
        LocalCount(Cell::new(value))
    }
    #[inline(always)]
    fn load(&self, _: Ordering) -> usize {
        self.0.get()
    }
    #[inline(always)]
    fn store(&self, value: usize, _: Ordering) {
        self.0.set(value)
    }
    #[inline(always)]
    fn fetch_add(&self, value: usize, _: Ordering) -> usize {
        let old = self.0.get();
        self.0.set(old.wrapping_add(value));
        old
    }
    #[inline(always)]
    fn fetch_sub(&self, value: usize, _: Ordering) -> usize {
        let old = self.0.get();
        self.0.set(old.wrapping_sub(value));
        old
    }
    #[inline(always)]
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        _: Ordering,
        _: Ordering,
    ) -> Result<usize, usize> {
        let old = self.0.get();
        if old == current {
            self.0.set(new);
            Ok(old)
        } else {
            Err(old)
        }
    }
    #[inline(always)]
    fn compare_exchange_weak(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        self.compare_exchange(current, new, success, failure)
    }
}
