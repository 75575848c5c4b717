//! `SharedArena`: one arena that every thread can allocate from, with no lock on the way.
//!
//! Each thread bumps in a lane of its own: a complete arena, `MemoryArena`'s own implementation
//! with its bump state in atomics that other threads may read (so the chunk, bump and zeroing logic
//! is exactly the single-threaded arena's), found through a one-entry thread-local cache keyed by
//! the arena's unique id. The lock is taken only the first time a thread meets the arena (to make
//! its lane), and never on an allocation. Chunk memory is counted across lanes in one atomic
//! budget, so a single allocation limit caps them all.
//!
//! `reset` pools the largest chunk of every lane instead of leaving it in the lane: the threads
//! that allocate next are often new ones (a `thread::scope` per task), and they may start before
//! the threads of the previous round have handed their lanes back (thread-local destructors run
//! after `scope` returns). Left in their lanes, those warm chunks would sit idle while the new
//! threads grew fresh lanes from 4 KiB, faulting in every page again (measured: 2 new threads a
//! round, 1M allocations each: the lane count crept up, and a round took 21 page faults against
//! 6 for two private `MemoryArena`s; 10 since). Pooled, the first allocation of any thread after
//! a reset takes one.

use crate::alloc::{AllocError, Allocator, Layout};
use crate::arena::ArenaBuilder;
#[cfg(doc)]
use crate::arena::MemoryArena; // linked from the docs
use crate::arena::budget::Budget;
use crate::arena::chunk::ChunkFooter;
use crate::arena::raw::RawArena;
use crate::arena::slot::Readable;
use core::cell::Cell;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use std::boxed::Box;
use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::thread::ThreadId;
use std::vec::Vec;

mod local;
pub use local::LocalArena;

/// A thread's lane: a whole arena whose bump state other threads may read
/// ([`SharedArena::allocated_bytes`] sums every lane's).
type LaneArena = RawArena<Readable>;

/// Ids are never reused, so a thread's cached lane can never be mistaken for another arena's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Every arena's list of lanes, shared with the threads' exit hooks (which hold it weakly).
type LaneList = lock_api::Mutex<parking_lot::RawMutex, Lanes>;

/// The lanes, and the chunks `reset` took out of them for the next threads to adopt.
struct Lanes {
    lanes: Vec<Lane>,
    /// Wiped chunks, still counted in the budget, smallest first (a lane adopts the largest).
    /// At most one per lane.
    spare: Vec<SpareChunk>,
}

/// A wiped chunk owned by the arena and by no lane.
struct SpareChunk(NonNull<ChunkFooter>);

// SAFETY: the chunk is plain memory owned by the `SharedArena`; no thread holds a pointer into
// it (everything allocated in it was reset away).
unsafe impl Send for SpareChunk {}

impl SpareChunk {
    fn size(&self) -> usize {
        // SAFETY: a spare chunk is live until `SharedArena::free_spare`.
        unsafe { self.0.as_ref() }.layout.size()
    }
}

std::thread_local! {
    /// The lane this thread used last: (arena id, lane). Id 0 matches no arena.
    static LAST_LANE: Cell<(u64, *const LaneArena)> = const { Cell::new((0, core::ptr::null())) };
    /// The lanes this thread owns, handed back when it exits.
    static OWNED_LANES: RefCell<LaneRelease> = const { RefCell::new(LaneRelease(Vec::new())) };
}

/// Hands a thread's lanes back to their arenas when the thread exits, so that the next thread
/// adopts them (and their chunks) instead of starting a fresh lane: a program that spawns a new
/// batch of threads for every task keeps a bounded number of lanes.
struct LaneRelease(Vec<(Weak<LaneList>, NonNull<LaneArena>)>);

