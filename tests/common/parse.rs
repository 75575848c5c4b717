//! Arena-scoped parsing of arbitrary bytes, the way a user's fuzz target would use the arena:
//! one arena with an allocation limit, reset after every input. Shared by the parse tests and
//! the `arena_parse` fuzz target; the parser is the `parse_json` example's.

#[path = "../../examples/parse_json/json.rs"]
#[allow(dead_code)]
mod json;

use memory_manager::MemoryArena;

/// The arena's cap: hostile inputs hit it instead of exhausting memory.
pub const LIMIT: usize = 1 << 20;

/// Parses `input` twice in a capped arena, resetting in between: both runs must agree, the
/// arena must stay under its limit, and a reset must leave nothing allocated.
pub fn run(arena: &mut MemoryArena, input: &[u8]) {
    let first = json::parse(input, &*arena).map(|tree| tree.census());
    assert!(arena.capacity_bytes() <= LIMIT, "arena grew past its limit");
    arena.reset();
    assert_eq!(arena.allocated_bytes(), 0);
    let second = json::parse(input, &*arena).map(|tree| tree.census());
    arena.reset();
    assert_eq!(first, second, "the same input parsed differently");
    if let Ok(census) = first {
        assert!(census.nodes >= 1);
        assert!(census.string_bytes <= input.len());
    }
}

/// An arena set up as the fuzz target uses it.
pub fn arena() -> MemoryArena {
    MemoryArena::builder().allocation_limit(LIMIT).build()
}
