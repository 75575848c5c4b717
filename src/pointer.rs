//! `MemoryPointer<T, A>`: an atomically reference-counted pointer over any allocator, with weak
//! references, that wipes its memory when the last owner goes.
//!
//! One allocation holds the two counts, the allocator and the value, so the pointer itself is
//! one word (two for slices) whatever the allocator, and weak pointers need no copy of the
//! allocator either. The counts follow `std::sync::Arc` exactly: the weak count includes one
//! reference held jointly by all strong owners, counts abort the process rather than overflow,
//! and `get_mut` briefly locks the weak count to rule out a concurrent upgrade.

use crate::alloc::{AllocError, Allocator, Global, Layout, handle_alloc_error};
use crate::zero::zero_bytes;
use core::borrow::Borrow;
use core::cmp::Ordering as CmpOrdering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ops::Deref;
use core::ptr::{self, NonNull};
use core::sync::atomic::Ordering;

mod count;
use count::CountCell;
pub use count::{Atomic, Local, RefCount};

/// Counts above this abort the process, as `Arc`'s do: reaching it takes leaking pointers on a
/// scale no program does on purpose, and wrapping around would be a use-after-free.
const MAX_REFCOUNT: usize = isize::MAX as usize;

/// The weak count while `get_mut` checks uniqueness: no weak pointer can be made meanwhile.
const WEAK_LOCKED: usize = usize::MAX;

/// The allocation: counts, the value's layout, allocator, value (in that order; `repr(C)` so
/// slices can be laid out by hand). The layout is kept because a dead value's size cannot be
/// asked for on stable Rust without making a reference to it.
#[repr(C)]
struct Inner<T: ?Sized, A, C: RefCount> {
    strong: C::Cell,
    weak: C::Cell,
    value_layout: Layout,
    alloc: A,
    value: T,
}

/// A shared, atomically counted pointer to a `T` in memory from allocator `A` (the seed's
/// `MemoryPointer`): `Arc`'s semantics on stable Rust with any allocator-api2 allocator, and
/// the value's bytes zeroed when the last owner goes.
///
/// # Examples
///
/// ```
/// use memory_manager::{LocalPool, MemoryPointer};
///
/// let pool = LocalPool::new();
/// let first = MemoryPointer::new_in(String::from("shared"), &pool);
/// let second = MemoryPointer::clone(&first);
/// assert_eq!((MemoryPointer::strong_count(&first), &**second), (2, "shared"));
/// drop(first);
/// drop(second); // the last owner: dropped, wiped, returned to the pool
/// assert_eq!(pool.stats().live_bytes, 0);
/// ```
pub struct MemoryPointer<T: ?Sized, A: Allocator = Global, C: RefCount = Atomic> {
    ptr: NonNull<Inner<T, A, C>>,
    _owns: PhantomData<Inner<T, A, C>>,
}

/// A non-owning reference to a [`MemoryPointer`]'s allocation: it keeps the memory (not the
/// value) alive, and [`upgrade`](WeakPointer::upgrade) returns `None` once the value is gone.
///
/// # Examples
///
/// ```
/// use memory_manager::MemoryPointer;
///
/// let strong = MemoryPointer::new(5u32);
/// let weak = MemoryPointer::downgrade(&strong);
/// assert_eq!(weak.upgrade().as_deref(), Some(&5));
/// drop(strong);
/// assert!(weak.upgrade().is_none()); // stale: detected, never dangling
/// ```
pub struct WeakPointer<T: ?Sized, A: Allocator = Global, C: RefCount = Atomic> {
    ptr: NonNull<Inner<T, A, C>>,
    _owns: PhantomData<Inner<T, A, C>>,
}

// SAFETY: like `Arc`: the value and the allocator are shared between threads (`Sync` needed) and
// may be dropped on any of them (`Send` needed); the counts are atomic.
unsafe impl<T: ?Sized + Send + Sync, A: Allocator + Send + Sync> Send
    for MemoryPointer<T, A, Atomic>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, A: Allocator + Send + Sync> Sync
    for MemoryPointer<T, A, Atomic>
{
}
// SAFETY: as above; a weak pointer can be upgraded into a strong one on any thread.
unsafe impl<T: ?Sized + Send + Sync, A: Allocator + Send + Sync> Send
    for WeakPointer<T, A, Atomic>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, A: Allocator + Send + Sync> Sync
    for WeakPointer<T, A, Atomic>
{
}

impl<T> MemoryPointer<T> {
    /// Puts `value` in memory from the global allocator.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = memory_manager::MemoryPointer::new([1u8, 2, 3]);
    /// assert_eq!(p[1], 2);
    /// ```
    pub fn new(value: T) -> Self {
        Self::new_in(value, Global)
    }
}

/// The layout of an `Inner` whose value has `value` layout, and the value's offset.
fn inner_layout<A, C: RefCount>(value: Layout) -> Result<(Layout, usize), AllocError> {
    let header = Layout::new::<Inner<(), A, C>>();
    let (layout, offset) = header.extend(value).map_err(|_| AllocError)?;
    Ok((layout.pad_to_align(), offset))
}

