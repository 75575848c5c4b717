//! `SharedArena` under threads: concurrent model checks (contents after join, exact byte
//! counts, one limit for all threads), collections built concurrently, cross-thread frees.

mod common;

use common::all_bytes_are;
use common::scaled;
use memory_manager::SharedArena;
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::allocator_api2::vec::Vec;

const THREADS: usize = if cfg!(miri) { 3 } else { 6 };

/// A block written by one thread: where, how big, and its fill byte.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Written(std::ptr::NonNull<u8>, usize, u8);
// SAFETY: the block is arena memory, valid until reset; each is written by one thread and only
// read after that thread was joined.
unsafe impl Send for Written {}

/// Runs `work(t)` for `t` in `0..count`, each on a thread of its own, all at once, and returns
/// what each returned, in order of `t`.
fn on_threads<R: Send>(count: usize, work: impl Fn(usize) -> R + Sync) -> std::vec::Vec<R> {
    std::thread::scope(|s| {
        let work = &work;
        let workers: std::vec::Vec<_> = (0..count).map(|t| s.spawn(move || work(t))).collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    })
}

/// Thread `t`'s part of a model test: `count` blocks of random layouts from `alloc`, each
/// checked for alignment and filled with a byte of its own.
fn write_random_blocks(
    t: usize,
    count: usize,
    alloc: impl Fn(Layout) -> std::ptr::NonNull<u8>,
) -> std::vec::Vec<Written> {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
    let mut mine = std::vec::Vec::with_capacity(count);
    for i in 0..count {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let size = (rng % 300) as usize + 1;
        let align = 1usize << ((rng >> 20) % 7);
        let layout = Layout::from_size_align(size, align).unwrap();
        let ptr = alloc(layout);
        assert_eq!(ptr.as_ptr().addr() % align, 0);
        let fill = (i as u8) ^ (t as u8) | 1;
        // SAFETY: a fresh block of `size` bytes.
        unsafe { ptr.as_ptr().write_bytes(fill, size) };
        mine.push(Written(ptr, size, fill));
    }
    mine
}

/// After the join: no two blocks overlap, each kept its contents, and the arena counts
/// `extra` bytes besides them; then a reset empties it.
fn check_blocks(
    arena: &mut SharedArena,
    blocks: std::vec::Vec<std::vec::Vec<Written>>,
    extra: usize,
) {
    let mut all: std::vec::Vec<Written> = blocks.into_iter().flatten().collect();
    all.sort_unstable();
    for pair in all.windows(2) {
        assert!(
            pair[0].0.as_ptr().addr() + pair[0].1 <= pair[1].0.as_ptr().addr(),
            "blocks overlap"
        );
    }
    let total: usize = all.iter().map(|b| b.1).sum::<usize>() + extra;
    assert_eq!(arena.allocated_bytes(), total, "exact after the join");
    assert!(arena.capacity_bytes() >= total);
    for &Written(ptr, size, fill) in &all {
        // SAFETY: the arena keeps the memory until `reset`, and nothing else writes it.
        let bytes = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), size) };
        assert!(
            all_bytes_are(bytes, fill),
            "block {ptr:p} lost its contents"
        );
    }
    arena.reset();
    assert_eq!(arena.allocated_bytes(), 0);
}

#[test]
fn threads_allocate_random_layouts_and_everything_survives_until_reset() {
    let mut arena = SharedArena::builder().first_chunk_size(1024).build();
    let per_thread = scaled(20_000);
    let blocks = on_threads(THREADS, |t| {
        write_random_blocks(t, per_thread, |layout| {
            arena.try_alloc_layout(layout).unwrap()
        })
    });
    // A thread that finished before another started hands its lane over: at most one a thread.
    assert!((1..=THREADS).contains(&arena.lane_count()));
    check_blocks(&mut arena, blocks, 0);
}

#[test]
fn collections_built_concurrently() {
    let arena = SharedArena::new();
    let n = scaled(100_000) as u64;
    std::thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let arena = &arena;
            s.spawn(move || {
                let mut v: Vec<u64, &SharedArena> = Vec::new_in(arena);
                v.extend((0..n).map(|i| i * t));
                let mut m = hashbrown::HashMap::new_in(arena);
                for i in 0..n / 10 {
                    m.insert(i, arena.alloc_str("value") as &str);
                }
                assert_eq!(v.iter().sum::<u64>(), t * n * (n - 1) / 2);
                assert_eq!(m.len() as u64, n / 10);
            });
        }
    });
    assert!(arena.allocated_bytes() >= THREADS * n as usize * 8);
}

