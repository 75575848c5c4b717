//! Paired measurement: every contestant runs one iteration per round, in a random order, and
//! the ratios are taken within each round.
//!
//! Criterion times one contestant for seconds, then the next. On this project's shared 2-core
//! machine the speed of the whole machine drifts over seconds (the same workload moves by 5-30%
//! from one run to the next), so two contestants that run the same machine code can come out
//! 10% apart in one criterion group and the other way round in the next. Here the contestants of
//! a workload alternate iteration by iteration, so a drift slows them all in the same round and
//! cancels out of that round's ratio. Every round runs them in a fresh random order, so that no
//! contestant always follows the same neighbour: what one leaves behind (dirty cache lines, a
//! cache just emptied by zeroing) lands on a different contestant each round. (A rotation by one
//! per round, used before, kept the same neighbours in the same order in almost every round.)
//! What it cannot cancel is what is fixed for a whole process (code layout, where the heap
//! placed each contestant's memory), so run it more than once: with a different function order
//! and a different warm-up order (`--warm-up-seed=N`) each time, as `benches/layouts.sh` does.
//!
//! Used by the benches' `--paired` mode (`cargo bench --bench arena -- --paired`, optionally
//! followed by parts of workload names to run only those). With `--record=FILE` each ratio's
//! median is also appended to `FILE`; `--summarize FILE..` reads such files, one per build, and
//! prints each ratio's median over the builds. `benches/layouts.sh` drives both over builds
//! with the functions in a different random order each, to average out where the linker
//! happened to put each contestant's loops.

use std::time::{Duration, Instant};

/// One contestant: its name and one timed iteration of the workload (including its reset).
pub type Timed<'a> = (&'static str, Box<dyn FnMut() -> Duration + 'a>);

/// Ratios to report: `ours` against each of `peers`, and against the fastest of them.
pub struct Versus {
    pub ours: &'static str,
    pub peers: &'static [&'static str],
}

/// How long each workload's rounds should take in all, after warm-up.
const BUDGET: Duration = Duration::from_secs(4);
const MIN_ROUNDS: usize = 30;
const MAX_ROUNDS: usize = 2000;

/// Runs `contestants` in rounds, each in a fresh order, and prints each one's median time and,
/// for every entry of `versus`, the per-round ratio of ours to each peer: its median, its
/// quartiles and how many rounds came out at or below 1.0; then the largest of those medians,
/// the ratio to the fastest peer.
pub fn paired(workload: &str, mut contestants: Vec<Timed<'_>>, versus: &[Versus]) {
    if !selected(workload) {
        return;
    }
    let count = contestants.len();
    // Warm-up: the arenas grow to their steady size, the caches and branch predictors fill.
    // The contestants acquire their memory here, once for the whole process, and the order
    // matters: on the Intel machine of 2026-12-03 the arena warmed up first ran the 24-byte
    // workload 4% slower than bump-scope, in every one of 18 builds, and 5-7% faster when
    // warmed up last (same code). So the warm-up rounds run in an order drawn from
    // `--warm-up-seed=N`, which `benches/layouts.sh` sets to the build number: over builds,
    // every contestant comes first about as often as any other.
    let mut warm_up_order: Vec<usize> = (0..count).collect();
    Shuffle::seeded(warm_up_seed()).permute(&mut warm_up_order);
    for _ in 0..3 {
        for &which in &warm_up_order {
            (contestants[which].1)();
        }
    }
    let mut times = vec![Vec::new(); count];
    let started = Instant::now();
    let mut rounds = 0;
    let mut order: Vec<usize> = (0..count).collect();
    let mut shuffle = Shuffle::new();
    while rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || started.elapsed() < BUDGET) {
        shuffle.permute(&mut order);
        for &which in &order {
            let time = (contestants[which].1)();
            times[which].push(time.as_secs_f64());
        }
        rounds += 1;
    }
    println!(
        "{workload}: {rounds} rounds in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for ((name, _), samples) in contestants.iter().zip(&times) {
        println!("  {name:<40} median {:>10.1} µs", median(samples) * 1e6);
    }
    let index = |name: &str| {
        contestants
            .iter()
            .position(|(candidate, _)| *candidate == name)
            .unwrap_or_else(|| panic!("no contestant named {name}"))
    };
    for (group, pair) in versus.iter().enumerate() {
        let ours = index(pair.ours);
        // Against each peer on its own: the ratio to "the fastest peer of each round" would be
        // biased against us, since the least of several equally fast peers' noisy times is
        // below their typical time.
        let mut medians = Vec::new();
        for peer_name in pair.peers {
            let peer = index(peer_name);
            let mut ratios: Vec<f64> = (0..rounds)
                .map(|round| times[ours][round] / times[peer][round])
                .collect();
            ratios.sort_by(f64::total_cmp);
            let middle = quantile(&ratios, 0.5);
            let at_most_one = ratios.iter().filter(|&&ratio| ratio <= 1.0).count();
            println!(
                "  {} ÷ {peer_name}: median {middle:.3} (quartiles {:.3}-{:.3}), {at_most_one} of \
                 {rounds} rounds ≤ 1.0",
                pair.ours,
                quantile(&ratios, 0.25),
                quantile(&ratios, 0.75),
            );
            record(&Record {
                workload: workload.to_owned(),
                group,
                ours: pair.ours.to_owned(),
                peer: (*peer_name).to_owned(),
                median: middle,
            });
            medians.push((*peer_name, middle));
        }
        print_against_fastest(pair.ours, &medians, "fastest peer");
    }
}

