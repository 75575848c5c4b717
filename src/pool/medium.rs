//! Medium blocks (8 KiB to 1 MiB): good-fit allocation with splitting and coalescing, in regions
//! of [`REGION_SIZE`] obtained from the system.
//!
//! Free ranges are found in O(1), TLSF-style: each sits in a bucket by size (a power-of-two band
//! split in 16), a bitmap says which buckets hold any, and a request takes a range from the first
//! non-empty bucket whose every range is large enough (after a look at the last range of its own
//! bucket). A freed block merges with its free neighbours through two arrays per region, indexed
//! by granule: the size of the range starting there, and the start of the range ending there.
//! The C design's linear scan over containers becomes a few bit operations and array reads.
//!
//! The index lives outside the ranges (free memory stays all zero) and its memory comes from the
//! global allocator, never from the pool: a region's arrays are allocated with it (8 bytes per
//! 256-byte granule), and a bucket reserves room before every insertion, so a refusal from the
//! global allocator is an `Err` for an allocation, never an abort. A free cannot fail: if the
//! index cannot take the freed range, the range is left out of it (counted as lost, still
//! zeroed, and returned to the system with its region when the pool drops).

use crate::error::PoolError;
use crate::pool::size_class::MEDIUM_GRANULE;
use crate::rust_alloc::vec::Vec;
use crate::zero::first_nonzero;
use core::ptr::NonNull;

/// The size of a medium region: 4 MiB. Under Miri, 256 KiB: `validate` reads every free byte,
/// and the interpreter pays microseconds per read (the logic is the same at any size).
pub(crate) const REGION_SIZE: usize = if cfg!(miri) { 256 << 10 } else { 4 << 20 };

/// Sub-buckets per power-of-two band of range sizes (in granules).
const SPLIT_BITS: u32 = 4;
const SPLIT: usize = 1 << SPLIT_BITS;
/// The largest free range is a whole region.
const MAX_GRANULES: usize = REGION_SIZE / MEDIUM_GRANULE;
/// Buckets: exact sizes below `SPLIT` granules, then `SPLIT` per power of two up to a region.
const BUCKETS: usize = bucket_of(MAX_GRANULES) + 1;
const BITMAP_WORDS: usize = BUCKETS.div_ceil(64);

/// The bucket holding free ranges of `granules` granules (at least 1): ranges in bucket `b` have
/// sizes in `[lowest(b), lowest(b + 1))`.
const fn bucket_of(granules: usize) -> usize {
    if granules < SPLIT {
        return granules;
    }
    let band = usize::BITS - 1 - granules.leading_zeros(); // >= SPLIT_BITS
    let sub = (granules >> (band - SPLIT_BITS)) & (SPLIT - 1);
    (band - SPLIT_BITS + 1) as usize * SPLIT + sub
}

/// The first bucket whose every range holds `granules` granules: `bucket_of(granules)` when
/// `granules` is its bucket's lowest size, else the next one.
const fn bucket_at_least(granules: usize) -> usize {
    if granules < SPLIT {
        return granules;
    }
    let band = usize::BITS - 1 - granules.leading_zeros();
    let step = 1 << (band - SPLIT_BITS);
    bucket_of(granules + step - 1)
}

/// A free range in the index: its size and where it sits in its bucket.
#[derive(Clone, Copy)]
struct Range {
    size: usize,
    slot: usize,
}

/// Why a medium allocation could not be served from the free ranges.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shortage {
    /// No free range is large enough: a new region would serve it.
    NoRange,
    /// The global allocator refused memory for the index itself.
    Index,
}

// Granule indices and range sizes in granules fit the index's `u16` entries.
const _: () = assert!(MAX_GRANULES <= u16::MAX as usize);

/// A region and the index of the free ranges inside it, by granule: looking up the range that
/// starts or ends at an address is two array reads, no hashing (two hash maps keyed by address
/// spent 57% of a medium-size trace's time; 8 bytes per 256-byte granule instead, 3%).
struct Region {
    /// The region's pointer: its provenance is what blocks are handed out with.
    ptr: NonNull<u8>,
    /// For a free range starting at granule `g`: its size in granules (0: none starts there).
    size_at: Vec<u16>,
    /// ... and its slot in its size bucket.
    slot_at: Vec<u32>,
    /// For a free range ending at granule `g` (its last granule is `g - 1`): its first granule
    /// plus one (0: none ends there). One entry more than granules: a range may end the region.
    start_before: Vec<u16>,
}