#[test]
fn one_limit_caps_every_thread() {
    let limit = 256 * 1024;
    let arena = SharedArena::builder()
        .allocation_limit(limit)
        .first_chunk_size(4096)
        .build();
    let refused: usize = on_threads(THREADS, |_| {
        (0..400)
            .filter(|_| arena.try_alloc([0u8; 1000]).is_err())
            .count()
    })
    .into_iter()
    .sum();
    assert!(
        refused > 0,
        "{THREADS} threads × 400 KB cannot fit in 256 KiB"
    );
    assert!(
        arena.capacity_bytes() <= limit,
        "{} > {limit}",
        arena.capacity_bytes()
    );
    arena.set_allocation_limit(None);
    assert!(arena.try_alloc([0u8; 1000]).is_ok());
}

#[test]
fn blocks_freed_or_grown_on_another_thread_are_left_alone() {
    let arena = SharedArena::new();
    let layout = Layout::new::<[u64; 4]>();
    let block = arena.allocate(layout).unwrap().cast::<u8>();
    // SAFETY: 32 writable bytes.
    unsafe { block.as_ptr().write_bytes(9, 32) };
    let sent = Written(block, 32, 9);
    let shared = &arena; // the closure below moves, so it must take a reference
    std::thread::scope(|s| {
        s.spawn(move || {
            let sent = sent; // the whole struct crosses the thread, not just its pointer
            let block = sent.0;
            // Another thread's lane does not own it: growing copies, freeing is a no-op.
            // SAFETY: the block is live with `layout`.
            let grown = unsafe { shared.grow(block, layout, Layout::new::<[u64; 8]>()) }.unwrap();
            // SAFETY: the grown block has 64 bytes, the first 32 copied.
            let bytes = unsafe { grown.as_ref() };
            assert!(all_bytes_are(&bytes[..32], 9));
        });
    });
    // The original is still there, untouched.
    // SAFETY: arena memory lives until reset.
    let original = unsafe { std::slice::from_raw_parts(block.as_ptr(), 32) };
    assert!(all_bytes_are(original, 9));
}

#[test]
fn lanes_of_exited_threads_are_adopted() {
    let mut arena = SharedArena::new();
    for round in 0..if cfg!(miri) { 3 } else { 20 } {
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| arena.alloc_slice_copy(&[round as u8; 1000]).len());
            }
        });
        arena.reset();
    }
    // Forty threads came and went; their lanes were reused, not piled up. (A thread hands its
    // lane back in its thread-local destructor, which may still be running when `scope`
    // returns, so a round may start a lane or two before the last round's are free.)
    assert!(arena.lane_count() <= 6, "{} lanes", arena.lane_count());
}