impl Drop for LaneRelease {
    fn drop(&mut self) {
        // From here on this thread must not use a cached lane: it is about to be adopted.
        let _ = LAST_LANE.try_with(|cache| cache.set((0, core::ptr::null())));
        for (list, lane) in self.0.drain(..) {
            if let Some(list) = list.upgrade() {
                for slot in list
                    .lock()
                    .lanes
                    .iter_mut()
                    .filter(|slot| slot.arena == lane)
                {
                    // SAFETY: the lane is in its arena's list, so the arena has not dropped it
                    // (that drains the list under this lock); this is the lane's own thread,
                    // the only one that touches `handles`.
                    let handles = unsafe { slot.arena.cast::<OwnLine>().as_ref() }
                        .handles
                        .get();
                    // A handle still alive (in another thread-local, say) keeps the lane this
                    // thread's for good: handing it over could let two threads bump in it.
                    if handles == 0 {
                        slot.thread = None;
                    }
                }
            }
        }
    }
}

/// A bump arena for parallel work: `Send + Sync`, and `alloc(&self)` from any thread takes no
/// lock and needs no handle.
///
/// Everything every thread allocated is freed at once by [`reset`](Self::reset) or drop, and,
/// as with [`MemoryArena`], zeroed first (unless [`SharedArenaBuilder::zero_on_free`] says
/// otherwise). Growing or shrinking the newest allocation works in place per thread. Values'
/// `Drop` is not run.
///
/// # Examples
///
/// ```
/// use memory_manager::SharedArena;
///
/// let mut arena = SharedArena::new();
/// let total: u64 = std::thread::scope(|s| {
///     let workers: Vec<_> = (0..4u64)
///         .map(|t| {
///             let arena = &arena;
///             s.spawn(move || {
///                 let values = arena.alloc_slice_copy(&[t; 1000]);
///                 values.iter().sum::<u64>()
///             })
///         })
///         .collect();
///     workers.into_iter().map(|w| w.join().unwrap()).sum()
/// });
/// assert_eq!(total, 6000);
/// assert_eq!(arena.allocated_bytes(), 4 * 8000);
/// arena.reset(); // every thread's memory, wiped
/// assert_eq!(arena.allocated_bytes(), 0);
/// ```
pub struct SharedArena {
    /// Keys the threads' lane caches. Never reused, and renewed by every `reset`, so that each
    /// thread's next allocation passes by `lane_slow`, where an emptied lane adopts a chunk.
    id: u64,
    /// One lane per thread that has allocated. Each lane is used only by its own thread (the
    /// thread-local cache and `lane_slow` hand a lane to no one else), except through
    /// `&mut self` (reset, drop), when no thread can be using any.
    lanes: Arc<LaneList>,
    /// Chunk memory of all lanes: a leaked box, freed in `drop` after the lanes. A raw pointer
    /// rather than a `Box`, because the lanes hold pointers to it and moving a `Box` (as moving
    /// the arena does) would assert unique ownership over them.
    budget: NonNull<Budget>,
    settings: ArenaBuilder,
}

/// A lane on cache lines of its own: every allocation writes its cursor, and two lanes that
/// shared a line would make their threads take the line from each other on every allocation.
/// (128 bytes: adjacent-line prefetchers pull lines in pairs.)
#[repr(C, align(128))]
struct OwnLine {
    /// At offset 0, so a pointer to the line is a pointer to its arena and back.
    arena: LaneArena,
    /// How many [`LocalArena`] handles the owning thread holds on this lane. Read and written
    /// only by that thread. While it is not zero the lane is not handed back when the thread
    /// exits (a handle kept in a thread-local may outlive `LaneRelease`).
    handles: Cell<usize>,
}

impl OwnLine {
    fn new(arena: LaneArena) -> Self {
        Self {
            arena,
            handles: Cell::new(0),
        }
    }
}

struct Lane {
    /// The thread using the lane; `None` once that thread exited (the next new thread adopts it).
    thread: Option<ThreadId>,
    /// The arena in a leaked `Box<OwnLine>` (at offset 0), freed in `SharedArena::drop`. Kept as a raw pointer, not a
    /// `Box`: moving a `Box` (as the `Vec` does when it grows) asserts unique ownership, which
    /// would invalidate the pointers the threads' caches hold.
    arena: NonNull<LaneArena>,
}

// SAFETY: a lane is a `LaneArena` (`Send`) owned by the `SharedArena`; the pointer moves with
// the list, and each lane is only used by its own thread (or under `&mut SharedArena`).
unsafe impl Send for Lane {}

