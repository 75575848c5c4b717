//! A model test for both pools: random programs of allocate / allocate_zeroed / grow / shrink /
//! deallocate across sizes 0..=1 MiB and alignments 1..=8192, checked after every step against
//! a shadow model: alignment, no overlap, contents preserved, handed-out memory zero, `stats()`
//! exact, and `validate()` clean.

mod common;

use common::{LiveBlock, check_contents, check_new_block, proptest_config};
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::pool::Pool;
use memory_manager::{LocalPool, MemoryPool};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Alloc {
        size: usize,
        align_log: u32,
        zeroed: bool,
    },
    Grow {
        pick: usize,
        size: usize,
    },
    Shrink {
        pick: usize,
        size: usize,
    },
    Dealloc {
        pick: usize,
    },
}

/// Mostly small sizes, some medium, a few up to 1 MiB (fewer and smaller under Miri).
fn size() -> impl Strategy<Value = usize> {
    let big = if cfg!(miri) { 20_000 } else { 1 << 20 };
    prop_oneof![
        10 => 0usize..=256,
        6 => 0usize..=8192,
        2 => 8193usize..=65_536,
        1 => 0usize..=big,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (size(), 0u32..=13, any::<bool>())
            .prop_map(|(size, align_log, zeroed)| Op::Alloc { size, align_log, zeroed }),
        2 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Grow { pick, size }),
        1 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Shrink { pick, size }),
        4 => any::<usize>().prop_map(|pick| Op::Dealloc { pick }),
    ]
}

struct Model {
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

fn run<R: lock_api::RawMutex>(pool: &Pool<R>, program: &[Op], validate_every: usize) {
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
                let layout = Layout::from_size_align(size, 1 << align_log).unwrap();
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

const VALIDATE_EVERY: usize = if cfg!(miri) { 16 } else { 1 };

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn local_pool_matches_model(program in prop::collection::vec(op(), 1..100), zero in any::<bool>()) {
        let pool = LocalPool::builder().zero_on_free(zero).build();
        run(&pool, &program, VALIDATE_EVERY);
    }

    #[test]
    fn memory_pool_matches_model(program in prop::collection::vec(op(), 1..100), min_align_log in 0u32..8) {
        let pool = MemoryPool::builder().min_align(1 << min_align_log).build();
        run(&pool, &program, VALIDATE_EVERY);
    }
}