/// `reset` keeps each lane's largest chunk for whichever thread allocates next, even a thread
/// that needs a new lane because the lane's old owner is still alive (as happens when a new
/// batch of threads starts before the last one's exit hooks ran).
#[test]
fn a_new_lane_adopts_the_chunk_reset_kept() {
    let mut arena = std::sync::Arc::new(SharedArena::builder().zero_on_free(true).build());
    let (filled_tx, filled_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let shared = std::sync::Arc::clone(&arena);
    let owner = std::thread::spawn(move || {
        // Enough to grow the lane past its first chunks.
        for _ in 0..scaled(200) {
            shared.alloc_slice_copy(&[7u8; 1000]);
        }
        drop(shared);
        filled_tx.send(()).unwrap();
        // Alive, so its lane stays its own until it exits.
        done_rx.recv().unwrap();
    });
    filled_rx.recv().unwrap();
    let arena_mut = std::sync::Arc::get_mut(&mut arena).expect("the owner dropped its handle");
    arena_mut.reset();
    let (chunks, capacity) = (arena_mut.chunk_count(), arena_mut.capacity_bytes());
    assert_eq!(chunks, 1, "reset keeps the lane's largest chunk");

    let arena_ref = &*arena;
    let adopted = std::thread::scope(|s| {
        s.spawn(|| {
            let bytes = arena_ref.alloc_slice_copy(&[1u8; 100]);
            assert_eq!(arena_ref.alloc_slice_copy(&[2u8; 1000])[999], 2);
            bytes.len()
        })
        .join()
        .unwrap()
    });
    assert_eq!(adopted, 100);
    assert_eq!(arena.lane_count(), 2, "the owner still holds its lane");
    assert_eq!(
        (arena.chunk_count(), arena.capacity_bytes()),
        (chunks, capacity),
        "the new lane took the kept chunk instead of allocating its own"
    );
    assert_eq!(arena.allocated_bytes(), 1100);
    done_tx.send(()).unwrap();
    owner.join().unwrap();
}

/// One thread across many resets: its lane gives its chunk up at each reset and adopts it
/// back at its next allocation, so once a round fits in the kept chunk (the chunks grow
/// geometrically in the first rounds), nothing is allocated again.
#[test]
fn a_thread_that_stays_reuses_its_chunk_across_resets() {
    let mut arena = SharedArena::new();
    let mut rounds = std::vec::Vec::new();
    for _ in 0..6 {
        for _ in 0..scaled(100) {
            arena.alloc_slice_copy(&[3u8; 1000]);
        }
        assert_eq!(arena.allocated_bytes(), scaled(100) * 1000);
        rounds.push((arena.chunk_count(), arena.capacity_bytes()));
        arena.reset();
        assert_eq!(arena.allocated_bytes(), 0);
        assert_eq!(arena.chunk_count(), 1, "reset keeps one chunk");
    }
    assert!(
        rounds[2..]
            .iter()
            .all(|&round| round == rounds[2] && round.0 == 1),
        "later rounds allocated chunks again: {rounds:?}"
    );
}

/// Not `Copy`, so `alloc_slice_clone` really clones.
#[derive(Clone, Debug, PartialEq)]
struct Id(u64);

/// What one thread put in the arena with each constructor, to be checked after the join.
type Made<'a> = (
    &'a mut [u64; 4],
    &'a mut [u64],
    &'a mut [u64],
    &'a mut [Id],
    &'a mut [usize],
    &'a mut str,
    &'a mut [u32],
    &'a mut str,
);

#[test]
fn threads_use_every_constructor_and_the_bytes_add_up() {
    let rounds = scaled(200);
    let arena = SharedArena::builder().zero_on_free(false).build();
    let made: std::vec::Vec<std::vec::Vec<Made<'_>>> = on_threads(4, |t| {
        let t = t as u64;
        (0..rounds)
            .map(|_| {
                let layout = Layout::from_size_align(64, 8).unwrap();
                // SAFETY: a fresh block of 64 writable bytes.
                unsafe { arena.alloc_layout(layout).as_ptr().write_bytes(0xAB, 64) };
                (
                    arena.alloc_with(|| [t; 4]),
                    arena.alloc_slice_fill_copy(3, t),
                    arena.alloc_slice_fill_with(5, |i| t * 10 + i as u64),
                    arena.alloc_slice_clone(&[Id(t), Id(t + 1)]),
                    arena.alloc_slice_fill_iter((0..4).map(|i| i + t as usize)),
                    arena.try_alloc_str(&format!("t{t:07}")).unwrap(),
                    arena.try_alloc_slice_copy(&[t as u32; 2]).unwrap(),
                    arena.alloc_fmt(format_args!("f{t:07}")),
                )
            })
            .collect()
    });
    for (t, rounds_made) in made.iter().enumerate() {
        let t = t as u64;
        for (with, fill, fill_with, clones, from_iter, text, copies, formatted) in rounds_made {
            assert_eq!(**with, [t; 4]);
            assert_eq!(**fill, [t; 3]);
            assert_eq!(**fill_with, [0, 1, 2, 3, 4].map(|i| t * 10 + i));
            assert_eq!(**clones, [Id(t), Id(t + 1)]);
            assert_eq!(**from_iter, [0, 1, 2, 3].map(|i| i + t as usize));
            assert_eq!(&**text, format!("t{t:07}"));
            assert_eq!(**copies, [t as u32; 2]);
            assert_eq!(&**formatted, format!("f{t:07}"));
        }
    }
    // Every size above is a multiple of its alignment and the lanes start aligned: no padding.
    // (The formatted text is exactly sized: its spare capacity was given back.)
    let per_round = 64 + 32 + 24 + 40 + 16 + 32 + 8 + 8 + 8;
    assert_eq!(arena.allocated_bytes(), 4 * rounds * per_round);
}

