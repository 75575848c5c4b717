//! Medium blocks (8 KiB to 1 MiB): best-fit allocation with splitting and coalescing, in
//! regions of [`REGION_SIZE`] obtained from the system.
//!
//! Free ranges are indexed twice: by `(size, address)` for an O(log n) best-fit search, and by
//! address to merge a freed block with its free neighbours at once. The C design's linear scan
//! over containers becomes two B-tree lookups. The trees' own nodes come from the global
//! allocator, never from the pool.

use crate::error::PoolError;
use crate::pool::size_class::MEDIUM_GRANULE;
use crate::rust_alloc::collections::{BTreeMap, BTreeSet};
use crate::zero::first_nonzero;
use core::ptr::NonNull;

/// The size of a medium region: 4 MiB. Under Miri, 256 KiB: `validate` reads every free byte,
/// and the interpreter pays microseconds per read (the logic is the same at any size).
pub(crate) const REGION_SIZE: usize = if cfg!(miri) { 256 << 10 } else { 4 << 20 };

/// What the medium lock protects.
#[derive(Default)]
pub(crate) struct MediumHeap {
    /// Regions by base address: their pointers carry the provenance we hand blocks out with.
    regions: BTreeMap<usize, NonNull<u8>>,
    free_by_addr: BTreeMap<usize, usize>,
    free_by_size: BTreeSet<(usize, usize)>,
    /// Live blocks and their bytes (rounded to the granule).
    pub(crate) live_blocks: usize,
    pub(crate) live_bytes: usize,
}

// SAFETY: the heap owns its regions outright; all access goes through the pool's medium lock.
unsafe impl Send for MediumHeap {}

impl MediumHeap {
    /// Best fit: the smallest free range that holds `size` bytes (a multiple of the granule).
    pub(crate) fn alloc(&mut self, size: usize) -> Option<NonNull<u8>> {
        let &(free_size, addr) = self.free_by_size.range((size, 0)..).next()?;
        self.remove_free(addr, free_size);
        if free_size > size {
            self.insert_free(addr + size, free_size - size);
        }
        self.live_blocks += 1;
        self.live_bytes += size;
        Some(self.pointer(addr))
    }

    /// Adds a fresh, zeroed region from the system.
    pub(crate) fn add_region(&mut self, region: NonNull<u8>) {
        let addr = region.addr().get();
        self.regions.insert(addr, region);
        self.insert_free(addr, REGION_SIZE);
    }

    /// Returns a block of `size` bytes at `ptr` to the free set, merging it with its neighbours.
    pub(crate) fn free(&mut self, ptr: NonNull<u8>, size: usize) {
        self.live_blocks -= 1;
        self.live_bytes -= size;
        self.release_range(ptr.addr().get(), size);
    }

    fn release_range(&mut self, mut addr: usize, mut size: usize) {
        let region = self.region_of(addr);
        if let Some((&prev, &prev_size)) = self.free_by_addr.range(..addr).next_back()
            && prev + prev_size == addr
            && self.region_of(prev) == region
        {
            self.remove_free(prev, prev_size);
            addr = prev;
            size += prev_size;
        }
        let next = addr + size;
        if let Some(&next_size) = self.free_by_addr.get(&next)
            && self.region_of(next) == region
        {
            self.remove_free(next, next_size);
            size += next_size;
        }
        self.insert_free(addr, size);
    }

    /// Grows the block at `ptr` from `old` to `new` bytes in place, if the range right after
    /// it is free and large enough.
    pub(crate) fn grow_in_place(&mut self, ptr: NonNull<u8>, old: usize, new: usize) -> bool {
        if new <= old {
            return true;
        }
        let next = ptr.addr().get() + old;
        let Some(&next_size) = self.free_by_addr.get(&next) else {
            return false;
        };
        let extra = new - old;
        if next_size < extra || self.region_of(next) != self.region_of(ptr.addr().get()) {
            return false;
        }
        self.remove_free(next, next_size);
        if next_size > extra {
            self.insert_free(next + extra, next_size - extra);
        }
        self.live_bytes += extra;
        true
    }

    /// Shrinks the block at `ptr` from `old` to `new` bytes, freeing the tail.
    pub(crate) fn shrink_in_place(&mut self, ptr: NonNull<u8>, old: usize, new: usize) {
        if new < old {
            self.live_bytes -= old - new;
            self.release_range(ptr.addr().get() + new, old - new);
        }
    }

