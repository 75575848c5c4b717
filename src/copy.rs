//! Short byte copies inline.
//!
//! A string copied into an arena is usually a few dozen bytes, and a call to `memcpy` for it
//! costs more than the copy: the dispatch on size and alignment, and the call itself, were two
//! thirds of the time of copying 5-40 byte strings into an arena (perf). Up to 64 bytes, a few
//! overlapping unaligned loads and stores do it with no branch beyond the choice of band.

/// Copies `len` bytes from `src` to `dst`: up to 64 inline, more through `memcpy`.
///
/// # Safety
///
/// `src` is valid for reads of `len` *initialised* bytes (the inline path reads them as
/// integers), `dst` for writes of `len` bytes, and the two ranges do not overlap.
#[inline(always)]
pub(crate) unsafe fn copy_bytes(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: every load and store below stays inside `0..len` of its range (by the bounds of
    // its band), which the caller guarantees is readable (initialised) or writable; unaligned
    // accesses need no alignment; all loads happen before the stores, and the ranges are apart.
    unsafe {
        if len > 64 {
            dst.copy_from_nonoverlapping(src, len);
        } else if len >= 16 {
            let head = src.cast::<u128>().read_unaligned();
            let tail = src.add(len - 16).cast::<u128>().read_unaligned();
            if len > 32 {
                let second = src.add(16).cast::<u128>().read_unaligned();
                let third = src.add(len - 32).cast::<u128>().read_unaligned();
                dst.add(16).cast::<u128>().write_unaligned(second);
                dst.add(len - 32).cast::<u128>().write_unaligned(third);
            }
            dst.cast::<u128>().write_unaligned(head);
            dst.add(len - 16).cast::<u128>().write_unaligned(tail);
        } else if len >= 8 {
            let head = src.cast::<u64>().read_unaligned();
            let tail = src.add(len - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(head);
            dst.add(len - 8).cast::<u64>().write_unaligned(tail);
        } else if len >= 4 {
            let head = src.cast::<u32>().read_unaligned();
            let tail = src.add(len - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(head);
            dst.add(len - 4).cast::<u32>().write_unaligned(tail);
        } else if len > 0 {
            let (first, middle, last) =
                (src.read(), src.add(len / 2).read(), src.add(len - 1).read());
            dst.write(first);
            dst.add(len / 2).write(middle);
            dst.add(len - 1).write(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::all_bytes_are;

    #[test]
    fn copies_every_length_exactly_and_nothing_more() {
        let source: std::vec::Vec<u8> = (1..=200u8).collect();
        for len in 0..=130 {
            for offset in 0..3 {
                let mut target = [0u8; 140];
                // SAFETY: `offset + len <= 132 < 200` readable bytes; `offset + len <= 140`
                // writable ones in a distinct array.
                unsafe {
                    copy_bytes(
                        target.as_mut_ptr().add(offset),
                        source.as_ptr().add(offset),
                        len,
                    )
                };
                assert_eq!(&target[offset..offset + len], &source[offset..offset + len]);
                assert!(all_bytes_are(&target[..offset], 0), "before, len {len}");
                assert!(
                    all_bytes_are(&target[offset + len..], 0),
                    "after, len {len}"
                );
            }
        }
    }
}