/// Allocates an `Inner` with counts 1/1 and `alloc` written; the value is left to the caller.
fn allocate_inner<A: Allocator, C: RefCount>(
    value: Layout,
    alloc: A,
) -> Result<(NonNull<u8>, usize), AllocError> {
    let (layout, offset) = inner_layout::<A, C>(value)?;
    let mem = alloc.allocate(layout)?.cast::<u8>();
    let header = mem.cast::<Inner<(), A, C>>();
    // SAFETY: `mem` is a fresh block laid out for `Inner<(), A, C>` followed by the value; the
    // header fields are written in place through raw pointers (nothing is read).
    unsafe {
        ptr::addr_of_mut!((*header.as_ptr()).strong).write(C::Cell::new(1));
        ptr::addr_of_mut!((*header.as_ptr()).weak).write(C::Cell::new(1));
        ptr::addr_of_mut!((*header.as_ptr()).value_layout).write(value);
        ptr::addr_of_mut!((*header.as_ptr()).alloc).write(alloc);
    }
    Ok((mem, offset))
}

impl<T, A: Allocator> MemoryPointer<T, A> {
    /// Puts `value` in memory from `alloc`.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let pool = LocalPool::new();
    /// let p = MemoryPointer::new_in(7u8, &pool);
    /// assert_eq!(*p, 7);
    /// ```
    pub fn new_in(value: T, alloc: A) -> Self {
        Self::new_in_any(value, alloc)
    }

    /// Puts `value` in memory from `alloc`, or returns `Err` if the allocator fails (the value
    /// is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let tiny = LocalPool::builder().max_bytes(0).build();
    /// assert!(MemoryPointer::try_new_in(1u64, &tiny).is_err());
    /// ```
    pub fn try_new_in(value: T, alloc: A) -> Result<Self, AllocError> {
        Self::try_new_in_any(value, alloc)
    }
}

impl<T, A: Allocator, C: RefCount> MemoryPointer<T, A, C> {
    /// The constructor behind `try_new_in`, for either kind of count.
    fn try_new_in_any(value: T, alloc: A) -> Result<Self, AllocError> {
        let (mem, _) = allocate_inner::<A, C>(Layout::new::<T>(), alloc)?;
        let inner = mem.cast::<Inner<T, A, C>>();
        // SAFETY: the value field of the fresh `Inner<T, A, C>` is ours to initialise.
        unsafe { ptr::addr_of_mut!((*inner.as_ptr()).value).write(value) };
        Ok(Self::from_inner(inner))
    }

    fn new_in_any(value: T, alloc: A) -> Self {
        match Self::try_new_in_any(value, alloc) {
            Ok(this) => this,
            Err(_) => handle_alloc_error(
                inner_layout::<A, C>(Layout::new::<T>()).map_or(Layout::new::<T>(), |l| l.0),
            ),
        }
    }

    /// The value, if this is the only strong owner (weak pointers are left stale); otherwise
    /// the pointer back. The value's bytes in the allocation are wiped once it is moved out.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(3);
    /// let b = MemoryPointer::clone(&a);
    /// let a = MemoryPointer::try_unwrap(a).unwrap_err();
    /// drop(b);
    /// assert_eq!(MemoryPointer::try_unwrap(a), Ok(3));
    /// ```
    pub fn try_unwrap(this: Self) -> Result<T, Self> {
        if this
            .inner()
            .strong
            .compare_exchange(1, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(this);
        }
        acquire(&this.inner().strong);
        let this = ManuallyDrop::new(this);
        // SAFETY: the strong count went from 1 to 0 here, so we own the value; it is read
        // exactly once and never dropped in place.
        let value = unsafe { ptr::addr_of!((*this.ptr.as_ptr()).value).read() };
        this.wipe_value();
        // Release the weak reference the strong owners held jointly.
        drop(WeakPointer {
            ptr: this.ptr,
            _owns: PhantomData,
        });
        Ok(value)
    }

    /// The value, if this was the last strong owner; `None` otherwise (and this owner is gone).
    /// Unlike `try_unwrap(..).ok()`, two threads calling it on the last two owners never both
    /// get `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(String::from("x"));
    /// let b = MemoryPointer::clone(&a);
    /// assert_eq!(MemoryPointer::into_inner(a), None);
    /// assert_eq!(MemoryPointer::into_inner(b).as_deref(), Some("x"));
    /// ```
    pub fn into_inner(this: Self) -> Option<T> {
        let this = ManuallyDrop::new(this);
        if this.inner().strong.fetch_sub(1, Ordering::Release) != 1 {
            return None;
        }
        acquire(&this.inner().strong);
        // SAFETY: we took the strong count to zero: the value is ours, read once.
        let value = unsafe { ptr::addr_of!((*this.ptr.as_ptr()).value).read() };
        this.wipe_value();
        drop(WeakPointer {
            ptr: this.ptr,
            _owns: PhantomData,
        });
        Some(value)
    }

    /// A mutable reference to the value, cloning it into a fresh allocation first if other
    /// owners (strong or weak) exist, as `Arc::make_mut` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let mut a = MemoryPointer::new(vec![1]);
    /// let b = MemoryPointer::clone(&a);
    /// MemoryPointer::make_mut(&mut a).push(2); // clones: `b` is untouched
    /// assert_eq!((&a[..], &b[..]), (&[1, 2][..], &[1][..]));
    /// ```
    pub fn make_mut(this: &mut Self) -> &mut T
    where
        T: Clone,
        A: Clone,
    {
        if !this.is_unique() {
            let copy = Self::new_in_any((**this).clone(), this.inner().alloc.clone());
            *this = copy;
        }
        // SAFETY: unique now: no other strong or weak owner can reach the value.
        unsafe { &mut (*this.ptr.as_ptr()).value }
    }
}

