//! The arena's shadow-model program: shared by the proptest model test (`tests/arena_model.rs`)
//! and the `arena_ops` fuzz target, which decode programs from their own sources of randomness
//! and run them here.
//!
//! Field values are taken modulo their ranges in `run`, so any decoded program is valid.

use super::{LiveBlock, check_contents, check_new_block};
use memory_manager::MemoryArena;
use memory_manager::allocator_api2::alloc::{Allocator, Layout};

/// Largest size of a single allocation in a program.
pub const MAX_SIZE: usize = 5000;

/// One step of a program.
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub enum Op {
    /// Allocate `size % (MAX_SIZE + 1)` bytes aligned to `2^(align_log % 13)`.
    Alloc { size: u16, align_log: u8 },
    /// `try_alloc_str` of `len % 42` bytes.
    AllocStr { len: u8 },
    /// Grow a live block by `extra % 3000` bytes.
    Grow { pick: usize, extra: u16 },
    /// Shrink a live block by up to `less` bytes, optionally to a larger alignment.
    Shrink {
        pick: usize,
        less: u16,
        realign: bool,
    },
    /// Give a live block back.
    Dealloc { pick: usize },
    /// Run these inside `scope` (scopes and resets inside a scope are skipped: the closure
    /// only has `&MemoryArena`).
    Scope(Vec<Op>),
    /// `reset` or `reset_keep_chunks`.
    Reset { keep_chunks: bool },
    /// Set (`Some(bytes % 64 KiB)`) or clear the allocation limit.
    Limit(Option<u32>),
}

/// The shadow model: live blocks, the cursor as far as the model can see it, and the exact
/// `allocated_bytes` the arena must report.
pub struct Model {
    live: Vec<LiveBlock>,
    cursor: Option<usize>,
    allocated: usize,
    next_fill: u8,
}

impl Model {
    fn fill(&mut self) -> u8 {
        self.next_fill = self.next_fill.wrapping_add(1).max(1);
        self.next_fill
    }

    fn is_newest(&self, block: &LiveBlock) -> bool {
        block.size != 0 && Some(block.end()) == self.cursor
    }

    fn check(&self, arena: &MemoryArena) {
        check_contents(&self.live);
        assert_eq!(arena.allocated_bytes(), self.allocated, "allocated_bytes");
    }
}

