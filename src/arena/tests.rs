use super::*;
use crate::alloc::Allocator;
use crate::test_support::all_bytes_are;
use crate::test_support::scaled;
use allocator_api2::vec::Vec;
use core::cell::Cell;

fn read_bytes(ptr: NonNull<u8>, len: usize) -> std::vec::Vec<u8> {
    // SAFETY: test callers pass live, initialised blocks.
    unsafe { core::slice::from_raw_parts(ptr.as_ptr(), len) }.to_vec()
}

#[test]
fn new_allocates_nothing() {
    let arena = MemoryArena::new();
    assert_eq!(
        (
            arena.capacity_bytes(),
            arena.chunk_count(),
            arena.allocated_bytes()
        ),
        (0, 0, 0)
    );
}

#[test]
fn zero_sized_layouts_get_aligned_dangling_pointers() {
    let arena = MemoryArena::new();
    for align_log in 0..20 {
        let layout = Layout::from_size_align(0, 1 << align_log).unwrap();
        let ptr = arena.try_alloc_layout(layout).unwrap();
        assert_eq!(ptr.addr().get() % layout.align(), 0);
        // SAFETY: zero-sized blocks may be "freed" too.
        unsafe { arena.deallocate(ptr, layout) };
    }
    let unit: &mut () = arena.alloc(());
    *unit = ();
    assert_eq!(arena.capacity_bytes(), 0, "ZSTs take no chunk");
}

#[test]
fn every_alignment_up_to_64k() {
    let arena = MemoryArena::new();
    for align_log in 0..=16 {
        let layout = Layout::from_size_align(3, 1 << align_log).unwrap();
        let ptr = arena.alloc_layout(layout);
        assert_eq!(
            ptr.addr().get() % layout.align(),
            0,
            "align {}",
            layout.align()
        );
    }
}

#[test]
fn newest_allocation_grows_and_shrinks_in_place() {
    let arena = MemoryArena::with_capacity(1024);
    let small = Layout::from_size_align(16, 8).unwrap();
    let big = Layout::from_size_align(256, 8).unwrap();
    let ptr = arena.alloc_layout(small);
    // SAFETY: `ptr` is a live 16-byte block.
    unsafe { ptr.as_ptr().write_bytes(7, 16) };
    // SAFETY: growing the live block with its own layout.
    let grown = unsafe { arena.grow(ptr, small, big) }.unwrap().cast::<u8>();
    assert_eq!(grown, ptr, "the newest block grows in place");
    assert_eq!(read_bytes(grown, 16), [7; 16]);
    assert_eq!(arena.allocated_bytes(), 256);
    // SAFETY: shrinking the live block back.
    let shrunk = unsafe { arena.shrink(grown, big, small) }
        .unwrap()
        .cast::<u8>();
    assert_eq!(shrunk, ptr);
    assert_eq!(arena.allocated_bytes(), 16);
    // SAFETY: it is still the newest block, so this gives its bytes back.
    unsafe { arena.deallocate(shrunk, small) };
    assert_eq!(arena.allocated_bytes(), 0);
    assert_eq!(arena.alloc_layout(small), ptr, "the bytes were given back");
}

#[test]
fn older_allocation_grows_by_copy() {
    let arena = MemoryArena::new();
    let layout = Layout::new::<[u8; 8]>();
    let first = arena.alloc([1u8; 8]) as *mut [u8; 8];
    arena.alloc(0u8);
    let bigger = Layout::new::<[u8; 32]>();
    let first = NonNull::new(first.cast::<u8>()).unwrap();
    // SAFETY: `first` is live with `layout`.
    let moved = unsafe { arena.grow(first, layout, bigger) }
        .unwrap()
        .cast::<u8>();
    assert_ne!(moved, first);
    assert_eq!(read_bytes(moved, 8), [1; 8]);
    assert_eq!(arena.allocated_bytes(), 8 + 1 + 32);
}

#[test]
fn deallocating_an_older_block_is_a_no_op() {
    let arena = MemoryArena::new();
    let a = NonNull::from(arena.alloc(1u64)).cast::<u8>();
    arena.alloc(2u64);
    // SAFETY: `a` is live with this layout.
    unsafe { arena.deallocate(a, Layout::new::<u64>()) };
    assert_eq!(arena.allocated_bytes(), 16);
}