impl<A: Allocator> MemoryPointer<[u8], A> {
    /// A zeroed byte buffer of `len` bytes (the seed's `mem_pointer_create("buf", 1024)`).
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let pool = LocalPool::new();
    /// let mut buf = MemoryPointer::new_zeroed_slice_in(1024, &pool);
    /// assert!(buf.iter().all(|&b| b == 0));
    /// MemoryPointer::get_mut(&mut buf).unwrap()[0] = 42;
    /// assert_eq!(buf[0], 42);
    /// ```
    pub fn new_zeroed_slice_in(len: usize, alloc: A) -> Self {
        Self::zeroed_bytes_any(len, alloc)
    }
}

impl<T, A: Allocator> MemoryPointer<[MaybeUninit<T>], A> {
    /// An uninitialised slice of `len` values; write them (through `get_mut` while unique) and
    /// call [`assume_init`](Self::assume_init).
    ///
    /// # Panics
    ///
    /// Panics with "capacity overflow" when the size overflows; calls [`handle_alloc_error`]
    /// if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// use memory_manager::allocator_api2::alloc::Global;
    /// let mut p = MemoryPointer::<[core::mem::MaybeUninit<u32>]>::new_uninit_slice_in(3, Global);
    /// for (i, slot) in MemoryPointer::get_mut(&mut p).unwrap().iter_mut().enumerate() {
    ///     slot.write(i as u32 * 10);
    /// }
    /// let p = unsafe { p.assume_init() };
    /// assert_eq!(&*p, &[0, 10, 20]);
    /// ```
    pub fn new_uninit_slice_in(len: usize, alloc: A) -> Self {
        Self::slice_in(len, alloc, false)
    }

    /// Like [`new_uninit_slice_in`](Self::new_uninit_slice_in), with every byte zeroed: for the
    /// types where all-zero bytes are a valid value, `assume_init` is then sound right away.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// use memory_manager::allocator_api2::alloc::Global;
    /// let p = MemoryPointer::<[core::mem::MaybeUninit<u64>]>::new_zeroed_uninit_slice_in(4, Global);
    /// let p = unsafe { p.assume_init() }; // zero is a valid u64
    /// assert_eq!(&*p, &[0; 4]);
    /// ```
    pub fn new_zeroed_uninit_slice_in(len: usize, alloc: A) -> Self {
        Self::slice_in(len, alloc, true)
    }
}

impl<T: Copy, A: Allocator> MemoryPointer<[T], A> {
    /// Copies a slice into memory from `alloc`.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let pool = LocalPool::new();
    /// let p = MemoryPointer::from_slice_in(&[1u16, 2, 3], &pool);
    /// assert_eq!(&*p, &[1, 2, 3]);
    /// ```
    pub fn from_slice_in(src: &[T], alloc: A) -> Self {
        Self::from_slice_any(src, alloc)
    }

    /// Copies a slice into memory from `alloc`, or returns `Err` if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let tiny = LocalPool::builder().max_bytes(0).build();
    /// assert!(MemoryPointer::try_from_slice_in(&[1, 2, 3], &tiny).is_err());
    /// ```
    pub fn try_from_slice_in(src: &[T], alloc: A) -> Result<Self, AllocError> {
        Self::try_from_slice_any(src, alloc)
    }
}

impl<A: Allocator> MemoryPointer<str, A> {
    /// Copies a string into memory from `alloc`.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{MemoryArena, MemoryPointer};
    /// let arena = MemoryArena::new();
    /// let name = MemoryPointer::from_str_in("my_buffer", &arena);
    /// assert_eq!(&*name, "my_buffer");
    /// ```
    pub fn from_str_in(s: &str, alloc: A) -> Self {
        Self::from_str_any(s, alloc)
    }
}

// ----- the constructors behind both kinds of count --------------------------------------------

impl<A: Allocator, C: RefCount> MemoryPointer<[u8], A, C> {
    fn zeroed_bytes_any(len: usize, alloc: A) -> Self {
        let zeroed = MemoryPointer::<[MaybeUninit<u8>], A, C>::slice_in(len, alloc, true);
        // SAFETY: every byte was zeroed, and zero is a valid `u8`.
        unsafe { zeroed.assume_init() }
    }
}

impl<T, A: Allocator, C: RefCount> MemoryPointer<[MaybeUninit<T>], A, C> {
    fn slice_in(len: usize, alloc: A, zeroed: bool) -> Self {
        let value = Layout::array::<T>(len).expect("capacity overflow");
        match Self::try_slice_in(len, alloc, zeroed) {
            Ok(this) => this,
            Err(_) => handle_alloc_error(inner_layout::<A, C>(value).map_or(value, |l| l.0)),
        }
    }

