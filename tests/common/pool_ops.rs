//! The pools' shadow-model program: shared by the proptest model test (`tests/pool_model.rs`)
//! and the `pool_ops` fuzz target. After every step: alignment, no overlap, contents preserved,
//! every handed-out block reads zero (with zeroing on), `stats()` exact, `validate()` clean.
//!
//! Field values are taken modulo their ranges in `run`, so any decoded program is valid.

use super::{LiveBlock, check_contents, check_new_block};
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::pool::Pool;
use memory_manager::{LocalPool, MemoryPool};

/// Largest size in a program: 1 MiB natively, less under Miri (every byte checked costs
/// microseconds there).
pub const MAX_SIZE: usize = if cfg!(miri) { 20_000 } else { 1 << 20 };

/// One step of a program.
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub enum Op {
    /// Allocate `size % (MAX_SIZE + 1)` bytes aligned to `2^(align_log % 14)`.
    Alloc {
        size: u32,
        align_log: u8,
        zeroed: bool,
    },
    /// Grow a live block to `size` (if larger).
    Grow { pick: usize, size: u32 },
    /// Shrink a live block to `size` (if smaller).
    Shrink { pick: usize, size: u32 },
    /// Free a live block.
    Dealloc { pick: usize },
}

pub struct Model {
    live: Vec<LiveBlock>,
    live_bytes: usize,
    peak: usize,
    fill: u8,
}

impl Model {
    fn next_fill(&mut self) -> u8 {
        self.fill = self.fill.wrapping_add(1).max(1);
        self.fill
    }
    fn count(&self) -> usize {
        self.live.iter().filter(|b| b.size != 0).count()
    }
}

pub fn run<R: lock_api::RawMutex>(pool: &Pool<R>, program: &[Op], validate_every: usize) {
    let zero = pool.zero_on_free();
    let mut m = Model {
        live: Vec::new(),
        live_bytes: 0,
        peak: 0,
        fill: 0,
    };
    for (step, op) in program.iter().enumerate() {
        match *op {
            Op::Alloc {
                size,
                align_log,
                zeroed,
            } => {
                let size = size as usize % (MAX_SIZE + 1);
                let layout = Layout::from_size_align(size, 1 << (align_log % 14)).unwrap();
                let ptr = if zeroed {
                    pool.allocate_zeroed(layout)
                } else {
                    pool.allocate(layout)
                }
                .expect("no limit is set");
                assert_eq!(ptr.len(), size);
                let block = LiveBlock {
                    ptr: ptr.cast(),
                    size,
                    align: layout.align(),
                    fill: m.next_fill(),
                };
                check_new_block(&m.live, &block);
                if zero || zeroed {
                    assert!(
                        block.zeroed(),
                        "fresh block {:#x}+{size} not zero",
                        block.start()
                    );
                }
                block.fill();
                m.live_bytes += size;
                m.peak = m.peak.max(m.live_bytes);
                m.live.push(block);
            }
            Op::Grow { pick, size } | Op::Shrink { pick, size } => {
                if m.live.is_empty() {
                    continue;
                }
                let i = pick % m.live.len();
                let old = m.live.remove(i);
                let grow = matches!(op, Op::Grow { .. });
                let size = size as usize % (MAX_SIZE + 1);
                let new_size = if grow {
                    old.size.max(size)
                } else {
                    old.size.min(size)
                };
                let old_layout = Layout::from_size_align(old.size, old.align).unwrap();
                let new_layout = Layout::from_size_align(new_size, old.align).unwrap();
                // SAFETY: `old` is live with `old_layout`.
                let ptr = unsafe {
                    if grow {
                        pool.grow(old.ptr, old_layout, new_layout)
                    } else {
                        pool.shrink(old.ptr, old_layout, new_layout)
                    }
                }
                .expect("no limit is set");
                let mut block = LiveBlock {
                    ptr: ptr.cast(),
                    size: new_size,
                    ..old.clone()
                };
                check_new_block(&m.live, &block);
                let kept = old.size.min(new_size);
                block.size = kept;
                assert!(block.intact(), "resize lost the contents");
                block.size = new_size;
                if grow && zero {
                    let tail = LiveBlock {
                        // SAFETY: `kept <= new_size`, inside the block.
                        ptr: unsafe { block.ptr.add(kept) },
                        size: new_size - kept,
                        ..block.clone()
                    };
                    assert!(tail.zeroed(), "grown tail not zero");
                }
                block.fill_from(kept);
                if block.ptr != old.ptr || (old.size == 0) != (new_size == 0) {
                    m.peak = m.peak.max(m.live_bytes + new_size);
                }
                m.live_bytes = m.live_bytes - old.size + new_size;
                m.peak = m.peak.max(m.live_bytes);
                m.live.push(block);
            }
            Op::Dealloc { pick } => {
                if m.live.is_empty() {
                    continue;
                }
                let block = m.live.swap_remove(pick % m.live.len());
                let layout = Layout::from_size_align(block.size, block.align).unwrap();
                // SAFETY: live with `layout`; forgotten by the model.
                unsafe { pool.deallocate(block.ptr, layout) };
                m.live_bytes -= block.size;
            }
        }
        check_contents(&m.live);
        let stats = pool.stats();
        assert_eq!(stats.live_bytes, m.live_bytes, "live_bytes after {op:?}");
        assert_eq!(
            stats.live_allocations,
            m.count(),
            "live_allocations after {op:?}"
        );
        assert_eq!(
            stats.peak_live_bytes, m.peak,
            "peak_live_bytes after {op:?}"
        );
        if step % validate_every == 0 {
            assert_eq!(pool.validate(), Ok(()), "after {op:?}");
        }
    }
    for block in m.live.drain(..) {
        let layout = Layout::from_size_align(block.size, block.align).unwrap();
        // SAFETY: live with `layout`.
        unsafe { pool.deallocate(block.ptr, layout) };
    }
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
    pool.trim();
    assert_eq!(pool.stats().reserved_bytes, 0, "trim gives everything back");
}

/// How often `run` calls `validate` (every step natively; Miri pays for every byte it reads).
pub const VALIDATE_EVERY: usize = if cfg!(miri) { 16 } else { 1 };

/// The fuzz target's program: one run on a `LocalPool` (zeroing as chosen) and one on a
/// `MemoryPool` (with a raised minimum alignment), validated after every batch of 8 steps (the
/// proptest model validates after every step; the fuzzer trades that for more programs).
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub struct Program {
    pub zero_on_free: bool,
    pub min_align_log: u8,
    pub ops: Vec<Op>,
}

pub fn run_program(program: &Program) {
    let local = LocalPool::builder()
        .zero_on_free(program.zero_on_free)
        .build();
    run(&local, &program.ops, VALIDATE_EVERY);
    let shared = MemoryPool::builder()
        .min_align(1 << (program.min_align_log % 8))
        .build();
    run(&shared, &program.ops, VALIDATE_EVERY);
}