/// Reads `len` bytes of the current chunk starting at `addr`, through the chunk's own pointer
/// (the arena's provenance), as the arena itself would.
fn current_chunk_base(arena: &MemoryArena) -> NonNull<u8> {
    // SAFETY: the current chunk is live while the arena is.
    unsafe { arena.raw.current_chunk().unwrap().as_ref() }.base
}

fn current_chunk_bytes(arena: &MemoryArena, addr: usize, len: usize) -> std::vec::Vec<u8> {
    let base = current_chunk_base(arena);
    let offset = addr - base.addr().get();
    // SAFETY: callers pass a range inside the current chunk that was written before.
    read_bytes(unsafe { base.add(offset) }, len)
}

#[test]
fn reset_keeps_the_largest_chunk_and_zeroes_it() {
    let mut arena = MemoryArena::new();
    for i in 0..scaled(100_000) {
        arena.alloc(i as u64 | 1);
    }
    let chunks = arena.chunk_count();
    assert!(chunks > 1);
    // The newest chunk is the largest (sizes double); remember how much of it was used.
    // SAFETY: the current chunk is live.
    let footer = unsafe { arena.raw.current_chunk().unwrap().as_ref() };
    let (base, largest) = (footer.base.addr().get(), footer.layout.size());
    let used = arena.raw.cursor().addr().get() - base;
    assert!(
        current_chunk_bytes(&arena, base, used)
            .iter()
            .any(|&b| b != 0)
    );
    arena.reset();
    assert_eq!(arena.chunk_count(), 1);
    assert_eq!(arena.capacity_bytes(), largest);
    assert_eq!(arena.allocated_bytes(), 0);
    assert!(
        current_chunk_bytes(&arena, base, used)
            .iter()
            .all(|&b| b == 0)
    );
}

#[test]
fn of_equal_chunks_reset_keeps_the_oldest_whose_pages_were_all_used() {
    // Blocks too large for a regular chunk get exact chunks of equal size, one each.
    let mut arena = MemoryArena::builder()
        .max_chunk_size(4096)
        .zero_on_free(false)
        .build();
    let layout = Layout::from_size_align(6000, 8).unwrap();
    let blocks: std::vec::Vec<usize> = (0..3)
        .map(|_| arena.alloc_layout(layout).addr().get())
        .collect();
    assert_eq!(arena.chunk_count(), 3);
    arena.reset();
    assert_eq!(arena.chunk_count(), 1);
    // The newest chunk is the one the last cycle may have left partly untouched; the oldest of
    // the largest was used to its end (a chunk is left behind only when a request does not fit).
    assert_eq!(arena.alloc_layout(layout).addr().get(), blocks[0]);
}

#[test]
fn reset_wipes_every_byte_handed_out() {
    let mut arena = MemoryArena::with_capacity(4096);
    let addr = arena.alloc_slice_fill_copy(1000, 0xEEu8).as_ptr().addr();
    arena.reset();
    assert!(
        current_chunk_bytes(&arena, addr, 1000)
            .iter()
            .all(|&b| b == 0)
    );
}

#[test]
fn without_zeroing_reset_leaves_bytes() {
    let mut arena = MemoryArena::builder()
        .capacity(4096)
        .zero_on_free(false)
        .build();
    let addr = arena.alloc_slice_fill_copy(100, 0xEEu8).as_ptr().addr();
    arena.reset();
    assert!(
        current_chunk_bytes(&arena, addr, 100)
            .iter()
            .all(|&b| b == 0xEE)
    );
}

#[test]
fn bytes_given_back_by_the_newest_block_are_wiped_on_reset() {
    let mut arena = MemoryArena::with_capacity(4096);
    let layout = Layout::new::<[u8; 64]>();
    let ptr = NonNull::from(arena.alloc([0xAB_u8; 64])).cast::<u8>();
    // SAFETY: `ptr` is the newest block.
    unsafe { arena.deallocate(ptr, layout) };
    assert_eq!(arena.allocated_bytes(), 0);
    // The bytes are reused, and the cursor now lies below the end of what was handed out:
    // the reset still wipes all 64.
    let reused = arena.alloc([0xCD_u8; 8]);
    assert_eq!(reused.as_ptr().addr(), ptr.addr().get());
    arena.reset();
    assert_eq!(current_chunk_bytes(&arena, ptr.addr().get(), 64), [0; 64]);
}

