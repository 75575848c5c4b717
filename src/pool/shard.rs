//! A shard: the slabs of every size class that one group of threads allocates from, and the
//! counters for what went through it. Each shard sits behind its own lock.

use crate::pool::size_class::CLASS_COUNT;
use crate::pool::slab::Slab;
use crate::rust_alloc::vec::Vec;
use core::ptr::NonNull;

/// Counters kept per shard, summed by `Pool::stats`.
///
/// Allocation and free each add to counters of their own (bytes and blocks allocated, bytes and
/// blocks freed) rather than both updating one live count: a live count would be a
/// read-modify-write on every operation that the next one waits for (a store-to-load
/// round trip, ~5 cycles, twice per allocate/free pair); separate totals halve that chain. Live
/// values are the differences, taken with wrapping arithmetic: a medium or large block freed by
/// another thread is counted in that thread's shard, so one shard's difference may be
/// "negative", but the sum over shards is exact.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) allocated_bytes: usize,
    pub(crate) allocations: usize,
    pub(crate) freed_bytes: usize,
    pub(crate) frees: usize,
    pub(crate) peak_live_bytes: usize,
    pub(crate) reuse_hits: usize,
}

/// Something to count, outside the small-block fast paths.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// An allocation of this many bytes (not a reuse).
    Alloc(usize),
    /// A free of this many bytes.
    Free(usize),
    /// An in-place resize from the first size to the second.
    Resize(usize, usize),
}

impl Counters {
    pub(crate) fn apply(&mut self, event: Event) {
        match event {
            Event::Alloc(bytes) => self.on_alloc(bytes, false),
            Event::Free(bytes) => self.on_free(bytes),
            Event::Resize(old, new) => self.on_resize(old, new),
        }
    }

    /// Bytes allocated and not freed (wrapping; see the type's documentation).
    #[inline(always)]
    pub(crate) fn live_bytes(&self) -> usize {
        self.allocated_bytes.wrapping_sub(self.freed_bytes)
    }

    /// Allocations not freed (wrapping; see the type's documentation).
    #[inline(always)]
    pub(crate) fn live_allocations(&self) -> usize {
        self.allocations.wrapping_sub(self.frees)
    }

    #[inline(always)]
    pub(crate) fn on_alloc(&mut self, bytes: usize, reuse: bool) {
        self.allocated_bytes = self.allocated_bytes.wrapping_add(bytes);
        self.allocations = self.allocations.wrapping_add(1);
        self.reuse_hits += usize::from(reuse);
        self.raise_peak();
    }

    #[inline(always)]
    pub(crate) fn on_free(&mut self, bytes: usize) {
        self.freed_bytes = self.freed_bytes.wrapping_add(bytes);
        self.frees = self.frees.wrapping_add(1);
    }

    /// A block changed size in place.
    #[inline(always)]
    pub(crate) fn on_resize(&mut self, old: usize, new: usize) {
        if new >= old {
            self.allocated_bytes = self.allocated_bytes.wrapping_add(new - old);
            self.raise_peak();
        } else {
            self.freed_bytes = self.freed_bytes.wrapping_add(old - new);
        }
    }

    #[inline(always)]
    fn raise_peak(&mut self) {
        let live = self.live_bytes();
        if (live as isize) > (self.peak_live_bytes as isize) {
            self.peak_live_bytes = live;
        }
    }
}

/// The slabs of one class in one shard: the one being allocated from, and the others that have
/// free blocks (a doubly linked list through the slab headers). Full slabs are in no list;
/// `deallocate` finds them by address.
#[derive(Clone, Copy)]
pub(crate) struct ClassSlabs {
    pub(crate) current: Option<NonNull<Slab>>,
    pub(crate) partial: Option<NonNull<Slab>>,
}

/// What the lock of a shard protects.
pub(crate) struct ShardHeap {
    pub(crate) index: usize,
    pub(crate) classes: [ClassSlabs; CLASS_COUNT],
    /// Every slab this shard owns, for `validate`, `dump`, `trim` and drop.
    pub(crate) slabs: Vec<NonNull<Slab>>,
    pub(crate) counters: Counters,
}

// SAFETY: the heap owns its slabs outright (no other shard or thread touches a slab's header
// without this heap's lock), so moving it to another thread is sound.
unsafe impl Send for ShardHeap {}

