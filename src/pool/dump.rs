//! `PoolDump`: a snapshot of a pool's structures, printed with `{}`.

use crate::pool::PoolStats;
use core::fmt;

/// Per-size-class usage in a [`PoolDump`].
///
/// # Examples
///
/// ```
/// use memory_manager::LocalPool;
/// use memory_manager::allocator_api2::boxed::Box;
/// let pool = LocalPool::new();
/// let b = Box::new_in([0u8; 100], &pool);
/// let dump = pool.dump();
/// let class = dump.classes.iter().find(|c| c.block_size == 112).unwrap();
/// // The live block, and the blocks the pool's cache took from the slab with it.
/// assert_eq!(class.used_blocks, 1 + pool.stats().cached_blocks);
/// # drop(b);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassUsage {
    /// The class's block size.
    pub block_size: usize,
    /// Slabs serving this class, across shards.
    pub slabs: usize,
    /// Blocks out of the slabs: live ones, and free ones waiting in thread caches (a slab
    /// counts those as used until they come back; [`PoolStats::cached_blocks`] says how many
    /// there are across classes).
    pub used_blocks: usize,
    /// Blocks free for reuse (on free lists or never used yet).
    pub free_blocks: usize,
}

/// A consistent snapshot of a pool (see [`Pool::dump`](crate::pool::Pool::dump)).
///
/// # Examples
///
/// ```
/// let pool = memory_manager::LocalPool::new();
/// let dump = pool.dump();
/// assert_eq!((dump.shards, dump.stats.live_allocations), (1, 0));
/// println!("{dump}");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PoolDump {
    /// The counters.
    pub stats: PoolStats,
    /// How many shards the pool has.
    pub shards: usize,
    /// The size classes in use.
    pub classes: crate::rust_alloc::vec::Vec<ClassUsage>,
    /// Empty slabs kept for reuse.
    pub cached_slabs: usize,
    /// Per-thread caches the pool has made (see
    /// [`PoolBuilder::thread_cache`](crate::PoolBuilder::thread_cache)); a thread that exits
    /// hands its cache on, so this stays near the number of threads using the pool at once.
    pub thread_caches: usize,
    /// Medium regions held.
    pub medium_regions: usize,
    /// Live medium blocks.
    pub medium_live_blocks: usize,
    /// Free bytes in medium regions.
    pub medium_free_bytes: usize,
    /// The largest free medium range.
    pub medium_largest_free: usize,
    /// Live large blocks.
    pub large_blocks: usize,
    /// Bytes in live large blocks.
    pub large_bytes: usize,
    /// The configured limit.
    pub max_bytes: Option<usize>,
    /// Whether freed memory is zeroed.
    pub zero_on_free: bool,
    /// Debug mode: every live allocation (address, size, name, sequence number), by address.
    #[cfg(feature = "debug")]
    pub live: crate::rust_alloc::vec::Vec<crate::pool::LiveAllocation>,
}

impl fmt::Display for PoolDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        writeln!(
            f,
            "pool: {} shard(s), zero_on_free {}, max_bytes {}",
            self.shards,
            self.zero_on_free,
            self.max_bytes
                .map_or_else(|| "none".into(), |m| crate::rust_alloc::format!("{m}"))
        )?;
        writeln!(
            f,
            "  live {} B in {} allocations, peak {} B, reserved {} B, fragmentation {}",
            s.live_bytes,
            s.live_allocations,
            s.peak_live_bytes,
            s.reserved_bytes,
            s.fragmentation()
                .map_or_else(|| "n/a".into(), |r| crate::rust_alloc::format!("{r:.2}"))
        )?;
        writeln!(
            f,
            "  {} allocations, {} served by reuse, {} free block(s) in thread caches",
            s.total_allocations, s.reuse_hits, s.cached_blocks
        )?;
        for c in &self.classes {
            writeln!(
                f,
                "  class {} B: {} slab(s), {} used, {} free",
                c.block_size, c.slabs, c.used_blocks, c.free_blocks
            )?;
        }
        writeln!(f, "  slab cache: {} empty slab(s)", self.cached_slabs)?;
        writeln!(f, "  thread caches: {}", self.thread_caches)?;
        writeln!(
            f,
            "  medium: {} region(s), {} live block(s), {} B free, largest free {} B",
            self.medium_regions,
            self.medium_live_blocks,
            self.medium_free_bytes,
            self.medium_largest_free
        )?;
        write!(
            f,
            "  large: {} block(s), {} B",
            self.large_blocks, self.large_bytes
        )?;
        #[cfg(feature = "debug")]
        {
            let named = self.live.iter().filter(|a| a.name.is_some()).count();
            write!(
                f,
                "\n  live allocations: {} ({} named)",
                self.live.len(),
                named
            )?;
            for allocation in &self.live {
                write!(f, "\n    {allocation}")?;
            }
        }
        Ok(())
    }
}