#[test]
fn bytes_given_back_by_shrinking_are_wiped_on_reset() {
    let mut arena = MemoryArena::with_capacity(4096);
    let addr = {
        let mut v: Vec<u8, &MemoryArena> = Vec::with_capacity_in(100, &arena);
        v.extend(core::iter::repeat_n(0xAB, 100));
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(arena.allocated_bytes(), 10);
        v.as_ptr().addr()
    };
    arena.reset();
    assert_eq!(current_chunk_bytes(&arena, addr, 100), [0; 100]);
}

#[test]
fn bytes_given_back_are_wiped_on_scope_exit() {
    let mut arena = MemoryArena::with_capacity(4096);
    arena.alloc(1u64);
    // Given back before the scope: the scope's rewind wipes them too (they were handed out).
    let before = NonNull::from(arena.alloc([0xAB_u8; 32])).cast::<u8>();
    // SAFETY: the newest block.
    unsafe { arena.deallocate(before, Layout::new::<[u8; 32]>()) };
    let inside = arena.scope(|a| {
        let block = NonNull::from(a.alloc([0xEF_u8; 64])).cast::<u8>();
        // SAFETY: the newest block.
        unsafe { a.deallocate(block, Layout::new::<[u8; 64]>()) };
        a.alloc(7u8);
        block.addr().get()
    });
    assert_eq!(inside, before.addr().get());
    assert_eq!(current_chunk_bytes(&arena, inside, 64), [0; 64]);
    assert_eq!(arena.allocated_bytes(), 8);
}

#[test]
fn bytes_given_back_in_a_retired_chunk_are_wiped_on_reset() {
    let mut arena = MemoryArena::builder().capacity(256).build();
    let block = NonNull::from(arena.alloc([0xAB_u8; 128])).cast::<u8>();
    // SAFETY: the newest block.
    unsafe { arena.deallocate(block, Layout::new::<[u8; 128]>()) };
    let first = arena.raw.current_chunk().unwrap();
    // Fill a new chunk: the first one is retired with the given-back bytes as used.
    arena.alloc([0u8; 1024]);
    assert_ne!(arena.raw.current_chunk(), Some(first));
    // SAFETY: the first chunk is still live (kept in the list).
    let used_end = unsafe { first.as_ref() }.used_end.get();
    assert_eq!(used_end.addr().get(), block.addr().get() + 128);
    arena.reset();
    // The kept chunk is the larger one; the first was wiped before it was freed, which
    // `drain_chunks` does for every chunk from `used_end`, checked above.
    assert_eq!(arena.allocated_bytes(), 0);
}

#[test]
fn scope_rewinds_and_frees_added_chunks() {
    let mut arena = MemoryArena::with_capacity(256);
    let kept = arena.alloc(5u32) as *mut u32;
    let (chunks, capacity, allocated) = (
        arena.chunk_count(),
        arena.capacity_bytes(),
        arena.allocated_bytes(),
    );
    let sum = arena.scope(|a| {
        let mut total = 0u64;
        for i in 0..scaled(10_000) as u64 {
            total += *a.alloc(i);
        }
        assert!(a.chunk_count() > chunks);
        total
    });
    assert_eq!(sum, (0..scaled(10_000) as u64).sum::<u64>());
    assert_eq!(
        (
            arena.chunk_count(),
            arena.capacity_bytes(),
            arena.allocated_bytes()
        ),
        (chunks, capacity, allocated)
    );
    // SAFETY: allocated before the scope, so untouched by the rewind.
    assert_eq!(unsafe { *kept }, 5);
}