impl Lane {
    /// The lane's arena.
    ///
    /// # Safety
    ///
    /// The caller is the lane's own thread, or holds the only access to the `SharedArena`, or
    /// only calls the methods that read relaxed-atomic state (`allocated_bytes`).
    unsafe fn arena(&self) -> &LaneArena {
        // SAFETY: the pointer comes from `Box::leak` and lives until `SharedArena::drop`.
        unsafe { self.arena.as_ref() }
    }
}

impl Default for SharedArena {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedArena {
    /// An empty arena; allocates nothing until first used.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.capacity_bytes(), 0);
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// An arena whose calling thread starts with one chunk of at least `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::with_capacity(1 << 16);
    /// assert!(arena.capacity_bytes() >= 1 << 16);
    /// ```
    pub fn with_capacity(bytes: usize) -> Self {
        Self::builder().capacity(bytes).build()
    }

    /// A builder for every setting.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(1 << 20).build();
    /// assert_eq!(arena.allocation_limit(), Some(1 << 20));
    /// ```
    pub fn builder() -> SharedArenaBuilder {
        SharedArenaBuilder {
            settings: ArenaBuilder::default(),
        }
    }

    fn budget(&self) -> &Budget {
        // SAFETY: leaked in `try_build`, freed only in `drop`.
        unsafe { self.budget.as_ref() }
    }

    /// The calling thread's lane.
    #[inline(always)]
    fn lane(&self) -> &LaneArena {
        // SAFETY: the calling thread's own lane, boxed and kept (never moved) until the arena
        // is dropped, which `&self` rules out; no other thread is given it while this one runs.
        unsafe { &*self.lane_ptr() }
    }

    /// The calling thread's lane, as a pointer to its whole `OwnLine` box (the provenance
    /// [`local`](Self::local) needs to reach the handle count beside the arena).
    #[inline(always)]
    fn lane_ptr(&self) -> *const LaneArena {
        if let Ok((id, lane)) = LAST_LANE.try_with(Cell::get)
            && id == self.id
        {
            // The cache only ever holds this thread's own lane of the arena with this id; ids
            // are unique, and a lane lives (boxed, never moved) as long as its arena.
            return lane;
        }
        self.lane_slow()
    }

    #[cold]
    #[inline(never)]
    fn lane_slow(&self) -> *const LaneArena {
        let me = std::thread::current().id();
        let mut list = self.lanes.lock();
        let Lanes { lanes, spare } = &mut *list;
        let lane = if let Some(lane) = lanes.iter().find(|lane| lane.thread == Some(me)) {
            lane.arena
        } else {
            let lane = match lanes.iter_mut().find(|lane| lane.thread.is_none()) {
                Some(free) => {
                    // A lane whose thread exited: its allocations stay valid until reset.
                    free.thread = Some(me);
                    free.arena
                }
                None => {
                    let mut arena = LaneArena::from_builder(self.settings.clone());
                    arena.budget = Some(self.budget);
                    // A cast, not a reference to the field: the pointer keeps the provenance of
                    // the whole box, which `drop` frees through it.
                    let arena =
                        NonNull::from(Box::leak(Box::new(OwnLine::new(arena)))).cast::<LaneArena>();
                    lanes.push(Lane {
                        thread: Some(me),
                        arena,
                    });
                    arena
                }
            };
            // If the thread is already exiting, the lane simply stays its own.
            let _ = OWNED_LANES.try_with(|owned| {
                let owned = &mut owned.borrow_mut().0;
                // Forget the lanes of arenas dropped since: a long-lived thread that meets many
                // short-lived arenas keeps one entry per live arena, not one per arena ever seen.
                owned.retain(|(list, _)| list.strong_count() > 0);
                owned.push((Arc::downgrade(&self.lanes), lane))
            });
            lane
        };
        // SAFETY: this thread's own lane (found by its id, or just given to it).
        let own = unsafe { lane.as_ref() };
        if !own.has_chunk()
            && let Some(chunk) = spare.pop()
        {
            own.adopt_chunk(chunk.0);
        }
        let lane: *const LaneArena = lane.as_ptr();
        drop(list);
        // If the thread is being torn down the cache is gone: the lookup above still works.
        let _ = LAST_LANE.try_with(|cache| cache.set((self.id, lane)));
        lane
    }

