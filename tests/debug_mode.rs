//! Debug mode (`--features debug`): every detection reported by a panic that names the address,
//! the layouts and the name; names in `dump`; the leak report. Each detection is checked through
//! the `Allocator` trait on both `LocalPool` and `MemoryPool`.

use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use memory_manager::allocator_api2::vec::Vec;
use memory_manager::pool::Pool;
use memory_manager::{AllocationNames, LocalPool, MemoryPointer, MemoryPool};
use std::ptr::NonNull;

fn l(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

fn double_free<R: lock_api::RawMutex>(pool: &Pool<R>) {
    let p = pool.allocate(l(48, 8)).unwrap().cast::<u8>();
    pool.name_allocation(p, "twice");
    // SAFETY: live with this layout.
    unsafe { pool.deallocate(p, l(48, 8)) };
    // SAFETY: deliberately wrong: the block was freed above; debug mode must catch it.
    unsafe { pool.deallocate(p, l(48, 8)) };
}

fn invalid_free<R: lock_api::RawMutex>(pool: &Pool<R>) {
    let p = pool.allocate(l(64, 8)).unwrap().cast::<u8>();
    // SAFETY: deliberately wrong: 16 bytes into a block is no block of the pool.
    unsafe { pool.deallocate(p.add(16), l(32, 8)) };
}

fn wrong_layout<R: lock_api::RawMutex>(pool: &Pool<R>, given: Layout) {
    let p = pool.allocate(l(100, 8)).unwrap().cast::<u8>();
    // SAFETY: deliberately wrong layout.
    unsafe { pool.deallocate(p, given) };
}

fn overrun<R: lock_api::RawMutex>(pool: &Pool<R>) {
    let p = pool.allocate(l(40, 8)).unwrap().cast::<u8>();
    pool.name_allocation(p, "header");
    // SAFETY: deliberately wrong: one byte past the end (inside the canary, still pool memory).
    unsafe { p.add(40).write(0) };
    // SAFETY: live with this layout.
    unsafe { pool.deallocate(p, l(40, 8)) };
}

fn write_after_free<R: lock_api::RawMutex>(pool: &Pool<R>) {
    let p = pool.allocate(l(64, 8)).unwrap().cast::<u8>();
    // SAFETY: live with this layout.
    unsafe { pool.deallocate(p, l(64, 8)) };
    // SAFETY: deliberately wrong: a write through a stale pointer (still pool memory).
    unsafe { p.add(30).write(1) };
    // The same class hands the same block out again: the write is found on reuse.
    let _ = pool.allocate(l(64, 8));
}

macro_rules! detections {
    ($module:ident, $pool:expr) => {
        mod $module {
            use super::*;

            #[test]
            #[should_panic(expected = "double free of 0x")]
            fn double_free_names_the_allocation() {
                double_free(&$pool);
            }

            #[test]
            #[should_panic(expected = "\"twice\"")]
            fn double_free_message_has_the_name() {
                double_free(&$pool);
            }

            #[test]
            #[should_panic(expected = "never handed out")]
            fn invalid_free() {
                super::invalid_free(&$pool);
            }

            #[test]
            #[should_panic(expected = "layout mismatch freeing 0x")]
            fn other_size_class() {
                wrong_layout(&$pool, l(1000, 8));
            }

            #[test]
            #[should_panic(expected = "deallocate(size 100, align 64) but it is allocation #1 (size 100, align 8)")]
            fn other_alignment() {
                wrong_layout(&$pool, l(100, 64));
            }

            #[test]
            #[should_panic(expected = "canary overrun at 0x")]
            fn overrun_is_caught_on_free() {
                overrun(&$pool);
            }

            #[test]
            #[should_panic(expected = "write after free: block 0x")]
            fn write_after_free_is_caught_on_reuse() {
                write_after_free(&$pool);
            }
        }
    };
}

detections!(local, LocalPool::new());
detections!(shared, MemoryPool::new());

#[test]
fn validate_reports_overruns_and_writes_after_free() {
    let pool = LocalPool::new();
    let p = pool.allocate(l(24, 8)).unwrap().cast::<u8>();
    // SAFETY: deliberately wrong, then repaired: a byte past the end.
    unsafe { p.add(24).write(0) };
    let error = pool.validate().unwrap_err();
    assert!(
        error.to_string().contains("written past its end"),
        "{error}"
    );
    // SAFETY: repair the canary's first byte.
    unsafe { p.add(24).write(0xCA) };
    assert_eq!(pool.validate(), Ok(()));
    // SAFETY: live with this layout.
    unsafe { pool.deallocate(p, l(24, 8)) };
    // SAFETY: deliberately wrong, then repaired: a write after free.
    unsafe { p.add(12).write(9) };
    let error = pool.validate().unwrap_err();
    assert!(error.to_string().contains("written after free"), "{error}");
    // SAFETY: repair.
    unsafe { p.add(12).write(0) };
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn names_and_sequence_numbers_appear_in_dump_and_leaks() {
    let pool = MemoryPool::new();
    let buffer = MemoryPointer::new_zeroed_slice_in(1024, &pool);
    assert!(MemoryPointer::set_name(&buffer, "my_buffer"));
    let mut v: Vec<u32, &MemoryPool> = Vec::with_capacity_in(10, &pool);
    v.push(1);
    let dump = pool.dump().to_string();
    assert!(dump.contains("live allocations: 2 (1 named)"), "{dump}");
    assert!(dump.contains("\"my_buffer\""), "{dump}");
    assert!(dump.contains("#1 0x"), "{dump}");
    let leaks = pool.leaks();
    assert_eq!(leaks.len(), 2);
    assert_eq!((leaks[0].sequence, leaks[0].name), (1, Some("my_buffer")));
    assert_eq!((leaks[1].sequence, leaks[1].layout.size()), (2, 40));
    drop((buffer, v));
    assert!(pool.leaks().is_empty());
    assert!(!pool.name_allocation(NonNull::dangling(), "nothing there"));
}

/// A logger that keeps what it is told, for the leak report test.
struct Capture;
static CAPTURED: std::sync::Mutex<std::vec::Vec<String>> =
    std::sync::Mutex::new(std::vec::Vec::new());
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        CAPTURED
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

#[test]
fn dropping_a_pool_with_live_allocations_reports_them() {
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Trace);
    let pool = LocalPool::new();
    let leaked = pool.allocate(l(77, 8)).unwrap().cast::<u8>();
    pool.name_allocation(leaked, "forgotten");
    drop(pool);
    let captured = CAPTURED.lock().unwrap();
    assert!(
        captured
            .iter()
            .any(|line| line.starts_with("WARN pool dropped with 1 live allocation")),
        "{captured:?}"
    );
    assert!(
        captured
            .iter()
            .any(|line| line.contains("leaked #1") && line.contains("\"forgotten\"")),
        "{captured:?}"
    );
    assert!(
        captured
            .iter()
            .any(|line| line.starts_with("TRACE pool alloc")),
        "{captured:?}"
    );
}
