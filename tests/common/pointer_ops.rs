//! `MemoryPointer` programs: clone, drop, downgrade, upgrade, get_mut, make_mut, try_unwrap and
//! into_inner on a few shared values, checked against a model of the counts after every step,
//! with every value dropped exactly once and every byte back in the pool at the end. Shared by
//! the pointer model test and the `pointer_ops` fuzz target.

use memory_manager::{LocalPool, MemoryPointer, WeakPointer};
use std::cell::Cell;

/// One step.
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub enum Op {
    New,
    Clone { pick: usize },
    Drop { pick: usize },
    Downgrade { pick: usize },
    Upgrade { pick: usize },
    DropWeak { pick: usize },
    GetMut { pick: usize },
    MakeMut { pick: usize },
    TryUnwrap { pick: usize },
    IntoInner { pick: usize },
}

/// A value that counts how many times values were made and dropped.
struct Tracked<'a> {
    group: usize,
    counters: &'a Counters,
}

#[derive(Default)]
struct Counters {
    made: Cell<usize>,
    dropped: Cell<usize>,
}

impl<'a> Tracked<'a> {
    fn new(group: usize, counters: &'a Counters) -> Self {
        counters.made.set(counters.made.get() + 1);
        Self { group, counters }
    }
}

impl Clone for Tracked<'_> {
    fn clone(&self) -> Self {
        Tracked::new(self.group, self.counters)
    }
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.counters.dropped.set(self.counters.dropped.get() + 1);
    }
}

pub fn run(ops: &[Op]) {
    let pool = LocalPool::new();
    let counters = Counters::default();
    {
        type Strong<'p, 'c> = MemoryPointer<Tracked<'c>, &'p LocalPool>;
        type Weak<'p, 'c> = WeakPointer<Tracked<'c>, &'p LocalPool>;
        let mut strong: Vec<Strong<'_, '_>> = Vec::new();
        let mut weak: Vec<Weak<'_, '_>> = Vec::new();
        // The model: strong and weak owners per group (allocation).
        let mut strong_of: Vec<usize> = Vec::new();
        let mut weak_of: Vec<usize> = Vec::new();
        let new_group = |strong_of: &mut Vec<usize>, weak_of: &mut Vec<usize>| {
            strong_of.push(1);
            weak_of.push(0);
            strong_of.len() - 1
        };
        for op in ops {
            match *op {
                Op::New => {
                    let group = new_group(&mut strong_of, &mut weak_of);
                    strong.push(MemoryPointer::new_in(Tracked::new(group, &counters), &pool));
                }
                Op::Clone { pick } if !strong.is_empty() => {
                    let p = strong[pick % strong.len()].clone();
                    strong_of[p.group] += 1;
                    strong.push(p);
                }
                Op::Drop { pick } if !strong.is_empty() => {
                    let p = strong.swap_remove(pick % strong.len());
                    strong_of[p.group] -= 1;
                }
                Op::Downgrade { pick } if !strong.is_empty() => {
                    let p = &strong[pick % strong.len()];
                    weak_of[p.group] += 1;
                    weak.push(MemoryPointer::downgrade(p));
                }
                Op::Upgrade { pick } if !weak.is_empty() => {
                    let w = &weak[pick % weak.len()];
                    match w.upgrade() {
                        Some(p) => {
                            assert!(strong_of[p.group] > 0, "upgraded a dead value");
                            strong_of[p.group] += 1;
                            strong.push(p);
                        }
                        None => assert_eq!(w.strong_count(), 0),
                    }
                }
                Op::DropWeak { pick } if !weak.is_empty() => {
                    let w = weak.swap_remove(pick % weak.len());
                    // A weak pointer does not know its group once the value is gone; find it
                    // through a live strong twin, if any.
                    if let Some(p) = w.upgrade() {
                        weak_of[p.group] -= 1;
                    } else {
                        // Dead group: its weak count is no longer observable; the model only
                        // checks live groups.
                    }
                }
                Op::GetMut { pick } if !strong.is_empty() => {
                    let i = pick % strong.len();
                    let group = strong[i].group;
                    let unique = strong_of[group] == 1 && weak_of[group] == 0;
                    assert_eq!(MemoryPointer::get_mut(&mut strong[i]).is_some(), unique);
                }
                Op::MakeMut { pick } if !strong.is_empty() => {
                    let i = pick % strong.len();
                    let group = strong[i].group;
                    if !(strong_of[group] == 1 && weak_of[group] == 0) {
                        // Cloned into a fresh allocation: a new group, owned by this pointer.
                        strong_of[group] -= 1;
                        let fresh = new_group(&mut strong_of, &mut weak_of);
                        let _ = MemoryPointer::make_mut(&mut strong[i]);
                        MemoryPointer::make_mut(&mut strong[i]).group = fresh;
                    } else {
                        let _ = MemoryPointer::make_mut(&mut strong[i]);
                    }
                }
                Op::TryUnwrap { pick } if !strong.is_empty() => {
                    let p = strong.swap_remove(pick % strong.len());
                    let group = p.group;
                    match MemoryPointer::try_unwrap(p) {
                        Ok(value) => {
                            assert_eq!(strong_of[group], 1);
                            strong_of[group] = 0;
                            drop(value);
                        }
                        Err(p) => {
                            assert!(strong_of[group] > 1);
                            strong.push(p);
                        }
                    }
                }
                Op::IntoInner { pick } if !strong.is_empty() => {
                    let p = strong.swap_remove(pick % strong.len());
                    let group = p.group;
                    let last = strong_of[group] == 1;
                    strong_of[group] -= 1;
                    assert_eq!(MemoryPointer::into_inner(p).is_some(), last);
                }
                _ => {}
            }
            for p in &strong {
                assert_eq!(
                    MemoryPointer::strong_count(p),
                    strong_of[p.group],
                    "strong count"
                );
                assert_eq!(MemoryPointer::weak_count(p), weak_of[p.group], "weak count");
            }
            let alive = strong_of.iter().filter(|&&s| s > 0).count();
            assert_eq!(
                counters.made.get() - counters.dropped.get(),
                alive,
                "values alive"
            );
        }
        drop(strong);
        for w in &weak {
            assert!(
                w.upgrade().is_none(),
                "a value outlived its last strong owner"
            );
        }
        drop(weak);
    }
    assert_eq!(
        counters.made.get(),
        counters.dropped.get(),
        "every value dropped exactly once"
    );
    assert_eq!(
        pool.stats().live_bytes,
        0,
        "every allocation back in the pool"
    );
    assert_eq!(pool.validate(), Ok(()));
}