    /// A handle on the calling thread's lane, for loops that allocate a lot: its allocations
    /// skip the thread-local lookup [`alloc`](Self::alloc) makes each time, and run the same
    /// instructions as [`MemoryArena`]'s (16 for a 24-byte value, against 19 through `alloc`;
    /// a loop that does nothing but allocate is bound by memory bandwidth and measures the
    /// same either way). What it allocates lives as long as the arena's borrow, like `alloc`'s,
    /// not just as long as the handle.
    ///
    /// The handle is neither `Send` nor `Sync`: it stays on the thread that took it. While one
    /// lives, the thread's lane stays the thread's even if the thread exits (a handle kept in
    /// a thread-local could otherwise outlive the thread's hand-over of its lanes). Such a lane
    /// is never adopted by a later thread: its memory is reset and freed like every lane's, but
    /// the lane itself (a few hundred bytes) stays unused until the arena is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::SharedArena;
    ///
    /// let arena = SharedArena::new();
    /// let sums: Vec<u64> = std::thread::scope(|s| {
    ///     let workers: Vec<_> = (0..2u64)
    ///         .map(|t| {
    ///             let arena = &arena;
    ///             s.spawn(move || {
    ///                 let local = arena.local();
    ///                 let values: Vec<&u64> = (0..1000).map(|i| &*local.alloc(t * i)).collect();
    ///                 values.into_iter().sum::<u64>()
    ///             })
    ///         })
    ///         .collect();
    ///     workers.into_iter().map(|w| w.join().unwrap()).collect()
    /// });
    /// assert_eq!(sums, [0, 499_500]);
    /// assert_eq!(arena.allocated_bytes(), 2 * 8000);
    /// ```
    pub fn local(&self) -> LocalArena<'_> {
        // SAFETY: `lane_ptr` gives this thread's own lane, a pointer derived from its whole
        // `Box<OwnLine>` (`arena` at offset 0), live until the arena is dropped.
        let line = unsafe { &*self.lane_ptr().cast::<OwnLine>() };
        LocalArena::new(self, line)
    }

    /// Moves `value` into the arena from any thread.
    ///
    /// # Panics
    ///
    /// Calls `handle_alloc_error` when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// *arena.alloc(1u32) += 1;
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc<T: Send>(&self, value: T) -> &mut T {
        self.lane().alloc(value)
    }