impl ShardHeap {
    pub(crate) fn new(index: usize) -> Self {
        Self {
            index,
            classes: [ClassSlabs {
                current: None,
                partial: None,
            }; CLASS_COUNT],
            slabs: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// Takes a block of `class` from the slabs this shard already has.
    #[inline(always)]
    pub(crate) fn alloc(&mut self, class: usize, clear_link: bool) -> Option<(NonNull<u8>, bool)> {
        debug_assert!(class < CLASS_COUNT, "class {class} out of range");
        // SAFETY: `class` comes from `class_index`, which only returns indices below
        // `CLASS_COUNT` (tested for every size in `size_class`).
        let current = unsafe { self.classes.get_unchecked(class) }.current;
        if let Some(slab) = current {
            // SAFETY: we hold this shard's lock (we have `&mut self`) and `slab` is one of ours.
            if let Some(hit) = unsafe { Slab::pop(slab, clear_link) } {
                return Some(hit);
            }
        }
        self.alloc_from_partial(class, clear_link)
    }

    #[inline(never)]
    fn alloc_from_partial(
        &mut self,
        class: usize,
        clear_link: bool,
    ) -> Option<(NonNull<u8>, bool)> {
        let slab = self.classes[class].partial?;
        self.unlist(slab);
        self.classes[class].current = Some(slab);
        // SAFETY: as in `alloc`; a partial slab has at least one free block.
        unsafe { Slab::pop(slab, clear_link) }
    }

    /// Takes ownership of an empty slab for `class` and makes it the current one; `Err` (and
    /// the slab untouched) if the list of slabs cannot grow: the global allocator refused.
    pub(crate) fn adopt(&mut self, slab: NonNull<Slab>, class: usize) -> Result<(), ()> {
        self.slabs.try_reserve(1).map_err(|_| ())?;
        // SAFETY: the slab comes from the system or the pool's cache: exclusively ours, empty.
        unsafe { Slab::init(slab, self.index, class, self.slabs.len()) };
        self.slabs.push(slab);
        // The previous current slab is full (or we would not be here); full slabs stay unlisted.
        self.classes[class].current = Some(slab);
        Ok(())
    }

    /// Gives `block` back to `slab` (one of ours). Returns the slab if it became empty and was
    /// detached from this shard, for the caller to pass on to the pool's slab cache.
    #[inline(always)]
    pub(crate) fn free(
        &mut self,
        slab: NonNull<Slab>,
        block: NonNull<u8>,
    ) -> Option<NonNull<Slab>> {
        // SAFETY: we hold the lock; `block` is a live block of `slab` (the caller's contract).
        unsafe { Slab::push(slab, block) };
        // SAFETY: as above.
        let (class, used, listed) = unsafe {
            let s = &*slab.as_ptr();
            (s.class, s.used, s.listed)
        };
        if self.classes[class].current == Some(slab) {
            return None;
        }
        if used == 0 {
            if listed {
                self.unlist(slab);
            }
            self.forget(slab);
            return Some(slab);
        }
        if !listed {
            self.list(slab, class);
        }
        None
    }

    /// Removes `slab` from the list of all slabs (it must be in no class list).
    pub(crate) fn forget(&mut self, slab: NonNull<Slab>) {
        // SAFETY: we hold the lock and the slab is ours.
        let index = unsafe { (*slab.as_ptr()).all_index };
        debug_assert!(self.slabs[index] == slab, "slab list index out of date");
        self.slabs.swap_remove(index);
        if let Some(&moved) = self.slabs.get(index) {
            // SAFETY: as above, for the slab that took its place.
            unsafe { (*moved.as_ptr()).all_index = index };
        }
    }

    fn list(&mut self, slab: NonNull<Slab>, class: usize) {
        let head = self.classes[class].partial;
        // SAFETY: we hold the lock; both slabs are ours.
        unsafe {
            let s = &mut *slab.as_ptr();
            s.next = head;
            s.prev = None;
            s.listed = true;
            if let Some(head) = head {
                (*head.as_ptr()).prev = Some(slab);
            }
        }
        self.classes[class].partial = Some(slab);
    }

    pub(crate) fn unlist(&mut self, slab: NonNull<Slab>) {
        // SAFETY: we hold the lock; the slab and its neighbours are ours.
        unsafe {
            let s = &mut *slab.as_ptr();
            match s.prev {
                Some(prev) => (*prev.as_ptr()).next = s.next,
                None => self.classes[s.class].partial = s.next,
            }
            if let Some(next) = s.next {
                (*next.as_ptr()).prev = s.prev;
            }
            s.next = None;
            s.prev = None;
            s.listed = false;
        }
    }

    /// Detaches every slab with no live block (current ones included), for `trim`.
    pub(crate) fn take_empty_slabs(&mut self, out: &mut Vec<NonNull<Slab>>) {
        let empty: Vec<NonNull<Slab>> = self
            .slabs
            .iter()
            .copied()
            // SAFETY: we hold the lock; every listed slab is ours.
            .filter(|&slab| unsafe { (*slab.as_ptr()).used } == 0)
            .collect();
        for slab in empty {
            // SAFETY: as above.
            let (class, listed) = unsafe { ((*slab.as_ptr()).class, (*slab.as_ptr()).listed) };
            if listed {
                self.unlist(slab);
            }
            if self.classes[class].current == Some(slab) {
                self.classes[class].current = None;
            }
            self.forget(slab);
            out.push(slab);
        }
    }
}
