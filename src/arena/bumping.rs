//! The pure bump arithmetic, on addresses only: no pointers, no `unsafe`, only `core`.
//!
//! Kept apart so it can be read, tested and reasoned about on its own. The arena turns the
//! addresses back into pointers with the provenance of the chunk they lie in.
#![forbid(unsafe_code)]

/// Alignments up to this cannot make the cursor wrap around: the cursor never passes `end`, and
/// `end` is either a chunk footer (with more bytes of the same allocation after it) or a small
/// dangling address, so `end + ALIGN_WITHOUT_WRAP - 1` always fits in a `usize`.
pub(crate) const ALIGN_WITHOUT_WRAP: usize = 16;

/// Where an upward bump of `size` bytes aligned to `align` lands, given the cursor and the end of
/// the free space: `Some(start)` (the allocation is `start..start + size`), or `None` when it does
/// not fit.
///
/// The new cursor is `((cursor + align - 1) & !(align - 1)) + size`: three instructions on the
/// loop-carried path from one allocation to the next, with one carry check and one compare
/// beside it. Rounding can only wrap around for alignments above [`ALIGN_WITHOUT_WRAP`], which
/// get an explicit check (folded away when the alignment is a constant, as for `alloc<T>`).
#[inline(always)]
pub(crate) fn bump_up(cursor: usize, end: usize, size: usize, align: usize) -> Option<usize> {
    debug_assert!(cursor <= end, "cursor {cursor:#x} past end {end:#x}");
    debug_assert!(
        align.is_power_of_two(),
        "alignment {align} is not a power of two"
    );
    debug_assert!(
        end.checked_add(ALIGN_WITHOUT_WRAP).is_some(),
        "end {end:#x} too close to the top of the address space"
    );
    let start = cursor.wrapping_add(align - 1) & !(align - 1);
    if align > ALIGN_WITHOUT_WRAP && start < cursor {
        return None;
    }
    match start.checked_add(size) {
        Some(new_cursor) if new_cursor <= end => Some(start),
        _ => None,
    }
}

/// Rounds `value` up to a multiple of `align` (a power of two), or `None` on overflow.
#[inline]
pub(crate) fn round_up(value: usize, align: usize) -> Option<usize> {
    debug_assert!(
        align.is_power_of_two(),
        "alignment {align} is not a power of two"
    );
    Some(value.checked_add(align - 1)? & !(align - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bumps_with_padding() {
        assert_eq!(bump_up(0x1001, 0x2000, 8, 8), Some(0x1008));
        assert_eq!(bump_up(0x1000, 0x2000, 0x1000, 1), Some(0x1000));
        assert_eq!(bump_up(0x1000, 0x2000, 0x1001, 1), None);
        assert_eq!(bump_up(0x1001, 0x2000, 0xFF8, 8), Some(0x1008));
        assert_eq!(bump_up(0x1001, 0x2000, 0xFF9, 8), None);
        // Padding alone larger than the space left.
        assert_eq!(bump_up(0x1001, 0x1004, 0, 8), None);
        assert_eq!(bump_up(0x1001, 0x2000, 1, 1 << 16), None);
    }

    #[test]
    fn round_up_overflows_to_none() {
        assert_eq!(round_up(17, 16), Some(32));
        assert_eq!(round_up(32, 16), Some(32));
        assert_eq!(round_up(usize::MAX - 3, 16), None);
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_config(256))]
        #[test]
        fn bump_result_is_aligned_and_inside(
            cursor in 0usize..1 << 40,
            space in 0usize..1 << 20,
            size in 0usize..1 << 21,
            align_log in 0u32..20,
        ) {
            let align = 1usize << align_log;
            let end = cursor + space;
            match bump_up(cursor, end, size, align) {
                Some(start) => {
                    prop_assert_eq!(start % align, 0);
                    prop_assert!(start >= cursor);
                    prop_assert!(start + size <= end);
                    prop_assert!(start - cursor < align);
                }
                None => {
                    let aligned = round_up(cursor, align).unwrap();
                    prop_assert!(aligned + size > end);
                }
            }
        }
    }
}