/// Drives every `try_` constructor of `$lane` (the arena itself, or a handle on it) past the
/// 8 KiB limit of `$arena`, and checks that each refuses and nothing changed; the value kept
/// from before is intact and a small request still succeeds. A macro, since `SharedArena` and
/// `LocalArena` share the methods but no trait.
macro_rules! every_try_form_refuses {
    ($arena:expr, $lane:expr) => {{
        let (arena, lane) = ($arena, $lane);
        let kept = lane.alloc_slice_fill_copy(16, 0x5Au8);
        let (used, capacity) = (arena.allocated_bytes(), arena.capacity_bytes());
        let big = 64 * 1024;
        let text = "x".repeat(big);
        assert!(lane.try_alloc([0u8; 65536]).is_err());
        assert!(lane.try_alloc_str(&text).is_err());
        assert!(lane.try_alloc_fmt(format_args!("{text}")).is_err());
        assert!(lane.try_alloc_slice_copy(text.as_bytes()).is_err());
        assert!(lane.try_alloc_slice_fill_copy(big, 1u8).is_err());
        assert!(lane.try_alloc_slice_fill_with(big, |i| i as u8).is_err());
        assert!(lane.try_alloc_slice_clone(text.as_bytes()).is_err());
        let mut values = text.bytes();
        assert!(lane.try_alloc_slice_fill_iter(&mut values).is_err());
        assert_eq!(values.len(), big, "the iterator was not touched");
        assert!(lane.try_alloc_slice_fill_copy(usize::MAX, 0u64).is_err()); // size overflow
        let huge = Layout::from_size_align(isize::MAX as usize - 4095, 4096).unwrap();
        assert!(lane.try_alloc_layout(huge).is_err());
        assert!(lane.allocate(huge).is_err());
        assert_eq!(
            (arena.allocated_bytes(), arena.capacity_bytes()),
            (used, capacity)
        );
        assert_eq!(*kept, [0x5A; 16]);
        assert!(lane.try_alloc_slice_fill_copy(16, 1u8).is_ok());
    }};
}

/// An arena whose limit the `try_` tests run into.
fn limited() -> SharedArena {
    SharedArena::builder()
        .allocation_limit(8192)
        .first_chunk_size(4096)
        .build()
}

#[test]
fn every_try_form_refuses_past_the_limit_and_changes_nothing() {
    let arena = limited();
    every_try_form_refuses!(&arena, &arena);
}

// ----- `LocalArena`: a handle on the calling thread's lane ---------------------------------

#[test]
fn handles_allocate_in_their_threads_lane_beside_plain_alloc() {
    let mut arena = SharedArena::builder().first_chunk_size(1024).build();
    let per_thread = scaled(20_000);
    let blocks = on_threads(THREADS, |t| {
        let local = arena.local();
        // The handle and `SharedArena::alloc` bump the same lane: back to back.
        let first: *const u64 = local.alloc(1u64);
        let second: *const u64 = arena.alloc(2u64);
        assert_eq!(second.addr(), first.addr() + 8);
        write_random_blocks(t, per_thread, |layout| {
            local.try_alloc_layout(layout).unwrap()
        })
    });
    check_blocks(&mut arena, blocks, THREADS * 16);
}

#[test]
fn a_vec_grows_in_place_through_a_handle_and_outlives_it() {
    let n = scaled(100_000) as u64;
    // Room for the largest capacity (below 2n) in the thread's first chunk.
    let arena = SharedArena::builder()
        .first_chunk_size(16 * n as usize + 4096)
        .build();
    let kept: &[u64] = std::thread::scope(|s| {
        s.spawn(|| {
            let local = arena.local();
            let mut v: Vec<u64, &memory_manager::LocalArena<'_>> = Vec::new_in(&local);
            v.push(0);
            let start = v.as_ptr();
            for i in 1..n {
                v.push(i);
            }
            // Nothing else was allocated and the chunk had room: every growth was in place.
            assert_eq!(v.as_ptr(), start);
            let copy = local.alloc_slice_copy(&v);
            drop(v);
            drop(local);
            // Allocations outlive the handle: they belong to the arena.
            &*copy
        })
        .join()
        .unwrap()
    });
    assert!(kept.iter().copied().eq(0..n));
}

