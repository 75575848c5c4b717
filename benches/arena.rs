//! MemoryArena against bumpalo, bump-scope and blink-alloc, each workload in one criterion group
//! so the ratios come out of one run.
//!
//! Every iteration runs the workload and then resets the arena, so the cost of reclaiming (and,
//! for the zeroing contestants, of wiping) is part of the time. Two workloads also have a floor,
//! their own work with the allocations taken out (see `stores_only` and `vec_push_reserved`), to
//! show how much of their time any allocator can still win: criterion runs it always, the paired
//! mode with `--floors`.
//!
//! `cargo bench --bench arena`; `cargo bench --bench arena -- --paired` runs the same workloads
//! and contestants in alternating rounds instead (see `common/mod.rs`) and prints per-round
//! ratios.

mod common;
#[path = "../examples/parse_json/json.rs"]
#[allow(dead_code)] // the example's census and error reporting go unused here
mod json;
#[path = "../examples/parse_json/sample.rs"]
mod sample;

use allocator_api2::alloc::{AllocError, Allocator, Layout};
use allocator_api2::vec::Vec;
use criterion::{BenchmarkId, Criterion, criterion_group};
use memory_manager::MemoryArena;
use memory_manager::allocator_api2;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

/// What every contestant offers, so each workload is written once.
trait Contestant {
    const NAME: &'static str;
    type Alloc<'a>: Allocator + Copy
    where
        Self: 'a;
    fn new() -> Self;
    fn allocator(&self) -> Self::Alloc<'_>;
    #[allow(clippy::mut_from_ref)]
    fn put<T: Copy>(&self, value: T) -> &mut T;
    fn put_str(&self, s: &str) -> &str;
    fn reset(&mut self);
}

/// An allocator seen under a type of its own, one per `TAG`.
///
/// The zeroing and non-zeroing contestants of one arena would otherwise share an allocator
/// type (`&MemoryArena`, `&bumpalo::Bump`), so every generic function of the workloads (a
/// hashbrown `insert`, a `Vec` growth path) would be instantiated once for two call sites, while
/// bump-scope's and blink-alloc's each have one. LLVM inlines single-caller functions far more
/// readily, and that alone made `insert` an out-of-line call for the two arenas measured twice
/// (hashbrown workload: about 5% for MemoryArena and 30% for bumpalo, whose own code was the
/// same). With a type per contestant, each gets its own instantiation, as in a real program.
/// Every method forwards, inlined.
#[derive(Clone, Copy)]
struct Distinct<A, const TAG: bool>(A);

// SAFETY: forwards every method to `A` unchanged, so `A`'s guarantees carry over.
unsafe impl<A: Allocator, const TAG: bool> Allocator for Distinct<A, TAG> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.0.allocate(layout)
    }
    #[inline(always)]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.0.allocate_zeroed(layout)
    }
    #[inline(always)]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.deallocate(ptr, layout) }
    }
    #[inline(always)]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.grow(ptr, old_layout, new_layout) }
    }
    #[inline(always)]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.grow_zeroed(ptr, old_layout, new_layout) }
    }
    #[inline(always)]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.shrink(ptr, old_layout, new_layout) }
    }
}

/// MemoryArena with or without zeroing.
struct Ours<const ZERO: bool>(MemoryArena);

