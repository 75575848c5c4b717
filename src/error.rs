//! The crate's error types. Allocation failures use allocator-api2's `AllocError`, as the
//! `Allocator` trait requires; what `validate` finds wrong in a pool is a [`PoolError`].

use thiserror::Error;

/// An inconsistency found by [`Pool::validate`](crate::pool::Pool::validate): what is wrong,
/// and where (addresses are printed in hex).
///
/// # Examples
///
/// ```
/// use memory_manager::PoolError;
/// let error = PoolError::OverLimit { reserved: 2048, max_bytes: 1024 };
/// assert_eq!(error.to_string(), "reserved 2048 bytes exceeds max_bytes 1024");
/// ```
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// A slab's header is inconsistent with itself or with the shard that owns it.
    #[error("slab {slab:#x} (class {class_size} B): {reason}")]
    CorruptSlab {
        /// The slab's address.
        slab: usize,
        /// The slab's block size.
        class_size: usize,
        /// What does not add up.
        reason: &'static str,
    },
    /// A free-list entry points outside its slab, between blocks, or to a block listed twice.
    #[error(
        "free list of slab {slab:#x} (class {class_size} B) has a bad entry {block:#x}: {reason}"
    )]
    CorruptFreeList {
        /// The slab's address.
        slab: usize,
        /// The slab's block size.
        class_size: usize,
        /// The bad entry.
        block: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A free block (or never-used memory) that should read zero does not: something wrote to
    /// memory after freeing it.
    #[error("free block {block:#x} ({size} B) is not zero at offset {offset}: written after free?")]
    FreeBlockNotZero {
        /// The block's address.
        block: usize,
        /// The block's size.
        size: usize,
        /// The first non-zero byte.
        offset: usize,
    },
    /// Debug mode: the bytes right after a live allocation were overwritten (a write past its
    /// end).
    #[error("live block {block:#x} ({size} B) was written past its end (canary byte {offset})")]
    CanaryOverrun {
        /// The block's address.
        block: usize,
        /// The size it was allocated with.
        size: usize,
        /// The first damaged byte after its end.
        offset: usize,
    },
    /// The medium-block free set is inconsistent.
    #[error("medium free range {addr:#x} ({size} B): {reason}")]
    CorruptMediumRange {
        /// The range's address.
        addr: usize,
        /// Its size.
        size: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two counts that must agree do not.
    #[error("{what}: expected {expected}, found {found}")]
    CountMismatch {
        /// Which count.
        what: &'static str,
        /// What the structures add up to.
        expected: usize,
        /// What the counter says.
        found: usize,
    },
    /// The pool holds more memory than its `max_bytes`.
    #[error("reserved {reserved} bytes exceeds max_bytes {max_bytes}")]
    OverLimit {
        /// Bytes reserved from the system.
        reserved: usize,
        /// The configured limit.
        max_bytes: usize,
    },
}
