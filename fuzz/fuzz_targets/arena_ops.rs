//! Random programs of arena operations against the shadow model (see `tests/common/arena_ops.rs`).
#![no_main]

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|program: Vec<common::arena_ops::Op>| {
    let mut arena = memory_manager::MemoryArena::builder().first_chunk_size(256).build();
    common::arena_ops::run_program(&mut arena, &program);
});