/// Joins a thread that took a handle and then `ends` it (drops or forgets it), and reports
/// how many lanes the arena has once a second thread has allocated after it.
fn lanes_after_a_handle_that_was(ends: fn(memory_manager::LocalArena<'_>)) -> usize {
    let arena = SharedArena::new();
    std::thread::scope(|s| {
        // `join` waits for the thread's thread-local destructors, which hand its lanes back.
        s.spawn(|| {
            let local = arena.local();
            local.alloc(1u8);
            let copy = local.clone();
            drop(local);
            ends(copy);
        })
        .join()
        .unwrap();
        s.spawn(|| arena.alloc(2u8)).join().unwrap();
    });
    assert_eq!(arena.allocated_bytes(), 2);
    arena.lane_count()
}

#[test]
fn a_lane_is_handed_over_only_once_every_handle_on_it_is_gone() {
    // Dropped handles: the exiting thread hands its lane to the next thread.
    assert_eq!(lanes_after_a_handle_that_was(|local| drop(local)), 1);
    // A handle still alive at exit (forgotten here; kept in another thread-local, in
    // practice) keeps the lane its thread's: the next thread gets a lane of its own, so
    // the two can never bump in the same one.
    assert_eq!(
        lanes_after_a_handle_that_was(|local| std::mem::forget(local)),
        2
    );
}

#[test]
fn a_handle_leaves_blocks_of_other_lanes_alone() {
    let arena = SharedArena::new();
    let layout = Layout::new::<[u64; 4]>();
    let block = arena.local().allocate(layout).unwrap().cast::<u8>();
    // SAFETY: 32 writable bytes.
    unsafe { block.as_ptr().write_bytes(7, 32) };
    let sent = Written(block, 32, 7);
    let shared = &arena;
    std::thread::scope(|s| {
        s.spawn(move || {
            let sent = sent;
            let local = shared.local();
            let mine = local.alloc(0u64) as *mut u64;
            // SAFETY: the block is live with `layout`; this lane does not own it.
            let grown = unsafe { local.grow(sent.0, layout, Layout::new::<[u64; 8]>()) }.unwrap();
            // SAFETY: 64 bytes, the first 32 copied.
            assert!(all_bytes_are(&unsafe { grown.as_ref() }[..32], 7));
            // SAFETY: as above; freeing another lane's block is a no-op.
            unsafe { local.deallocate(sent.0, layout) };
            // The lane's own newest block is untouched, and the next allocation follows the copy.
            // SAFETY: `mine` is a live allocation of this lane.
            assert_eq!(unsafe { *mine }, 0);
        });
    });
    // SAFETY: arena memory lives until reset.
    let original = unsafe { std::slice::from_raw_parts(block.as_ptr(), 32) };
    assert!(all_bytes_are(original, 7));
}

#[test]
fn every_try_form_of_a_handle_refuses_past_the_limit_and_changes_nothing() {
    let arena = limited();
    let local = arena.local();
    every_try_form_refuses!(&arena, &local);
    // Every panicking form works within the limit.
    assert_eq!(*local.alloc_with(|| 3u16), 3);
    assert_eq!(local.alloc_str("ok"), "ok");
    assert_eq!(local.alloc_fmt(format_args!("{}k", 'o')), "ok");
    assert_eq!(local.alloc_slice_fill_with(2, |i| i as u8), [0, 1]);
    assert_eq!(local.alloc_slice_clone(&[4u8]), [4]);
    assert_eq!(local.alloc_slice_fill_iter([5u8, 6]), [5, 6]);
    assert_eq!(
        local.alloc_layout(Layout::new::<u32>()).as_ptr().addr() % 4,
        0
    );
    assert!(format!("{local:?}").contains("LocalArena"));
}