#[test]
fn scope_rewinds_on_panic() {
    let mut arena = MemoryArena::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        arena.scope(|a| {
            a.alloc_slice_fill_copy(10_000, 1u8);
            panic!("inside the scope");
        })
    }));
    assert!(result.is_err());
    assert_eq!((arena.allocated_bytes(), arena.chunk_count()), (0, 0));
}

#[test]
fn allocation_limit_stops_growth_and_changes_nothing_else() {
    let arena = MemoryArena::builder().allocation_limit(8192).build();
    let mut count = 0usize;
    while arena.try_alloc([0u8; 100]).is_ok() {
        count += 1;
    }
    assert!(count >= 40, "{count} allocations fit under the limit");
    assert!(arena.capacity_bytes() <= 8192);
    let (allocated, capacity) = (arena.allocated_bytes(), arena.capacity_bytes());
    assert!(arena.try_alloc([0u8; 100]).is_err());
    assert!(arena.allocate(Layout::new::<[u8; 4096]>()).is_err());
    assert_eq!(
        (arena.allocated_bytes(), arena.capacity_bytes()),
        (allocated, capacity)
    );
    // Small requests can still use what is left of the current chunk.
    arena.set_allocation_limit(None);
    assert!(arena.try_alloc([0u8; 100]).is_ok());
}

#[test]
fn impossible_sizes_are_errors() {
    let arena = MemoryArena::new();
    let huge = Layout::from_size_align(isize::MAX as usize - 15, 16).unwrap();
    assert!(arena.try_alloc_layout(huge).is_err());
    assert!(arena.allocate(huge).is_err());
    let big_align = Layout::from_size_align(1, 1 << 40).unwrap();
    assert!(arena.try_alloc_layout(big_align).is_err());
    assert!(
        arena
            .try_alloc_slice_fill_copy(usize::MAX / 2, 0u64)
            .is_err()
    );
    assert_eq!(arena.capacity_bytes(), 0);
    // A grow that cannot be met leaves the block as it was.
    let ptr = NonNull::from(arena.alloc(9u64)).cast::<u8>();
    // SAFETY: `ptr` is live with this layout.
    assert!(unsafe { arena.grow(ptr, Layout::new::<u64>(), huge) }.is_err());
    // SAFETY: still live.
    assert_eq!(unsafe { *ptr.cast::<u64>().as_ptr() }, 9);
}

#[test]
fn reset_keep_chunks_reuses_every_chunk() {
    let mut arena = MemoryArena::new();
    let n = scaled(50_000);
    for i in 0..n {
        arena.alloc(i);
    }
    let capacity = arena.capacity_bytes();
    for _ in 0..3 {
        arena.reset_keep_chunks();
        for i in 0..n {
            assert_eq!(*arena.alloc(i), i);
        }
        assert_eq!(arena.capacity_bytes(), capacity);
    }
}

#[test]
fn vec_and_hashmap_through_the_arena() {
    let arena = MemoryArena::new();
    let n = scaled(100_000);
    let mut v: Vec<u64, &MemoryArena> = Vec::new_in(&arena);
    for i in 0..n as u64 {
        v.push(i);
    }
    assert_eq!(v.iter().sum::<u64>(), (0..n as u64).sum());
    let mut m = hashbrown::HashMap::new_in(&arena);
    for i in 0..n as u64 {
        m.insert(i, i * 2);
    }
    assert!((0..n as u64).all(|i| m[&i] == i * 2));
}

#[test]
fn debug_shows_chunks_capacity_and_use() {
    let arena = MemoryArena::with_capacity(100);
    arena.alloc(1u32);
    let text = std::format!("{arena:?}");
    assert!(text.contains("chunks: 1"), "{text}");
    assert!(text.contains("allocated_bytes: 4"), "{text}");
}

#[test]
fn arena_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<MemoryArena>();
}

/// Counts its clones and drops, to see that each happens exactly as often as it should.
struct Counted<'a> {
    clones: &'a Cell<usize>,
    drops: &'a Cell<usize>,
}

impl<'a> Counted<'a> {
    fn new(clones: &'a Cell<usize>, drops: &'a Cell<usize>) -> Self {
        Self { clones, drops }
    }
}

