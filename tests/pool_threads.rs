//! Threaded stress on one `MemoryPool`: every thread allocates and frees random sizes with
//! content checks, and hands some blocks to its neighbour to free (cross-thread frees).

mod common;

use common::all_bytes_are;
use common::pool_threads::{Parcel, assert_all_freed};
use memory_manager::MemoryPool;
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use std::sync::Mutex;

const THREADS: usize = if cfg!(miri) { 4 } else { 8 };

#[test]
fn eight_threads_alloc_free_and_trade_blocks() {
    let pool = MemoryPool::new();
    let mailboxes: Vec<Mutex<Vec<Parcel>>> = (0..THREADS).map(|_| Mutex::new(Vec::new())).collect();
    // Under Miri every byte checked costs microseconds: fewer steps, smaller blocks.
    let ops: usize = if cfg!(miri) { 120 } else { 100_000 };
    let (small, big) = if cfg!(miri) {
        (256, 4096)
    } else {
        (2000, 100_000)
    };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, mailboxes) = (&pool, &mailboxes);
            s.spawn(move || {
                let mut rng =
                    0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
                let mut live: Vec<Parcel> = Vec::new();
                for i in 0..ops {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    if live.len() < 64 && !rng.is_multiple_of(3) {
                        let size = 1
                            + (rng >> 8) as usize
                                % if rng.is_multiple_of(50) { big } else { small };
                        let layout = Layout::from_size_align(size, 1 << ((rng >> 40) % 7)).unwrap();
                        let ptr = pool.allocate(layout).unwrap().cast::<u8>();
                        // SAFETY: fresh block of `size` bytes; it must read zero first.
                        let bytes = unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), size) };
                        assert!(all_bytes_are(bytes, 0), "fresh block not zero");
                        let fill = (i as u8) | 1;
                        bytes.fill(fill);
                        live.push(Parcel(ptr, layout, fill));
                    } else if let Some(parcel) = live.pop() {
                        parcel.check();
                        if rng.is_multiple_of(4) {
                            mailboxes[(t + 1) % THREADS].lock().unwrap().push(parcel);
                        } else {
                            // SAFETY: live with its layout.
                            unsafe { pool.deallocate(parcel.0, parcel.1) };
                        }
                    }
                    if i.is_multiple_of(64) {
                        for parcel in mailboxes[t].lock().unwrap().drain(..) {
                            parcel.release(pool);
                        }
                    }
                }
                for parcel in live {
                    parcel.release(pool);
                }
            });
        }
    });
    for mailbox in &mailboxes {
        for parcel in mailbox.lock().unwrap().drain(..) {
            parcel.release(&pool);
        }
    }
    assert_all_freed(&pool);
    // The threads' caches come back in their thread-local destructors, which may still be
    // running when `scope` returns; `trim` empties each as soon as it is ownerless.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        pool.trim();
        let stats = pool.stats();
        if stats.reserved_bytes == 0 {
            assert_eq!(stats.cached_blocks, 0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "memory still held after every thread exited: {stats:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn threads_share_collections_through_the_pool() {
    let pool = MemoryPool::new();
    let n = if cfg!(miri) { 300 } else { 50_000 };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let pool = &pool;
            s.spawn(move || {
                let mut map = hashbrown::HashMap::new_in(pool);
                for i in 0..n as u64 {
                    map.insert(i, i ^ t as u64);
                }
                assert!((0..n as u64).all(|i| map[&i] == i ^ t as u64));
            });
        }
    });
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn threads_under_a_tight_limit_trim_without_deadlock_or_damage() {
    // Each thread cycles batches of its own size class: together they want more than the
    // limit, so allocations that would cross it make the pool trim (from inside `allocate`,
    // while other threads allocate and free) before refusing.
    // (Under Miri, four threads of 64-512 B classes: three 64 KiB slabs for four classes.)
    const LIMIT: usize = if cfg!(miri) { 192 << 10 } else { 2 << 20 };
    let pool = MemoryPool::builder().max_bytes(LIMIT).build();
    let (rounds, batch) = if cfg!(miri) { (3, 40) } else { (200, 400) };
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, refused) = (&pool, &refused);
            s.spawn(move || {
                let layout = Layout::from_size_align(64 << (t % 7), 8).unwrap();
                for round in 0..rounds {
                    let fill = (round as u8) | 1;
                    let mut live = Vec::new();
                    for _ in 0..batch {
                        match pool.allocate(layout) {
                            Ok(block) => {
                                let ptr = block.cast::<u8>();
                                // SAFETY: a fresh block of `layout.size()` bytes.
                                let bytes = unsafe {
                                    std::slice::from_raw_parts_mut(ptr.as_ptr(), layout.size())
                                };
                                assert!(all_bytes_are(bytes, 0), "fresh block not zero");
                                bytes.fill(fill);
                                live.push(Parcel(ptr, layout, fill));
                            }
                            Err(_) => {
                                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                    assert!(pool.stats().reserved_bytes <= LIMIT);
                    for parcel in live {
                        parcel.release(pool);
                    }
                }
            });
        }
    });
    assert_all_freed(&pool);
    assert!(pool.stats().reserved_bytes <= LIMIT);
    // Some requests may be refused (other threads' caches are theirs to give back), but the
    // limit never made the pool useless: most went through.
    let refused = refused.into_inner();
    assert!(
        refused < THREADS * rounds * batch / 2,
        "{refused} of {} refused",
        THREADS * rounds * batch
    );
}
