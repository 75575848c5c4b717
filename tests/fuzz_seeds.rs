//! The logic behind every fuzz target (`fuzz/fuzz_targets/`), run on the fixed seeds under
//! `cargo test` and Miri, so the normal suite exercises exactly what the fuzzers do.

mod common;

use common::{decode, seeds};

#[test]
fn pool_threads_seeds() {
    for seed in seeds("pool_threads") {
        if let Ok(program) = decode::<common::pool_threads::Program>(&seed) {
            common::pool_threads::run_program(&program);
        }
    }
}

#[test]
fn pointer_ops_seeds() {
    for seed in seeds("pointer_ops") {
        if let Ok(ops) = decode::<Vec<common::pointer_ops::Op>>(&seed) {
            common::pointer_ops::run(&ops);
        }
    }
}

#[test]
fn arena_parse_seeds() {
    let mut arena = common::parse::arena();
    for seed in seeds("arena_parse") {
        common::parse::run(&mut arena, &seed);
    }
    // And real documents, valid and not.
    for doc in [
        &br#"{"a": [1, 2.5e3, -0.1, true, false, null], "b": "x\u00e9\ud83d\ude00\n"}"#[..],
        b"[[[[[]]]]]",
        b"[1, 2,",
        b"\"unterminated",
        b"{\"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    ] {
        common::parse::run(&mut arena, doc);
    }
    let nested = "[".repeat(10_000);
    common::parse::run(&mut arena, nested.as_bytes()); // refused: too deep, no stack overflow
}

#[test]
fn pointer_model_sequences() {
    use common::pointer_ops::Op::*;
    common::pointer_ops::run(&[
        New,
        Clone { pick: 0 },
        Downgrade { pick: 1 },
        GetMut { pick: 0 },
        MakeMut { pick: 0 },
        Drop { pick: 1 },
        Upgrade { pick: 0 },
        DropWeak { pick: 0 },
        TryUnwrap { pick: 0 },
        New,
        IntoInner { pick: 0 },
        New,
        Downgrade { pick: 0 },
        Drop { pick: 0 },
        Upgrade { pick: 0 },
    ]);
}