    fn try_slice_in(len: usize, alloc: A, zeroed: bool) -> Result<Self, AllocError> {
        let value = Layout::array::<T>(len).map_err(|_| AllocError)?;
        let (mem, offset) = allocate_inner::<A, C>(value, alloc)?;
        if zeroed {
            // SAFETY: the value part of the fresh block is `value.size()` bytes at `offset`.
            unsafe { mem.add(offset).write_bytes(0, value.size()) };
        }
        // A slice pointer with the allocation's address and `len` elements, cast to the
        // `Inner` with a slice tail: the cast keeps the length as the metadata.
        let fat = ptr::slice_from_raw_parts_mut(mem.as_ptr().cast::<MaybeUninit<T>>(), len)
            as *mut Inner<[MaybeUninit<T>], A, C>;
        // SAFETY: `mem` is non-null.
        Ok(Self::from_inner(unsafe { NonNull::new_unchecked(fat) }))
    }

    /// Declares the values initialised.
    ///
    /// # Safety
    ///
    /// Every element must hold a valid `T` (written, or all-zero bytes being valid for `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// use memory_manager::allocator_api2::alloc::Global;
    /// let mut p = MemoryPointer::<[core::mem::MaybeUninit<u8>]>::new_uninit_slice_in(2, Global);
    /// MemoryPointer::get_mut(&mut p).unwrap().fill(core::mem::MaybeUninit::new(1));
    /// assert_eq!(&*unsafe { p.assume_init() }, &[1, 1]);
    /// ```
    pub unsafe fn assume_init(self) -> MemoryPointer<[T], A, C> {
        let this = ManuallyDrop::new(self);
        MemoryPointer::from_inner(
            // SAFETY: same allocation; `MaybeUninit<T>` and `T` have the same layout, so the
            // cast keeps the length and the field offsets.
            unsafe { NonNull::new_unchecked(this.ptr.as_ptr() as *mut Inner<[T], A, C>) },
        )
    }
}

impl<T: Copy, A: Allocator, C: RefCount> MemoryPointer<[T], A, C> {
    fn from_slice_any(src: &[T], alloc: A) -> Self {
        let value = Layout::for_value(src);
        Self::try_from_slice_any(src, alloc).unwrap_or_else(|_| {
            handle_alloc_error(inner_layout::<A, C>(value).map_or(value, |l| l.0))
        })
    }

    fn try_from_slice_any(src: &[T], alloc: A) -> Result<Self, AllocError> {
        let uninit =
            MemoryPointer::<[MaybeUninit<T>], A, C>::try_slice_in(src.len(), alloc, false)?;
        // SAFETY: the fresh slice has `src.len()` slots and cannot overlap `src`.
        unsafe {
            ptr::addr_of_mut!((*uninit.ptr.as_ptr()).value)
                .cast::<T>()
                .copy_from_nonoverlapping(src.as_ptr(), src.len());
            Ok(uninit.assume_init())
        }
    }
}

impl<A: Allocator, C: RefCount> MemoryPointer<str, A, C> {
    fn from_str_any(s: &str, alloc: A) -> Self {
        let bytes = MemoryPointer::<[u8], A, C>::from_slice_any(s.as_bytes(), alloc);
        let bytes = ManuallyDrop::new(bytes);
        MemoryPointer::from_inner(
            // SAFETY: `str` has the layout and metadata of `[u8]`, and the bytes are UTF-8.
            unsafe { NonNull::new_unchecked(bytes.ptr.as_ptr() as *mut Inner<str, A, C>) },
        )
    }
}

// ----- LocalPointer ---------------------------------------------------------------------------

/// [`MemoryPointer`] with plain (non-atomic) counts, like `Rc`: the same allocation layout,
/// wiping, weak pointers and behaviour (it is a `MemoryPointer<T, A, Local>` inside, sharing
/// every line of its implementation), for values that stay on one thread. It is never `Send`
/// or `Sync`, so the compiler keeps it there; cloning and dropping cost no atomic instruction.
///
/// # Examples
///
/// ```
/// use memory_manager::{LocalPointer, LocalPool};
///
/// let pool = LocalPool::new();
/// let a = LocalPointer::new_in(vec![1, 2, 3], &pool);
/// let b = LocalPointer::clone(&a);
/// let weak = LocalPointer::downgrade(&a);
/// assert_eq!((LocalPointer::strong_count(&a), b.len()), (2, 3));
/// drop((a, b));
/// assert!(weak.upgrade().is_none());
/// ```
pub struct LocalPointer<T: ?Sized, A: Allocator = Global>(MemoryPointer<T, A, Local>);

/// The weak twin of [`LocalPointer`].
///
/// # Examples
///
/// ```
/// use memory_manager::LocalPointer;
/// let a = LocalPointer::new(1);
/// let weak = LocalPointer::downgrade(&a);
/// assert_eq!(weak.upgrade().as_deref(), Some(&1));
/// ```
pub struct LocalWeakPointer<T: ?Sized, A: Allocator = Global>(WeakPointer<T, A, Local>);

impl<T> LocalPointer<T> {
    /// Puts `value` in memory from the global allocator.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = memory_manager::LocalPointer::new(5u8);
    /// assert_eq!(*p, 5);
    /// ```
    pub fn new(value: T) -> Self {
        Self(MemoryPointer::new_in_any(value, Global))
    }
}