    /// Detaches every region that is entirely free, for the caller to give back.
    pub(crate) fn take_free_regions(&mut self) -> crate::rust_alloc::vec::Vec<NonNull<u8>> {
        let whole: crate::rust_alloc::vec::Vec<usize> = self
            .regions
            .keys()
            .copied()
            .filter(|addr| self.free_by_addr.get(addr) == Some(&REGION_SIZE))
            .collect();
        whole
            .into_iter()
            .map(|addr| {
                self.remove_free(addr, REGION_SIZE);
                self.regions.remove(&addr).expect("listed region")
            })
            .collect()
    }

    /// Every region, for drop.
    pub(crate) fn drain_regions(&mut self) -> impl Iterator<Item = NonNull<u8>> + '_ {
        self.free_by_addr.clear();
        self.free_by_size.clear();
        core::mem::take(&mut self.regions).into_values()
    }

    pub(crate) fn region_count(&self) -> usize {
        self.regions.len()
    }

    pub(crate) fn free_bytes(&self) -> usize {
        self.free_by_addr.values().sum()
    }

    pub(crate) fn largest_free(&self) -> usize {
        self.free_by_size.last().map_or(0, |&(size, _)| size)
    }

    /// Checks the free set: both indexes agree, ranges lie in regions, do not overlap, are
    /// merged with their neighbours, and (with zeroing on) read zero.
    pub(crate) fn validate(&self, check_zero: bool) -> Result<(), PoolError> {
        let bad = |addr, size, reason| Err(PoolError::CorruptMediumRange { addr, size, reason });
        if self.free_by_addr.len() != self.free_by_size.len() {
            return Err(PoolError::CountMismatch {
                what: "medium free ranges by address vs by size",
                expected: self.free_by_addr.len(),
                found: self.free_by_size.len(),
            });
        }
        let mut previous_end = 0;
        for (&addr, &size) in &self.free_by_addr {
            if !self.free_by_size.contains(&(size, addr)) {
                return bad(addr, size, "missing from the by-size index");
            }
            if size == 0 || size % MEDIUM_GRANULE != 0 || addr % MEDIUM_GRANULE != 0 {
                return bad(addr, size, "not a whole number of granules");
            }
            let region = self.region_of(addr);
            if addr + size > region + REGION_SIZE {
                return bad(addr, size, "runs past the end of its region");
            }
            if addr < previous_end {
                return bad(addr, size, "overlaps the previous free range");
            }
            if addr == previous_end && self.region_of(addr - 1) == region {
                return bad(addr, size, "not merged with the free range before it");
            }
            previous_end = addr + size;
            if check_zero {
                // SAFETY: the range is free, initialised memory inside one of our live regions.
                let offset = unsafe { first_nonzero(self.pointer(addr), size) };
                if offset != size {
                    return Err(PoolError::FreeBlockNotZero {
                        block: addr,
                        size,
                        offset,
                    });
                }
            }
        }
        let free: usize = self.free_bytes();
        let total = self.regions.len() * REGION_SIZE;
        if free + self.live_bytes > total {
            return Err(PoolError::CountMismatch {
                what: "medium free + live bytes within region bytes",
                expected: total,
                found: free + self.live_bytes,
            });
        }
        Ok(())
    }

    /// The base address of the region holding `addr`.
    fn region_of(&self, addr: usize) -> usize {
        *self
            .regions
            .range(..=addr)
            .next_back()
            .expect("address inside a medium region")
            .0
    }

    /// A pointer to `addr` with its region's provenance.
    fn pointer(&self, addr: usize) -> NonNull<u8> {
        let (_, region) = self
            .regions
            .range(..=addr)
            .next_back()
            .expect("address inside a medium region");
        region.with_addr(core::num::NonZeroUsize::new(addr).expect("non-null address"))
    }

    fn insert_free(&mut self, addr: usize, size: usize) {
        self.free_by_addr.insert(addr, size);
        self.free_by_size.insert((size, addr));
    }

    fn remove_free(&mut self, addr: usize, size: usize) {
        self.free_by_addr.remove(&addr);
        self.free_by_size.remove(&(size, addr));
    }
}
