//! A model test: random programs of arena operations, checked after every step against a shadow
//! model of the live blocks (alignment, no overlap, contents preserved, `allocated_bytes` exact).
//! The model lives in `common::arena_ops`, shared with the `arena_ops` fuzz target.

mod common;

use common::arena_ops::{Op, run_program};
use common::proptest_config;
use memory_manager::MemoryArena;
use proptest::prelude::*;

fn leaf_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop_oneof![0u16..64, 0u16..5000], 0u8..13)
            .prop_map(|(size, align_log)| Op::Alloc { size, align_log }),
        1 => (0u8..41).prop_map(|len| Op::AllocStr { len }),
        2 => (any::<usize>(), 0u16..3000).prop_map(|(pick, extra)| Op::Grow { pick, extra }),
        1 => (any::<usize>(), 0u16..3000, any::<bool>())
            .prop_map(|(pick, less, realign)| Op::Shrink { pick, less, realign }),
        2 => any::<usize>().prop_map(|pick| Op::Dealloc { pick }),
        1 => prop::option::of(0u32..64 * 1024).prop_map(Op::Limit),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => leaf_op(),
        1 => prop::collection::vec(leaf_op(), 0..if cfg!(miri) { 8 } else { 40 }).prop_map(Op::Scope),
        1 => any::<bool>().prop_map(|keep_chunks| Op::Reset { keep_chunks }),
    ]
}

/// Ops per program: fewer under Miri, where every step's content check costs microseconds a byte.
const PROGRAM_LEN: usize = if cfg!(miri) { 24 } else { 120 };

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn arena_matches_model(program in prop::collection::vec(op(), 1..PROGRAM_LEN), zero in any::<bool>()) {
        let mut arena = MemoryArena::builder().zero_on_free(zero).first_chunk_size(256).build();
        run_program(&mut arena, &program);
    }
}

#[test]
fn fuzz_seeds_run_clean() {
    for seed in common::seeds("arena_ops") {
        if let Ok(program) = common::decode::<Vec<Op>>(&seed) {
            let mut arena = MemoryArena::builder().first_chunk_size(256).build();
            run_program(&mut arena, &program);
        }
    }
}