impl Region {
    /// A region's index, all empty, or `None` if the global allocator refuses the memory.
    fn new(ptr: NonNull<u8>) -> Option<Self> {
        fn zeroed<T: Clone + Default>(len: usize) -> Option<Vec<T>> {
            let mut entries = Vec::new();
            entries.try_reserve_exact(len).ok()?;
            entries.resize(len, T::default());
            Some(entries)
        }
        Some(Self {
            ptr,
            size_at: zeroed(MAX_GRANULES)?,
            slot_at: zeroed(MAX_GRANULES)?,
            start_before: zeroed(MAX_GRANULES + 1)?,
        })
    }

    /// The region's first address.
    fn base(&self) -> usize {
        self.ptr.addr().get()
    }

    /// Whether `addr` lies in the region.
    fn holds(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.base()) < REGION_SIZE
    }

    /// The granule at `addr`, which lies in the region or just past its end.
    fn granule(&self, addr: usize) -> usize {
        debug_assert!(addr >= self.base() && addr - self.base() <= REGION_SIZE);
        (addr - self.base()) / MEDIUM_GRANULE
    }

    /// The free range starting at granule `g` (`None` past the last granule).
    fn range_at(&self, g: usize) -> Option<Range> {
        let granules = usize::from(*self.size_at.get(g)?);
        (granules != 0).then(|| Range {
            size: granules * MEDIUM_GRANULE,
            slot: self.slot_at[g] as usize,
        })
    }

    /// The first granule of the free range ending at granule `g`.
    fn start_of_range_ending_at(&self, g: usize) -> Option<usize> {
        usize::from(self.start_before[g]).checked_sub(1)
    }
}

/// What the medium lock protects.
pub(crate) struct MediumHeap {
    /// Regions by base address, sorted, each with the index of its free ranges. Few (one per
    /// 4 MiB reserved), so a sorted vector with binary search.
    regions: Vec<Region>,
    /// The regions' base addresses, in the same order: what the binary search reads.
    bases: Vec<usize>,
    /// Start addresses of the free ranges, by size bucket.
    buckets: [Vec<usize>; BUCKETS],
    /// Bit `b` set when bucket `b` is non-empty.
    bitmap: [u64; BITMAP_WORDS],
    /// Bytes in the indexed free ranges.
    free_bytes: usize,
    /// Bytes of freed ranges the index had no room for: zeroed, unusable until the pool drops.
    lost_bytes: usize,
    /// Live blocks and their bytes (rounded to the granule).
    pub(crate) live_blocks: usize,
    pub(crate) live_bytes: usize,
}

impl Default for MediumHeap {
    fn default() -> Self {
        Self {
            regions: Vec::new(),
            bases: Vec::new(),
            buckets: core::array::from_fn(|_| Vec::new()),
            bitmap: [0; BITMAP_WORDS],
            free_bytes: 0,
            lost_bytes: 0,
            live_blocks: 0,
            live_bytes: 0,
        }
    }
}

// SAFETY: the heap owns its regions outright; all access goes through the pool's medium lock.
unsafe impl Send for MediumHeap {}

impl MediumHeap {
    /// A block of `size` bytes (a multiple of the granule, at most a region): from the first
    /// range that fits in the smallest bucket that has one, split if larger.
    pub(crate) fn alloc(&mut self, size: usize) -> Result<NonNull<u8>, Shortage> {
        debug_assert!(size > 0 && size.is_multiple_of(MEDIUM_GRANULE) && size <= REGION_SIZE);
        let (region, start, range) = self.find(size / MEDIUM_GRANULE).ok_or(Shortage::NoRange)?;
        if range.size > size {
            // The remainder goes back in: room first, so that nothing changes on failure.
            self.reserve_one(range.size - size)
                .map_err(|()| Shortage::Index)?;
        }
        self.remove_free(region, start, range);
        if range.size > size {
            self.insert_free(region, start + size, range.size - size);
        }
        self.live_blocks += 1;
        self.live_bytes += size;
        Ok(self.pointer(region, start))
    }

    /// Adds a fresh, zeroed region from the system, or returns `false` (nothing changed) when
    /// the index cannot grow to hold it.
    pub(crate) fn add_region(&mut self, region: NonNull<u8>) -> bool {
        if self.regions.try_reserve(1).is_err() || self.reserve_one(REGION_SIZE).is_err() {
            return false;
        }
        let Some(indexed) = Region::new(region) else {
            return false;
        };
        if self.bases.try_reserve(1).is_err() {
            return false;
        }
        let addr = region.addr().get();
        let at = self.bases.partition_point(|&base| base < addr);
        self.regions.insert(at, indexed);
        self.bases.insert(at, addr);
        self.insert_free(at, addr, REGION_SIZE);
        true
    }

