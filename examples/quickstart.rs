//! The seed library's Quick Start, in Rust: a pool with capacity, a zeroed 1024-byte buffer
//! shared by two owners, an arena whose allocations are freed at once, an out-of-memory handler
//! set off by a pool with a byte limit, and the pool's own integrity check and diagnostics.
//!
//! `cargo run --release --example quickstart`

use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::allocator_api2::vec::Vec;
use memory_manager::{LocalPool, MemoryArena, MemoryPointer, MemoryPool, set_oom_handler};
use std::sync::atomic::{AtomicUsize, Ordering};

static OOM_REPORTS: AtomicUsize = AtomicUsize::new(0);

/// The seed's `my_oom_handler`: report, and let the caller degrade gracefully.
fn my_oom_handler(layout: Layout) {
    OOM_REPORTS.fetch_add(1, Ordering::Relaxed);
    println!(
        "   [oom handler] CRITICAL: failed to allocate {} bytes",
        layout.size()
    );
}

fn main() {
    println!("1. A thread-safe pool with 64 KiB reserved up front (mem_pool_init(&pool, ..))");
    let pool = MemoryPool::with_capacity(64 * 1024);
    println!("   reserved {} bytes", pool.stats().reserved_bytes);

    println!("2. A zeroed 1024-byte buffer behind a shared pointer (mem_pointer_allocate)");
    let mut buffer = MemoryPointer::new_zeroed_slice_in(1024, &pool);
    assert!(buffer.iter().all(|&b| b == 0));
    MemoryPointer::get_mut(&mut buffer)
        .expect("only owner so far")
        .copy_from_slice(&[0x5A; 1024]);
    let second_owner = MemoryPointer::clone(&buffer);
    println!(
        "   {} owners share {} bytes; first byte {:#x}",
        MemoryPointer::strong_count(&buffer),
        second_owner.len(),
        second_owner[0]
    );
    drop(buffer);
    println!(
        "   first owner gone, {} left; the bytes are still there: {:#x}",
        MemoryPointer::strong_count(&second_owner),
        second_owner[1023]
    );
    drop(second_owner);
    println!(
        "   last owner gone: value wiped, block back in the pool (live bytes: {})",
        pool.stats().live_bytes
    );

    println!("3. An arena: a batch of allocations freed with one call (mem_arena_create/destroy)");
    let mut arena = MemoryArena::with_capacity(4096);
    let array = arena.alloc_slice_fill_with(100, |i| i as i32 * i as i32);
    let label = arena.alloc_fmt(format_args!("frame #{}", 1));
    let mut list: Vec<u64, &MemoryArena> = Vec::new_in(&arena);
    list.extend(0..1000);
    println!(
        "   {} ints (last {}), a label {:?}, a list of {}: {} bytes in {} chunk(s)",
        array.len(),
        array[99],
        label,
        list.len(),
        arena.allocated_bytes(),
        arena.chunk_count()
    );
    drop(list);
    arena.reset();
    println!(
        "   reset: {} bytes allocated, {} kept for reuse (zeroed)",
        arena.allocated_bytes(),
        arena.capacity_bytes()
    );

    println!("4. A custom out-of-memory handler (mem_set_oom_handler)");
    set_oom_handler(my_oom_handler);
    let small = LocalPool::builder().max_bytes(256 * 1024).build();
    let big = Layout::from_size_align(1 << 20, 8).expect("valid layout");
    match small.allocate(big) {
        Ok(_) => unreachable!("1 MiB cannot fit under a 256 KiB limit"),
        Err(_) => println!("   allocation refused, handled: the pool is still usable"),
    }
    let fits = MemoryPointer::new_in(42u64, &small);
    println!(
        "   a small request still succeeds: {} (handler called {} time(s))",
        *fits,
        OOM_REPORTS.load(Ordering::Relaxed)
    );
    drop(fits);

    println!("5. Integrity check and diagnostics (mem_pool_validate / mem_pool_dump)");
    let keep: Vec<MemoryPointer<[u8], &MemoryPool>> = (1..=4)
        .map(|i| MemoryPointer::from_slice_in(&vec![i as u8; i * 100], &pool))
        .collect();
    match pool.validate() {
        Ok(()) => println!("   validate: OK"),
        Err(error) => println!("   validate: {error}"),
    }
    for line in pool.dump().to_string().lines() {
        println!("   {line}");
    }
    drop(keep);
    println!(
        "6. Everything returned: live bytes {}, validate {:?}",
        pool.stats().live_bytes,
        pool.validate()
    );
}
