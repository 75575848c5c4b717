//! A model test for both pools: random programs of allocate / allocate_zeroed / grow / shrink /
//! deallocate across sizes 0..=1 MiB and alignments 1..=8192, checked after every step against
//! a shadow model (in `common::pool_ops`, shared with the `pool_ops` fuzz target).

mod common;

use common::pool_ops::{MAX_SIZE, Op, Program, VALIDATE_EVERY, run, run_program};
use common::proptest_config;
use memory_manager::{LocalPool, MemoryPool};
use proptest::prelude::*;

/// Mostly small sizes, some medium, a few up to 1 MiB (fewer and smaller under Miri).
fn size() -> impl Strategy<Value = u32> {
    let big = MAX_SIZE as u32;
    prop_oneof![
        10 => 0u32..=256,
        6 => 0u32..=8192,
        2 => 8193u32..=65_536,
        1 => 0u32..=big,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (size(), 0u8..=13, any::<bool>())
            .prop_map(|(size, align_log, zeroed)| Op::Alloc { size, align_log, zeroed }),
        2 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Grow { pick, size }),
        1 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Shrink { pick, size }),
        4 => any::<usize>().prop_map(|pick| Op::Dealloc { pick }),
    ]
}

/// Ops per program: fewer under Miri, where every step's checks cost microseconds a byte.
const PROGRAM_LEN: usize = if cfg!(miri) { 20 } else { 100 };

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn local_pool_matches_model(program in prop::collection::vec(op(), 1..PROGRAM_LEN), zero in any::<bool>()) {
        let pool = LocalPool::builder().zero_on_free(zero).build();
        run(&pool, &program, VALIDATE_EVERY);
    }

    #[test]
    fn memory_pool_matches_model(program in prop::collection::vec(op(), 1..PROGRAM_LEN), min_align_log in 0u32..8) {
        let pool = MemoryPool::builder().min_align(1 << min_align_log).build();
        run(&pool, &program, VALIDATE_EVERY);
    }
}

#[test]
fn fuzz_seeds_run_clean() {
    for seed in common::seeds("pool_ops") {
        if let Ok(program) = common::decode::<Program>(&seed) {
            run_program(&program);
        }
    }
}
