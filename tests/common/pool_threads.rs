//! Threads sharing one `MemoryPool`: each runs its own program of allocations, frees and hand-
//! overs (a block sent to the next thread, which frees it: a cross-thread free). Shared by the
//! threaded tests and the `pool_threads` fuzz target.

use super::all_bytes_are;
use memory_manager::MemoryPool;
use memory_manager::allocator_api2::alloc::{Allocator, Layout};
use std::ptr::NonNull;
use std::sync::Mutex;

/// One step of one thread.
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub enum ThreadOp {
    /// Allocate `size % 20_000 + 1` bytes aligned to `2^(align_log % 8)`.
    Alloc { size: u16, align_log: u8 },
    /// Free one of this thread's blocks.
    Free { pick: usize },
    /// Hand one of this thread's blocks to the next thread.
    Send { pick: usize },
    /// Free every block other threads handed to this one.
    Receive,
}

/// Two to four threads' programs.
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub struct Program {
    pub threads: Vec<Vec<ThreadOp>>,
}

/// A block with its layout and the byte it is filled with; owned by one thread at a time.
pub struct Parcel(pub NonNull<u8>, pub Layout, pub u8);
// SAFETY: a parcel moves between threads through a mutex and is used by one thread at a time.
unsafe impl Send for Parcel {}

impl Parcel {
    /// Asserts the block still holds its fill byte everywhere.
    pub fn check(&self) {
        // SAFETY: a live block of `self.1.size()` bytes, filled by its allocating thread.
        let bytes = unsafe { std::slice::from_raw_parts(self.0.as_ptr(), self.1.size()) };
        assert!(
            all_bytes_are(bytes, self.2),
            "block {:p} lost its contents",
            self.0
        );
    }

    /// Checks the contents, then frees the block.
    pub fn release<A: Allocator>(self, pool: &A) {
        self.check();
        // SAFETY: a parcel is a live block of `pool` with its layout, given up here.
        unsafe { pool.deallocate(self.0, self.1) };
    }
}

/// Asserts that `pool` counts nothing live and validates.
pub fn assert_all_freed(pool: &MemoryPool) {
    let stats = pool.stats();
    assert_eq!(
        (stats.live_bytes, stats.live_allocations),
        (0, 0),
        "{stats:?}"
    );
    assert_eq!(pool.validate(), Ok(()));
}

pub fn run_program(program: &Program) {
    let threads = program.threads.len().clamp(2, 4);
    let pool = MemoryPool::builder().shards(2).build();
    let mailboxes: Vec<Mutex<Vec<Parcel>>> = (0..threads).map(|_| Mutex::new(Vec::new())).collect();
    let empty = Vec::new();
    std::thread::scope(|s| {
        for t in 0..threads {
            let ops = program.threads.get(t).unwrap_or(&empty);
            let (pool, mailboxes) = (&pool, &mailboxes);
            s.spawn(move || {
                let mut mine: Vec<Parcel> = Vec::new();
                for (i, op) in ops.iter().enumerate() {
                    match *op {
                        ThreadOp::Alloc { size, align_log } => {
                            let layout = Layout::from_size_align(
                                size as usize % 20_000 + 1,
                                1 << (align_log % 8),
                            )
                            .unwrap();
                            let ptr = pool.allocate(layout).unwrap().cast::<u8>();
                            // SAFETY: a fresh block of `layout.size()` bytes.
                            let bytes = unsafe {
                                std::slice::from_raw_parts_mut(ptr.as_ptr(), layout.size())
                            };
                            assert!(all_bytes_are(bytes, 0), "fresh block not zero");
                            let fill = (i as u8) | 1;
                            bytes.fill(fill);
                            mine.push(Parcel(ptr, layout, fill));
                        }
                        ThreadOp::Free { pick } if !mine.is_empty() => {
                            let parcel = mine.swap_remove(pick % mine.len());
                            parcel.release(pool);
                        }
                        ThreadOp::Send { pick } if !mine.is_empty() => {
                            let parcel = mine.swap_remove(pick % mine.len());
                            mailboxes[(t + 1) % threads].lock().unwrap().push(parcel);
                        }
                        ThreadOp::Receive => {
                            for parcel in mailboxes[t].lock().unwrap().drain(..) {
                                parcel.release(pool);
                            }
                        }
                        _ => {}
                    }
                }
                for parcel in mine {
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
}
