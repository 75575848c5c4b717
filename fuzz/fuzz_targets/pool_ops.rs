//! Random programs on `LocalPool` and `MemoryPool` against the shadow model, `validate()` after
//! every step (see `tests/common/pool_ops.rs`).
#![no_main]

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|program: common::pool_ops::Program| {
    common::pool_ops::run_program(&program);
});