impl<const ZERO: bool> Contestant for Ours<ZERO> {
    const NAME: &'static str = if ZERO {
        "MemoryArena(zeroing)"
    } else {
        "MemoryArena(no zeroing)"
    };
    type Alloc<'a> = Distinct<&'a MemoryArena, ZERO>;
    fn new() -> Self {
        Self(MemoryArena::builder().zero_on_free(ZERO).build())
    }
    fn allocator(&self) -> Self::Alloc<'_> {
        Distinct(&self.0)
    }
    #[inline(always)]
    fn put<T: Copy>(&self, value: T) -> &mut T {
        self.0.alloc(value)
    }
    #[inline(always)]
    fn put_str(&self, s: &str) -> &str {
        self.0.alloc_str(s)
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

/// bumpalo, optionally made to zero everything it handed out before each reset: the cheapest way
/// to get MemoryArena's guarantee from it. Most of what it handed out is still in a chunk's
/// allocated part at reset and wiped there; what bumpalo takes back earlier (see
/// [`BumpaloAlloc`]) is wiped as it is taken back.
struct Bumpalo<const ZERO: bool>(bumpalo::Bump);

impl<const ZERO: bool> Contestant for Bumpalo<ZERO> {
    const NAME: &'static str = if ZERO { "bumpalo+zeroing" } else { "bumpalo" };
    type Alloc<'a> = BumpaloAlloc<'a, ZERO>;
    fn new() -> Self {
        Self(bumpalo::Bump::new())
    }
    fn allocator(&self) -> Self::Alloc<'_> {
        BumpaloAlloc(&self.0)
    }
    #[inline(always)]
    fn put<T: Copy>(&self, value: T) -> &mut T {
        self.0.alloc(value)
    }
    #[inline(always)]
    fn put_str(&self, s: &str) -> &str {
        self.0.alloc_str(s)
    }
    fn reset(&mut self) {
        if ZERO {
            // SAFETY: no allocation happens while the iterator lives, and nothing borrows the
            // arena (we hold `&mut`).
            for (ptr, len) in unsafe { self.0.iter_allocated_chunks_raw() } {
                // SAFETY: the iterator yields the allocated part of each chunk.
                unsafe { ptr.write_bytes(0, len) };
            }
            black_box(&self.0);
        }
        self.0.reset();
    }
}

/// `&bumpalo::Bump` under a type of its own per `ZERO` (as [`Distinct`] does for the others),
/// which with `ZERO` wipes the bytes bumpalo takes back before its reset.
///
/// bumpalo takes back the newest allocation's bytes when it is deallocated, and the bytes a
/// `shrink` of the newest allocation frees when it halves it; those bytes leave the chunk's
/// allocated part, so a wipe at reset alone misses them. In the hashbrown workload that is the
/// final table, dropped last: half of all the bytes handed out (4.46 MB of 8.9 MB), which the
/// zeroing peer before this wrapper left unwiped while `MemoryArena` wiped them. Grows never
/// take bytes back: growing the newest allocation moves it down over its old place, and any
/// other growth leaves the old block allocated.
#[derive(Clone, Copy)]
struct BumpaloAlloc<'a, const ZERO: bool>(&'a bumpalo::Bump);

impl<const ZERO: bool> BumpaloAlloc<'_, ZERO> {
    /// Whether `ptr` is the newest allocation, the one bumpalo can take back.
    #[inline(always)]
    fn is_newest(&self, ptr: NonNull<u8>) -> bool {
        // SAFETY: the iterator is dropped before anything allocates; its first item is the
        // current chunk's allocated part, which starts at the newest allocation.
        let first = unsafe { self.0.iter_allocated_chunks_raw() }.next();
        first.is_some_and(|(start, _)| start == ptr.as_ptr())
    }

    /// Zeroes `len` bytes at `ptr`, stores the optimizer must keep.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` lies in one of this arena's chunks.
    #[inline(always)]
    unsafe fn wipe(ptr: NonNull<u8>, len: usize) {
        // SAFETY: the caller guarantees the range is chunk memory.
        unsafe { ptr.as_ptr().write_bytes(0, len) };
        black_box(ptr);
    }
}

// SAFETY: forwards every method to `&bumpalo::Bump` and only adds writes of zeros to bytes the
// caller gave up (a deallocated block, the part of a block a shrink dropped).
unsafe impl<const ZERO: bool> Allocator for BumpaloAlloc<'_, ZERO> {
    #[inline(always)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        self.0.allocate(layout)
    }
    #[inline(always)]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if ZERO && self.is_newest(ptr) {
            // SAFETY: the caller gives the block up; it is still allocated, and bumpalo takes
            // back exactly its `layout.size()` bytes.
            unsafe { Self::wipe(ptr, layout.size()) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.deallocate(ptr, layout) }
    }
    #[inline(always)]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.grow(ptr, old_layout, new_layout) }
    }
    #[inline(always)]
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.grow_zeroed(ptr, old_layout, new_layout) }
    }
    #[inline(always)]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let newest = ZERO && self.is_newest(ptr);
        // SAFETY: forwarded with the caller's guarantees.
        let block = unsafe { self.0.shrink(ptr, old_layout, new_layout) }?;
        let moved_to = block.cast::<u8>();
        // Shrinking the newest block by half or more, bumpalo copies it up to `moved_to` and
        // takes back `ptr..moved_to`; any other move is to a fresh block, outside the old one.
        let old_end = ptr.addr().get() + old_layout.size();
        if newest && moved_to > ptr && moved_to.addr().get() < old_end {
            let taken_back = moved_to.addr().get() - ptr.addr().get();
            // SAFETY: `ptr..moved_to` lay inside the old block and no block holds it now.
            unsafe { Self::wipe(ptr, taken_back) };
        }
        Ok(block)
    }
}

