//! `LocalLock`: the lock of a pool that only one thread uses.

use core::cell::Cell;

/// A `lock_api::RawMutex` for single-threaded use: a flag in a `Cell`, no atomic instruction.
///
/// It is `Send` but not `Sync`, so a pool built on it ([`LocalPool`](crate::LocalPool)) can
/// move between threads but never be shared by two: the compiler, not a runtime check, keeps it
/// single-threaded. Locking it twice on the same thread (which would be a deadlock with a real
/// mutex) panics instead of handing out a second guard.
///
/// # Examples
///
/// ```
/// use memory_manager::pool::LocalLock;
/// let mutex: lock_api::Mutex<LocalLock, u32> = lock_api::Mutex::new(1);
/// *mutex.lock() += 1;
/// assert_eq!(*mutex.lock(), 2);
/// let guard = mutex.lock();
/// assert!(mutex.try_lock().is_none());
/// drop(guard);
/// ```
#[derive(Debug)]
pub struct LocalLock {
    locked: Cell<bool>,
}

// SAFETY: mutual exclusion holds because the type is `!Sync` (only one thread can reach a given
// lock) and a second `lock` on that thread panics rather than returning while it is held.
unsafe impl lock_api::RawMutex for LocalLock {
    #[allow(clippy::declare_interior_mutable_const)] // INIT is a template, as lock_api intends
    const INIT: Self = LocalLock {
        locked: Cell::new(false),
    };
    type GuardMarker = lock_api::GuardNoSend;

    #[inline(always)]
    fn lock(&self) {
        assert!(
            !self.locked.replace(true),
            "LocalLock locked twice on one thread (re-entrant use of a LocalPool)"
        );
    }

    #[inline(always)]
    fn try_lock(&self) -> bool {
        !self.locked.replace(true)
    }

    #[inline(always)]
    unsafe fn unlock(&self) {
        self.locked.set(false);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.locked.get()
    }
}