    /// Returns a block of `size` bytes at `ptr` to the free set, merging it with its neighbours.
    pub(crate) fn free(&mut self, ptr: NonNull<u8>, size: usize) {
        self.live_blocks -= 1;
        self.live_bytes -= size;
        self.release_range(ptr.addr().get(), size);
    }

    /// Frees `addr..addr + size`, merged with the free ranges on either side (in the same
    /// region). If the index has no room for the result, the range is lost instead.
    fn release_range(&mut self, addr: usize, size: usize) {
        let index = self.region_index(addr);
        let region = &self.regions[index];
        let (first, end) = (region.granule(addr), region.granule(addr + size));
        let before = region.start_of_range_ending_at(first).map(|g| {
            let range = region.range_at(g).expect("the by-end index agrees");
            (region.base() + g * MEDIUM_GRANULE, range)
        });
        let after = region.range_at(end).map(|range| (addr + size, range));
        let merged_start = before.map_or(addr, |(start, _)| start);
        let merged_size =
            size + before.map_or(0, |(_, range)| range.size) + after.map_or(0, |(_, r)| r.size);
        if self.reserve_one(merged_size).is_err() {
            // Nothing changed yet: the block stays out of the index (zeroed, as freed).
            self.lost_bytes += size;
            return;
        }
        // Look each neighbour up again as it goes: removing one may move the other in its
        // bucket (both can share one), which changes its slot.
        for (start, _) in before.into_iter().chain(after) {
            let region = &self.regions[index];
            let range = region
                .range_at(region.granule(start))
                .expect("a free neighbour");
            self.remove_free(index, start, range);
        }
        self.insert_free(index, merged_start, merged_size);
    }