impl<T, A: Allocator> LocalPointer<T, A> {
    /// Puts `value` in memory from `alloc`.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let pool = LocalPool::new();
    /// assert_eq!(*LocalPointer::new_in(7u8, &pool), 7);
    /// ```
    pub fn new_in(value: T, alloc: A) -> Self {
        Self(MemoryPointer::new_in_any(value, alloc))
    }

    /// Puts `value` in memory from `alloc`, or returns `Err` if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let tiny = LocalPool::builder().max_bytes(0).build();
    /// assert!(LocalPointer::try_new_in(1u64, &tiny).is_err());
    /// ```
    pub fn try_new_in(value: T, alloc: A) -> Result<Self, AllocError> {
        MemoryPointer::try_new_in_any(value, alloc).map(Self)
    }

    /// The value, if this is the only strong owner; otherwise the pointer back.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// assert_eq!(LocalPointer::try_unwrap(LocalPointer::new(3)).ok(), Some(3));
    /// ```
    pub fn try_unwrap(this: Self) -> Result<T, Self> {
        MemoryPointer::try_unwrap(this.0).map_err(Self)
    }

    /// The value, if this was the last strong owner.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(3);
    /// let b = LocalPointer::clone(&a);
    /// assert_eq!(LocalPointer::into_inner(a), None);
    /// assert_eq!(LocalPointer::into_inner(b), Some(3));
    /// ```
    pub fn into_inner(this: Self) -> Option<T> {
        MemoryPointer::into_inner(this.0)
    }

    /// A mutable reference to the value, cloning it first if other owners exist.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let mut a = LocalPointer::new(1);
    /// let b = LocalPointer::clone(&a);
    /// *LocalPointer::make_mut(&mut a) += 1;
    /// assert_eq!((*a, *b), (2, 1));
    /// ```
    pub fn make_mut(this: &mut Self) -> &mut T
    where
        T: Clone,
        A: Clone,
    {
        MemoryPointer::make_mut(&mut this.0)
    }
}

impl<A: Allocator> LocalPointer<[u8], A> {
    /// A zeroed byte buffer of `len` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let pool = LocalPool::new();
    /// assert!(LocalPointer::new_zeroed_slice_in(64, &pool).iter().all(|&b| b == 0));
    /// ```
    pub fn new_zeroed_slice_in(len: usize, alloc: A) -> Self {
        Self(MemoryPointer::zeroed_bytes_any(len, alloc))
    }
}

impl<T: Copy, A: Allocator> LocalPointer<[T], A> {
    /// Copies a slice into memory from `alloc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let pool = LocalPool::new();
    /// assert_eq!(&*LocalPointer::from_slice_in(&[1, 2], &pool), &[1, 2]);
    /// ```
    pub fn from_slice_in(src: &[T], alloc: A) -> Self {
        Self(MemoryPointer::from_slice_any(src, alloc))
    }

    /// Copies a slice into memory from `alloc`, or returns `Err` if the allocator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let tiny = LocalPool::builder().max_bytes(0).build();
    /// assert!(LocalPointer::try_from_slice_in(&[1, 2], &tiny).is_err());
    /// ```
    pub fn try_from_slice_in(src: &[T], alloc: A) -> Result<Self, AllocError> {
        MemoryPointer::try_from_slice_any(src, alloc).map(Self)
    }
}

impl<A: Allocator> LocalPointer<str, A> {
    /// Copies a string into memory from `alloc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, MemoryArena};
    /// let arena = MemoryArena::new();
    /// assert_eq!(&*LocalPointer::from_str_in("name", &arena), "name");
    /// ```
    pub fn from_str_in(s: &str, alloc: A) -> Self {
        Self(MemoryPointer::from_str_any(s, alloc))
    }
}

impl<T: ?Sized, A: Allocator> LocalPointer<T, A> {
    /// How many strong owners there are.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = memory_manager::LocalPointer::new(1);
    /// assert_eq!(memory_manager::LocalPointer::strong_count(&a), 1);
    /// ```
    pub fn strong_count(this: &Self) -> usize {
        MemoryPointer::strong_count(&this.0)
    }

    /// How many weak pointers there are.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// let _w = LocalPointer::downgrade(&a);
    /// assert_eq!(LocalPointer::weak_count(&a), 1);
    /// ```
    pub fn weak_count(this: &Self) -> usize {
        MemoryPointer::weak_count(&this.0)
    }

    /// A weak pointer to the same allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// assert!(LocalPointer::downgrade(&a).upgrade().is_some());
    /// ```
    pub fn downgrade(this: &Self) -> LocalWeakPointer<T, A> {
        LocalWeakPointer(MemoryPointer::downgrade(&this.0))
    }

