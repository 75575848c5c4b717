use super::*;
use crate::LocalPool;
use crate::pointer::LocalPointer;
use crate::test_support::all_bytes_are;
use core::sync::atomic::AtomicUsize;
use std::string::{String, ToString};

/// Counts its drops in a shared counter.
struct DropCounter<'a>(&'a AtomicUsize);
impl Drop for DropCounter<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn value_dropped_once_and_memory_returned() {
    let pool = LocalPool::new();
    let drops = AtomicUsize::new(0);
    let a = MemoryPointer::new_in(DropCounter(&drops), &pool);
    let b = a.clone();
    let weak = MemoryPointer::downgrade(&a);
    assert_eq!(
        (
            MemoryPointer::strong_count(&a),
            MemoryPointer::weak_count(&a)
        ),
        (2, 1)
    );
    drop(a);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(b);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped when the last strong owner went"
    );
    assert!(
        pool.stats().live_bytes > 0,
        "the weak pointer keeps the memory"
    );
    assert!(weak.upgrade().is_none());
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 0));
    drop(weak);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn memory_is_wiped_before_it_goes_back() {
    // The pool checks on `validate` that freed memory reads zero even with its own zeroing off:
    // a pool that does not zero, and a pointer that must.
    let pool = LocalPool::builder().zero_on_free(false).build();
    let secret = MemoryPointer::new_in([0xA5u8; 200], &pool);
    let start = secret.ptr.cast::<u8>();
    drop(secret);
    // The block is free in the pool now; take it again (same layout, so the same block comes
    // back from the free list) and look at what was left behind.
    let (layout, _) = inner_layout::<&LocalPool, Atomic>(Layout::new::<[u8; 200]>()).unwrap();
    let block = pool.allocate(layout).unwrap();
    assert_eq!(block.cast::<u8>(), start, "same block reused");
    // SAFETY: a live block of `layout.size()` initialised bytes.
    let bytes = unsafe { block.as_ref() };
    // The pool (zeroing off) keeps its free-list link in the first word; all else is ours.
    assert!(
        all_bytes_are(&bytes[8..], 0),
        "the pointer wiped its allocation"
    );
    // SAFETY: live with `layout`.
    unsafe { pool.deallocate(block.cast(), layout) };
}

#[test]
fn the_value_is_wiped_while_weak_pointers_keep_the_memory() {
    let pool = LocalPool::builder().zero_on_free(false).build();
    let secret = MemoryPointer::new_in([0xA5u8; 200], &pool);
    let start = secret.ptr.cast::<u8>();
    // Through the allocation's own pointer: a reference to the value dies with the value.
    let offset = NonNull::from(&*secret).cast::<u8>().addr().get() - start.addr().get();
    // SAFETY: the value lies `offset` bytes into the allocation.
    let value = unsafe { start.add(offset) };
    let weak = MemoryPointer::downgrade(&secret);
    drop(secret);
    assert!(weak.upgrade().is_none());
    // SAFETY: the weak pointer keeps the allocation alive; the value's bytes are plain bytes.
    let bytes = unsafe { core::slice::from_raw_parts(value.as_ptr(), 200) };
    assert!(all_bytes_are(bytes, 0), "the value was wiped");
    drop(weak);
    // Freed now: the whole allocation was wiped (the pool keeps its link in the first word).
    let (layout, _) = inner_layout::<&LocalPool, Atomic>(Layout::new::<[u8; 200]>()).unwrap();
    let block = pool.allocate(layout).unwrap();
    assert_eq!(block.cast::<u8>(), start, "same block reused");
    // SAFETY: a live block of `layout.size()` initialised bytes.
    assert!(all_bytes_are(&unsafe { block.as_ref() }[8..], 0));
    // SAFETY: live with `layout`.
    unsafe { pool.deallocate(block.cast(), layout) };
}

#[test]
fn get_mut_make_mut_and_try_unwrap_respect_other_owners() {
    let mut a = MemoryPointer::new(String::from("a"));
    let b = a.clone();
    assert!(MemoryPointer::get_mut(&mut a).is_none());
    MemoryPointer::make_mut(&mut a).push('!');
    assert_eq!((&**a, &**b), ("a!", "a"));
    assert!(!MemoryPointer::ptr_eq(&a, &b));
    let weak = MemoryPointer::downgrade(&a);
    assert!(
        MemoryPointer::get_mut(&mut a).is_none(),
        "a weak owner blocks get_mut"
    );
    let a = MemoryPointer::try_unwrap(a).expect("only strong owner");
    assert_eq!(a, "a!");
    assert!(weak.upgrade().is_none());
    let b2 = b.clone();
    let b = MemoryPointer::try_unwrap(b).unwrap_err();
    drop(b2);
    assert_eq!(MemoryPointer::into_inner(b).as_deref(), Some("a"));
}

#[test]
fn slices_strings_and_zeroed_buffers() {
    let pool = LocalPool::new();
    let s = MemoryPointer::from_str_in("héllo", &pool);
    assert_eq!(&*s, "héllo");
    assert_eq!(s.to_string(), "héllo");
    let nums = MemoryPointer::from_slice_in(&[1u64, 2, 3], &pool);
    assert_eq!(&*nums, &[1, 2, 3]);
    let empty = MemoryPointer::from_slice_in(&[] as &[u32], &pool);
    assert!(empty.is_empty());
    let buf = MemoryPointer::new_zeroed_slice_in(1024, &pool);
    assert_eq!(buf.len(), 1024);
    assert!(all_bytes_are(&buf, 0));
    let zeroed = MemoryPointer::<[MaybeUninit<u32>], _>::new_zeroed_uninit_slice_in(5, &pool);
    // SAFETY: all-zero bytes are a valid `u32`.
    let zeroed = unsafe { zeroed.assume_init() };
    assert_eq!(&*zeroed, &[0; 5]);
    drop((s, nums, empty, buf, zeroed));
    assert_eq!(pool.stats().live_bytes, 0);
}

