//! Size classes and routing: which part of the pool serves a layout. Pure arithmetic, no
//! `unsafe`, only `core`, so the rules are easy to check on their own.
//!
//! Small requests (up to [`MAX_SMALL_SIZE`] bytes and [`MAX_SMALL_ALIGN`] alignment) go to size
//! classes: multiples of 16 up to 128, then eight classes per power of two, which bounds the
//! rounding loss at 12.5%. Every class size is a multiple of every alignment that can be
//! routed to it, and slabs place their first block at a multiple of the class's own power-of-two
//! factor, so no block needs padding or a header.
#![forbid(unsafe_code)]

use core::alloc::Layout;

/// The smallest block: room for the free-list link and 16-byte alignment.
pub(crate) const MIN_BLOCK: usize = 16;
/// The largest size served by a size class.
pub(crate) const MAX_SMALL_SIZE: usize = 8192;
/// The largest alignment served by a size class (a page).
pub(crate) const MAX_SMALL_ALIGN: usize = 4096;
/// How many size classes there are.
pub(crate) const CLASS_COUNT: usize = 56;
/// Medium blocks are carved from regions in multiples of this.
pub(crate) const MEDIUM_GRANULE: usize = 256;
/// The largest size served from medium regions (a quarter of a region); beyond it, blocks come
/// straight from the system.
pub(crate) const MAX_MEDIUM_SIZE: usize = crate::pool::medium::REGION_SIZE / 4;

/// Where a request is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// A zero-sized request: an aligned dangling pointer, nothing allocated.
    Zero,
    /// A size class, by index.
    Small(usize),
    /// A medium region block of this many bytes (a multiple of [`MEDIUM_GRANULE`]).
    Medium(usize),
    /// Straight from the system, with this layout (alignment already raised).
    Large(Layout),
}

/// The size class of the common case, decided with two compares and kept in registers: a
/// non-zero size up to [`MAX_SMALL_SIZE`] with an alignment (raised to `min_align`) the smallest
/// block already has. Every other layout goes through [`route`], which agrees with this one.
#[inline(always)]
pub(crate) fn small_class(layout: Layout, min_align: usize) -> Option<usize> {
    let size = layout.size();
    if size.wrapping_sub(1) < MAX_SMALL_SIZE && layout.align().max(min_align) <= MIN_BLOCK {
        Some(class_index(size))
    } else {
        None
    }
}

/// The route for `layout` with every alignment raised to at least `min_align`. The same layout
/// always takes the same route, which is what lets `deallocate` find the block without a header.
#[inline(always)]
pub(crate) fn route(layout: Layout, min_align: usize) -> Route {
    let size = layout.size();
    if size == 0 {
        return Route::Zero;
    }
    let align = if layout.align() > min_align {
        layout.align()
    } else {
        min_align
    };
    if align <= MIN_BLOCK && size <= MAX_SMALL_SIZE {
        return Route::Small(class_index(size));
    }
    route_slow(size, align)
}

#[inline(never)]
fn route_slow(size: usize, align: usize) -> Route {
    if align <= MAX_SMALL_ALIGN {
        // `size <= isize::MAX` and `align <= 4096`, so this cannot overflow.
        let rounded = (size + align - 1) & !(align - 1);
        if rounded <= MAX_SMALL_SIZE {
            return Route::Small(class_index(rounded));
        }
    }
    if align <= MEDIUM_GRANULE && size <= MAX_MEDIUM_SIZE {
        return Route::Medium((size + MEDIUM_GRANULE - 1) & !(MEDIUM_GRANULE - 1));
    }
    match Layout::from_size_align(size, align) {
        Ok(layout) => Route::Large(layout),
        // Only reachable when `min_align` pushes the size past `isize::MAX`.
        Err(_) => Route::Large(Layout::new::<()>()),
    }
}

