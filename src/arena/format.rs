//! Formatting straight into an arena: `alloc_fmt`, the arena's `format!`.
//!
//! `arena.alloc_str(&format!(..))` builds the text on the global heap, copies it, and frees the
//! heap copy. Here the text is written into one arena allocation that grows as the pieces
//! arrive. While nothing else is allocated in between (the usual case: the arguments' `Display`
//! impls do not allocate in this arena), that allocation is the newest, so every growth happens
//! in place and no byte is copied twice; the unused tail of the last growth is given back.

use super::MemoryArena;
use super::raw::RawArena;
use super::slot::Sharing;
use crate::alloc::{AllocError, Layout, handle_alloc_error};
use crate::copy::copy_bytes;
use allocator_api2::vec::Vec;
use core::fmt::{self, Write};

/// Collects formatted text in an arena allocation.
struct ArenaText<'a, S: Sharing> {
    text: Vec<u8, &'a RawArena<S>>,
    /// The request the arena refused, if one was.
    refused: Option<Layout>,
}

impl<S: Sharing> Write for ArenaText<'_, S> {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        let len = self.text.len();
        if self.text.try_reserve(piece.len()).is_err() {
            // An impossible total (past `isize::MAX`) reports the largest layout there is.
            let wanted = len.saturating_add(piece.len());
            self.refused = Some(
                Layout::array::<u8>(wanted)
                    .unwrap_or_else(|_| Layout::array::<u8>(isize::MAX as usize).unwrap()),
            );
            return Err(fmt::Error);
        }
        // SAFETY: `try_reserve` made room for `piece.len()` more bytes past `len`, which cannot
        // overlap `piece` (a fresh part of the buffer); the bytes are initialised once copied.
        unsafe {
            copy_bytes(self.text.as_mut_ptr().add(len), piece.as_ptr(), piece.len());
            self.text.set_len(len + piece.len());
        }
        Ok(())
    }
}

impl MemoryArena {
    /// Formats `args` into the arena, the arena's `format!`: `arena.alloc_fmt(format_args!(..))`.
    /// The text is written in place into one allocation (no temporary `String`) and comes back
    /// exactly sized.
    ///
    /// # Panics
    ///
    /// Calls [`handle_alloc_error`] when memory cannot be had, and panics, as `format!` does, if
    /// a `Display` (or other formatting) impl returns an error of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::new();
    /// let name = arena.alloc_fmt(format_args!("node-{}-{:04x}", 7, 255));
    /// assert_eq!(name, "node-7-00ff");
    /// assert_eq!(arena.allocated_bytes(), name.len());
    /// ```
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn alloc_fmt(&self, args: fmt::Arguments<'_>) -> &mut str {
        self.raw.alloc_fmt(args)
    }

    /// Formats `args` into the arena, or returns `Err` when memory cannot be had (past the
    /// allocation limit, say). On `Err` the text formatted so far is given back if nothing was
    /// allocated after it, but a chunk the arena gained on the way stays.
    ///
    /// # Panics
    ///
    /// As `format!`, if a formatting impl returns an error of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// let arena = memory_manager::MemoryArena::builder().allocation_limit(4096).build();
    /// assert_eq!(arena.try_alloc_fmt(format_args!("{}", 42)).unwrap(), "42");
    /// let long = "x".repeat(10_000);
    /// assert!(arena.try_alloc_fmt(format_args!("{long}!")).is_err());
    /// assert_eq!(arena.allocated_bytes(), 2);
    /// ```
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub fn try_alloc_fmt(&self, args: fmt::Arguments<'_>) -> Result<&mut str, AllocError> {
        self.raw.try_alloc_fmt(args)
    }
}

impl<S: Sharing> RawArena<S> {
    /// See [`MemoryArena::alloc_fmt`].
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn alloc_fmt(&self, args: fmt::Arguments<'_>) -> &mut str {
        self.format(args)
            .unwrap_or_else(|refused| handle_alloc_error(refused))
    }

    /// See [`MemoryArena::try_alloc_fmt`].
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    pub(crate) fn try_alloc_fmt(&self, args: fmt::Arguments<'_>) -> Result<&mut str, AllocError> {
        self.format(args).map_err(|_| AllocError)
    }

