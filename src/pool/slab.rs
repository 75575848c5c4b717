//! Slabs: 64 KiB blocks of memory, each serving one size class for one shard.
//!
//! A slab is aligned to its own size, so the slab of any block is found by masking the block's
//! address: that is how `deallocate`, which only gets a pointer and a layout, reaches the free
//! list without any per-block header. The header sits at the start of the slab; blocks follow
//! at the class's alignment. Free blocks form an intrusive list through their first word.

use crate::alloc::Layout;
use crate::pool::size_class::{class_align, class_size};
use crate::zero::zero_bytes;
use core::mem::size_of;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The size (and alignment) of every slab.
pub(crate) const SLAB_SIZE: usize = 64 * 1024;

/// The header at the start of each slab. All fields but `owner` are only touched under the
/// owning shard's lock; `owner` is read without it by `deallocate` to find that lock.
pub(crate) struct Slab {
    /// The index of the shard that owns this slab. Written only while the slab has no live
    /// block, so any thread that holds a block of it reads the current value.
    pub(crate) owner: AtomicUsize,
    pub(crate) class: usize,
    pub(crate) block_size: usize,
    /// Where the first block starts, from the slab's base.
    pub(crate) data_offset: usize,
    /// How many blocks fit.
    pub(crate) capacity: usize,
    /// How many blocks from the front have ever been handed out; those past it were never used.
    pub(crate) bumped: usize,
    /// Live blocks.
    pub(crate) used: usize,
    /// The free list (blocks given back), linked through each block's first word. Its length
    /// is `bumped - used`, which `validate` checks; no separate count is kept on the fast path.
    pub(crate) free: Option<NonNull<u8>>,
    /// Links of the shard's partial list for this class.
    pub(crate) next: Option<NonNull<Slab>>,
    pub(crate) prev: Option<NonNull<Slab>>,
    pub(crate) listed: bool,
    /// This slab's position in its shard's list of all slabs.
    pub(crate) all_index: usize,
}

/// The layout slabs are allocated with.
pub(crate) const SLAB_LAYOUT: Layout = match Layout::from_size_align(SLAB_SIZE, SLAB_SIZE) {
    Ok(layout) => layout,
    Err(_) => panic!("slab layout"),
};

impl Slab {
    /// Writes a fresh header for `class` owned by `owner` into the slab at `slab`.
    ///
    /// # Safety
    ///
    /// `slab` must be the base of a live, exclusively owned `SLAB_LAYOUT` allocation with no
    /// live blocks.
    pub(crate) unsafe fn init(slab: NonNull<Slab>, owner: usize, class: usize, all_index: usize) {
        let block_size = class_size(class);
        let data_offset = size_of::<Slab>().next_multiple_of(class_align(class));
        let capacity = (SLAB_SIZE - data_offset) / block_size;
        // SAFETY: the caller guarantees exclusive access to the slab's memory.
        unsafe {
            slab.write(Slab {
                owner: AtomicUsize::new(owner),
                class,
                block_size,
                data_offset,
                capacity,
                bumped: 0,
                used: 0,
                free: None,
                next: None,
                prev: None,
                listed: false,
                all_index,
            })
        };
    }

    /// The slab a block lies in.
    #[inline(always)]
    pub(crate) fn of(block: NonNull<u8>) -> NonNull<Slab> {
        block
            .map_addr(|addr| {
                core::num::NonZeroUsize::new(addr.get() & !(SLAB_SIZE - 1))
                    .expect("a block's slab is never at address zero")
            })
            .cast()
    }

    /// The shard that owns the slab of `block`.
    ///
    /// # Safety
    ///
    /// `block` must be a live block of some slab.
    #[inline(always)]
    pub(crate) unsafe fn owner_of(block: NonNull<u8>) -> usize {
        // SAFETY: the caller guarantees the block is live, so its slab header is initialised
        // and `owner` does not change while the block lives.
        unsafe { (*Slab::of(block).as_ptr()).owner.load(Ordering::Relaxed) }
    }

    /// The first block of the slab.
    #[inline(always)]
    pub(crate) fn data_start(this: NonNull<Slab>, data_offset: usize) -> NonNull<u8> {
        // SAFETY: `data_offset < SLAB_SIZE`, inside the slab's allocation.
        unsafe { this.cast::<u8>().add(data_offset) }
    }

    /// Takes a block: from the free list (a reuse) or from the never-used tail. `None` when the
    /// slab is full. When `clear_link` is set, the link word is zeroed so the block reads zero.
    ///
    /// # Safety
    ///
    /// The caller holds the owning shard's lock; `this` is a live, initialised slab.
    #[inline(always)]
    pub(crate) unsafe fn pop(this: NonNull<Slab>, clear_link: bool) -> Option<(NonNull<u8>, bool)> {
        // SAFETY: the caller holds the lock that guards the header.
        let slab = unsafe { &mut *this.as_ptr() };
        if let Some(block) = slab.free {
            // SAFETY: free blocks hold the next link in their first word.
            let next = unsafe { block.cast::<Option<NonNull<u8>>>().read() };
            if clear_link {
                // SAFETY: the block is ours now; its first word is the link we just read.
                unsafe { block.cast::<usize>().write(0) };
            }
            slab.free = next;
            slab.used += 1;
            return Some((block, true));
        }
        if slab.bumped < slab.capacity {
            let offset = slab.data_offset + slab.bumped * slab.block_size;
            slab.bumped += 1;
            slab.used += 1;
            // SAFETY: `offset + block_size <= SLAB_SIZE` because `bumped < capacity`.
            return Some((unsafe { this.cast::<u8>().add(offset) }, false));
        }
        None
    }

    /// Gives a block back to the free list.
    ///
    /// # Safety
    ///
    /// The caller holds the owning shard's lock; `block` is a live block of `this`, not used
    /// afterwards.
    #[inline(always)]
    pub(crate) unsafe fn push(this: NonNull<Slab>, block: NonNull<u8>) {
        // SAFETY: the caller holds the lock that guards the header.
        let slab = unsafe { &mut *this.as_ptr() };
        // SAFETY: blocks are at least 16 bytes and 16-aligned, room for the link.
        unsafe { block.cast::<Option<NonNull<u8>>>().write(slab.free) };
        slab.free = Some(block);
        slab.used -= 1;
    }

    /// Zeroes every block ever handed out, free-list links included, so that the slab reads
    /// zero again and can be reused for any class.
    ///
    /// # Safety
    ///
    /// The caller has exclusive access to the slab and it has no live blocks.
    pub(crate) unsafe fn wipe(this: NonNull<Slab>) {
        // SAFETY: exclusive access (caller).
        let (data_offset, used_bytes) = unsafe {
            let slab = &*this.as_ptr();
            (slab.data_offset, slab.bumped * slab.block_size)
        };
        // SAFETY: the range lies inside the slab.
        unsafe { zero_bytes(Slab::data_start(this, data_offset), used_bytes) };
    }
}
