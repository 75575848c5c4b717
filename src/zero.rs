//! Zeroing that the optimizer cannot remove.
//!
//! Memory that is about to be handed back (to the system, to a free list, or to an arena's
//! cursor) is dead as far as the compiler is concerned, so a plain `memset` before the release is
//! a dead store that LLVM may delete. We write the zeros with `write_bytes` (which compiles to a
//! vectorised `memset`, unlike a byte-by-byte volatile loop) and then pass the pointer through
//! [`core::hint::black_box`]: an opaque use that may read the memory behind the pointer, so the
//! stores have to be performed before it. A compiler fence keeps them from being sunk past the
//! release that follows.

use core::ptr::NonNull;
use core::sync::atomic::{Ordering, compiler_fence};

/// Overwrites `len` bytes at `ptr` with zeros, in a way the optimizer keeps.
///
/// # Safety
///
/// `ptr` must be valid for writes of `len` bytes (any alignment).
#[inline]
pub(crate) unsafe fn zero_bytes(ptr: NonNull<u8>, len: usize) {
    if len == 0 {
        return;
    }
    if len <= 64 {
        // SAFETY: as below.
        unsafe { zero_small(ptr.as_ptr(), len) };
    } else {
        // SAFETY: the caller guarantees `ptr` is valid for `len` bytes of writes.
        unsafe { ptr.as_ptr().write_bytes(0, len) };
    }
    core::hint::black_box(ptr);
    compiler_fence(Ordering::SeqCst);
}

/// Zeroes 1 to 64 bytes inline with a few overlapping unaligned stores, instead of a call to
/// `memset` (about 30 instructions of dispatch for a small block: most of what freeing a small
/// pool block or a pointer's value costs).
///
/// # Safety
///
/// `ptr` must be valid for writes of `len` bytes, `1 <= len <= 64`.
#[inline(always)]
unsafe fn zero_small(ptr: *mut u8, len: usize) {
    debug_assert!((1..=64).contains(&len), "zero_small({len})");
    // SAFETY: every store below covers bytes inside `0..len` (by the bounds of its band), which
    // the caller guarantees are writable; unaligned stores need no alignment.
    unsafe {
        if len >= 16 {
            ptr.cast::<u128>().write_unaligned(0);
            ptr.add(len - 16).cast::<u128>().write_unaligned(0);
            if len > 32 {
                ptr.add(16).cast::<u128>().write_unaligned(0);
                ptr.add(len - 32).cast::<u128>().write_unaligned(0);
            }
        } else if len >= 8 {
            ptr.cast::<u64>().write_unaligned(0);
            ptr.add(len - 8).cast::<u64>().write_unaligned(0);
        } else if len >= 4 {
            ptr.cast::<u32>().write_unaligned(0);
            ptr.add(len - 4).cast::<u32>().write_unaligned(0);
        } else {
            ptr.write(0);
            ptr.add(len / 2).write(0);
            ptr.add(len - 1).write(0);
        }
    }
}

/// Whether `len` bytes at `ptr` all read as zero.
///
/// # Safety
///
/// `ptr` must be valid for reads of `len` bytes, all of them initialised.
pub(crate) unsafe fn is_zeroed(ptr: NonNull<u8>, len: usize) -> bool {
    // SAFETY: the caller's contract.
    unsafe { first_nonzero(ptr, len) == len }
}

/// Zeros that memory is compared against, a block at a time.
static ZEROS: [u8; 1024] = [0; 1024];

/// The offset of the first non-zero byte of `len` bytes at `ptr` (`len` if there is none).
///
/// Compares a kilobyte at a time against [`ZEROS`] (one `memcmp` each) and looks for the byte
/// only in the block that differs. `validate` reads megabytes of free memory this way, and
/// under Miri a `memcmp` runs natively where a loop over the bytes is interpreted, about a
/// thousand times slower (a 16-byte-word loop made `validate` the longest part of the pools'
/// Miri tests).
///
/// # Safety
///
/// As [`is_zeroed`].
pub(crate) unsafe fn first_nonzero(ptr: NonNull<u8>, len: usize) -> usize {
    // SAFETY: the caller's contract.
    let bytes = unsafe { core::slice::from_raw_parts(ptr.as_ptr(), len) };
    let mut offset = 0;
    for block in bytes.chunks(ZEROS.len()) {
        if block != &ZEROS[..block.len()] {
            return offset + block.iter().position(|&b| b != 0).unwrap_or(block.len());
        }
        offset += block.len();
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bytes_clears_exactly_the_range() {
        let mut buf = [0xAAu8; 32];
        // Every pointer derives from one base, so none invalidates another.
        let whole = NonNull::new(buf.as_mut_ptr()).unwrap();
        // SAFETY: offset 8 lies inside `buf`.
        let ptr = unsafe { whole.add(8) };
        // SAFETY: 16 bytes from offset 8 lie inside `buf`.
        unsafe { zero_bytes(ptr, 16) };
        // SAFETY: the whole buffer is initialised; the pointers stay valid (only read).
        unsafe {
            assert!(is_zeroed(ptr, 16));
            assert!(!is_zeroed(whole, 9));
            assert_eq!(first_nonzero(whole, 32), 0);
            assert_eq!(first_nonzero(ptr, 16), 16);
        }
        assert!(buf[..8].iter().all(|&b| b == 0xAA));
        assert!(buf[8..24].iter().all(|&b| b == 0));
        assert!(buf[24..].iter().all(|&b| b == 0xAA));
        let mut long = [0u8; 100];
        long[77] = 1;
        let long_ptr = NonNull::new(long.as_mut_ptr()).unwrap();
        // SAFETY: the whole array is initialised.
        assert_eq!(unsafe { first_nonzero(long_ptr, 100) }, 77);
        // SAFETY: as above.
        assert!(!unsafe { is_zeroed(long_ptr, 100) } && unsafe { is_zeroed(long_ptr, 77) });
    }

    #[test]
    fn first_nonzero_finds_the_byte_in_any_block() {
        // Either side of the 1024-byte blocks compared at once, and in a short last block.
        for at in [0, 1, 1023, 1024, 1025, 2047, 2048, 2500, 2999] {
            let mut buf = std::vec![0u8; 3000];
            buf[at] = 0x40;
            buf[2999] = 1;
            let ptr = NonNull::new(buf.as_mut_ptr()).unwrap();
            // SAFETY: `buf` is initialised throughout; only read.
            unsafe {
                assert_eq!(first_nonzero(ptr, 3000), at);
                assert_eq!(first_nonzero(ptr, at), at, "nothing before {at}");
                assert!(!is_zeroed(ptr, 3000) && is_zeroed(ptr, at));
            }
        }
        // SAFETY: an empty range reads nothing.
        assert!(unsafe { is_zeroed(NonNull::dangling(), 0) });
    }

    #[test]
    fn every_length_and_offset_is_zeroed_exactly() {
        for len in 0..=80 {
            for offset in 0..8 {
                let mut buf = [0xAAu8; 96];
                let base = NonNull::new(buf.as_mut_ptr()).unwrap();
                // SAFETY: `offset + len <= 88` lies inside `buf`.
                unsafe { zero_bytes(base.add(offset), len) };
                // One comparison of the whole buffer: a check per byte took a minute under Miri.
                let mut expected = [0xAAu8; 96];
                expected[offset..offset + len].fill(0);
                assert_eq!(buf, expected, "len {len} offset {offset}");
            }
        }
    }
}
