//! Debug mode (the `debug` feature): a registry of every live allocation, canary bytes after
//! each one, and loud, precise panics for the bugs that unsafe code, FFI and buggy collections
//! bring to an allocator: double free, freeing a pointer the pool never handed out, freeing with
//! another layout than the one allocated, writing past the end, writing after free.
//!
//! Nothing here exists without the feature: the hot paths then compile to exactly what they
//! were before (`alloc_inner`/`dealloc_inner` forward straight to the raw paths).
//!
//! The registry lives in a hashbrown map whose memory comes from the global allocator, never
//! from the pool it watches, and behind its own lock, which is never held while user code runs
//! (the OOM handler) or while a shard lock is taken.

use crate::alloc::{AllocError, Layout};
use crate::error::PoolError;
use crate::pool::Pool;
use crate::rust_alloc::vec::Vec;
use crate::zero::first_nonzero;
use core::fmt;
use core::ptr::NonNull;
use lock_api::RawMutex;

/// The bytes written right after every allocation and checked when it is freed.
pub(crate) const CANARY: [u8; 8] = [0xCA, 0xFE, 0xF0, 0x0D, 0xDE, 0xAD, 0xBE, 0xEF];

/// One allocation the registry knows about.
///
/// # Examples
///
/// ```
/// use memory_manager::LocalPool;
/// use memory_manager::allocator_api2::boxed::Box;
/// let pool = LocalPool::new();
/// let kept = Box::new_in(7u64, &pool);
/// let leak = &pool.leaks()[0];
/// assert_eq!((leak.sequence, leak.layout.size(), leak.name), (1, 8, None));
/// # drop(kept);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveAllocation {
    /// Where it starts.
    pub address: usize,
    /// The layout it was allocated with (as the caller gave it).
    pub layout: Layout,
    /// The name given with [`AllocationNames`](crate::AllocationNames), if any.
    pub name: Option<&'static str>,
    /// Its allocation sequence number: the pool's first allocation is 1.
    pub sequence: u64,
}

impl fmt::Display for LiveAllocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {:#x} ({} B, align {})",
            self.sequence,
            self.address,
            self.layout.size(),
            self.layout.align()
        )?;
        if let Some(name) = self.name {
            write!(f, " \"{name}\"")?;
        }
        Ok(())
    }
}

/// What the registry lock protects.
#[derive(Default)]
pub(crate) struct Registry {
    /// Live allocations, with the pointer we handed out (its provenance lets `validate` read
    /// the canary).
    live: hashbrown::HashMap<usize, (NonNull<u8>, LiveAllocation)>,
    /// Blocks freed and not handed out again: how a double free is told from a wild pointer.
    freed: hashbrown::HashMap<usize, LiveAllocation>,
    sequence: u64,
}

// SAFETY: the pointers are only read under the registry lock, for blocks the pool owns.
unsafe impl Send for Registry {}

/// The layout actually placed: the caller's, with room for the canary.
fn padded(layout: Layout) -> Result<Layout, AllocError> {
    let size = layout.size().checked_add(CANARY.len()).ok_or(AllocError)?;
    Layout::from_size_align(size, layout.align()).map_err(|_| AllocError)
}

fn describe(entry: &LiveAllocation) -> impl fmt::Display + '_ {
    struct Described<'a>(&'a LiveAllocation);
    impl fmt::Display for Described<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "allocation #{} (size {}, align {}",
                self.0.sequence,
                self.0.layout.size(),
                self.0.layout.align()
            )?;
            if let Some(name) = self.0.name {
                write!(f, ", \"{name}\"")?;
            }
            f.write_str(")")
        }
    }
    Described(entry)
}

/// Write-after-free check on reuse: a block taken from a bin, a slab's free list (whose link
/// the slab clears as it hands the block out) or a free range must read zero throughout when
/// zeroing is on.
pub(crate) fn check_reused(ptr: NonNull<u8>, len: usize, zero_on_free: bool) {
    if !zero_on_free {
        return;
    }
    // SAFETY: the block was just handed to us: `len` initialised bytes (zeroed when freed).
    let offset = unsafe { first_nonzero(ptr, len) };
    if offset != len {
        panic!(
            "write after free: block {ptr:p} ({len} B) was modified after it was freed \
             (byte {offset} is non-zero)"
        );
    }
}

impl<R: RawMutex> Pool<R> {
    pub(crate) fn alloc_inner(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        if layout.size() == 0 {
            return self.alloc_raw(layout, 0);
        }
        let placed = padded(layout)?;
        let ptr = self.alloc_raw(placed, layout.size())?;
        // SAFETY: the block has `layout.size() + CANARY.len()` bytes.
        unsafe {
            ptr.add(layout.size())
                .copy_from_nonoverlapping(NonNull::from(&CANARY).cast(), CANARY.len())
        };
        let address = ptr.addr().get();
        let mut registry = self.registry.lock();
        if registry.live.try_reserve(1).is_err() {
            drop(registry);
            // SAFETY: just placed with `placed`, never handed out.
            unsafe { self.dealloc_raw(ptr, placed, layout.size()) };
            return Err(AllocError);
        }
        registry.sequence += 1;
        let entry = LiveAllocation {
            address,
            layout,
            name: None,
            sequence: registry.sequence,
        };
        registry.freed.remove(&address);
        registry.live.insert(address, (ptr, entry));
        drop(registry);
        log::trace!("pool alloc {}", entry);
        Ok(ptr)
    }

