//! A fault-injecting global allocator: the system source under the arena's chunks and the
//! pools' slabs and regions. Armed per thread, it fails the Nth request, or every request past
//! a byte budget, so the out-of-memory paths that normal tests never reach get exercised.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// `System`, failing when this thread's fault plan says so.
pub struct FailingAllocator;

thread_local! {
    /// Requests left before the next one fails (`usize::MAX`: disarmed).
    static CALLS_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// Only requests of at least this many bytes count (and fail) under `FailNth`.
    static MIN_SIZE: Cell<usize> = const { Cell::new(0) };
    /// Bytes that may still be allocated (`usize::MAX`: no budget).
    static BYTES_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// How many requests were refused.
    static REFUSED: Cell<usize> = const { Cell::new(0) };
}

/// What to refuse on this thread.
#[derive(Clone, Copy, Debug)]
pub enum Plan {
    /// Fail the `n`-th request from now (0: the next one), and only that one.
    FailNth(usize),
    /// Fail the `n`-th request of at least `min_size` bytes: the system-sized requests (slabs,
    /// regions, large blocks), not the small ones of the pool's own bookkeeping.
    FailNthAtLeast { n: usize, min_size: usize },
    /// Refuse any request that would take the bytes allocated from now past `budget`.
    Budget(usize),
}

/// Runs `f` with `plan` armed on this thread; returns its result and how many requests failed.
pub fn with_faults<R>(plan: Plan, f: impl FnOnce() -> R) -> (R, usize) {
    REFUSED.with(|r| r.set(0));
    match plan {
        Plan::FailNth(n) => CALLS_LEFT.with(|c| c.set(n)),
        Plan::FailNthAtLeast { n, min_size } => {
            CALLS_LEFT.with(|c| c.set(n));
            MIN_SIZE.with(|m| m.set(min_size));
        }
        Plan::Budget(bytes) => BYTES_LEFT.with(|b| b.set(bytes)),
    }
    let result = f();
    MIN_SIZE.with(|m| m.set(0));
    CALLS_LEFT.with(|c| c.set(usize::MAX));
    BYTES_LEFT.with(|b| b.set(usize::MAX));
    (result, REFUSED.with(Cell::get))
}

fn refuse(layout: Layout) -> bool {
    let counts = layout.size() >= MIN_SIZE.with(Cell::get);
    let by_count = CALLS_LEFT.with(|c| match c.get() {
        usize::MAX => false,
        _ if !counts => false,
        0 => {
            c.set(usize::MAX);
            true
        }
        n => {
            c.set(n - 1);
            false
        }
    });
    let by_budget = BYTES_LEFT.with(|b| match b.get() {
        usize::MAX => false,
        left if layout.size() > left => true,
        left => {
            b.set(left - layout.size());
            false
        }
    });
    let refused = by_count || by_budget;
    if refused {
        REFUSED.with(|r| r.set(r.get() + 1));
    }
    refused
}

// SAFETY: forwards to `System`, or returns null (a legal answer) without touching memory.
unsafe impl GlobalAlloc for FailingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refuse(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refuse(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded (every block came from `System`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let grown = Layout::from_size_align(new_size.saturating_sub(layout.size()), layout.align());
        if grown.is_ok_and(refuse) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