#[test]
fn zero_sized_and_over_aligned_values() {
    #[repr(align(4096))]
    struct Page([u8; 4096]);
    let pool = LocalPool::new();
    let unit = MemoryPointer::new_in((), &pool);
    let u2 = unit.clone();
    assert_eq!(MemoryPointer::strong_count(&u2), 2);
    let page = MemoryPointer::new_in(Page([3; 4096]), &pool);
    assert_eq!((&*page as *const Page).addr() % 4096, 0);
    assert_eq!(page.0[4095], 3);
    drop((unit, u2, page));
    assert_eq!(pool.stats().live_bytes, 0);
    assert_eq!(pool.validate(), Ok(()));
}

#[test]
fn a_panicking_drop_is_not_run_twice() {
    struct Bomb<'a>(&'a AtomicUsize);
    impl Drop for Bomb<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("boom");
        }
    }
    let pool = LocalPool::new();
    let drops = AtomicUsize::new(0);
    let a = MemoryPointer::new_in(Bomb(&drops), &pool);
    let weak = MemoryPointer::downgrade(&a);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(a)));
    assert!(result.is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(weak.upgrade().is_none());
    drop(weak);
    assert_eq!(
        pool.stats().live_bytes,
        0,
        "memory released despite the panic"
    );
}

#[test]
fn comparisons_hash_and_formatting_go_by_value() {
    use core::hash::BuildHasher;
    let a = MemoryPointer::new(5);
    let b = MemoryPointer::new(5);
    let c = MemoryPointer::new(7);
    assert!(a == b && a < c && c.cmp(&a) == CmpOrdering::Greater);
    let hasher = hashbrown::DefaultHashBuilder::default();
    assert_eq!(hasher.hash_one(&a), hasher.hash_one(5));
    assert_eq!(std::format!("{a:?} {c}"), "5 7");
}

#[cfg(feature = "std")]
#[test]
fn threads_clone_and_drop_one_pointer() {
    use crate::test_support::scaled;
    use std::vec::Vec;
    let pool = crate::MemoryPool::new();
    let shared = MemoryPointer::new_in(Vec::from([1u32, 2, 3]), &pool);
    let per_thread = scaled(10_000);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let shared = &shared;
            s.spawn(move || {
                let mut mine = Vec::new();
                for i in 0..per_thread {
                    mine.push(shared.clone());
                    let weak = MemoryPointer::downgrade(shared);
                    if i % 3 == 0 {
                        mine.pop();
                    }
                    assert_eq!(weak.upgrade().map(|p| p.len()), Some(3));
                }
            });
        }
    });
    assert_eq!(MemoryPointer::strong_count(&shared), 1);
    assert_eq!(MemoryPointer::weak_count(&shared), 0);
    drop(shared);
    assert_eq!(pool.stats().live_bytes, 0);
}

/// The last strong and the last weak reference dropped on two threads at once: whichever comes
/// last (either may, including through the weak count's no-read-modify-write fast path) frees
/// the allocation, exactly once, after the value was dropped exactly once.
#[cfg(feature = "std")]
#[test]
fn threads_race_the_last_strong_and_weak_drops() {
    use crate::test_support::scaled;
    let pool = crate::MemoryPool::new();
    let drops = AtomicUsize::new(0);
    let rounds = scaled(300);
    for round in 0..rounds {
        let strong = MemoryPointer::new_in(DropCounter(&drops), &pool);
        let weak = MemoryPointer::downgrade(&strong);
        std::thread::scope(|s| {
            s.spawn(move || drop(strong));
            s.spawn(move || {
                if round % 2 == 0 {
                    // Sometimes wins the race and briefly holds a strong pointer itself.
                    drop(weak.upgrade());
                }
                drop(weak);
            });
        });
        assert_eq!(drops.load(Ordering::SeqCst), round + 1);
    }
    pool.trim();
    let stats = pool.stats();
    assert_eq!((stats.live_bytes, stats.live_allocations), (0, 0));
}

#[test]
fn send_and_sync_follow_the_contents() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<MemoryPointer<u32>>();
    send_sync::<WeakPointer<String>>();
    #[cfg(feature = "std")]
    send_sync::<MemoryPointer<u32, &crate::MemoryPool>>();
}

#[test]
fn local_pointer_shares_the_behaviour() {
    let pool = LocalPool::new();
    let drops = AtomicUsize::new(0);
    let a = LocalPointer::new_in(DropCounter(&drops), &pool);
    let b = a.clone();
    let weak = LocalPointer::downgrade(&b);
    assert_eq!(
        (LocalPointer::strong_count(&a), LocalPointer::weak_count(&a)),
        (2, 1)
    );
    drop((a, b));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(weak.upgrade().is_none());
    drop(weak);
    assert_eq!(pool.stats().live_bytes, 0);

    let mut s = LocalPointer::from_str_in("abc", &pool);
    assert!(LocalPointer::get_mut(&mut s).is_some());
    let t = s.clone();
    assert!(LocalPointer::get_mut(&mut s).is_none());
    assert_eq!((&*s, std::format!("{t}")), ("abc", "abc".to_string()));
    let mut n = LocalPointer::new_in(5u32, &pool);
    let m = n.clone();
    *LocalPointer::make_mut(&mut n) += 1;
    assert_eq!((*n, *m), (6, 5));
    assert_eq!(LocalPointer::try_unwrap(n).ok(), Some(6));
    assert_eq!(LocalPointer::into_inner(m), Some(5));
    drop((s, t));
    assert_eq!(pool.stats().live_bytes, 0);
}
