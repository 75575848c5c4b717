//! `RawArena`: the bump arena itself, over the cells of either kind (see `slot.rs`).
//!
//! [`MemoryArena`](super::MemoryArena) wraps a `RawArena<Unshared>` and documents the API;
//! each `SharedArena` lane is a `RawArena<Readable>`, whose bump state other threads may read.

use super::budget::Budget;
use super::builder::ArenaBuilder;
use super::bumping::bump_up;
use super::chunk::{ChunkFooter, chunk_layout};
use super::slot::{CountSlot, OptionPtrSlot, PtrSlot, Sharing};
use crate::alloc::{
    AllocError, Allocator, Layout, MAX_SYSTEM_ALIGN, block, dangling_for, handle_alloc_error,
};
use crate::zero::zero_bytes;
use core::cell::Cell;
use core::ptr::NonNull;

// Cache-line aligned, so the arena owns whole cache lines: every allocation stores the cursor
// and the next one loads it back, and when the arena lived on the stack sharing a line with other
// locals written in the same loop, that reload was measurably slower (1M 24-byte allocations:
// 1.37x bumpalo's time packed among other locals, 1.02x on lines of its own, same code).
#[repr(align(64))]
pub(crate) struct RawArena<S: Sharing> {
    /// The next free byte of the current chunk.
    cursor: PtrSlot<u8, S>,
    /// The end of the current chunk's data area (its footer); `cursor <= end`.
    end: Cell<NonNull<u8>>,
    /// How far the current chunk was used before the cursor last moved down (deallocating or
    /// shrinking the newest allocation gives its bytes back without wiping them): the used part
    /// of the chunk, the part to wipe, ends at the larger of this and the cursor.
    given_back_end: Cell<NonNull<u8>>,
    /// The current chunk, which links to the older ones.
    current: OptionPtrSlot<ChunkFooter, S>,
    /// Chunks kept by [`reset_keep_chunks`](Self::reset_keep_chunks), zeroed and waiting to be
    /// reused.
    spare: Cell<Option<NonNull<ChunkFooter>>>,
    /// Bytes used in chunks that stopped being current since the last reset.
    retired_used: CountSlot<S>,
    /// Alignment padding skipped since the last reset. `allocated_bytes` is the used space less
    /// this, which keeps a counter update off the fast path (padding is rare and often known to
    /// be zero at compile time).
    padding: CountSlot<S>,
    /// Bytes held in chunks, spare ones included.
    capacity: Cell<usize>,
    chunk_count: Cell<usize>,
    /// The size of the next regular chunk (footer included).
    next_chunk_size: Cell<usize>,
    limit: Cell<Option<usize>>,
    zero_on_free: bool,
    max_chunk_size: usize,
    /// For a `SharedArena` lane: the budget all lanes share (its limit replaces `limit`).
    pub(super) budget: Option<NonNull<Budget>>,
}

// SAFETY: the arena owns its chunks outright and keeps no thread-bound state; the values stored
// in it are never dropped or read by the arena, and every reference to them borrows the arena, so
// none can be alive when the arena moves to another thread. The only shared thing it may point
// to is a `SharedArena`'s budget, which is all atomics (`Sync`). `Cell` keeps it `!Sync`.
unsafe impl<S: Sharing> Send for RawArena<S> {}

/// A point the arena can be rewound to (see `MemoryArena::scope`).
#[derive(Clone, Copy)]
pub(crate) struct Checkpoint {
    chunk: Option<NonNull<ChunkFooter>>,
    cursor: NonNull<u8>,
    retired_used: usize,
    padding: usize,
}

impl<S: Sharing> RawArena<S> {
    pub(crate) fn from_builder(builder: ArenaBuilder) -> Self {
        Self {
            cursor: PtrSlot::new(NonNull::dangling()),
            end: Cell::new(NonNull::dangling()),
            given_back_end: Cell::new(NonNull::dangling()),
            current: OptionPtrSlot::new(None),
            spare: Cell::new(None),
            retired_used: CountSlot::new(0),
            padding: CountSlot::new(0),
            capacity: Cell::new(0),
            chunk_count: Cell::new(0),
            next_chunk_size: Cell::new(builder.first_chunk_size.min(builder.max_chunk_size)),
            limit: Cell::new(builder.allocation_limit),
            zero_on_free: builder.zero_on_free,
            max_chunk_size: builder.max_chunk_size,
            budget: None,
        }
    }

    // ----- allocation -------------------------------------------------------------------------