    /// # Safety
    ///
    /// As `Allocator::deallocate`; violations this can see are reported by a panic.
    pub(crate) unsafe fn dealloc_inner(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        let address = ptr.addr().get();
        let mut registry = self.registry.lock();
        // From here on, the block is read and written through the pointer the pool handed out
        // (the registry keeps it): the caller's pointer may carry narrower provenance (a
        // `Box` retags its contents only), and the canary lies past them.
        let Some((ours, entry)) = registry.live.get(&address).copied() else {
            let freed = registry.freed.get(&address).copied();
            drop(registry);
            match freed {
                Some(entry) => panic!(
                    "double free of {ptr:p}: deallocate(size {}, align {}) but {} was already freed",
                    layout.size(),
                    layout.align(),
                    describe(&entry)
                ),
                None => panic!(
                    "invalid free of {ptr:p}: deallocate(size {}, align {}) of a pointer this pool \
                     never handed out",
                    layout.size(),
                    layout.align()
                ),
            }
        };
        if entry.layout != layout {
            drop(registry);
            panic!(
                "layout mismatch freeing {ptr:p}: deallocate(size {}, align {}) but it is {}",
                layout.size(),
                layout.align(),
                describe(&entry)
            );
        }
        Self::check_canary(ours, &entry);
        registry.live.remove(&address);
        // Remembering the freed block is what tells a later double free from a wild pointer;
        // if the global allocator refuses room for it, only that distinction is lost.
        if registry.freed.try_reserve(1).is_ok() {
            registry.freed.insert(address, entry);
        }
        drop(registry);
        log::trace!("pool free {}", entry);
        let placed = padded(layout).expect("allocated with this layout");
        // SAFETY: the registry confirms the block is live and was placed with `placed`.
        unsafe { self.dealloc_raw(ours, placed, layout.size()) };
    }

    fn check_canary(ptr: NonNull<u8>, entry: &LiveAllocation) {
        // SAFETY: a live block of `size + CANARY.len()` bytes, the canary written at allocation.
        let canary = unsafe {
            core::slice::from_raw_parts(ptr.add(entry.layout.size()).as_ptr(), CANARY.len())
        };
        if canary != CANARY {
            let offset = canary
                .iter()
                .zip(CANARY)
                .position(|(a, b)| *a != b)
                .unwrap_or(0);
            panic!(
                "canary overrun at {ptr:p}: {} was written past its end (byte {} after the end \
                 is {:#04x}, expected {:#04x})",
                describe(entry),
                offset,
                canary[offset],
                CANARY[offset]
            );
        }
    }

    /// Names a live allocation (debug mode); `false` if `ptr` is not a live allocation's start.
    pub(crate) fn record_name(&self, ptr: NonNull<u8>, name: &'static str) -> bool {
        match self.registry.lock().live.get_mut(&ptr.addr().get()) {
            Some((_, entry)) => {
                entry.name = Some(name);
                true
            }
            None => false,
        }
    }

    /// Every live allocation, oldest first: what would leak if the pool were dropped now.
    /// Dropping a pool with live allocations also reports them through `log` (warn level).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{AllocationNames, LocalPool};
    /// use memory_manager::allocator_api2::boxed::Box;
    /// let pool = LocalPool::new();
    /// let kept = Box::new_in([0u8; 100], &pool);
    /// pool.name_allocation(core::ptr::NonNull::from(&*kept).cast(), "kept");
    /// let leaks = pool.leaks();
    /// assert_eq!((leaks.len(), leaks[0].name, leaks[0].layout.size()), (1, Some("kept"), 100));
    /// # drop(kept);
    /// ```
    pub fn leaks(&self) -> Vec<LiveAllocation> {
        self.live_sorted_by(|entry| entry.sequence)
    }

    /// Live allocations sorted by address, for `dump`.
    pub(crate) fn live_by_address(&self) -> Vec<LiveAllocation> {
        self.live_sorted_by(|entry| entry.address)
    }

    /// A snapshot of the live allocations, sorted by `key`.
    fn live_sorted_by<K: Ord>(&self, key: impl FnMut(&LiveAllocation) -> K) -> Vec<LiveAllocation> {
        let mut live: Vec<LiveAllocation> = self
            .registry
            .lock()
            .live
            .values()
            .map(|(_, entry)| *entry)
            .collect();
        live.sort_by_key(key);
        live
    }

    /// Debug-mode part of `validate`: every canary intact, and the registry agrees with the
    /// counters.
    pub(crate) fn validate_registry(&self, live_allocations: usize) -> Result<(), PoolError> {
        let registry = self.registry.lock();
        for (ptr, entry) in registry.live.values() {
            // SAFETY: a registered block is live with `size + CANARY.len()` initialised bytes.
            let canary = unsafe {
                core::slice::from_raw_parts(ptr.add(entry.layout.size()).as_ptr(), CANARY.len())
            };
            if let Some(offset) = canary.iter().zip(CANARY).position(|(a, b)| *a != b) {
                return Err(PoolError::CanaryOverrun {
                    block: entry.address,
                    size: entry.layout.size(),
                    offset,
                });
            }
        }
        if registry.live.len() != live_allocations {
            return Err(PoolError::CountMismatch {
                what: "registered live allocations",
                expected: registry.live.len(),
                found: live_allocations,
            });
        }
        Ok(())
    }

    /// Reports live allocations when the pool is dropped.
    pub(crate) fn report_leaks(&mut self) {
        let leaks = self.leaks();
        if !leaks.is_empty() {
            log::warn!("pool dropped with {} live allocation(s):", leaks.len());
            for leak in &leaks {
                log::warn!("  leaked {leak}");
            }
        }
    }
}