    /// Formats `args` into the arena, or names the request that was refused.
    #[allow(clippy::mut_from_ref)] // each call returns a distinct, fresh allocation
    fn format(&self, args: fmt::Arguments<'_>) -> Result<&mut str, Layout> {
        if let Some(text) = args.as_str() {
            // A literal with no arguments: one exactly sized copy.
            return self
                .try_alloc_str(text)
                .map_err(|_| Layout::for_value(text));
        }
        let mut out = ArenaText {
            text: Vec::new_in(self),
            refused: None,
        };
        if out.write_fmt(args).is_err() {
            if let Some(refused) = out.refused {
                // Dropping `out` gives the partial text back if it is still the newest.
                return Err(refused);
            }
            panic!(
                "a formatting trait implementation returned an error when the underlying stream did not"
            );
        }
        // The last growth may have reserved more than was written; give the tail back.
        out.text.shrink_to_fit();
        let bytes = out.text.leak();
        // SAFETY: the buffer holds only whole `&str` pieces, appended in order: valid UTF-8.
        Ok(unsafe { core::str::from_utf8_unchecked_mut(bytes) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn formats_exactly_and_hands_out_exactly_the_text() {
        let arena = MemoryArena::new();
        let before = arena.allocated_bytes();
        let text = arena.alloc_fmt(format_args!("{}-{:>5}-{:?}", 12, "ab", 'c'));
        assert_eq!(text, "12-   ab-'c'");
        assert_eq!(arena.allocated_bytes() - before, text.len());
        // A literal takes the one-copy path.
        assert_eq!(arena.alloc_fmt(format_args!("plain")), "plain");
        // Nothing to write: an empty string, nothing allocated.
        let used = arena.allocated_bytes();
        assert_eq!(arena.alloc_fmt(format_args!("{}", "")), "");
        assert_eq!(arena.allocated_bytes(), used);
    }

    #[test]
    fn text_longer_than_a_chunk_grows_into_a_new_one() {
        let arena = MemoryArena::builder().first_chunk_size(256).build();
        let piece = "0123456789".repeat(if cfg!(miri) { 20 } else { 300 });
        let text = arena.alloc_fmt(format_args!("{piece}|{piece}|{}", 99));
        assert_eq!(text.len(), 2 * piece.len() + 4);
        assert_eq!(*text, format!("{piece}|{piece}|99"));
        assert!(arena.chunk_count() > 1);
    }

    /// A `Display` impl that allocates in the arena while it is formatted: the text's buffer is
    /// then not the newest any more and grows by copying.
    struct Allocating<'a>(&'a MemoryArena, u32);

    impl fmt::Display for Allocating<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let noise = self.0.alloc([0xA5u8; 24]);
            assert_eq!(*noise, [0xA5; 24]);
            write!(f, "<{}>", self.1)
        }
    }

    #[test]
    fn arguments_that_allocate_in_the_same_arena_are_fine() {
        let arena = MemoryArena::builder().first_chunk_size(128).build();
        let text = arena.alloc_fmt(format_args!(
            "{}{}{}{}",
            "start-".repeat(5),
            Allocating(&arena, 1),
            "middle-".repeat(20),
            Allocating(&arena, 2)
        ));
        let expected = "start-".repeat(5) + "<1>" + &"middle-".repeat(20) + "<2>";
        assert_eq!(*text, expected);
    }

    struct Failing;

    impl fmt::Display for Failing {
        fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
            Err(fmt::Error)
        }
    }

    #[test]
    #[should_panic(expected = "formatting trait implementation returned an error")]
    fn an_error_from_a_display_impl_panics_as_format_does() {
        let arena = MemoryArena::new();
        arena.alloc_fmt(format_args!("{}", Failing));
    }

    #[test]
    fn a_refused_text_is_given_back() {
        let arena = MemoryArena::builder()
            .first_chunk_size(4096)
            .allocation_limit(4096)
            .build();
        let kept = arena.alloc_fmt(format_args!("{}", 1234));
        let (used, capacity) = (arena.allocated_bytes(), arena.capacity_bytes());
        let long = "y".repeat(5000);
        assert!(arena.try_alloc_fmt(format_args!("{}{long}", 5)).is_err());
        assert_eq!(
            (arena.allocated_bytes(), arena.capacity_bytes()),
            (used, capacity)
        );
        assert_eq!(kept, "1234");
        assert_eq!(arena.try_alloc_fmt(format_args!("{}", 5)).unwrap(), "5");
    }

    #[test]
    fn matches_std_format_on_mixed_arguments() {
        let arena = MemoryArena::new();
        for i in 0..if cfg!(miri) { 20 } else { 2000 } {
            let word = "é".repeat(i % 7);
            let expected = format!("{i}:{word}:{:e}:{:#b}", i as f64 / 3.0, i);
            let text = arena.alloc_fmt(format_args!("{i}:{word}:{:e}:{:#b}", i as f64 / 3.0, i));
            assert_eq!(*text, expected);
        }
    }
}
