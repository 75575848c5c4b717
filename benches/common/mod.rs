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
//! placed each contestant's memory), so run it more than once.
//!
//! Used by the benches' `--paired` mode (`cargo bench --bench arena -- --paired`, optionally
//! followed by parts of workload names to run only those).

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
    for _ in 0..3 {
        for (_, run) in contestants.iter_mut() {
            run();
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
    for pair in versus {
        let ours = index(pair.ours);
        // Against each peer on its own: the ratio to "the fastest peer of each round" would be
        // biased against us, since the least of several equally fast peers' noisy times is
        // below their typical time.
        let mut against_fastest: Option<(&str, f64)> = None;
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
            // The fastest peer is the one our ratio is largest against.
            if against_fastest.is_none_or(|(_, ratio)| middle > ratio) {
                against_fastest = Some((peer_name, middle));
            }
        }
        if let Some((peer_name, ratio)) = against_fastest
            && pair.peers.len() > 1
        {
            println!(
                "  => {} ÷ fastest peer ({peer_name}): {ratio:.3}",
                pair.ours
            );
        }
    }
}

/// A bench's `main`: the paired mode when started with `-- --paired`, the criterion groups
/// otherwise (what `criterion_main!` would do).
pub fn main(paired_mode: impl FnOnce(), criterion_groups: impl FnOnce()) {
    if std::env::args().any(|arg| arg == "--paired") {
        paired_mode();
    } else {
        criterion_groups();
        criterion::Criterion::default()
            .configure_from_args()
            .final_summary();
    }
}

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
        Self(0x9E37_79B9_7F4A_7C15)
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
