//! Which `Allocator` trait we implement, and small helpers every allocator here shares.
//!
//! We implement allocator-api2 0.2's trait. With the `nightly` feature, allocator-api2 re-exports
//! `core::alloc::Allocator` instead of its own copy, so the same impls then serve std's
//! `Vec<T, A>` too, and nothing else in the crate has to care.

pub use allocator_api2::alloc::{AllocError, Allocator, Global, Layout, handle_alloc_error};
use core::ptr::NonNull;

/// A well-aligned, non-null pointer for a zero-sized allocation: no memory behind it, and no
/// provenance needed, since zero-sized accesses are valid through any aligned non-null pointer.
#[inline(always)]
pub(crate) fn dangling_for(layout: Layout) -> NonNull<u8> {
    NonNull::<u8>::without_provenance(
        core::num::NonZeroUsize::new(layout.align()).expect("Layout alignment is never zero"),
    )
}

/// A `NonNull<[u8]>` for `len` bytes at `ptr`, the shape the `Allocator` trait returns.
#[inline(always)]
pub(crate) fn block(ptr: NonNull<u8>, len: usize) -> NonNull<[u8]> {
    NonNull::slice_from_raw_parts(ptr, len)
}

/// The largest alignment we ask the global allocator for: rustc's own maximum for any type
/// (2^29). `Layout` admits more, but no real allocator can serve it (it would need that much
/// address space per block), so larger alignments are answered with `Err(AllocError)` up front.
pub(crate) const MAX_SYSTEM_ALIGN: usize = 1 << 29;
