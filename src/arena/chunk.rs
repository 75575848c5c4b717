//! Arena chunks: one allocation from the global allocator each, data first, footer last.
//!
//! The footer sits at the end so that the data starts at the allocation's own address: a chunk
//! made for an over-aligned request (say 64 KiB alignment) is allocated with that alignment and
//! wastes nothing on padding. Chunks form a singly linked list through `prev`, newest first.

use crate::alloc::Layout;
use crate::arena::bumping::round_up;
use core::cell::Cell;
use core::mem::{align_of, size_of};
use core::ptr::NonNull;

/// Every chunk is aligned at least this much, so small alignments never need padding at the
/// start of a chunk.
pub(crate) const CHUNK_ALIGN: usize = 16;

/// The bookkeeping at the end of each chunk.
pub(crate) struct ChunkFooter {
    /// The start of the allocation and of its data area (the footer's own address ends it).
    pub(crate) base: NonNull<u8>,
    /// The layout the chunk was allocated with, needed to give it back.
    pub(crate) layout: Layout,
    /// The chunk allocated before this one, if any.
    pub(crate) prev: Cell<Option<NonNull<ChunkFooter>>>,
    /// How far the data area has been used: written when the chunk stops being the current one,
    /// so that `reset` knows exactly which bytes to zero.
    pub(crate) used_end: Cell<NonNull<u8>>,
}

pub(crate) const FOOTER_SIZE: usize = size_of::<ChunkFooter>();
const _: () = assert!(FOOTER_SIZE.is_multiple_of(align_of::<ChunkFooter>()));
// The bump arithmetic relies on this much of the chunk following its data area (see
// `NO_WRAP_SLACK`).
const _: () = assert!(FOOTER_SIZE >= crate::arena::bumping::NO_WRAP_SLACK);
const _: () = assert!(CHUNK_ALIGN.is_multiple_of(align_of::<ChunkFooter>()));

/// The chunk layout that holds `data_size` bytes of data aligned to `align`, or `None` when no
/// such layout exists (overflow, or larger than `isize::MAX`).
pub(crate) fn chunk_layout(data_size: usize, align: usize) -> Option<Layout> {
    let total = round_up(data_size.checked_add(FOOTER_SIZE)?, CHUNK_ALIGN)?;
    Layout::from_size_align(total, align.max(CHUNK_ALIGN)).ok()
}

impl ChunkFooter {
    /// Allocates a chunk with `layout` (from [`chunk_layout`]) and writes its footer.
    pub(crate) fn allocate(
        layout: Layout,
        prev: Option<NonNull<ChunkFooter>>,
    ) -> Option<NonNull<ChunkFooter>> {
        debug_assert!(layout.size() >= FOOTER_SIZE && layout.size().is_multiple_of(CHUNK_ALIGN));
        // SAFETY: `layout` has a non-zero size (it holds at least the footer).
        let base = NonNull::new(unsafe { crate::rust_alloc::alloc::alloc(layout) })?;
        // SAFETY: the footer lies inside the allocation: `layout.size() >= FOOTER_SIZE`.
        let footer = unsafe { base.add(layout.size() - FOOTER_SIZE) }.cast::<ChunkFooter>();
        // SAFETY: `footer` is in bounds, aligned (size and chunk alignment are multiples of the
        // footer's alignment) and not yet in use.
        unsafe {
            footer.write(ChunkFooter {
                base,
                layout,
                prev: Cell::new(prev),
                used_end: Cell::new(base),
            })
        };
        Some(footer)
    }

    /// Where the data area ends: the footer's own address.
    #[inline(always)]
    pub(crate) fn data_end(this: NonNull<ChunkFooter>) -> NonNull<u8> {
        this.cast()
    }

    /// Gives the chunk back to the global allocator.
    ///
    /// # Safety
    ///
    /// `this` must come from [`ChunkFooter::allocate`], not be freed yet, and no pointer into
    /// the chunk may be used afterwards.
    pub(crate) unsafe fn free(this: NonNull<ChunkFooter>) {
        // SAFETY: the caller guarantees the chunk is live, so its footer is readable.
        let (base, layout) = unsafe { (this.as_ref().base, this.as_ref().layout) };
        // SAFETY: `base` was allocated with exactly `layout` and is freed once (caller's promise).
        unsafe { crate::rust_alloc::alloc::dealloc(base.as_ptr(), layout) };
    }
}
