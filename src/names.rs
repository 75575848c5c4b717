//! Names for live allocations (the seed's `mem_pointer_create("my_buffer", 1024)`): a small
//! trait that any allocator can implement, so that `MemoryPointer` can offer names without
//! depending on the pool.

use core::ptr::NonNull;

/// An allocator that can attach a name to a live allocation, for its diagnostics.
///
/// The pools record names in debug mode (the `debug` feature) and show them in `dump` and
/// `leaks`; without it they accept and ignore them.
///
/// # Examples
///
/// ```
/// use memory_manager::{AllocationNames, LocalPool, MemoryPointer};
///
/// let pool = LocalPool::new();
/// let buffer = MemoryPointer::new_zeroed_slice_in(1024, &pool);
/// let recorded = MemoryPointer::set_name(&buffer, "my_buffer");
/// assert_eq!(recorded, cfg!(feature = "debug"));
/// ```
pub trait AllocationNames {
    /// Names the live allocation starting at `ptr`; returns whether the name was recorded
    /// (`false` when the allocator keeps no names, or does not know the pointer).
    fn name_allocation(&self, ptr: NonNull<u8>, name: &'static str) -> bool;
}

impl<A: AllocationNames + ?Sized> AllocationNames for &A {
    fn name_allocation(&self, ptr: NonNull<u8>, name: &'static str) -> bool {
        (**self).name_allocation(ptr, name)
    }
}