    /// Moves `value` into the arena, or returns `Err` past the limit or when the system refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc(1u8).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc<T: Send>(&self, value: T) -> Result<&mut T, AllocError> {
        self.lane().try_alloc(value)
    }

    /// Copies a string into the arena.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_str("shared"), "shared");
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_str(&self, s: &str) -> &mut str {
        self.lane().alloc_str(s)
    }

    /// Copies a slice into the arena.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_slice_copy(&[1, 2]), &[1, 2]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_copy<T: Copy + Send>(&self, src: &[T]) -> &mut [T] {
        self.lane().alloc_slice_copy(src)
    }

    /// Copies a string into the arena, or returns `Err` past the limit or when the system
    /// refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc_str("no room").is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        self.lane().try_alloc_str(s)
    }

    /// Copies a slice into the arena, or returns `Err` past the limit or when the system
    /// refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.try_alloc_slice_copy(&[3u8, 4]).unwrap(), &[3, 4]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_copy<T: Copy + Send>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        self.lane().try_alloc_slice_copy(src)
    }

    /// Formats `args` into the calling thread's lane (as [`MemoryArena::alloc_fmt`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_fmt(format_args!("{}+{}", 1, 2)), "1+2");
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_fmt(&self, args: core::fmt::Arguments<'_>) -> &mut str {
        self.lane().alloc_fmt(args)
    }

    /// Formats `args` into the calling thread's lane, or returns `Err` (as
    /// [`MemoryArena::try_alloc_fmt`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc_fmt(format_args!("{}", 1)).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_fmt(&self, args: core::fmt::Arguments<'_>) -> Result<&mut str, AllocError> {
        self.lane().try_alloc_fmt(args)
    }

    /// Allocates space for a `T` in the calling thread's lane, then builds the value in place
    /// with `f` (as [`MemoryArena::alloc_with`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_with(|| [1u64; 256]).len(), 256);
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_with<T: Send>(&self, f: impl FnOnce() -> T) -> &mut T {
        self.lane().alloc_with(f)
    }

    /// Allocates `len` copies of `value` (as [`MemoryArena::alloc_slice_fill_copy`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_slice_fill_copy(3, 0.5f32), &[0.5, 0.5, 0.5]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_copy<T: Copy + Send>(&self, len: usize, value: T) -> &mut [T] {
        self.lane().alloc_slice_fill_copy(len, value)
    }

    /// Allocates a slice of `len` values, the `i`-th being `f(i)` (as
    /// [`MemoryArena::alloc_slice_fill_with`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_slice_fill_with(3, |i| i + 1), &[1, 2, 3]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_with<T: Send>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> &mut [T] {
        self.lane().alloc_slice_fill_with(len, f)
    }

    /// Clones every value of `src` into the arena (as [`MemoryArena::alloc_slice_clone`]).
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(Clone, Debug, PartialEq)] // not `Copy`
    /// struct Id(u32);
    ///
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_slice_clone(&[Id(1), Id(2)]), &[Id(1), Id(2)]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_clone<T: Clone + Send>(&self, src: &[T]) -> &mut [T] {
        self.lane().alloc_slice_clone(src)
    }

    /// Moves the values of an iterator of known length into one slice (as
    /// [`MemoryArena::alloc_slice_fill_iter`], which says what a short iterator does).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert_eq!(arena.alloc_slice_fill_iter([5u8, 6].into_iter().rev()), &[6, 5]);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_slice_fill_iter<T: Send, I>(&self, values: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.lane().alloc_slice_fill_iter(values)
    }

    /// The fallible form of [`alloc_slice_fill_copy`](Self::alloc_slice_fill_copy): `Err` when
    /// the size overflows, past the limit, or when the system refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// assert!(arena.try_alloc_slice_fill_copy(usize::MAX, 0u32).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_copy<T: Copy + Send>(
        &self,
        len: usize,
        value: T,
    ) -> Result<&mut [T], AllocError> {
        self.lane().try_alloc_slice_fill_copy(len, value)
    }

    /// The fallible form of [`alloc_slice_fill_with`](Self::alloc_slice_fill_with).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc_slice_fill_with(4, |i| i).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_with<T: Send>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        self.lane().try_alloc_slice_fill_with(len, f)
    }

    /// The fallible form of [`alloc_slice_clone`](Self::alloc_slice_clone).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// assert!(arena.try_alloc_slice_clone(&[1u8]).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_clone<T: Clone + Send>(
        &self,
        src: &[T],
    ) -> Result<&mut [T], AllocError> {
        self.lane().try_alloc_slice_clone(src)
    }

    /// The fallible form of [`alloc_slice_fill_iter`](Self::alloc_slice_fill_iter) (the
    /// iterator is left untouched on `Err`).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(0).build();
    /// let mut values = [1u8, 2].into_iter();
    /// assert!(arena.try_alloc_slice_fill_iter(&mut values).is_err());
    /// assert_eq!(values.len(), 2);
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_slice_fill_iter<T: Send, I>(&self, values: I) -> Result<&mut [T], AllocError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.lane().try_alloc_slice_fill_iter(values)
    }

    /// Allocates uninitialised memory for `layout`.
    ///
    /// # Panics
    ///
    /// Calls `handle_alloc_error` when memory cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// let arena = memory_manager::SharedArena::new();
    /// let p = arena.alloc_layout(Layout::from_size_align(8192, 4096).unwrap());
    /// assert_eq!(p.as_ptr() as usize % 4096, 0);
    /// ```
    #[inline(always)]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.lane().alloc_layout(layout)
    }

    /// Allocates uninitialised memory for `layout`, or returns `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::alloc::Layout;
    /// let arena = memory_manager::SharedArena::new();
    /// let p = arena.try_alloc_layout(Layout::from_size_align(64, 64).unwrap()).unwrap();
    /// assert_eq!(p.as_ptr() as usize % 64, 0);
    /// ```
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.lane().try_alloc_layout(layout)
    }

    /// Frees everything every thread allocated, zeroed first when zeroing is on. The largest
    /// chunk of each thread's lane is kept for the next round: the first allocation of each
    /// thread after the reset, whether the thread is new or not, adopts one of them (the
    /// largest left), so a fresh batch of threads reuses warm memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut arena = memory_manager::SharedArena::new();
    /// arena.alloc([0u8; 100]);
    /// arena.reset();
    /// assert_eq!(arena.allocated_bytes(), 0);
    /// ```
    pub fn reset(&mut self) {
        // Every thread's cached lane goes stale: its next allocation adopts a kept chunk.
        self.id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let budget = self.budget;
        let mut list = self.lanes.lock();
        let Lanes { lanes, spare } = &mut *list;
        for lane in lanes.iter_mut() {
            // SAFETY: `&mut self`: no thread is using any lane.
            let handed = unsafe { lane.arena.as_mut() }.reset_handing_over_largest();
            if let Some(chunk) = handed {
                if spare.try_reserve(1).is_ok() {
                    spare.push(SpareChunk(chunk));
                } else {
                    // SAFETY: the chunk is no lane's and in no list.
                    unsafe { Self::free_spare(budget, SpareChunk(chunk)) };
                }
            }
        }
        // Keep the largest, at most one per lane: more could never all be adopted at once.
        spare.sort_unstable_by_key(SpareChunk::size);
        let excess = spare.len().saturating_sub(lanes.len());
        for chunk in spare.drain(..excess) {
            // SAFETY: drained from the list, so no lane can adopt it.
            unsafe { Self::free_spare(budget, chunk) };
        }
    }

    /// Gives a spare chunk back to the system.
    ///
    /// # Safety
    ///
    /// `chunk` is in no lane and no list, and `budget` is this arena's (not yet freed).
    unsafe fn free_spare(budget: NonNull<Budget>, chunk: SpareChunk) {
        // SAFETY: the caller's promise: the budget is live.
        unsafe { budget.as_ref() }.give_back(chunk.size());
        // SAFETY: the chunk came from `ChunkFooter::allocate` and is freed once, here.
        unsafe { ChunkFooter::free(chunk.0) };
    }

    /// Bytes handed out since the last reset, over all threads (exact once the allocating
    /// threads have finished; a momentary figure while they run).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// arena.alloc(0u64);
    /// assert_eq!(arena.allocated_bytes(), 8);
    /// ```
    pub fn allocated_bytes(&self) -> usize {
        self.lanes.lock().lanes.iter().fold(0usize, |sum, lane| {
            // SAFETY: `allocated_bytes` only reads the lane's relaxed-atomic bump state.
            sum.wrapping_add(unsafe { lane.arena() }.allocated_bytes())
        })
    }

    /// Bytes held in chunks by all threads' lanes, and by the chunks `reset` kept for the next
    /// round.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// arena.alloc(0u8);
    /// assert!(arena.capacity_bytes() > 0);
    /// ```
    pub fn capacity_bytes(&self) -> usize {
        self.budget().capacity()
    }

    /// How many chunks all lanes hold, with those `reset` kept for the next round.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// arena.alloc(0u8);
    /// assert_eq!(arena.chunk_count(), 1);
    /// ```
    pub fn chunk_count(&self) -> usize {
        self.budget().chunks()
    }

    /// Caps [`capacity_bytes`](Self::capacity_bytes) across all threads: past it, `try_*` and
    /// the `Allocator` methods return `Err` and nothing else changes.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// arena.set_allocation_limit(Some(4096));
    /// assert!(arena.try_alloc([0u8; 8192]).is_err());
    /// ```
    pub fn set_allocation_limit(&self, limit: Option<usize>) {
        self.budget().set_limit(limit);
    }

    /// The cap set by [`set_allocation_limit`](Self::set_allocation_limit), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(memory_manager::SharedArena::new().allocation_limit(), None);
    /// ```
    pub fn allocation_limit(&self) -> Option<usize> {
        self.budget().limit()
    }

    /// How many lanes the arena has: one per thread that allocated and is still running, plus
    /// those of exited threads, kept for the next threads to adopt.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| arena.alloc(1u8));
    /// });
    /// assert_eq!(arena.lane_count(), 1);
    /// ```
    pub fn lane_count(&self) -> usize {
        self.lanes.lock().lanes.len()
    }
}