impl Clone for Counted<'_> {
    fn clone(&self) -> Self {
        self.clones.set(self.clones.get() + 1);
        Self { ..*self }
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn alloc_slice_clone_clones_each_value_once() {
    let (clones, drops) = (Cell::new(0), Cell::new(0));
    let arena = MemoryArena::new();
    let originals: std::vec::Vec<Counted<'_>> =
        (0..5).map(|_| Counted::new(&clones, &drops)).collect();
    let copies = arena.alloc_slice_clone(&originals);
    assert_eq!((copies.len(), clones.get(), drops.get()), (5, 5, 0));
    assert_eq!(arena.allocated_bytes(), core::mem::size_of_val(copies));
    drop(originals);
    assert_eq!(drops.get(), 5, "only the originals are dropped");
}

/// An iterator whose `len` promises more (or fewer) values than it has.
struct Lying {
    promised: usize,
    left: usize,
}

impl Iterator for Lying {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        self.left = self.left.checked_sub(1)?;
        Some(7)
    }
}

impl ExactSizeIterator for Lying {
    fn len(&self) -> usize {
        self.promised
    }
}

#[test]
fn alloc_slice_fill_iter_takes_exactly_len_values() {
    let arena = MemoryArena::new();
    assert_eq!(arena.alloc_slice_fill_iter([1u8, 2, 3]), &[1, 2, 3]);
    // A longer iterator than promised: the slice has the promised length, the rest is unused.
    let mut long = Lying {
        promised: 2,
        left: 10,
    };
    assert_eq!(arena.alloc_slice_fill_iter(&mut long), &[7, 7]);
    assert_eq!(
        long.left, 8,
        "values past the promised length are not asked for"
    );
}

#[test]
fn a_short_iterator_panics_instead_of_leaving_values_uninitialised() {
    let arena = MemoryArena::new();
    let before = arena.alloc(1u64) as *mut u64;
    let outcome = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
        arena.alloc_slice_fill_iter(Lying {
            promised: 4,
            left: 2,
        });
    }));
    let message = outcome.unwrap_err();
    assert!(
        message
            .downcast_ref::<std::string::String>()
            .is_some_and(|m| m.contains("fewer values")),
        "unexpected panic"
    );
    // Nothing else was damaged, and the arena keeps working.
    // SAFETY: `before` is a live allocation of the arena.
    assert_eq!(unsafe { *before }, 1);
    assert_eq!(arena.alloc_slice_fill_iter([4u64, 5]), &[4, 5]);
}

#[test]
fn try_alloc_slice_fill_iter_refuses_without_touching_the_iterator() {
    let arena = MemoryArena::builder().allocation_limit(4096).build();
    let mut values = 0..1_000_000usize;
    assert!(arena.try_alloc_slice_fill_iter(&mut values).is_err());
    assert_eq!(values.start, 0, "no value was taken");
    assert_eq!((arena.allocated_bytes(), arena.capacity_bytes()), (0, 0));
    assert!(arena.try_alloc_slice_clone(&[0u64; 1024]).is_err());
    assert!(arena.try_alloc_slice_fill_iter(0..8usize).is_ok());
}

#[test]
fn boxed_values_are_dropped_once_and_the_newest_gives_its_bytes_back() {
    use allocator_api2::boxed::Box;
    let (clones, drops) = (Cell::new(0), Cell::new(0));
    let arena = MemoryArena::new();
    let first = Box::new_in(Counted::new(&clones, &drops), &arena);
    let used = arena.allocated_bytes();
    let second = Box::new_in(Counted::new(&clones, &drops), &arena);
    drop(second);
    assert_eq!(drops.get(), 1);
    assert_eq!(
        arena.allocated_bytes(),
        used,
        "the newest box gave its bytes back"
    );
    drop(first);
    assert_eq!((drops.get(), arena.allocated_bytes()), (2, 0));
    // Values moved in with `alloc` are never dropped.
    arena.alloc(Counted::new(&clones, &drops));
    assert_eq!(drops.get(), 2);
}

/// What a program does to the newest live block, or a fresh one.
#[derive(Clone, Debug)]
enum WipeOp {
    Alloc { size: usize, align_log: u32 },
    Deallocate,
    Shrink { to_percent: usize },
    Grow { extra: usize },
}