    /// Moves `value` into the arena and returns a mutable reference to it.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc<T>(&self, value: T) -> &mut T {
        self.alloc_with(|| value)
    }

    /// Moves `value` into the arena, or returns `Err` (dropping nothing: the value comes back
    /// inside no error, it is simply dropped) when the limit or the system refuses memory.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
        let ptr = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>();
        // SAFETY: `ptr` is a fresh allocation, aligned and sized for `T`, used by no one else;
        // the reference borrows the arena, which cannot be reset while it lives.
        unsafe {
            ptr.write(value);
            Ok(&mut *ptr.as_ptr())
        }
    }

    /// Allocates space for a `T`, then calls `f` and writes its result there, so large values
    /// can be built in place.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_with<T>(&self, f: impl FnOnce() -> T) -> &mut T {
        let ptr = self.alloc_layout(Layout::new::<T>()).cast::<T>();
        // SAFETY: as in `try_alloc`; if `f` panics, the space is simply never used.
        unsafe {
            ptr.write(f());
            &mut *ptr.as_ptr()
        }
    }

    /// Copies a slice into the arena.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        // `src` exists, so its layout is valid and this cannot fail to compute.
        let layout = Layout::for_value(src);
        self.try_alloc_slice_copy(src)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// Copies a slice into the arena, or returns `Err` when memory cannot be had.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let ptr = self.try_alloc_layout(Layout::for_value(src))?.cast::<T>();
        // SAFETY: `ptr` is fresh, aligned and large enough for `src.len()` values of `T`, and
        // cannot overlap `src`, which was allocated before it.
        unsafe {
            ptr.as_ptr()
                .copy_from_nonoverlapping(src.as_ptr(), src.len());
            Ok(core::slice::from_raw_parts_mut(ptr.as_ptr(), src.len()))
        }
    }

    /// Allocates `len` copies of `value`.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_slice_fill_copy<T: Copy>(&self, len: usize, value: T) -> &mut [T] {
        let layout = Layout::array::<T>(len).expect("capacity overflow");
        self.try_alloc_slice_fill_copy(len, value)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// Allocates `len` copies of `value`, or returns `Err` when the size overflows or memory
    /// cannot be had.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_slice_fill_copy<T: Copy>(
        &self,
        len: usize,
        value: T,
    ) -> Result<&mut [T], AllocError> {
        self.try_alloc_slice_fill_with(len, |_| value)
    }

    /// Allocates a slice of `len` values, the `i`-th being `f(i)`.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_slice_fill_with<T>(
        &self,
        len: usize,
        f: impl FnMut(usize) -> T,
    ) -> &mut [T] {
        let layout = Layout::array::<T>(len).expect("capacity overflow");
        self.try_alloc_slice_fill_with(len, f)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// The fallible form of [`alloc_slice_fill_with`](Self::alloc_slice_fill_with).
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_slice_fill_with<T>(
        &self,
        len: usize,
        mut f: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        let layout = Layout::array::<T>(len).map_err(|_| AllocError)?;
        let ptr = self.try_alloc_layout(layout)?.cast::<T>();
        for i in 0..len {
            // SAFETY: `i < len`, inside the fresh allocation sized for `len` values.
            unsafe { ptr.add(i).write(f(i)) };
        }
        // SAFETY: all `len` values are initialised above.
        Ok(unsafe { core::slice::from_raw_parts_mut(ptr.as_ptr(), len) })
    }

    /// Clones every value of `src` into the arena.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_slice_clone<T: Clone>(&self, src: &[T]) -> &mut [T] {
        let layout = Layout::for_value(src);
        self.try_alloc_slice_clone(src)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// The fallible form of [`alloc_slice_clone`](Self::alloc_slice_clone).
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_slice_clone<T: Clone>(
        &self,
        src: &[T],
    ) -> Result<&mut [T], AllocError> {
        self.try_alloc_slice_fill_with(src.len(), |i| src[i].clone())
    }

    /// Moves the values of an iterator of known length into one slice in the arena.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_slice_fill_iter<T, I>(&self, values: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let values = values.into_iter();
        let layout = Layout::array::<T>(values.len()).expect("capacity overflow");
        self.try_alloc_slice_fill_iter(values)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// The fallible form of [`alloc_slice_fill_iter`](Self::alloc_slice_fill_iter): `Err` when
    /// the size overflows or memory cannot be had (the iterator is then left untouched).
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_slice_fill_iter<T, I>(&self, values: I) -> Result<&mut [T], AllocError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut values = values.into_iter();
        // `len` is a promise from safe code, not a guarantee: a short iterator must not leave
        // part of the slice uninitialised, so running out is a panic, not an early end.
        self.try_alloc_slice_fill_with(values.len(), |_| {
            values
                .next()
                .expect("the iterator yielded fewer values than its `len()` promised")
        })
    }

    /// Copies a string into the arena.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_str(&self, s: &str) -> &mut str {
        let layout = Layout::for_value(s);
        self.try_alloc_str(s)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// Copies a string into the arena, or returns `Err` when memory cannot be had.
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        let len = s.len();
        let ptr = self.try_alloc_layout(Layout::for_value(s))?;
        // SAFETY: `ptr` is a fresh allocation of `len` bytes that cannot overlap `s`, whose
        // bytes are initialised; the copy makes them valid UTF-8, and the slice borrows the
        // arena, which cannot be reset while it lives.
        unsafe {
            crate::copy::copy_bytes(ptr.as_ptr(), s.as_ptr(), len);
            let bytes = core::slice::from_raw_parts_mut(ptr.as_ptr(), len);
            Ok(core::str::from_utf8_unchecked_mut(bytes))
        }
    }

    /// Allocates uninitialised memory for `layout`.
    #[inline(always)]
    pub(crate) fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.try_alloc_layout(layout)
            .unwrap_or_else(|_| handle_alloc_error(layout))
    }

    /// Allocates uninitialised memory for `layout`, or returns `Err` when the allocation limit
    /// or the system refuses it. Zero-sized layouts get an aligned dangling pointer.
    #[inline(always)]
    pub(crate) fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let size = layout.size();
        if size == 0 {
            return Ok(dangling_for(layout));
        }
        let cursor = self.cursor.get();
        match bump_up(
            cursor.addr().get(),
            self.end.get().addr().get(),
            size,
            layout.align(),
        ) {
            Some((start, new_end)) => {
                let base = cursor.addr().get();
                // SAFETY: `bump_up` placed `start..new_end` between the cursor and the end of the
                // current chunk, so both offsets stay inside the chunk's allocation.
                let (ptr, new_cursor) =
                    unsafe { (cursor.add(start - base), cursor.add(new_end - base)) };
                self.cursor.set(new_cursor);
                let padding = start - base;
                if padding != 0 {
                    self.padding.set(self.padding.get() + padding);
                }
                Ok(ptr)
            }
            None => self
                .alloc_slow(layout.size(), layout.align())
                .ok_or(AllocError),
        }
    }

    /// The slow path: the current chunk is full (or there is none). Take a spare chunk that
    /// fits, or allocate a new one, then bump in it. `None` when neither is possible.
    #[cold]
    #[inline(never)]
    extern "C" fn alloc_slow(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(size, align).ok()?;
        let chunk = match self.take_spare(layout) {
            Some(chunk) => chunk,
            None => self.new_chunk(size, align, false).ok()?,
        };
        self.install(chunk);
        let cursor = self.cursor.get();
        let (start, new_end) = bump_up(
            cursor.addr().get(),
            self.end.get().addr().get(),
            size,
            align,
        )
        .expect("a fresh chunk is sized and aligned for the request");
        let base = cursor.addr().get();
        // SAFETY: as in the fast path: the range lies inside the freshly installed chunk.
        let (ptr, new_cursor) = unsafe { (cursor.add(start - base), cursor.add(new_end - base)) };
        self.cursor.set(new_cursor);
        let padding = start - base;
        self.padding.set(self.padding.get() + padding);
        Some(ptr)
    }

    /// Allocates a chunk holding `data_size` bytes aligned to `align` (or a regular, larger
    /// chunk), within the allocation limit.
    fn new_chunk(
        &self,
        data_size: usize,
        align: usize,
        exact: bool,
    ) -> Result<NonNull<ChunkFooter>, AllocError> {
        if align > MAX_SYSTEM_ALIGN {
            return Err(AllocError);
        }
        let needed = chunk_layout(data_size, align).ok_or(AllocError)?;
        let regular = self.next_chunk_size.get();
        let room = match (self.budget(), self.limit.get()) {
            (Some(budget), _) => budget.room(),
            (None, Some(limit)) => limit.saturating_sub(self.capacity.get()),
            (None, None) => usize::MAX,
        };
        if needed.size() > room {
            return Err(AllocError);
        }
        // Prefer a regular chunk (room for what follows); fall back to the exact size when the
        // limit or the system cannot give that much.
        let mut chunk = None;
        if !exact
            && regular > needed.size()
            && regular <= room
            && let Ok(layout) = Layout::from_size_align(regular, needed.align())
        {
            chunk = self.allocate_counted(layout);
        }
        let chunk = match chunk {
            Some(chunk) => {
                self.next_chunk_size
                    .set(regular.saturating_mul(2).min(self.max_chunk_size));
                chunk
            }
            None => {
                let chunk = self.allocate_counted(needed).ok_or(AllocError)?;
                if exact {
                    // Capacity given up front sets the scale for the chunks that follow.
                    let next = needed.size().saturating_mul(2).min(self.max_chunk_size);
                    self.next_chunk_size.set(regular.max(next));
                }
                chunk
            }
        };
        // SAFETY: the chunk was just allocated and its footer written.
        let size = unsafe { chunk.as_ref().layout.size() };
        self.capacity.set(self.capacity.get() + size);
        self.chunk_count.set(self.chunk_count.get() + 1);
        Ok(chunk)
    }

    /// The shared budget, for a `SharedArena` lane.
    #[inline]
    fn budget(&self) -> Option<&Budget> {
        // SAFETY: a lane's budget is owned by its `SharedArena`, which outlives the lane.
        self.budget.map(|budget| unsafe { budget.as_ref() })
    }

    /// Allocates a chunk with `layout`, counted against the shared budget if there is one.
    fn allocate_counted(&self, layout: Layout) -> Option<NonNull<ChunkFooter>> {
        let budget = self.budget();
        if budget.is_some_and(|budget| !budget.take(layout.size())) {
            return None;
        }
        let chunk = ChunkFooter::allocate(layout, None);
        if chunk.is_none()
            && let Some(budget) = budget
        {
            budget.give_back(layout.size());
        }
        chunk
    }

    /// Whether the arena has a current chunk (a `SharedArena` lane has none after a reset).
    #[cfg(feature = "std")]
    pub(crate) fn has_chunk(&self) -> bool {
        self.current.get().is_some()
    }

    /// [`reset`](Self::reset), except that the largest chunk is handed to the caller (wiped,
    /// counted out of this arena, still counted in the shared budget) instead of kept: a
    /// `SharedArena` pools its lanes' chunks so that whichever thread allocates next gets one.
    #[cfg(feature = "std")]
    pub(crate) fn reset_handing_over_largest(&mut self) -> Option<NonNull<ChunkFooter>> {
        let kept = self.drain_keeping_largest()?;
        // SAFETY: the chunk is live; it just stopped being this arena's.
        let footer = unsafe { kept.as_ref() };
        // Its link still names a chunk of this arena that may be freed: it is in no list now.
        footer.prev.set(None);
        let size = footer.layout.size();
        self.capacity.set(self.capacity.get() - size);
        self.chunk_count.set(self.chunk_count.get() - 1);
        Some(kept)
    }

    /// Makes `chunk` (handed over by another lane's
    /// [`reset_handing_over_largest`](Self::reset_handing_over_largest), already counted in the
    /// shared budget) this arena's current chunk. Its size sets the scale of the chunks that
    /// follow, as if the arena had grown to it.
    #[cfg(feature = "std")]
    pub(crate) fn adopt_chunk(&self, chunk: NonNull<ChunkFooter>) {
        // SAFETY: the chunk is live, wiped and owned by nobody else.
        let size = unsafe { chunk.as_ref() }.layout.size();
        self.capacity.set(self.capacity.get() + size);
        self.chunk_count.set(self.chunk_count.get() + 1);
        let next = size.saturating_mul(2).min(self.max_chunk_size);
        self.next_chunk_size
            .set(self.next_chunk_size.get().max(next));
        self.install(chunk);
    }

    /// Allocates a chunk able to hold `bytes` and makes it the current one (builder capacity).
    pub(crate) fn reserve_chunk(&self, bytes: usize) -> Result<(), AllocError> {
        let chunk = self.new_chunk(bytes, 1, true)?;
        self.install(chunk);
        Ok(())
    }

    /// Unlinks and returns the first spare chunk that can hold `layout`.
    fn take_spare(&self, layout: Layout) -> Option<NonNull<ChunkFooter>> {
        let mut link: &Cell<Option<NonNull<ChunkFooter>>> = &self.spare;
        while let Some(chunk) = link.get() {
            // SAFETY: spare chunks are live and owned by this arena; the reference is dropped
            // before the chunk can be freed.
            let footer = unsafe { chunk.as_ref() };
            let fits = bump_up(
                footer.base.addr().get(),
                ChunkFooter::data_end(chunk).addr().get(),
                layout.size(),
                layout.align(),
            )
            .is_some();
            if fits {
                link.set(footer.prev.get());
                return Some(chunk);
            }
            // SAFETY: as above; the footer outlives this loop iteration.
            link = unsafe { &(*chunk.as_ptr()).prev };
        }
        None
    }

    /// Makes `chunk` the current chunk, its whole data area free.
    fn install(&self, chunk: NonNull<ChunkFooter>) {
        self.retire_current();
        self.retired_used
            .set(self.retired_used.get() + self.current_used());
        // SAFETY: `chunk` is live and owned by this arena.
        let footer = unsafe { chunk.as_ref() };
        footer.prev.set(self.current.get());
        footer.used_end.set(footer.base);
        self.current.set(Some(chunk));
        self.cursor.set(footer.base);
        self.given_back_end.set(footer.base);
        self.end.set(ChunkFooter::data_end(chunk));
    }

    /// Bytes used in the current chunk (0 when there is none).
    pub(super) fn current_used(&self) -> usize {
        let Some(chunk) = self.current.get() else {
            return 0;
        };
        // SAFETY: the current chunk is live and owned by this arena (a `SharedArena` may read
        // another thread's lane here: chunks are only freed with `&mut` access, so even a
        // stale chunk pointer is still live).
        let base = unsafe { chunk.as_ref() }.base;
        // Wrapping: a reader on another thread may see the cursor of a newer chunk; the result
        // is then momentary nonsense, never a panic.
        self.cursor
            .get()
            .addr()
            .get()
            .wrapping_sub(base.addr().get())
    }

    /// Records in the current chunk's footer how far it was used, bytes given back included.
    fn retire_current(&self) {
        if let Some(current) = self.current.get() {
            // SAFETY: the current chunk is live and owned by this arena.
            unsafe { current.as_ref() }
                .used_end
                .set(self.cursor.get().max(self.given_back_end.get()));
        }
    }

    /// Moves the cursor down to `new_cursor`, giving back the newest bytes. They are not wiped
    /// here but remembered as used, so that `reset`, scope exit and drop wipe them with the rest:
    /// a wipe (a call, black-boxed) in `deallocate` made the drop glue of every collection in the
    /// arena too large for LLVM to inline, which kept those collections in memory instead of
    /// registers (a JSON-like tree built through `Vec`s ran 3-5% slower than with the peers).
    #[inline(always)]
    fn give_back(&self, cursor: NonNull<u8>, new_cursor: NonNull<u8>) {
        debug_assert!(new_cursor <= cursor && cursor == self.cursor.get());
        self.given_back_end
            .set(cursor.max(self.given_back_end.get()));
        self.cursor.set(new_cursor);
    }

    /// Zeroes (when configured) the bytes `from..to` of a chunk.
    fn wipe(&self, from: NonNull<u8>, to: NonNull<u8>) {
        if self.zero_on_free {
            let len = to.addr().get() - from.addr().get();
            // SAFETY: callers pass a used range of one live chunk, `from <= to`.
            unsafe { zero_bytes(from, len) };
        }
    }

    // ----- freeing ------------------------------------------------------------------------------

    /// Frees everything allocated, keeping only the largest chunk for reuse. With zeroing on (the
    /// default), every byte handed out since the last reset is overwritten with zeros first.
    pub(crate) fn reset(&mut self) {
        if let Some(kept) = self.drain_keeping_largest() {
            self.install(kept);
        }
    }

    /// Empties the arena (wiping as configured) and frees every chunk but the largest, which
    /// is returned, in no list, still counted in this arena's capacity.
    fn drain_keeping_largest(&mut self) -> Option<NonNull<ChunkFooter>> {
        let mut largest: Option<NonNull<ChunkFooter>> = None;
        // Newest first, so `>=` ends on the oldest of equal sizes: the one used to its end.
        self.drain_chunks(|chunk, size| {
            // SAFETY: `kept` is live: it is the chunk being kept.
            let larger = largest.is_none_or(|kept| size >= unsafe { kept.as_ref() }.layout.size());
            let release = if larger {
                largest.replace(chunk)
            } else {
                Some(chunk)
            };
            if let Some(release) = release {
                self.forget_chunk(release);
            }
        });
        largest
    }

    /// Frees everything allocated but keeps every chunk (zeroed, when zeroing is on) for reuse:
    /// the next allocations fill them before any new chunk is requested.
    pub(crate) fn reset_keep_chunks(&mut self) {
        self.drain_chunks(|chunk, _| {
            // SAFETY: the drained chunk is live and owned by this arena.
            unsafe { chunk.as_ref() }.prev.set(self.spare.get());
            self.spare.set(Some(chunk));
        });
    }

    /// Empties both chunk lists, wiping each chunk's used bytes and passing it (with its size) to
    /// `each`, and leaves the arena with no current chunk and nothing allocated.
    fn drain_chunks(&self, mut each: impl FnMut(NonNull<ChunkFooter>, usize)) {
        self.retire_current();
        for list in [self.current.take(), self.spare.take()] {
            let mut chunks = list;
            while let Some(chunk) = chunks {
                // SAFETY: every listed chunk is live and owned; callers hold `&mut` access (or
                // are dropping), so nothing borrows from it.
                let footer = unsafe { chunk.as_ref() };
                chunks = footer.prev.get();
                self.wipe(footer.base, footer.used_end.get());
                footer.used_end.set(footer.base);
                each(chunk, footer.layout.size());
            }
        }
        self.cursor.set(NonNull::dangling());
        self.given_back_end.set(NonNull::dangling());
        self.end.set(NonNull::dangling());
        self.retired_used.set(0);
        self.padding.set(0);
    }

    /// Frees a chunk that is in no list any more, keeping the counters exact.
    fn forget_chunk(&self, chunk: NonNull<ChunkFooter>) {
        // SAFETY: the chunk is live and unlinked; nothing refers into it (callers hold `&mut`
        // access to the arena or are rewinding a scope whose borrows have ended).
        let size = unsafe { chunk.as_ref() }.layout.size();
        self.capacity.set(self.capacity.get() - size);
        self.chunk_count.set(self.chunk_count.get() - 1);
        if let Some(budget) = self.budget() {
            budget.give_back(size);
        }
        // SAFETY: as above; it was allocated by `ChunkFooter::allocate` and is freed once.
        unsafe { ChunkFooter::free(chunk) };
    }

    /// Rewinds to `checkpoint`, which must be older than every allocation still borrowed (the
    /// `scope` signature guarantees that none is).
    pub(crate) fn rewind(&self, checkpoint: Checkpoint) {
        self.retire_current();
        let mut chunks = self.current.get();
        while chunks != checkpoint.chunk {
            let chunk = chunks.expect("the checkpoint's chunk is in the current chunk list");
            // SAFETY: chunks newer than the checkpoint are live, owned, and no longer borrowed.
            let footer = unsafe { chunk.as_ref() };
            chunks = footer.prev.get();
            self.wipe(footer.base, footer.used_end.get());
            self.forget_chunk(chunk);
        }
        self.current.set(checkpoint.chunk);
        self.retired_used.set(checkpoint.retired_used);
        self.padding.set(checkpoint.padding);
        match checkpoint.chunk {
            Some(chunk) => {
                // SAFETY: the checkpoint's chunk is still live (it was not freed above).
                let footer = unsafe { chunk.as_ref() };
                self.wipe(checkpoint.cursor, footer.used_end.get());
                footer.used_end.set(checkpoint.cursor);
                self.cursor.set(checkpoint.cursor);
                self.given_back_end.set(checkpoint.cursor);
                self.end.set(ChunkFooter::data_end(chunk));
            }
            None => {
                self.cursor.set(NonNull::dangling());
                self.given_back_end.set(NonNull::dangling());
                self.end.set(NonNull::dangling());
            }
        }
    }

    // ----- introspection ------------------------------------------------------------------------

    /// Bytes handed out since the last reset: the sum of the sizes of all allocations, less the
    /// bytes given back by deallocating or shrinking the newest allocation, plus in-place
    /// growth. Alignment padding is not counted.
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.retired_used
            .get()
            .wrapping_add(self.current_used())
            .wrapping_sub(self.padding.get())
    }

    /// Bytes held in chunks (footers and spare chunks included): what the arena costs.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.capacity.get()
    }

    /// How many chunks the arena holds, spare ones included.
    pub(crate) fn chunk_count(&self) -> usize {
        self.chunk_count.get()
    }

    /// Caps [`capacity_bytes`](Self::capacity_bytes): a request that would need more chunk
    /// memory fails with `Err` from `try_*` and the [`Allocator`] methods (the panicking forms
    /// call [`handle_alloc_error`]); nothing else changes. `None` removes the cap. Lowering the
    /// cap below what is already held frees nothing; it only stops growth.
    pub(crate) fn set_allocation_limit(&self, limit: Option<usize>) {
        self.limit.set(limit);
    }

    /// The cap set by [`set_allocation_limit`](Self::set_allocation_limit), if any.
    pub(crate) fn allocation_limit(&self) -> Option<usize> {
        self.limit.get()
    }

    /// Whether freed bytes are overwritten with zeros (see [`ArenaBuilder::zero_on_free`]).
    pub(crate) fn zero_on_free(&self) -> bool {
        self.zero_on_free
    }

    /// A fresh block of `size` bytes aligned to `align`, with the first `keep` bytes at `ptr`
    /// copied in; `None` when the arena cannot have it. `grow`'s path when the block cannot grow
    /// in place, and `shrink`'s when the block is not aligned enough.
    ///
    /// Out of line, so that a loop that pushes to a `Vec` carries one call here instead of a
    /// second inlined bump and copy. That kept the JSON-tree benchmark's object loop under
    /// LLVM's size limit for peeling its first iteration (which the peers' loops get; see
    /// `slot.rs`). `extern "C"`, like `alloc_slow`, so that the call cannot unwind and needs no
    /// landing pad; nothing here panics.
    ///
    /// `#[cold]`, so that LLVM lays out `grow`'s in-place path as the fall-through and this call
    /// out of the way. Without it the in-place path was the branch taken, and a `Vec` grown a
    /// little at a time ran one more taken jump per growth than bump-scope's: `reserve_exact(1)`
    /// per push went from 1.069 to 0.973 of bump-scope's time (median over 10 and 8 shuffled
    /// layouts on an Intel Emerald Rapids), and the tree, `Vec` push, map and parser held or
    /// gained. A block that moves is a growth of a `Vec` that is not the newest allocation, once
    /// per doubling, so the hint is true to the workloads.
    ///
    /// # Safety
    ///
    /// `ptr` is valid for reading `keep` bytes, `keep <= size`, and `size` rounded up to `align`
    /// (a power of two) does not exceed `isize::MAX` (so `size` and `align` make a valid
    /// `Layout`).
    #[cold]
    #[inline(never)]
    unsafe extern "C" fn move_block(
        &self,
        ptr: NonNull<u8>,
        keep: usize,
        size: usize,
        align: usize,
    ) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(size, align).ok()?;
        let fresh = self.try_alloc_layout(layout).ok()?;
        // SAFETY: the caller guarantees `ptr` holds `keep` readable bytes; `fresh` is a new block
        // of at least `size >= keep` bytes, so they cannot overlap.
        unsafe { fresh.as_ptr().copy_from_nonoverlapping(ptr.as_ptr(), keep) };
        Some(fresh)
    }

    /// Whether `ptr..ptr + size` is the newest allocation, the one that ends at `cursor` (the
    /// arena's cursor, passed in so that a caller that needs it again loads it once).
    #[inline(always)]
    fn is_newest(ptr: NonNull<u8>, size: usize, cursor: NonNull<u8>) -> bool {
        ptr.addr().get().wrapping_add(size) == cursor.addr().get()
    }

    /// The current chunk, for tests that look inside it.
    #[cfg(test)]
    pub(super) fn current_chunk(&self) -> Option<NonNull<ChunkFooter>> {
        self.current.get()
    }

    /// The cursor, for tests that look inside the current chunk.
    #[cfg(test)]
    pub(super) fn cursor(&self) -> NonNull<u8> {
        self.cursor.get()
    }

    /// Where the arena stands now, for [`rewind`](Self::rewind).
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            chunk: self.current.get(),
            cursor: self.cursor.get(),
            retired_used: self.retired_used.get(),
            padding: self.padding.get(),
        }
    }
}

