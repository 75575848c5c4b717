#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(feature = "nightly", feature(allocator_api))]
#![warn(missing_docs)]

extern crate alloc as rust_alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub use allocator_api2;

mod alloc;
pub mod arena;
mod copy;
mod error;
mod names;
pub mod pointer;
pub mod pool;
#[cfg(test)]
mod test_support;
mod zero;

pub use crate::arena::{ArenaBuilder, MemoryArena};
#[cfg(feature = "std")]
pub use crate::arena::{LocalArena, SharedArena, SharedArenaBuilder};
pub use crate::error::PoolError;
pub use crate::names::AllocationNames;
pub use crate::pointer::{LocalPointer, LocalWeakPointer, MemoryPointer, WeakPointer};
#[cfg(feature = "std")]
pub use crate::pool::MemoryPool;
pub use crate::pool::{LocalPool, PoolBuilder, PoolStats, set_oom_handler};