/// Configures and builds a [`SharedArena`]: the [`MemoryArena`] settings, applied to every
/// thread's lane, with one shared allocation limit.
///
/// # Examples
///
/// ```
/// let arena = memory_manager::SharedArena::builder()
///     .allocation_limit(1 << 20)
///     .zero_on_free(true)
///     .build();
/// assert_eq!(arena.allocation_limit(), Some(1 << 20));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SharedArenaBuilder {
    settings: ArenaBuilder,
}

impl SharedArenaBuilder {
    /// The building thread's lane starts with one chunk of at least `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().capacity(4096).build();
    /// assert!(arena.capacity_bytes() >= 4096);
    /// ```
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.settings = self.settings.capacity(bytes);
        self
    }

    /// Whether handed-out bytes are zeroed on reset and drop (on by default).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().zero_on_free(false).build();
    /// # drop(arena);
    /// ```
    pub fn zero_on_free(mut self, zero: bool) -> Self {
        self.settings = self.settings.zero_on_free(zero);
        self
    }

    /// Cap on the chunk memory of all lanes together.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().allocation_limit(4096).build();
    /// assert!(arena.try_alloc([0u8; 8192]).is_err());
    /// ```
    pub fn allocation_limit(mut self, bytes: usize) -> Self {
        self.settings = self.settings.allocation_limit(bytes);
        self
    }

    /// Each lane's first chunk size (see [`ArenaBuilder::first_chunk_size`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().first_chunk_size(1 << 16).build();
    /// arena.alloc(0u8);
    /// assert_eq!(arena.capacity_bytes(), 1 << 16);
    /// ```
    pub fn first_chunk_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.first_chunk_size(bytes);
        self
    }

    /// The cap on each lane's regular chunk size (see [`ArenaBuilder::max_chunk_size`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().max_chunk_size(1 << 20).build();
    /// # drop(arena);
    /// ```
    pub fn max_chunk_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_chunk_size(bytes);
        self
    }

    /// Builds the arena.
    ///
    /// # Panics
    ///
    /// Calls `handle_alloc_error` if the `capacity` chunk cannot be allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::SharedArena::builder().build();
    /// # drop(arena);
    /// ```
    pub fn build(self) -> SharedArena {
        let capacity = self.settings.capacity;
        self.try_build().unwrap_or_else(|_| {
            crate::alloc::handle_alloc_error(
                Layout::from_size_align(capacity.min(isize::MAX as usize), 1)
                    .expect("size clamped to isize::MAX"),
            )
        })
    }

    /// Builds the arena, or returns `Err` if the `capacity` chunk cannot be had.
    ///
    /// # Examples
    ///
    /// ```
    /// let refused = memory_manager::SharedArena::builder()
    ///     .capacity(1 << 20)
    ///     .allocation_limit(1024)
    ///     .try_build();
    /// assert!(refused.is_err());
    /// ```
    pub fn try_build(self) -> Result<SharedArena, AllocError> {
        let capacity = self.settings.capacity;
        let mut lane_settings = self.settings.clone();
        lane_settings.capacity = 0;
        lane_settings.allocation_limit = None; // the shared budget carries the limit
        let arena = SharedArena {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            lanes: Arc::new(lock_api::Mutex::new(Lanes {
                lanes: Vec::new(),
                spare: Vec::new(),
            })),
            budget: NonNull::from(Box::leak(Box::new(Budget::new(
                self.settings.allocation_limit,
            )))),
            settings: lane_settings,
        };
        if capacity > 0 {
            arena.lane().reserve_chunk(capacity)?;
        }
        Ok(arena)
    }
}