/// Prints the ratio of `ours` to the fastest of its peers, given its median ratio to each: the
/// largest of them, the peer our ratio is worst against. Nothing for a single peer, whose own
/// line says it already.
fn print_against_fastest(ours: &str, medians: &[(&str, f64)], label: &str) {
    let fastest = medians
        .iter()
        .copied()
        .reduce(|worst, next| if next.1 > worst.1 { next } else { worst });
    if let Some((peer, ratio)) = fastest
        && medians.len() > 1
    {
        println!("  => {ours} ÷ {label} ({peer}): {ratio:.3}");
    }
}

/// A bench's `main`: the paired mode when started with `-- --paired`, the summary of recorded
/// builds with `-- --summarize FILE..` (see [`summarize`]), the criterion groups otherwise (what
/// `criterion_main!` would do).
pub fn main(paired_mode: impl FnOnce(), criterion_groups: impl FnOnce()) {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--summarize") {
        summarize(&args[at + 1..]);
    } else if args.iter().any(|arg| arg == "--paired") {
        paired_mode();
    } else {
        criterion_groups();
        criterion::Criterion::default()
            .configure_from_args()
            .final_summary();
    }
}

/// Whether the bench was started with the option `name` (such as `--floors`).
#[allow(dead_code)] // each bench is a crate of its own, and not every one has options
pub fn flag(name: &str) -> bool {
    std::env::args().any(|arg| arg == name)
}

/// The `N` of `--warm-up-seed=N` (0 without it): which order the contestants warm up in.
fn warm_up_seed() -> u64 {
    std::env::args()
        .find_map(|arg| arg.strip_prefix("--warm-up-seed=")?.parse().ok())
        .unwrap_or(0)
}

/// One line of a record file: a per-peer median ratio of one workload in one process.
struct Record {
    workload: String,
    /// Which entry of the workload's `versus` list the ratio belongs to: the fastest peer is
    /// taken within one entry (a bench may compare one of ours with peers in one entry and with
    /// a reference of its own, such as `MemoryArena` for `SharedArena`, in another).
    group: usize,
    ours: String,
    peer: String,
    median: f64,
}

impl Record {
    /// Tab-separated, one record a line (names contain spaces and parentheses, never tabs).
    fn to_line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\n",
            self.workload, self.group, self.ours, self.peer, self.median
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split('\t');
        let record = Self {
            workload: fields.next()?.to_owned(),
            group: fields.next()?.parse().ok()?,
            ours: fields.next()?.to_owned(),
            peer: fields.next()?.to_owned(),
            median: fields.next()?.parse().ok()?,
        };
        fields.next().is_none().then_some(record)
    }
}

