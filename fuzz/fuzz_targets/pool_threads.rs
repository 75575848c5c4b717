//! Two to four threads on one `MemoryPool`, with cross-thread frees (see
//! `tests/common/pool_threads.rs`).
#![no_main]

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|program: common::pool_threads::Program| {
    common::pool_threads::run_program(&program);
});