struct BumpScope(bump_scope::Bump);

impl Contestant for BumpScope {
    const NAME: &'static str = "bump-scope";
    type Alloc<'a> = &'a bump_scope::Bump;
    fn new() -> Self {
        Self(bump_scope::Bump::new())
    }
    fn allocator(&self) -> &bump_scope::Bump {
        &self.0
    }
    #[inline(always)]
    fn put<T: Copy>(&self, value: T) -> &mut T {
        self.0.alloc(value).into_mut()
    }
    #[inline(always)]
    fn put_str(&self, s: &str) -> &str {
        self.0.alloc_str(s).into_ref()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

struct Blink(blink_alloc::Blink);

impl Contestant for Blink {
    const NAME: &'static str = "blink-alloc";
    type Alloc<'a> = &'a blink_alloc::BlinkAlloc;
    fn new() -> Self {
        Self(blink_alloc::Blink::new())
    }
    fn allocator(&self) -> &blink_alloc::BlinkAlloc {
        self.0.allocator()
    }
    #[inline(always)]
    fn put<T: Copy>(&self, value: T) -> &mut T {
        self.0.put_no_drop(value)
    }
    #[inline(always)]
    fn put_str(&self, s: &str) -> &str {
        self.0.copy_str(s)
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

// ----- workloads ----------------------------------------------------------------------------------

const N: usize = 1_000_000;

fn values<C: Contestant>(arena: &C) {
    for i in 0..N as u64 {
        black_box(arena.put([i, i + 1, i + 2]));
    }
}

fn strings<C: Contestant>(arena: &C, strs: &[String]) {
    for s in strs {
        black_box(arena.put_str(s));
    }
}

fn vec_push<C: Contestant>(arena: &C) {
    let mut v: Vec<u64, C::Alloc<'_>> = Vec::new_in(arena.allocator());
    for i in 0..N as u64 {
        v.push(i);
    }
    black_box(&v);
}

// ----- floors ------------------------------------------------------------------------------------

/// A workload's own work with the allocations taken out: what no allocator should beat. A floor
/// runs in the same rounds as the contestants, and `ours ÷ floor` is what allocating costs us
/// there (each peer is set against it too). Near 1.0, the row is decided by the work every
/// contestant shares, and so is any ratio between contestants. It is a floor over layouts, not
/// in every build: its loop lands somewhere of its own, and a contestant's loop that landed
/// better can beat it (blink-alloc's `Vec` push did in 14 of 20 builds at 750fc08).
const STORES_ONLY: &str = "stores only, no allocator";
const RESERVED_UP_FRONT: &str = "MemoryArena, capacity reserved up front";

/// The 24-byte workload's stores alone: the same values written one after another into a
/// buffer allocated (and touched) once, with no cursor, no check of room and no reset.
fn stores_only() -> Box<dyn FnMut() -> Duration> {
    let mut buffer: std::vec::Vec<[u64; 3]> = std::vec![[0; 3]; N];
    let run = move || {
        let start = Instant::now();
        for (i, slot) in (0..N as u64).zip(buffer.iter_mut()) {
            *slot = [i, i + 1, i + 2];
            black_box(slot);
        }
        start.elapsed()
    };
    Box::new(run)
}

/// `Vec` push with the whole capacity allocated before the first push (through `MemoryArena`
/// without zeroing, then a reset): the push loop without one growth, which is all an allocator
/// can take out of that workload.
fn vec_push_reserved() -> Box<dyn FnMut() -> Duration> {
    let mut arena = MemoryArena::builder().zero_on_free(false).build();
    let run = move || {
        let start = Instant::now();
        let mut v: Vec<u64, &MemoryArena> = Vec::with_capacity_in(N, &arena);
        for i in 0..N as u64 {
            v.push(i);
        }
        black_box(&v);
        drop(v);
        arena.reset();
        start.elapsed()
    };
    Box::new(run)
}

fn hashmap<C: Contestant>(arena: &C) {
    let mut m: hashbrown::HashMap<u64, u64, _, C::Alloc<'_>> = hashbrown::HashMap::with_hasher_in(
        hashbrown::DefaultHashBuilder::default(),
        arena.allocator(),
    );
    for i in 0..200_000u64 {
        m.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
    }
    black_box(&m);
}

/// `reserve_exact(1)` before every push: growth of the newest allocation, one element at a time.
fn grow_newest<C: Contestant>(arena: &C) {
    let mut v: Vec<u32, C::Alloc<'_>> = Vec::new_in(arena.allocator());
    for i in 0..100_000u32 {
        v.reserve_exact(1);
        v.push(i);
    }
    black_box(&v);
}

/// A JSON-like document tree, built through the allocator the way a parser would.
enum Node<'a, A: Allocator> {
    Number(f64),
    Text(&'a str),
    Array(Vec<Node<'a, A>, A>),
    Object(Vec<(&'a str, Node<'a, A>), A>),
}

const KEYS: [&str; 8] = [
    "id", "name", "tags", "value", "children", "kind", "offset", "label",
];

fn build<'a, C: Contestant>(arena: &'a C, rng: &mut u64, depth: u32) -> Node<'a, C::Alloc<'a>> {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let pick = *rng % 10;
    if depth >= 5 || pick < 4 {
        if pick.is_multiple_of(2) {
            return Node::Number(*rng as f64);
        }
        return Node::Text(arena.put_str(KEYS[(*rng >> 8) as usize % 8]));
    }
    let fanout = 2 + (*rng >> 16) as usize % 6;
    if pick < 7 {
        let mut items = Vec::new_in(arena.allocator());
        for _ in 0..fanout {
            items.push(build(arena, rng, depth + 1));
        }
        Node::Array(items)
    } else {
        let mut fields = Vec::new_in(arena.allocator());
        for i in 0..fanout {
            let key = arena.put_str(KEYS[i % 8]);
            fields.push((key, build(arena, rng, depth + 1)));
        }
        Node::Object(fields)
    }
}

fn count<A: Allocator>(node: &Node<'_, A>) -> usize {
    match node {
        // Reading the leaves keeps them honest: every leaf counts as one node.
        Node::Number(n) => usize::from(!n.is_nan()),
        Node::Text(s) => s.len().min(1),
        Node::Array(items) => 1 + items.iter().map(count).sum::<usize>(),
        Node::Object(fields) => 1 + fields.iter().map(|(_, n)| count(n)).sum::<usize>(),
    }
}

fn tree<C: Contestant>(arena: &C) {
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    let mut nodes = 0;
    while nodes < 200_000 {
        let root = build(arena, &mut rng, 0);
        nodes += count(&root);
        black_box(&root);
    }
}

/// A real parser at work: the `parse_json` example's, over a generated document. Strings grow
/// in place as their runs are appended; arrays and objects are collected on a side stack and
/// copied into the arena, exactly sized, when they close; the tree is dropped (which walks it)
/// before the reset.
fn parse_document<C: Contestant>(arena: &C, document: &[u8]) {
    let tree = json::parse(document, arena.allocator()).expect("the sample is valid JSON");
    black_box(&tree);
}

fn random_strings() -> std::vec::Vec<String> {
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    (0..N)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = 5 + (rng % 36) as usize;
            (0..len)
                .map(|i| (b'a' + ((rng >> i) % 26) as u8) as char)
                .collect()
        })
        .collect()
}

/// Runs one workload for one contestant inside `group`, resetting after every iteration.
fn contest<C: Contestant>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    workload: impl Fn(&C),
) {
    let mut arena = C::new();
    group.bench_function(BenchmarkId::from_parameter(C::NAME), |b| {
        b.iter(|| {
            workload(&arena);
            arena.reset();
        })
    });
}

