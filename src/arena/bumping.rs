//! The pure bump arithmetic, on addresses only: no pointers, no `unsafe`, only `core`.
//!
//! Kept apart so it can be read, tested and reasoned about on its own. The arena turns the
//! addresses back into pointers with the provenance of the chunk they lie in.
#![forbid(unsafe_code)]

/// Adding less than this to the cursor cannot wrap around: the cursor never passes `end`, and
/// `end` is either a chunk footer (at least this many bytes of the same allocation follow it, a
/// const assertion in `chunk.rs` checks) or a small dangling address, so `end + NO_WRAP_SLACK - 1`
/// is an address that exists and fits in a `usize`. Alignments up to this, and whole bumps of a
/// size plus alignment below it (a 24-byte value, say), need no overflow check.
pub(crate) const NO_WRAP_SLACK: usize = 32;

/// Where an upward bump of `size` bytes aligned to `align` lands, given the cursor and the end of
/// the free space: `Some((start, new_cursor))` (the allocation is `start..new_cursor`, and
/// `new_cursor == start + size`), or `None` when it does not fit.
///
/// The new cursor is on the loop-carried path from one allocation to the next, so it is computed
/// with as few dependent instructions as possible:
/// - when the cursor is already aligned (the usual case: most layouts are whole multiples of
///   their alignment, so one allocation leaves the cursor aligned for the next), it is
///   `cursor + size`, one add; the alignment test is a predicted branch beside that chain;
/// - otherwise, when `size` is a multiple of `align` (always so for a Rust type, whose size is a multiple of
///   its alignment, and for most layouts collections ask for), rounding the start up and adding
///   the size is the same as rounding `cursor + size` up: `(cursor + (size + align - 1)) & mask`,
///   an add and an and, the constant folded when the layout is known at compile time;
/// - otherwise `((cursor + align - 1) & mask) + size`.
///
/// Either way there is one compare beside it, and a carry check unless the bump is known to be
/// smaller than [`NO_WRAP_SLACK`]. Rounding can only wrap around
/// for alignments above [`NO_WRAP_SLACK`], which get an explicit check (folded away when the
/// alignment is a constant, as for `alloc<T>`).
#[inline(always)]
pub(crate) fn bump_up(
    cursor: usize,
    end: usize,
    size: usize,
    align: usize,
) -> Option<(usize, usize)> {
    debug_assert!(cursor <= end, "cursor {cursor:#x} past end {end:#x}");
    debug_assert!(
        align.is_power_of_two(),
        "alignment {align} is not a power of two"
    );
    debug_assert!(
        end.checked_add(NO_WRAP_SLACK - 1).is_some(),
        "end {end:#x} too close to the top of the address space"
    );
    let mask = !(align - 1);
    if cursor & (align - 1) == 0 {
        // Already aligned, the common case (most layouts are multiples of 8 at most 8-aligned):
        // the new cursor is one add away. The alignment test is a predicted branch beside the
        // cursor's dependency chain, not a step in it.
        let new_cursor = if size < NO_WRAP_SLACK {
            cursor + size
        } else {
            cursor.checked_add(size)?
        };
        if new_cursor > end {
            return None;
        }
        return Some((cursor, new_cursor));
    }
    if size & (align - 1) == 0 {
        // `size + align - 1` cannot overflow: `size` is a multiple of `align`, so at most
        // `usize::MAX + 1 - align`.
        let bump = size + (align - 1);
        let unrounded = if bump < NO_WRAP_SLACK {
            cursor + bump
        } else {
            cursor.checked_add(bump)?
        };
        let new_cursor = unrounded & mask;
        if new_cursor > end {
            return None;
        }
        return Some((new_cursor - size, new_cursor));
    }
    let start = cursor.wrapping_add(align - 1) & mask;
    if align > NO_WRAP_SLACK && start < cursor {
        return None;
    }
    match start.checked_add(size) {
        Some(new_cursor) if new_cursor <= end => Some((start, new_cursor)),
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
    fn aligned_cursor_bumps_by_the_size() {
        assert_eq!(bump_up(0x1008, 0x2000, 24, 8), Some((0x1008, 0x1020)));
        assert_eq!(bump_up(0x1000, 0x2000, 5, 4096), Some((0x1000, 0x1005)));
        assert_eq!(bump_up(0x1008, 0x1020, 24, 8), Some((0x1008, 0x1020)));
        assert_eq!(bump_up(0x1008, 0x1020, 25, 8), None);
        // Large sizes take the checked add.
        assert_eq!(bump_up(0x1000, 0x2000, usize::MAX - 0x800, 1), None);
    }

    #[test]
    fn bumps_with_padding() {
        assert_eq!(bump_up(0x1001, 0x2000, 8, 8), Some((0x1008, 0x1010)));
        assert_eq!(bump_up(0x1000, 0x2000, 0x1000, 1), Some((0x1000, 0x2000)));
        assert_eq!(bump_up(0x1000, 0x2000, 0x1001, 1), None);
        assert_eq!(bump_up(0x1001, 0x2000, 0xFF8, 8), Some((0x1008, 0x2000)));
        // A size that is not a multiple of the alignment takes the other formula.
        assert_eq!(bump_up(0x1001, 0x2000, 5, 8), Some((0x1008, 0x100D)));
        assert_eq!(bump_up(0x1001, 0x100C, 5, 8), None);
        // Near the top of the address space: no wrap-around in either formula.
        assert_eq!(bump_up(usize::MAX - 60, usize::MAX - 40, 64, 64), None);
        assert_eq!(bump_up(usize::MAX - 60, usize::MAX - 40, 1, 64), None);
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
            whole_multiple in any::<bool>(),
        ) {
            let align = 1usize << align_log;
            // Half the cases take the multiple-of-alignment formula.
            let size = if whole_multiple { size & !(align - 1) } else { size };
            let end = cursor + space;
            match bump_up(cursor, end, size, align) {
                Some((start, new_cursor)) => {
                    prop_assert_eq!(new_cursor, start + size);
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