/// Runs `ops` on `arena`; `floor` is the number of blocks this level may not touch (blocks
/// from outside a scope are unreachable inside it).
fn run(arena: &MemoryArena, ops: &[Op], model: &mut Model, floor: usize) {
    for op in ops {
        let capacity_before = arena.capacity_bytes();
        let allocated_before = arena.allocated_bytes();
        let pick = |model: &Model, pick: usize| {
            let n = model.live.len() - floor;
            (n > 0).then(|| floor + pick % n)
        };
        match op {
            Op::Alloc { size, align_log } => {
                let size = &(*size as usize % (MAX_SIZE + 1));
                let layout = Layout::from_size_align(*size, 1 << (align_log % 13)).unwrap();
                match arena.allocate(layout) {
                    Ok(ptr) => {
                        assert_eq!(ptr.len(), *size);
                        let block = LiveBlock {
                            ptr: ptr.cast(),
                            size: *size,
                            align: layout.align(),
                            fill: model.fill(),
                        };
                        check_new_block(&model.live, &block);
                        block.fill();
                        model.allocated += size;
                        if *size != 0 {
                            model.cursor = Some(block.end());
                        }
                        model.live.push(block);
                    }
                    Err(_) => assert_failed_cleanly(arena, capacity_before, allocated_before),
                }
            }
            Op::AllocStr { len } => {
                let len = &(*len as usize % 42);
                let text: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"[..*len].into();
                match arena.try_alloc_str(&text) {
                    Ok(s) => {
                        assert_eq!(&*s, text);
                        let block = LiveBlock {
                            ptr: std::ptr::NonNull::new(s.as_mut_ptr()).unwrap(),
                            size: *len,
                            align: 1,
                            fill: model.fill(),
                        };
                        check_new_block(&model.live, &block);
                        block.fill();
                        model.allocated += len;
                        if *len != 0 {
                            model.cursor = Some(block.end());
                        }
                        model.live.push(block);
                    }
                    Err(_) => assert_failed_cleanly(arena, capacity_before, allocated_before),
                }
            }
            Op::Grow { pick: p, extra } => {
                let Some(i) = pick(model, *p) else { continue };
                let old = model.live[i].clone();
                let newest = model.is_newest(&old);
                let old_layout = Layout::from_size_align(old.size, old.align).unwrap();
                let extra = &(*extra as usize % 3000);
                let new_layout = Layout::from_size_align(old.size + extra, old.align).unwrap();
                // SAFETY: `old` is live with `old_layout`.
                match unsafe { arena.grow(old.ptr, old_layout, new_layout) } {
                    Ok(ptr) => {
                        let mut block = LiveBlock {
                            ptr: ptr.cast(),
                            size: new_layout.size(),
                            ..old.clone()
                        };
                        if block.ptr == old.ptr {
                            assert!(
                                newest || old.size == 0,
                                "only the newest block grows in place"
                            );
                            model.allocated += extra;
                        } else {
                            model.allocated += new_layout.size();
                        }
                        model.live.remove(i);
                        check_new_block(&model.live, &block);
                        assert!(block.ptr.addr().get().is_multiple_of(block.align));
                        block.size = old.size;
                        assert!(block.intact(), "grow lost the contents");
                        block.size = new_layout.size();
                        block.fill_from(old.size);
                        if block.size != 0 {
                            model.cursor = Some(block.end());
                        }
                        model.live.push(block);
                    }
                    Err(_) => assert_failed_cleanly(arena, capacity_before, allocated_before),
                }
            }
            Op::Shrink {
                pick: p,
                less,
                realign,
            } => {
                let Some(i) = pick(model, *p) else { continue };
                let old = model.live[i].clone();
                let newest = model.is_newest(&old);
                let new_size = old.size - (*less as usize).min(old.size);
                let align = if *realign {
                    (old.align * 64).min(4096)
                } else {
                    old.align
                };
                let old_layout = Layout::from_size_align(old.size, old.align).unwrap();
                let new_layout = Layout::from_size_align(new_size, align).unwrap();
                // SAFETY: `old` is live with `old_layout`.
                match unsafe { arena.shrink(old.ptr, old_layout, new_layout) } {
                    Ok(ptr) => {
                        let block = LiveBlock {
                            ptr: ptr.cast(),
                            size: new_size,
                            align,
                            ..old.clone()
                        };
                        model.live.remove(i);
                        check_new_block(&model.live, &block);
                        assert!(block.intact(), "shrink lost the contents");
                        if block.ptr != old.ptr {
                            // Moved to a fresh block, then the old one was given back: that
                            // returns its bytes only if it is still the newest, which is the
                            // case when the fresh block was zero-sized.
                            model.allocated += new_size;
                            if new_size != 0 {
                                model.cursor = Some(block.end());
                            } else if newest {
                                model.allocated -= old.size;
                                model.cursor = Some(old.start());
                            }
                        } else if newest {
                            model.allocated -= old.size - new_size;
                            model.cursor = Some(block.start() + new_size);
                        }
                        model.live.push(block);
                    }
                    Err(_) => assert_failed_cleanly(arena, capacity_before, allocated_before),
                }
            }
            Op::Dealloc { pick: p } => {
                let Some(i) = pick(model, *p) else { continue };
                let block = model.live.remove(i);
                let layout = Layout::from_size_align(block.size, block.align).unwrap();
                if model.is_newest(&block) {
                    model.allocated -= block.size;
                    model.cursor = Some(block.start());
                }
                // SAFETY: `block` is live with `layout`, and forgotten by the model now.
                unsafe { arena.deallocate(block.ptr, layout) };
            }
            Op::Limit(limit) => arena.set_allocation_limit(limit.map(|l| l as usize % (64 << 10))),
            // Only `run_program` can open a scope or reset (they need `&mut MemoryArena`).
            Op::Scope(_) | Op::Reset { .. } => continue,
        }
        model.check(arena);
    }
}

fn assert_failed_cleanly(arena: &MemoryArena, capacity: usize, allocated: usize) {
    assert_eq!(
        arena.capacity_bytes(),
        capacity,
        "a failed request changed capacity"
    );
    assert_eq!(
        arena.allocated_bytes(),
        allocated,
        "a failed request changed allocated_bytes"
    );
}

pub fn run_program(arena: &mut MemoryArena, program: &[Op]) {
    let mut model = Model {
        live: Vec::new(),
        cursor: None,
        allocated: 0,
        next_fill: 0,
    };
    for op in program {
        match op {
            Op::Scope(inner) => {
                let (saved_len, saved_cursor, saved_allocated) =
                    (model.live.len(), model.cursor, model.allocated);
                let floor = model.live.len();
                arena.scope(|a| run(a, inner, &mut model, floor));
                model.live.truncate(saved_len);
                model.cursor = saved_cursor;
                model.allocated = saved_allocated;
            }
            Op::Reset { keep_chunks } => {
                let capacity = arena.capacity_bytes();
                if *keep_chunks {
                    arena.reset_keep_chunks();
                    assert_eq!(arena.capacity_bytes(), capacity);
                } else {
                    arena.reset();
                    assert!(arena.chunk_count() <= 1);
                }
                model.live.clear();
                model.cursor = None;
                model.allocated = 0;
            }
            leaf => run(arena, std::slice::from_ref(leaf), &mut model, 0),
        }
        model.check(arena);
    }
}