    /// Grows the block at `ptr` from `old` to `new` bytes in place, if the range right after
    /// it is free and large enough (and the index has room for what is left of it).
    pub(crate) fn grow_in_place(&mut self, ptr: NonNull<u8>, old: usize, new: usize) -> bool {
        if new <= old {
            return true;
        }
        let addr = ptr.addr().get();
        let next = addr + old;
        let index = self.region_index(addr);
        let region = &self.regions[index];
        let Some(range) = region.range_at(region.granule(next)) else {
            return false;
        };
        let extra = new - old;
        if range.size < extra {
            return false;
        }
        if range.size > extra && self.reserve_one(range.size - extra).is_err() {
            return false;
        }
        self.remove_free(index, next, range);
        if range.size > extra {
            self.insert_free(index, next + extra, range.size - extra);
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
    pub(crate) fn take_free_regions(&mut self) -> Vec<NonNull<u8>> {
        let mut whole = Vec::new();
        let mut index = 0;
        while index < self.regions.len() {
            let region = &self.regions[index];
            let (base, ptr) = (region.base(), region.ptr);
            match region.range_at(0) {
                Some(range) if range.size == REGION_SIZE && whole.try_reserve(1).is_ok() => {
                    self.remove_free(index, base, range);
                    self.regions.remove(index);
                    self.bases.remove(index);
                    whole.push(ptr);
                }
                _ => index += 1,
            }
        }
        whole
    }

    /// Every region, for drop.
    pub(crate) fn drain_regions(&mut self) -> impl Iterator<Item = NonNull<u8>> + '_ {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.bitmap = [0; BITMAP_WORDS];
        self.free_bytes = 0;
        self.bases.clear();
        self.regions.drain(..).map(|region| region.ptr)
    }

    pub(crate) fn region_count(&self) -> usize {
        self.regions.len()
    }

    pub(crate) fn free_bytes(&self) -> usize {
        self.free_bytes
    }

    /// The largest free range (the widest non-empty bucket's largest member).
    pub(crate) fn largest_free(&self) -> usize {
        let Some(bucket) = (0..BUCKETS).rev().find(|&b| self.bucket_has_ranges(b)) else {
            return 0;
        };
        self.buckets[bucket]
            .iter()
            .filter_map(|&start| self.range_starting_at(start))
            .map(|(_, range)| range.size)
            .max()
            .unwrap_or(0)
    }

    /// Checks the free set: the indexes agree with each other and the bitmap, ranges lie in
    /// their region, do not overlap, are merged with their neighbours, and (with zeroing on)
    /// read zero.
    pub(crate) fn validate(&self, check_zero: bool) -> Result<(), PoolError> {
        let bad = |addr, size, reason| Err(PoolError::CorruptMediumRange { addr, size, reason });
        for bucket in 0..BUCKETS {
            if self.bucket_has_ranges(bucket) == self.buckets[bucket].is_empty() {
                return bad(0, bucket, "bucket bitmap disagrees with the bucket");
            }
        }
        let (mut free, mut ranges) = (0, 0);
        for (index, region) in self.regions.iter().enumerate() {
            // Ranges in address order: each must end before the next begins.
            let mut previous_end = 0;
            for g in 0..MAX_GRANULES {
                let Some(range) = region.range_at(g) else {
                    continue;
                };
                let (addr, size) = (region.base() + g * MEDIUM_GRANULE, range.size);
                if g < previous_end {
                    return bad(addr, size, "overlaps the previous free range");
                }
                let end = g + size / MEDIUM_GRANULE;
                if end > MAX_GRANULES {
                    return bad(addr, size, "runs past the end of its region");
                }
                if region.start_of_range_ending_at(end) != Some(g) {
                    return bad(addr, size, "missing from the by-end index");
                }
                let bucket = bucket_of(size / MEDIUM_GRANULE);
                if self.buckets[bucket].get(range.slot) != Some(&addr) {
                    return bad(addr, size, "not in its size bucket");
                }
                if g > 0 && region.start_of_range_ending_at(g).is_some() {
                    return bad(addr, size, "not merged with the free range before it");
                }
                previous_end = end;
                free += size;
                ranges += 1;
                if check_zero {
                    // SAFETY: the range is free, initialised memory inside one of our live
                    // regions.
                    let offset = unsafe { first_nonzero(self.pointer(index, addr), size) };
                    if offset != size {
                        return Err(PoolError::FreeBlockNotZero {
                            block: addr,
                            size,
                            offset,
                        });
                    }
                }
            }
        }
        // Each index holds exactly the ranges the walk by start found.
        let in_buckets: usize = self.buckets.iter().map(Vec::len).sum();
        let by_end: usize = self
            .regions
            .iter()
            .map(|r| r.start_before.iter().filter(|&&s| s != 0).count())
            .sum();
        for (what, found) in [
            ("medium free ranges by end vs by start", by_end),
            ("medium free ranges in buckets vs by start", in_buckets),
        ] {
            if found != ranges {
                return Err(PoolError::CountMismatch {
                    what,
                    expected: ranges,
                    found,
                });
            }
        }
        if free != self.free_bytes {
            return Err(PoolError::CountMismatch {
                what: "medium free bytes",
                expected: self.free_bytes,
                found: free,
            });
        }
        let total = self.regions.len() * REGION_SIZE;
        if free + self.live_bytes + self.lost_bytes > total {
            return Err(PoolError::CountMismatch {
                what: "medium free + live + lost bytes within region bytes",
                expected: total,
                found: free + self.live_bytes + self.lost_bytes,
            });
        }
        Ok(())
    }

    // ----- the index ----------------------------------------------------------------------------

    /// A free range of at least `granules` granules: the last range of its own bucket if that
    /// one is large enough, else any range of the first non-empty bucket whose every range is.
    /// Returns the range's region (index), start and size.
    fn find(&self, granules: usize) -> Option<(usize, usize, Range)> {
        let own = bucket_of(granules);
        if let Some(&start) = self.buckets[own].last() {
            let (index, range) = self
                .range_starting_at(start)
                .expect("bucket entries are indexed");
            if range.size >= granules * MEDIUM_GRANULE {
                return Some((index, start, range));
            }
        }
        let bucket = self.first_bucket_from(bucket_at_least(granules))?;
        let start = *self.buckets[bucket].last()?;
        let (index, range) = self.range_starting_at(start)?;
        Some((index, start, range))
    }

    /// The first non-empty bucket at or after `from`.
    fn first_bucket_from(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut bits = self.bitmap.get(word)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(word * 64 + bits.trailing_zeros() as usize);
            }
            word += 1;
            bits = *self.bitmap.get(word)?;
        }
    }

    fn bucket_has_ranges(&self, bucket: usize) -> bool {
        self.bitmap[bucket / 64] & (1 << (bucket % 64)) != 0
    }

    /// Makes room to insert one range of `size` bytes without allocating: `Err` (nothing
    /// changed) if the global allocator refuses. (The per-region index never allocates.)
    fn reserve_one(&mut self, size: usize) -> Result<(), ()> {
        let bucket = bucket_of(size / MEDIUM_GRANULE);
        self.buckets[bucket].try_reserve(1).map_err(|_| ())
    }

    /// Indexes a free range of the region at `index`; room was reserved by
    /// [`reserve_one`](Self::reserve_one).
    fn insert_free(&mut self, index: usize, start: usize, size: usize) {
        let granules = size / MEDIUM_GRANULE;
        let bucket = bucket_of(granules);
        let list = &mut self.buckets[bucket];
        let slot = list.len();
        list.push(start);
        self.bitmap[bucket / 64] |= 1 << (bucket % 64);
        let region = &mut self.regions[index];
        let g = region.granule(start);
        region.size_at[g] = granules as u16;
        region.slot_at[g] = u32::try_from(slot).expect("fewer than 2^32 free ranges per bucket");
        region.start_before[g + granules] = (g + 1) as u16;
        self.free_bytes += size;
    }

    /// Takes a free range of the region at `index` out of the index (removals never allocate).
    fn remove_free(&mut self, index: usize, start: usize, range: Range) {
        let bucket = bucket_of(range.size / MEDIUM_GRANULE);
        let list = &mut self.buckets[bucket];
        list.swap_remove(range.slot);
        if let Some(&moved) = list.get(range.slot) {
            // The last range of the bucket took the slot; it is often in the same region.
            let same = self.regions[index].holds(moved);
            let moved_index = if same {
                index
            } else {
                self.region_index(moved)
            };
            let region = &mut self.regions[moved_index];
            let g = region.granule(moved);
            region.slot_at[g] = range.slot as u32;
        }
        if self.buckets[bucket].is_empty() {
            self.bitmap[bucket / 64] &= !(1 << (bucket % 64));
        }
        let region = &mut self.regions[index];
        let g = region.granule(start);
        region.size_at[g] = 0;
        region.start_before[g + range.size / MEDIUM_GRANULE] = 0;
        self.free_bytes -= range.size;
    }

    /// The free range starting at `addr`, if any, and its region's index.
    fn range_starting_at(&self, addr: usize) -> Option<(usize, Range)> {
        let index = self.try_region_index(addr)?;
        let region = &self.regions[index];
        Some((index, region.range_at(region.granule(addr))?))
    }

    /// The index of the region holding `addr`, if any (a binary search over the dense list of
    /// bases, not over the regions themselves).
    fn try_region_index(&self, addr: usize) -> Option<usize> {
        let after = self.bases.partition_point(|&base| base <= addr);
        let index = after.checked_sub(1)?;
        (addr < self.bases[index] + REGION_SIZE).then_some(index)
    }

    /// The index of the region holding `addr`.
    fn region_index(&self, addr: usize) -> usize {
        self.try_region_index(addr)
            .expect("address inside a medium region")
    }

    /// A pointer to `addr` (in the region at `index`) with its region's provenance.
    fn pointer(&self, index: usize, addr: usize) -> NonNull<u8> {
        let region = &self.regions[index];
        debug_assert!(region.holds(addr));
        region
            .ptr
            .with_addr(core::num::NonZeroUsize::new(addr).expect("non-null address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_size_in_order() {
        // The smallest size of each bucket, and the buckets in order without gaps.
        let mut lowest = [usize::MAX; BUCKETS];
        let mut previous = 0;
        for granules in 1..=MAX_GRANULES {
            let bucket = bucket_of(granules);
            assert!(bucket >= previous && bucket <= previous + 1, "{granules}");
            previous = bucket;
            lowest[bucket] = lowest[bucket].min(granules);
        }
        assert_eq!(previous, BUCKETS - 1);
        for granules in 1..=MAX_GRANULES {
            // Every range in the bucket a request starts from is large enough, and that is the
            // request's own bucket exactly when the request is its bucket's smallest size.
            let first = bucket_at_least(granules);
            let own = bucket_of(granules);
            assert!(first == own || first == own + 1, "{granules}");
            assert_eq!(first == own, lowest[own] == granules, "{granules}");
            if first < BUCKETS {
                assert!(lowest[first] >= granules, "{granules}: bucket {first}");
            }
        }
    }

    /// A heap with one region backed by real memory.
    fn heap_with_region(memory: &mut Vec<u8>) -> MediumHeap {
        let mut heap = MediumHeap::default();
        let base = NonNull::new(memory.as_mut_ptr()).unwrap();
        // Align the region's start to the granule, as the pool's 4 KiB alignment does.
        let offset = base.as_ptr().align_offset(MEDIUM_GRANULE);
        // SAFETY: the vector has room for the offset plus a region.
        let region = unsafe { base.add(offset) };
        assert!(heap.add_region(region));
        heap
    }

    #[test]
    fn adjacent_regions_never_merge_across_their_boundary() {
        let g = MEDIUM_GRANULE;
        let mut memory = std::vec![0u8; 2 * REGION_SIZE + g];
        let base = NonNull::new(memory.as_mut_ptr()).unwrap();
        let offset = base.as_ptr().align_offset(g);
        let mut heap = MediumHeap::default();
        // Two regions back to back in memory, added out of address order.
        // SAFETY: the vector has room for the offset plus two regions.
        let (first, second) = unsafe { (base.add(offset), base.add(offset + REGION_SIZE)) };
        assert!(heap.add_region(second));
        assert!(heap.add_region(first));
        // Fill both; then free the tail of the first and the head of the second: neighbours in
        // memory, in different regions.
        let x = heap.alloc(REGION_SIZE).unwrap();
        let y = heap.alloc(REGION_SIZE).unwrap();
        let (x, y) = if x < y { (x, y) } else { (y, x) };
        assert_eq!(heap.alloc(g), Err(Shortage::NoRange));
        heap.free(y, REGION_SIZE);
        let head = heap.alloc(4 * g).unwrap();
        assert_eq!(head, y, "the head of the second region");
        let b = heap.alloc(REGION_SIZE - 4 * g).unwrap();
        heap.shrink_in_place(x, REGION_SIZE, REGION_SIZE - 4 * g);
        // SAFETY: in the first region, 4 granules before its end.
        let tail = unsafe { x.add(REGION_SIZE - 4 * g) };
        assert_eq!(
            tail.addr().get() + 4 * g,
            head.addr().get(),
            "neighbours in memory"
        );
        heap.free(head, 4 * g);
        assert_eq!(heap.validate(true), Ok(()));
        assert_eq!(
            heap.largest_free(),
            4 * g,
            "two ranges, not one across the boundary"
        );
        assert_eq!(heap.free_bytes(), 8 * g);
        heap.free(x, REGION_SIZE - 4 * g);
        heap.free(b, REGION_SIZE - 4 * g);
        assert_eq!(heap.validate(true), Ok(()));
        assert_eq!(heap.largest_free(), REGION_SIZE);
        assert_eq!(heap.take_free_regions().len(), 2);
        assert_eq!(heap.region_count(), 0);
    }

    #[test]
    fn splits_merges_and_finds_the_whole_region_again() {
        let mut memory = std::vec![0u8; REGION_SIZE + MEDIUM_GRANULE];
        let mut heap = heap_with_region(&mut memory);
        let g = MEDIUM_GRANULE;
        let a = heap.alloc(32 * g).unwrap();
        let b = heap.alloc(8 * g).unwrap();
        let c = heap.alloc(100 * g).unwrap();
        assert_eq!(b.addr().get(), a.addr().get() + 32 * g);
        assert_eq!(heap.validate(true), Ok(()));
        heap.free(b, 8 * g);
        // The hole is reused for a request that fits it.
        let d = heap.alloc(8 * g).unwrap();
        assert_eq!(d, b);
        heap.free(d, 8 * g);
        heap.free(a, 32 * g);
        assert_eq!(heap.validate(true), Ok(()));
        // Grow `c` into the free tail, shrink it back.
        assert!(heap.grow_in_place(c, 100 * g, 200 * g));
        heap.shrink_in_place(c, 200 * g, 100 * g);
        heap.free(c, 100 * g);
        assert_eq!((heap.live_blocks, heap.live_bytes), (0, 0));
        assert_eq!(heap.free_bytes(), REGION_SIZE);
        assert_eq!(heap.largest_free(), REGION_SIZE);
        assert_eq!(heap.validate(true), Ok(()));
        assert_eq!(heap.take_free_regions().len(), 1);
        assert_eq!(heap.region_count(), 0);
        assert_eq!(heap.alloc(g), Err(Shortage::NoRange));
    }
}