/// `[$each::<C>($args.., |arena| body), ..]` for every contestant `C`, in this order: the one
/// list of contestants both modes run.
macro_rules! each_contestant {
    ($each:ident($($arg:expr),*), |$arena:ident| $body:expr) => {
        [
            $each::<Ours<false>>($($arg,)* |$arena| $body),
            $each::<Ours<true>>($($arg,)* |$arena| $body),
            $each::<Bumpalo<false>>($($arg,)* |$arena| $body),
            $each::<Bumpalo<true>>($($arg,)* |$arena| $body),
            $each::<BumpScope>($($arg,)* |$arena| $body),
            $each::<Blink>($($arg,)* |$arena| $body),
        ]
    };
}

/// Every contestant on one workload, back to back in one group, so that the machine's drift
/// between groups does not enter the ratios.
macro_rules! workload {
    ($c:expr, $name:expr, |$arena:ident| $body:expr $(, floor: $floor_name:ident = $floor:expr)?) => {{
        let mut group = $c.benchmark_group($name);
        let _: [(); 6] = each_contestant!(contest(&mut group), |$arena| $body);
        $(
            let mut floor = $floor;
            group.bench_function(BenchmarkId::from_parameter($floor_name), |b| {
                b.iter_custom(|iterations| (0..iterations).map(|_| floor()).sum())
            });
        )?
        group.finish();
    }};
}