impl Drop for SharedArena {
    fn drop(&mut self) {
        let mut list = self.lanes.lock();
        for lane in list.lanes.drain(..) {
            // SAFETY: leaked in `lane_slow`, freed once here; `&mut self` means no thread is
            // using it. Its chunks go back to the budget, which is freed only below.
            drop(unsafe { Box::from_raw(lane.arena.as_ptr().cast::<OwnLine>()) });
        }
        for chunk in list.spare.drain(..) {
            // SAFETY: drained, so in no list; the budget is freed only below.
            unsafe { Self::free_spare(self.budget, chunk) };
        }
        drop(list);
        // SAFETY: leaked in `try_build`; no lane points to it any more.
        drop(unsafe { Box::from_raw(self.budget.as_ptr()) });
    }
}

// SAFETY: the budget is all atomics (`Sync`) and owned by the arena; the lanes are `Send` and
// each is used by one thread at a time (see `lanes`).
unsafe impl Send for SharedArena {}
// SAFETY: as above: shared access only ever reaches a thread's own lane, the lane list behind
// its mutex, and the atomic budget.
unsafe impl Sync for SharedArena {}

impl fmt::Debug for SharedArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedArena")
            .field("lanes", &self.lane_count())
            .field("chunks", &self.chunk_count())
            .field("capacity_bytes", &self.capacity_bytes())
            .field("allocated_bytes", &self.allocated_bytes())
            .field("allocation_limit", &self.allocation_limit())
            .finish()
    }
}

