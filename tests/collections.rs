//! Collections through every allocator of the crate: `Vec` to 1M elements and hashbrown maps
//! (of pool-allocated vectors), with the pools' live bytes back to zero afterwards.

mod common;

use common::scaled;
use memory_manager::allocator_api2::vec::Vec;
use memory_manager::{LocalPool, MemoryArena, MemoryPool};

#[test]
fn vec_to_a_million_through_each_allocator() {
    let n = scaled(1_000_000);
    let expected: u64 = (0..n as u64).sum();

    let arena = MemoryArena::new();
    let mut v: Vec<u64, &MemoryArena> = Vec::new_in(&arena);
    v.extend(0..n as u64);
    assert_eq!(v.iter().sum::<u64>(), expected);

    let local = LocalPool::new();
    let mut v: Vec<u64, &LocalPool> = Vec::new_in(&local);
    v.extend(0..n as u64);
    assert_eq!(v.iter().sum::<u64>(), expected);
    drop(v);
    assert_eq!(local.stats().live_bytes, 0);

    let shared = MemoryPool::new();
    let mut v: Vec<u64, &MemoryPool> = Vec::new_in(&shared);
    v.extend(0..n as u64);
    assert_eq!(v.iter().sum::<u64>(), expected);
    drop(v);
    assert_eq!(shared.stats().live_bytes, 0);
}

#[test]
fn hashmap_of_pool_vectors() {
    let pool = LocalPool::new();
    {
        let mut map = hashbrown::HashMap::new_in(&pool);
        for key in 0..scaled(2000) as u32 {
            let mut v: Vec<u32, &LocalPool> = Vec::new_in(&pool);
            v.extend(0..key % 100);
            map.insert(key, v);
        }
        for (key, v) in &map {
            assert_eq!(v.len() as u32, key % 100);
        }
        assert!(pool.stats().live_allocations > scaled(2000) / 2);
        assert_eq!(pool.validate(), Ok(()));
    }
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.stats().live_allocations, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn hashmap_in_an_arena() {
    let arena = MemoryArena::new();
    let mut map = hashbrown::HashMap::new_in(&arena);
    for i in 0..scaled(100_000) as u64 {
        map.insert(i, arena.alloc_str(&i.to_string()) as &str);
    }
    assert_eq!(map[&12], "12");
}