    /// A mutable reference to the value if no other owner exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let mut a = LocalPointer::new(1);
    /// *LocalPointer::get_mut(&mut a).unwrap() = 2;
    /// assert_eq!(*a, 2);
    /// ```
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        MemoryPointer::get_mut(&mut this.0)
    }

    /// Whether two pointers share one allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// assert!(LocalPointer::ptr_eq(&a, &a.clone()));
    /// ```
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        MemoryPointer::ptr_eq(&a.0, &b.0)
    }

    /// The allocator the memory came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let pool = LocalPool::new();
    /// let p = LocalPointer::new_in(1, &pool);
    /// assert!(core::ptr::eq(*LocalPointer::allocator(&p), &pool));
    /// ```
    pub fn allocator(this: &Self) -> &A {
        MemoryPointer::allocator(&this.0)
    }

    /// Names the allocation for the allocator's diagnostics (see `MemoryPointer::set_name`).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPointer, LocalPool};
    /// let pool = LocalPool::new();
    /// let p = LocalPointer::new_in(1, &pool);
    /// assert_eq!(LocalPointer::set_name(&p, "one"), cfg!(feature = "debug"));
    /// ```
    pub fn set_name(this: &Self, name: &'static str) -> bool
    where
        A: crate::AllocationNames,
    {
        MemoryPointer::set_name(&this.0, name)
    }
}

impl<T: ?Sized, A: Allocator> LocalWeakPointer<T, A> {
    /// A strong pointer, if the value is still alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// let w = LocalPointer::downgrade(&a);
    /// drop(a);
    /// assert!(w.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<LocalPointer<T, A>> {
        self.0.upgrade().map(LocalPointer)
    }

    /// How many strong owners remain.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// assert_eq!(LocalPointer::downgrade(&a).strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.0.strong_count()
    }

    /// How many weak pointers there are (0 once the value is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::LocalPointer;
    /// let a = LocalPointer::new(1);
    /// assert_eq!(LocalPointer::downgrade(&a).weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.0.weak_count()
    }
}

impl<T: ?Sized, A: Allocator> Clone for LocalPointer<T, A> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized, A: Allocator> Clone for LocalWeakPointer<T, A> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized, A: Allocator> Deref for LocalPointer<T, A> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug, A: Allocator> fmt::Debug for LocalPointer<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display, A: Allocator> fmt::Display for LocalPointer<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, A: Allocator> fmt::Debug for LocalWeakPointer<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(LocalWeakPointer)")
    }
}

impl<T: ?Sized + PartialEq, A: Allocator> PartialEq for LocalPointer<T, A> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq, A: Allocator> Eq for LocalPointer<T, A> {}

impl<T: ?Sized + PartialOrd, A: Allocator> PartialOrd for LocalPointer<T, A> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord, A: Allocator> Ord for LocalPointer<T, A> {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash, A: Allocator> Hash for LocalPointer<T, A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> MemoryPointer<T, A, C> {
    fn from_inner(ptr: NonNull<Inner<T, A, C>>) -> Self {
        Self {
            ptr,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    fn inner(&self) -> &Inner<T, A, C> {
        // SAFETY: a strong owner keeps the allocation and the value alive.
        unsafe { self.ptr.as_ref() }
    }

    /// How many strong owners there are (this one included).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(1);
    /// let b = a.clone();
    /// assert_eq!(MemoryPointer::strong_count(&b), 2);
    /// ```
    pub fn strong_count(this: &Self) -> usize {
        this.inner().strong.load(Ordering::Relaxed)
    }

    /// How many weak pointers there are.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(1);
    /// let w = MemoryPointer::downgrade(&a);
    /// assert_eq!(MemoryPointer::weak_count(&a), 1);
    /// # drop(w);
    /// ```
    pub fn weak_count(this: &Self) -> usize {
        let weak = this.inner().weak.load(Ordering::Relaxed);
        if weak == WEAK_LOCKED {
            return 0; // `get_mut` holds the lock only while no weak pointer exists
        }
        let strong = this.inner().strong.load(Ordering::Relaxed);
        // The strong owners jointly hold one weak reference.
        weak - usize::from(strong > 0)
    }

    /// A weak pointer to the same allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new("x");
    /// let w = MemoryPointer::downgrade(&a);
    /// assert_eq!(*w.upgrade().unwrap(), "x");
    /// ```
    pub fn downgrade(this: &Self) -> WeakPointer<T, A, C> {
        let weak = &this.inner().weak;
        let mut current = weak.load(Ordering::Relaxed);
        loop {
            if current == WEAK_LOCKED {
                core::hint::spin_loop();
                current = weak.load(Ordering::Relaxed);
                continue;
            }
            if current > MAX_REFCOUNT {
                abort_on_overflow();
            }
            match weak.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return WeakPointer {
                        ptr: this.ptr,
                        _owns: PhantomData,
                    };
                }
                Err(seen) => current = seen,
            }
        }
    }

    /// Whether this is the only owner, strong or weak. Locks the weak count while it checks, so
    /// no weak pointer can be upgraded or made meanwhile (as `Arc` does).
    fn is_unique(&self) -> bool {
        let inner = self.inner();
        if inner
            .weak
            .compare_exchange(1, WEAK_LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        let unique = inner.strong.load(Ordering::Acquire) == 1;
        inner.weak.store(1, Ordering::Release);
        unique
    }

    /// A mutable reference to the value if no other owner (strong or weak) exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let mut a = MemoryPointer::new(1);
    /// *MemoryPointer::get_mut(&mut a).unwrap() += 1;
    /// let weak = MemoryPointer::downgrade(&a);
    /// assert!(MemoryPointer::get_mut(&mut a).is_none());
    /// drop(weak);
    /// assert_eq!(*a, 2);
    /// ```
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        if this.is_unique() {
            // SAFETY: no other owner exists and none can appear while we hold `&mut this`.
            Some(unsafe { &mut (*this.ptr.as_ptr()).value })
        } else {
            None
        }
    }