impl<S: Sharing> Drop for RawArena<S> {
    fn drop(&mut self) {
        self.drain_chunks(|chunk, _| self.forget_chunk(chunk));
    }
}

// SAFETY: every block handed out lies inside a chunk the arena owns and stays valid until the
// arena is reset or dropped, both of which need `&mut self`, so no `&RawArena` (and no
// collection allocating through one) can outlive them. Blocks never overlap: the cursor only
// moves past a block, except when that block itself is given back or shrunk. `grow`/`shrink`
// keep the contents (in place, or by copying `min(old, new)` bytes).
unsafe impl<S: Sharing> Allocator for RawArena<S> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.try_alloc_layout(layout)
            .map(|ptr| block(ptr, layout.size()))
    }

    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        let ptr = self.try_alloc_layout(layout)?;
        // SAFETY: the fresh block has `layout.size()` writable bytes.
        unsafe { ptr.as_ptr().write_bytes(0, layout.size()) };
        Ok(block(ptr, layout.size()))
    }

    /// Gives the bytes back for reuse when `ptr` is the newest allocation; otherwise does
    /// nothing (the bytes are reclaimed on reset). Either way they are zeroed (when zeroing is
    /// on) on reset, scope exit or drop, not here.
    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // No test for a zero size: a zero-sized block "at the cursor" gives back nothing.
        let size = layout.size();
        let cursor = self.cursor.get();
        if Self::is_newest(ptr, size, cursor) {
            // SAFETY: the newest block ends at the cursor, so it starts `size` bytes below it,
            // inside the current chunk; we derive the pointer from the cursor to keep the
            // chunk's provenance.
            self.give_back(cursor, unsafe { cursor.sub(size) });
        }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let (old, new) = (old_layout.size(), new_layout.size());
        debug_assert!(new >= old, "grow from {old} to {new} bytes");
        let (cursor, end) = (self.cursor.get(), self.end.get());
        // The room test reads `new <= old + spare` (spare: `end - cursor`), not
        // `new - old <= spare`: the same test, but in loops that push to a `Vec` which is seldom
        // the newest block (the tree benchmark's array and object loops) LLVM computed
        // `new - old` from the `Vec`'s growth formula at the top of every iteration, growth or
        // not; written this way it stays on the growth path (the tree's instruction count fell
        // 4.6%, counted with callgrind), and `reserve_exact(1)`, where `new - old` is a
        // constant, compiles to the same instructions as before. No overflow: `old` and the
        // spare bytes each lie within one allocation.
        if old != 0
            && Self::is_newest(ptr, old, cursor)
            && ptr.addr().get() & (new_layout.align() - 1) == 0
            && new <= old + (end.addr().get() - cursor.addr().get())
        {
            // The block stays where it is: `ptr`'s address with the provenance of the chunk
            // (which `ptr`, perhaps derived from a reference to the old block only, may lack),
            // reached by stepping back from `end`, a pointer to the chunk's footer. Not from the
            // cursor: LLVM would use the equality just tested (`ptr + old == cursor`) to compute
            // the block as `cursor - old`, a value that waits for the cursor's load, which waits
            // for the previous growth's store, and a `Vec` grown a little at a time would carry
            // that store-to-load latency from one growth to the next (`reserve_exact(1)` per
            // push: 1.19x bump-scope's time, which returns `ptr`; seen in the disassembly). An
            // in-bounds step, not `with_addr`: LLVM then knows the result is not null, and the
            // caller's test of the `Result` folds away.
            // SAFETY: the block lies in the current chunk: it ends at the cursor, and a block of
            // another chunk cannot end there (each chunk's blocks end at or before its footer,
            // inside its own allocation). `end` points into the same allocation, at or past the
            // block, so the step back stays inside it.
            let start = unsafe { end.sub(end.addr().get() - ptr.addr().get()) };
            // SAFETY: the block ends at the cursor and the extra `new - old` bytes fit before the
            // chunk's end, so `start + new` is at most the end of the chunk.
            self.cursor.set(unsafe { start.add(new) });
            return Ok(block(start, new));
        }
        // SAFETY: forwarded: `ptr` holds `old` readable bytes, `new >= old`, and `new_layout` is
        // a valid layout.
        match unsafe { self.move_block(ptr, old, new, new_layout.align()) } {
            Some(fresh) => Ok(block(fresh, new)),
            None => Err(AllocError),
        }
    }

    #[inline]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        let grown = unsafe { self.grow(ptr, old_layout, new_layout)? };
        let start = grown.cast::<u8>();
        // SAFETY: the grown block has `new_layout.size()` bytes; the tail past the old size is
        // ours to initialise.
        unsafe {
            start
                .add(old_layout.size())
                .write_bytes(0, new_layout.size() - old_layout.size())
        };
        Ok(grown)
    }

    #[inline]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let (old, new) = (old_layout.size(), new_layout.size());
        debug_assert!(new <= old, "shrink from {old} to {new} bytes");
        if ptr.addr().get() & (new_layout.align() - 1) != 0 {
            // A stricter alignment than the block has: move it.
            // SAFETY: `ptr` holds at least `new` bytes (`new <= old`), and `new_layout` is a
            // valid layout.
            let fresh =
                unsafe { self.move_block(ptr, new, new, new_layout.align()) }.ok_or(AllocError)?;
            // SAFETY: forwarded; `ptr` is still allocated with `old_layout`.
            unsafe { self.deallocate(ptr, old_layout) };
            return Ok(block(fresh, new));
        }
        let cursor = self.cursor.get();
        if old != 0 && Self::is_newest(ptr, old, cursor) {
            // SAFETY: the block ends at the cursor, so its last `old - new` bytes lie just
            // below it in the current chunk.
            let new_cursor = unsafe { cursor.sub(old - new) };
            self.give_back(cursor, new_cursor);
            // SAFETY: the block starts `new` bytes below the new cursor (same provenance).
            return Ok(block(unsafe { new_cursor.sub(new) }, new));
        }
        Ok(block(ptr, new))
    }
}
