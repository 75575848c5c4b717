//! With the `nightly` feature, our allocators implement `core::alloc::Allocator`, so std's own
//! collections allocate through them.
#![feature(allocator_api)]

use memory_manager::{LocalPool, MemoryArena};

#[test]
fn std_collections_through_our_allocators() {
    let arena = MemoryArena::new();
    let mut v: Vec<u32, &MemoryArena> = Vec::new_in(&arena);
    v.extend(0..1000);
    assert_eq!(v.iter().sum::<u32>(), 499_500);

    let pool = LocalPool::new();
    let boxed: Box<[u8; 64], &LocalPool> = Box::new_in([7; 64], &pool);
    assert_eq!(boxed[63], 7);
    assert_eq!(pool.stats().live_bytes, 64);
    drop(boxed);
    assert_eq!(pool.stats().live_bytes, 0);
}