fn wipe_op() -> impl proptest::strategy::Strategy<Value = WipeOp> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (1usize..256, 0u32..6).prop_map(|(size, align_log)| WipeOp::Alloc { size, align_log }),
        1 => Just(WipeOp::Deallocate),
        1 => (0usize..100).prop_map(|to_percent| WipeOp::Shrink { to_percent }),
        1 => (1usize..256).prop_map(|extra| WipeOp::Grow { extra }),
    ]
}

/// Runs `program` on `arena`, writing a non-zero byte into every byte handed out, and returns
/// the highest address any block reached (0 if none).
fn run_wipe_program(arena: &MemoryArena, program: &[WipeOp]) -> usize {
    let mut live: std::vec::Vec<(NonNull<u8>, Layout)> = std::vec::Vec::new();
    let mut highest = 0;
    let touch = |ptr: NonNull<u8>, len: usize, highest: &mut usize| {
        // SAFETY: `ptr` is a block of at least `len` writable bytes just handed out.
        unsafe { ptr.as_ptr().write_bytes(0x5A, len) };
        *highest = (*highest).max(ptr.addr().get() + len);
    };
    for op in program {
        match *op {
            WipeOp::Alloc { size, align_log } => {
                let layout = Layout::from_size_align(size, 1 << align_log).unwrap();
                let ptr = arena.allocate(layout).unwrap().cast::<u8>();
                touch(ptr, size, &mut highest);
                live.push((ptr, layout));
            }
            WipeOp::Deallocate => {
                if let Some((ptr, layout)) = live.pop() {
                    // SAFETY: a live block with its own layout.
                    unsafe { arena.deallocate(ptr, layout) };
                }
            }
            WipeOp::Shrink { to_percent } => {
                if let Some((ptr, layout)) = live.pop() {
                    let smaller =
                        Layout::from_size_align(layout.size() * to_percent / 100, layout.align())
                            .unwrap();
                    // SAFETY: a live block with its own layout; the new one is no larger.
                    let shrunk = unsafe { arena.shrink(ptr, layout, smaller) }
                        .unwrap()
                        .cast::<u8>();
                    live.push((shrunk, smaller));
                }
            }
            WipeOp::Grow { extra } => {
                if let Some((ptr, layout)) = live.pop() {
                    let larger =
                        Layout::from_size_align(layout.size() + extra, layout.align()).unwrap();
                    // SAFETY: a live block with its own layout; the new one is no smaller.
                    let grown = unsafe { arena.grow(ptr, layout, larger) }
                        .unwrap()
                        .cast::<u8>();
                    touch(grown, larger.size(), &mut highest);
                    live.push((grown, larger));
                }
            }
        }
    }
    highest
}

proptest::proptest! {
    #![proptest_config(crate::test_support::proptest_config(64))]

    /// Whatever was given back and reused in between, `scope` exit and `reset` leave zeros in
    /// every byte a block ever reached (one chunk: the programs fit in the first).
    #[test]
    fn everything_handed_out_is_wiped_on_scope_exit_and_reset(
        before in proptest::collection::vec(wipe_op(), 0..24),
        inside in proptest::collection::vec(wipe_op(), 0..24),
    ) {
        let mut arena = MemoryArena::with_capacity(1 << 16);
        let base = current_chunk_base(&arena).addr().get();
        let highest_before = run_wipe_program(&arena, &before).max(base);
        let checkpoint = arena.raw.cursor().addr().get();
        let highest_inside = arena.scope(|a| run_wipe_program(a, &inside));
        proptest::prop_assert_eq!(arena.chunk_count(), 1);
        if highest_inside > checkpoint {
            let wiped = current_chunk_bytes(&arena, checkpoint, highest_inside - checkpoint);
            proptest::prop_assert!(all_bytes_are(&wiped, 0), "after the scope: {wiped:?}");
        }
        let highest = highest_before.max(highest_inside);
        arena.reset();
        let wiped = current_chunk_bytes(&arena, base, highest - base);
        proptest::prop_assert!(all_bytes_are(&wiped, 0), "after reset: {wiped:?}");
    }
}
