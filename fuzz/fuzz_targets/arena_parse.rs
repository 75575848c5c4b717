//! Arena-scoped parsing of arbitrary bytes: one arena with an allocation limit, reset after
//! every input, the way a user's own fuzz target would use `MemoryArena` (copy this one).
#![no_main]

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;
use memory_manager::MemoryArena;
use std::cell::RefCell;

thread_local! {
    /// One arena for the whole fuzzing session: each input is parsed into it and then reset,
    /// so its largest chunk is reused and allocation stays a pointer bump.
    static ARENA: RefCell<MemoryArena> = RefCell::new(common::parse::arena());
}

fuzz_target!(|data: &[u8]| {
    ARENA.with(|arena| common::parse::run(&mut arena.borrow_mut(), data));
});