    /// Whether two pointers share one allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(1);
    /// assert!(MemoryPointer::ptr_eq(&a, &a.clone()));
    /// assert!(!MemoryPointer::ptr_eq(&a, &MemoryPointer::new(1)));
    /// ```
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        ptr::addr_eq(a.ptr.as_ptr(), b.ptr.as_ptr())
    }

    /// Names the allocation for the allocator's diagnostics (the seed's
    /// `mem_pointer_create("my_buffer", ..)`): the pools show names in `dump` and `leaks` in
    /// debug mode. Returns whether the allocator recorded it.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let pool = LocalPool::new();
    /// let buffer = MemoryPointer::new_zeroed_slice_in(1024, &pool);
    /// if MemoryPointer::set_name(&buffer, "my_buffer") {
    ///     assert!(pool.dump().to_string().contains("\"my_buffer\""));
    /// }
    /// ```
    pub fn set_name(this: &Self, name: &'static str) -> bool
    where
        A: crate::AllocationNames,
    {
        this.inner().alloc.name_allocation(this.ptr.cast(), name)
    }

    /// The allocator the memory came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::{LocalPool, MemoryPointer};
    /// let pool = LocalPool::new();
    /// let p = MemoryPointer::new_in(1u32, &pool);
    /// assert!(core::ptr::eq(*MemoryPointer::allocator(&p), &pool));
    /// ```
    pub fn allocator(this: &Self) -> &A {
        &this.inner().alloc
    }

    /// The last strong owner is going: drop the value, wipe it, release the joint weak
    /// reference (freeing the memory if no weak pointer is left). A panic in `T::drop` still
    /// wipes and releases, and never drops the value twice: the strong count is already zero.
    #[cold]
    #[inline(never)]
    fn drop_slow(&mut self) {
        struct Release<'a, T: ?Sized, A: Allocator, C: RefCount>(&'a MemoryPointer<T, A, C>);
        impl<T: ?Sized, A: Allocator, C: RefCount> Drop for Release<'_, T, A, C> {
            fn drop(&mut self) {
                let weak = ManuallyDrop::new(WeakPointer::<T, A, C> {
                    ptr: self.0.ptr,
                    _owns: PhantomData,
                });
                if weak.counts().1.load(Ordering::Acquire) == 1 {
                    // No weak pointer is left (see `WeakPointer::drop`): the whole allocation
                    // is wiped and freed at once, the value's bytes with it.
                    // SAFETY: the joint weak reference is the last reference of any kind,
                    // and the value was dropped.
                    unsafe { weak.free_last() };
                    return;
                }
                self.0.wipe_value();
                drop(ManuallyDrop::into_inner(weak));
            }
        }
        let release = Release(self);
        // SAFETY: the strong count reached zero: we are the last owner of the value, dropped
        // exactly once.
        unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*release.0.ptr.as_ptr()).value)) };
    }

    /// Zeroes the value's bytes (after it was dropped or moved out).
    fn wipe_value(&self) {
        // SAFETY: the allocation is alive (the joint weak reference is still held) and the
        // value is dead, so its bytes may be overwritten; the header is never dropped.
        unsafe {
            let inner = self.ptr.as_ptr();
            let size = (*ptr::addr_of!((*inner).value_layout)).size();
            let value = ptr::addr_of_mut!((*inner).value).cast::<u8>();
            zero_bytes(NonNull::new_unchecked(value), size);
        }
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> WeakPointer<T, A, C> {
    #[inline(always)]
    fn counts(&self) -> (&C::Cell, &C::Cell) {
        // SAFETY: a weak pointer keeps the allocation (counts and allocator) alive; only the
        // header fields are touched.
        unsafe {
            (
                &*ptr::addr_of!((*self.ptr.as_ptr()).strong),
                &*ptr::addr_of!((*self.ptr.as_ptr()).weak),
            )
        }
    }

    /// A strong pointer, if the value is still alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(5);
    /// let w = MemoryPointer::downgrade(&a);
    /// assert_eq!(w.upgrade().as_deref(), Some(&5));
    /// drop(a);
    /// assert!(w.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<MemoryPointer<T, A, C>> {
        let (strong, _) = self.counts();
        let mut current = strong.load(Ordering::Relaxed);
        loop {
            if current == 0 {
                return None;
            }
            if current > MAX_REFCOUNT {
                abort_on_overflow();
            }
            match strong.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(MemoryPointer::from_inner(self.ptr)),
                Err(seen) => current = seen,
            }
        }
    }

    /// How many strong owners remain (0 once the value is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(5);
    /// let w = MemoryPointer::downgrade(&a);
    /// assert_eq!(w.strong_count(), 1);
    /// drop(a);
    /// assert_eq!(w.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.counts().0.load(Ordering::Relaxed)
    }

    /// How many weak pointers there are (this one included), or 0 once the value is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(5);
    /// let w = MemoryPointer::downgrade(&a);
    /// let w2 = w.clone();
    /// assert_eq!(w2.weak_count(), 2);
    /// ```
    pub fn weak_count(&self) -> usize {
        let (strong, weak) = self.counts();
        let weak = weak.load(Ordering::Relaxed);
        if strong.load(Ordering::Relaxed) == 0 {
            0
        } else {
            weak - 1
        }
    }

    /// Whether two weak pointers share one allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use memory_manager::MemoryPointer;
    /// let a = MemoryPointer::new(5);
    /// let w = MemoryPointer::downgrade(&a);
    /// assert!(w.ptr_eq(&w.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &Self) -> bool {
        ptr::addr_eq(self.ptr.as_ptr(), other.ptr.as_ptr())
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Clone for MemoryPointer<T, A, C> {
    fn clone(&self) -> Self {
        if self.inner().strong.fetch_add(1, Ordering::Relaxed) > MAX_REFCOUNT {
            abort_on_overflow();
        }
        Self::from_inner(self.ptr)
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Clone for WeakPointer<T, A, C> {
    fn clone(&self) -> Self {
        if self.counts().1.fetch_add(1, Ordering::Relaxed) > MAX_REFCOUNT {
            abort_on_overflow();
        }
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Drop for MemoryPointer<T, A, C> {
    #[inline]
    fn drop(&mut self) {
        if self.inner().strong.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        acquire(&self.inner().strong);
        self.drop_slow();
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Drop for WeakPointer<T, A, C> {
    fn drop(&mut self) {
        let weak = self.counts().1;
        // A weak count of 1 is this reference alone: no strong pointer (they hold one weak
        // reference jointly) and no other weak one, so nobody can raise the count again
        // (`downgrade` needs a strong pointer, cloning a weak one needs a weak one). The last
        // reference then skips the read-modify-write; the acquire load orders every earlier
        // release of the count before the wipe, as `acquire` below does on the other path.
        // For the usual drop of the last `MemoryPointer` this saves one of its atomic operations.
        if weak.load(Ordering::Acquire) != 1 {
            if weak.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            acquire(weak);
        }
        // SAFETY: the last reference of any kind; the value is already dropped (strong hit
        // zero before the joint weak reference was released).
        unsafe { self.free_last() };
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> WeakPointer<T, A, C> {
    /// Takes the allocator out, wipes the whole allocation and frees it.
    ///
    /// # Safety
    ///
    /// `self` is the last reference of any kind (strong or weak) to the allocation, the
    /// value was dropped (or moved out), and `self` is not used (or dropped) afterwards.
    unsafe fn free_last(&self) {
        // SAFETY: no other owner exists (the caller's promise). The header is read, never
        // referenced.
        unsafe {
            let inner = self.ptr.as_ptr();
            let alloc = ptr::addr_of!((*inner).alloc).read();
            let value = ptr::addr_of!((*inner).value_layout).read();
            let (layout, _) =
                inner_layout::<A, C>(value).expect("the layout was valid when allocated");
            let mem = self.ptr.cast::<u8>();
            zero_bytes(mem, layout.size());
            alloc.deallocate(mem, layout);
        }
    }
}

/// The acquire half of taking a count to zero: everything the other owners did before their
/// (release) decrements of `count` happens before what follows.
///
/// An acquire load of the count, where `Arc` uses an acquire fence: the load reads the value
/// our own read-modify-write left, which continues the release sequence of every earlier
/// decrement, so it synchronizes with all of them just as the fence would, and it costs the same
/// on x86-64 (a plain load). ThreadSanitizer does not model fences: with one here it reported the
/// wipe of a freed pointer as racing with another thread's earlier `upgrade` (std's `Arc` makes
/// the same switch when built for ThreadSanitizer).
#[inline(always)]
fn acquire<K: CountCell>(count: &K) {
    count.load(Ordering::Acquire);
}

/// Aborts the process: a count would overflow. Without `std` there is no `abort`, so a panic
/// during a panic does it.
#[cold]
#[inline(never)]
fn abort_on_overflow() -> ! {
    #[cfg(feature = "std")]
    std::process::abort();
    #[cfg(not(feature = "std"))]
    {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("reference count overflow");
            }
        }
        let _abort = PanicOnDrop;
        panic!("reference count overflow");
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Deref for MemoryPointer<T, A, C> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> AsRef<T> for MemoryPointer<T, A, C> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> Borrow<T> for MemoryPointer<T, A, C> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized + fmt::Debug, A: Allocator, C: RefCount> fmt::Debug for MemoryPointer<T, A, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display, A: Allocator, C: RefCount> fmt::Display for MemoryPointer<T, A, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> fmt::Pointer for MemoryPointer<T, A, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&ptr::addr_of!(**self), f)
    }
}

impl<T: ?Sized, A: Allocator, C: RefCount> fmt::Debug for WeakPointer<T, A, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(WeakPointer)")
    }
}

impl<T: ?Sized + PartialEq, A: Allocator, C: RefCount> PartialEq for MemoryPointer<T, A, C> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq, A: Allocator, C: RefCount> Eq for MemoryPointer<T, A, C> {}

impl<T: ?Sized + PartialOrd, A: Allocator, C: RefCount> PartialOrd for MemoryPointer<T, A, C> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord, A: Allocator, C: RefCount> Ord for MemoryPointer<T, A, C> {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash, A: Allocator, C: RefCount> Hash for MemoryPointer<T, A, C> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl<T: Default> Default for MemoryPointer<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for MemoryPointer<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests;
