//! Out-of-memory handlers: per pool (set through the builder) or process-wide.

use crate::alloc::Layout;
use core::sync::atomic::{AtomicPtr, Ordering};

/// The process-wide handler, as a type-erased function pointer (null when none is set).
static GLOBAL_HANDLER: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Sets the process-wide out-of-memory handler (the seed's `mem_set_oom_handler`).
///
/// A pool that cannot meet a request (its `max_bytes` would be exceeded, or the system refused
/// memory) calls its own handler if one was given to its builder, otherwise this one, with the
/// layout that failed, and then returns `Err(AllocError)`. Handlers are called with no lock of
/// the pool held, so they may allocate, or free memory to the same pool.
///
/// # Examples
///
/// ```
/// use core::alloc::Layout;
/// use memory_manager::allocator_api2::alloc::Allocator;
/// use memory_manager::{LocalPool, set_oom_handler};
///
/// fn report(layout: Layout) {
///     eprintln!("out of memory: {} bytes", layout.size());
/// }
/// set_oom_handler(report);
/// let pool = LocalPool::builder().max_bytes(64 * 1024).build();
/// assert!(pool.allocate(Layout::from_size_align(1 << 20, 8).unwrap()).is_err()); // reported
/// memory_manager::pool::clear_oom_handler();
/// ```
pub fn set_oom_handler(handler: fn(Layout)) {
    GLOBAL_HANDLER.store(handler as *mut (), Ordering::Release);
}

/// Removes the process-wide out-of-memory handler.
///
/// # Examples
///
/// ```
/// fn quiet(_: core::alloc::Layout) {}
/// memory_manager::set_oom_handler(quiet);
/// memory_manager::pool::clear_oom_handler(); // back to none
/// ```
pub fn clear_oom_handler() {
    GLOBAL_HANDLER.store(core::ptr::null_mut(), Ordering::Release);
}

/// The process-wide handler, if one is set.
pub(crate) fn global_handler() -> Option<fn(Layout)> {
    let ptr = GLOBAL_HANDLER.load(Ordering::Acquire);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the only non-null values ever stored are `fn(Layout)` pointers cast to `*mut ()`
    // by `set_oom_handler`; function and data pointers have the same size here.
    Some(unsafe { core::mem::transmute::<*mut (), fn(Layout)>(ptr) })
}
