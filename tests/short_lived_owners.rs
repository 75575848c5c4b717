//! A long-lived thread that meets many short-lived pools and shared arenas keeps no memory for
//! the ones that are gone: each thread remembers its caches and lanes (to hand them back when it
//! exits), and forgets those of dropped owners the next time it meets a new one.

use memory_manager::allocator_api2::boxed::Box;
use memory_manager::{MemoryPool, SharedArena};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes it has out.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to `System`, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) };
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// One pool and one shared arena, used once on this thread and dropped.
fn meet_and_drop() {
    let pool = MemoryPool::new();
    drop(Box::new_in(7u64, &pool));
    let arena = SharedArena::new();
    assert_eq!(*arena.alloc(7u8), 7);
}

#[test]
fn thread_locals_forget_dropped_pools_and_arenas() {
    meet_and_drop();
    let before = LIVE.load(Ordering::Relaxed);
    let rounds = if cfg!(miri) { 20 } else { 2000 };
    for _ in 0..rounds {
        meet_and_drop();
    }
    let kept = LIVE.load(Ordering::Relaxed) - before;
    // Remembering one dropped owner costs about a hundred bytes; a few hundred bytes of slack
    // cover what the standard library itself may keep.
    assert!(
        kept < 1024,
        "{kept} bytes kept after {rounds} pools and arenas came and went"
    );
}
