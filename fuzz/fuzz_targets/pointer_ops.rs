//! clone / drop / downgrade / upgrade / get_mut / make_mut / try_unwrap / into_inner programs on
//! `MemoryPointer`, against a model of the counts (see `tests/common/pointer_ops.rs`).
#![no_main]

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|ops: Vec<common::pointer_ops::Op>| {
    common::pointer_ops::run(&ops);
});