/// One timed iteration of `workload` (then a reset) on a contestant of its own, for the paired
/// mode.
fn timed<'a, C: Contestant + 'a>(workload: impl Fn(&C) + 'a) -> common::Timed<'a> {
    let mut arena = C::new();
    let run = move || {
        let start = Instant::now();
        workload(&arena);
        arena.reset();
        start.elapsed()
    };
    (C::NAME, Box::new(run))
}

/// Every contestant on one workload, for the paired mode.
macro_rules! paired_workload {
    ($name:expr, |$arena:ident| $body:expr $(, floor: $floor_name:ident = $floor:expr)?) => {{
        #[allow(unused_mut)] // added to only when the workload has a floor
        let mut contestants = std::vec::Vec::from(each_contestant!(timed(), |$arena| $body));
        #[allow(unused_mut)]
        let mut versus = std::vec![
            common::Versus {
                ours: Ours::<false>::NAME,
                peers: &[Bumpalo::<false>::NAME, BumpScope::NAME, Blink::NAME],
            },
            common::Versus {
                ours: Ours::<true>::NAME,
                peers: &[Bumpalo::<true>::NAME],
            },
        ];
        $(
            // Opt-in: one more contestant in the rounds is one more buffer of the workload's
            // size in the caches between a contestant's rounds, which could move the other ratios.
            if common::flag("--floors") {
                contestants.push(($floor_name, $floor));
                // Every non-zeroing contestant against the floor, an entry each (an entry's
                // peers share one `ours`).
                for ours in [Ours::<false>::NAME, Bumpalo::<false>::NAME, BumpScope::NAME, Blink::NAME] {
                    versus.push(common::Versus { ours, peers: &[$floor_name] });
                }
            }
        )?
        common::paired($name, contestants, &versus);
    }};
}

/// Runs `$run!` (`workload!` with the criterion handle, or `paired_workload!`) on every workload,
/// so both modes measure the same list.
macro_rules! each_workload {
    ($run:ident $(, $criterion:expr)?) => {{
        let strs = random_strings();
        let document = sample::document(2 << 20);
        $run!($($criterion,)? "alloc_24B_x1M", |arena| values(arena), floor: STORES_ONLY = stores_only());
        $run!($($criterion,)? "alloc_str_x1M", |arena| strings(arena, &strs));
        $run!($($criterion,)? "vec_push_1M", |arena| vec_push(arena), floor: RESERVED_UP_FRONT = vec_push_reserved());
        $run!($($criterion,)? "hashmap_200k", |arena| hashmap(arena));
        $run!($($criterion,)? "reserve_exact_grow_100k", |arena| grow_newest(arena));
        $run!($($criterion,)? "json_tree_200k_nodes", |arena| tree(arena));
        $run!($($criterion,)? "parse_json_2MB", |arena| parse_document(arena, &document));
    }};
}

fn arena_benches(c: &mut Criterion) {
    each_workload!(workload, c);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = arena_benches
}
fn main() {
    common::main(|| each_workload!(paired_workload), benches);
}