// SAFETY: every call goes to the calling thread's lane, a `LaneArena` (`MemoryArena`'s
// implementation) whose `Allocator` impl upholds the contract; blocks of one lane never overlap
// another's (separate chunks). A block freed or resized from another thread than the one that
// allocated it is simply not the newest of the calling thread's lane, so it is left alone
// (reclaimed on reset), as `MemoryArena` does for any block but the newest. Everything stays valid
// until `reset`/drop, which need `&mut self`.
unsafe impl Allocator for SharedArena {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.lane().allocate(layout)
    }

    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.lane().allocate_zeroed(layout)
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded; see the impl's comment for blocks of other lanes.
        unsafe { self.lane().deallocate(ptr, layout) }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded; a block of another lane is grown by copying.
        unsafe { self.lane().grow(ptr, old_layout, new_layout) }
    }

    #[inline]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded.
        unsafe { self.lane().grow_zeroed(ptr, old_layout, new_layout) }
    }

    #[inline]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded; a block of another lane shrinks in place without moving the
        // calling lane's cursor.
        unsafe { self.lane().shrink(ptr, old_layout, new_layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::all_bytes_are;

    #[test]
    fn reset_wipes_what_every_thread_allocated() {
        let mut arena = SharedArena::new();
        // The barrier keeps all three threads alive at once, so each has a lane of its own.
        let barrier = std::sync::Barrier::new(3);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    arena.alloc_slice_copy(&[0xEE_u8; 500]);
                    barrier.wait();
                });
            }
        });
        // Each lane's (only) chunk: its base and how much of it was used.
        let spans: Vec<(NonNull<u8>, usize)> = arena
            .lanes
            .lock()
            .lanes
            .iter()
            .map(|lane| {
                // SAFETY: every thread was joined; this is the only use of the lanes.
                let arena = unsafe { lane.arena() };
                let chunk = arena.current_chunk().expect("the lane allocated");
                // SAFETY: the lane's current chunk is live.
                (unsafe { chunk.as_ref() }.base, arena.current_used())
            })
            .collect();
        assert_eq!(spans.len(), 3);
        arena.reset();
        for (base, used) in spans {
            assert!(used >= 500);
            // SAFETY: reset keeps each lane's largest (here: only) chunk, so the bytes are still
            // arena memory, read through the chunk's own pointer.
            let bytes = unsafe { core::slice::from_raw_parts(base.as_ptr(), used) };
            assert!(all_bytes_are(bytes, 0), "a lane was not wiped");
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn both<T: Send + Sync>() {}
        both::<SharedArena>();
    }
}