/// The class index for `size` (1 ..= [`MAX_SMALL_SIZE`]).
#[inline(always)]
pub(crate) fn class_index(size: usize) -> usize {
    debug_assert!(
        size > 0 && size <= MAX_SMALL_SIZE,
        "size {size} has no class"
    );
    if size <= 128 {
        return size.div_ceil(16) - 1;
    }
    let s = size - 1;
    let log = usize::BITS - 1 - s.leading_zeros(); // floor(log2(size - 1)) >= 7
    let step_log = log - 3;
    let sub = (s >> step_log) & 7;
    8 + (log as usize - 7) * 8 + sub
}

/// The block size of class `index`.
#[inline(always)]
pub(crate) const fn class_size(index: usize) -> usize {
    if index < 8 {
        return (index + 1) * 16;
    }
    let group = (index - 8) / 8; // 0 for 129..=256
    let sub = (index - 8) % 8;
    (9 + sub) << (group + 4)
}

/// The alignment every block of a class is placed at: the class size's power-of-two factor,
/// capped at a page.
#[inline]
pub(crate) const fn class_align(index: usize) -> usize {
    let size = class_size(index);
    let factor = 1 << size.trailing_zeros();
    if factor > MAX_SMALL_ALIGN {
        MAX_SMALL_ALIGN
    } else {
        factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_increasing_and_cover_every_size() {
        let mut previous = 0;
        for index in 0..CLASS_COUNT {
            let size = class_size(index);
            assert!(
                size > previous,
                "class {index} ({size}) not above {previous}"
            );
            assert_eq!(class_index(size), index, "size {size}");
            assert_eq!(class_index(previous + 1), index, "size {}", previous + 1);
            previous = size;
        }
        assert_eq!(previous, MAX_SMALL_SIZE);
    }

    #[test]
    fn rounding_loss_is_bounded() {
        for size in 1..=MAX_SMALL_SIZE {
            // The pool indexes its class table with this unchecked.
            assert!(class_index(size) < CLASS_COUNT, "size {size}");
            let class = class_size(class_index(size));
            assert!(class >= size);
            if size > 128 {
                assert!((class - size) * 8 <= size, "size {size} -> class {class}");
            }
        }
    }

    #[test]
    fn every_small_route_is_aligned() {
        for align_log in 0..=12 {
            let align = 1usize << align_log;
            for size in (1..=MAX_SMALL_SIZE).step_by(7) {
                let layout = Layout::from_size_align(size, align).unwrap();
                if let Route::Small(index) = route(layout, 1) {
                    assert!(class_size(index) >= size);
                    assert!(
                        class_align(index) >= align,
                        "size {size} align {align} -> class {}",
                        class_size(index)
                    );
                }
            }
        }
    }

    #[test]
    fn small_class_agrees_with_route() {
        for size in [
            0,
            1,
            15,
            16,
            17,
            100,
            128,
            129,
            4096,
            8191,
            8192,
            8193,
            1 << 20,
        ] {
            for align in [1, 2, 8, 16, 32, 4096] {
                for min_align in [1, 16, 64] {
                    let layout = Layout::from_size_align(size, align).unwrap();
                    if let Some(class) = small_class(layout, min_align) {
                        assert_eq!(route(layout, min_align), Route::Small(class), "{layout:?}");
                    } else {
                        assert!(size == 0 || size > 8192 || align.max(min_align) > 16);
                    }
                }
            }
        }
    }

    #[test]
    fn routes_by_size_and_alignment() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(route(l(0, 64), 1), Route::Zero);
        assert_eq!(route(l(24, 8), 1), Route::Small(1));
        assert_eq!(route(l(24, 8), 64), Route::Small(class_index(64)));
        assert_eq!(route(l(10_000, 8), 1), Route::Medium(10_240));
        assert_eq!(route(l(10_000, 4096), 1), Route::Large(l(10_000, 4096)));
        assert_eq!(route(l(2 << 20, 8), 1), Route::Large(l(2 << 20, 8)));
        assert_eq!(route(l(100, 8192), 1), Route::Large(l(100, 8192)));
    }
}