/// Appends `record` to the file named by `--record=FILE`, if one was given.
fn record(record: &Record) {
    use std::io::Write;
    let Some(path) =
        std::env::args().find_map(|arg| arg.strip_prefix("--record=").map(String::from))
    else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("cannot open the record file {path}: {error}"));
    file.write_all(record.to_line().as_bytes())
        .unwrap_or_else(|error| panic!("cannot write to the record file {path}: {error}"));
}

/// Prints, for every workload and every pair of contestants found in the record files (one file
/// per build, written with `--paired --record=FILE`), the median over the builds of the
/// per-build median ratio, with its range; then, for each of ours and each group of peers it
/// was compared with (an entry of the bench's `versus` list), the ratio to the fastest peer:
/// the largest of those medians.
///
/// This is what `benches/layouts.sh` reads. Each of its builds places the functions in a
/// different random order, so a hot loop lands at a different offset from the 64-byte
/// boundaries in each, and a contestant's speed moves with it by up to 30% (see the README).
/// Within one build, "the fastest peer" is then partly whichever peer's loops happened to land
/// well, a bias against us that grows with the number of peers. Over many layouts each peer is
/// judged by its typical speed, which is what a user's program, with a layout of its own, can
/// expect of it.
pub fn summarize(files: &[String]) {
    assert!(!files.is_empty(), "--summarize needs record files");
    // Each ratio with its median in every build, in order of first appearance.
    let mut table: Vec<(RatioKey, Vec<f64>)> = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("cannot read the record file {path}: {error}"));
        for (number, line) in text.lines().enumerate() {
            let record = Record::parse(line)
                .unwrap_or_else(|| panic!("{path}:{}: not a record: {line:?}", number + 1));
            let key = (record.workload, record.group, record.ours, record.peer);
            match table.iter_mut().find(|(existing, _)| *existing == key) {
                Some((_, medians)) => medians.push(record.median),
                None => table.push((key, vec![record.median])),
            }
        }
    }
    println!("{} builds", files.len());
    let mut workload_shown = None;
    // One of ours against one group of peers at a time: the records of a (workload, group,
    // ours) are written one after another, so they are neighbours in the table too.
    for compared in table.chunk_by(|(a, _), (b, _)| a.0 == b.0 && a.1 == b.1 && a.2 == b.2) {
        let ((workload, _, ours, _), _) = &compared[0];
        if workload_shown != Some(workload) {
            println!("{workload}:");
            workload_shown = Some(workload);
        }
        let mut medians = Vec::new();
        for ((_, _, _, peer), per_build) in compared {
            let mut sorted = per_build.clone();
            sorted.sort_by(f64::total_cmp);
            let middle = quantile(&sorted, 0.5);
            let at_most_one = sorted.iter().filter(|&&ratio| ratio <= 1.0).count();
            println!(
                "  {ours} ÷ {peer}: median over builds {middle:.3} (builds {:.3}-{:.3}), \
                 {at_most_one} of {} builds ≤ 1.0",
                sorted[0],
                sorted[sorted.len() - 1],
                sorted.len(),
            );
            medians.push((peer.as_str(), middle));
        }
        print_against_fastest(ours, &medians, "fastest peer over builds");
    }
}

/// What identifies a ratio across builds: workload, group of peers, ours, peer.
type RatioKey = (String, usize, String, String);

/// Whether `workload` is wanted: every workload, unless names follow `--paired` on the command
/// line (`-- --paired json vec`), then those whose name contains one of them.
fn selected(workload: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip_while(|arg| arg != "--paired")
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    filters.is_empty()
        || filters
            .iter()
            .any(|filter| workload.contains(filter.as_str()))
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile(&sorted, 0.5)
}

/// The `q` quantile of sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// A fresh order of the contestants for every round (xorshift64 and Fisher-Yates, seeded the
/// same in every run so that runs can be compared).
struct Shuffle(u64);

impl Shuffle {
    fn new() -> Self {
        Self::seeded(0)
    }

    /// A generator whose sequence depends on `seed` (`| 1`: xorshift needs a nonzero state).
    fn seeded(seed: u64) -> Self {
        Self((0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03)) | 1)
    }

    fn next_below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }

    fn permute(&mut self, order: &mut [usize]) {
        for last in (1..order.len()).rev() {
            let pick = self.next_below(last + 1);
            order.swap(last, pick);
        }
    }
}
