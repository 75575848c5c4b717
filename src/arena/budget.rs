//! `Budget`: chunk memory counted across the per-thread lanes of a `SharedArena`, so that one
//! allocation limit caps them all, exactly, without a lock.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Chunk bytes held by every lane together, and the cap on them.
pub(crate) struct Budget {
    /// The cap (`usize::MAX`: none).
    limit: AtomicUsize,
    capacity: AtomicUsize,
    chunks: AtomicUsize,
}

// Only a `SharedArena` (std) creates budgets; the arena code that reads them is always built.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl Budget {
    pub(crate) fn new(limit: Option<usize>) -> Self {
        Self {
            limit: AtomicUsize::new(limit.unwrap_or(usize::MAX)),
            capacity: AtomicUsize::new(0),
            chunks: AtomicUsize::new(0),
        }
    }

    /// Bytes that may still be taken before the limit.
    pub(crate) fn room(&self) -> usize {
        self.limit
            .load(Relaxed)
            .saturating_sub(self.capacity.load(Relaxed))
    }

    /// Counts a chunk of `bytes` against the limit; `false` (and nothing counted) if it would
    /// exceed it.
    pub(crate) fn take(&self, bytes: usize) -> bool {
        let limit = self.limit.load(Relaxed);
        let taken = self
            .capacity
            .fetch_update(Relaxed, Relaxed, |held| {
                held.checked_add(bytes).filter(|&total| total <= limit)
            })
            .is_ok();
        if taken {
            self.chunks.fetch_add(1, Relaxed);
        }
        taken
    }

    /// A chunk of `bytes` went back to the system.
    pub(crate) fn give_back(&self, bytes: usize) {
        self.capacity.fetch_sub(bytes, Relaxed);
        self.chunks.fetch_sub(1, Relaxed);
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Relaxed)
    }

    pub(crate) fn chunks(&self) -> usize {
        self.chunks.load(Relaxed)
    }

    pub(crate) fn limit(&self) -> Option<usize> {
        Some(self.limit.load(Relaxed)).filter(|&limit| limit != usize::MAX)
    }

    pub(crate) fn set_limit(&self, limit: Option<usize>) {
        self.limit.store(limit.unwrap_or(usize::MAX), Relaxed);
    }
}
