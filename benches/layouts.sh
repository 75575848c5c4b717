#!/usr/bin/env bash
# Runs a bench's paired mode over several builds that differ only in where the linker puts each
# function, then summarizes the ratios over those builds.
#
#   bash benches/layouts.sh BENCH BUILDS [WORKLOAD FILTERS...]
#   bash benches/layouts.sh arena 10
#   bash benches/layouts.sh arena 10 vec_push json
#
# Why: a hot loop that crosses a 64-byte boundary runs up to 30% slower on this project's
# machine than the same instructions inside one block, and where a loop lands depends on every
# function the linker placed before it. Within one build the contestants of a workload sit at
# arbitrary offsets, so "ours against the fastest peer" partly measures whose loops landed well.
# Here each build has its functions in a different random order (lld's --shuffle-sections, with
# the build number as seed), every build runs `--paired --record=FILE`, and `--summarize`
# prints each ratio's median over the builds (see `summarize` in benches/common/mod.rs).
# `--warm-up-seed` (the build number too) changes the order in which the contestants first run
# and so acquire their memory, which otherwise decides near-ties (see `paired` there).
#
# Only the bench crate is rebuilt per layout (`cargo rustc`, about 10 s on 2 cores); the
# libraries' code the workloads run is generic and instantiated there anyway. Needs lld as the
# linker, the default for x86_64 Linux since Rust 1.90. Records go to target/layouts/BENCH/.
set -euo pipefail

if [[ $# -lt 2 || ! $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash benches/layouts.sh BENCH BUILDS [WORKLOAD FILTERS...]" >&2
    exit 2
fi
bench=$1
builds=$2
shift 2

cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
records="$target_dir/layouts/$bench"
rm -rf "$records"
mkdir -p "$records"

binary=""
for seed in $(seq 1 "$builds"); do
    # `--message-format` gives the path of the binary just built, as the last "executable".
    binary=$(cargo rustc --quiet --profile bench --bench "$bench" --message-format json \
        -- -C "link-arg=-Wl,--shuffle-sections=.text*=$seed" |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
    if [[ -z $binary ]]; then
        echo "layouts.sh: cargo built no executable for bench $bench" >&2
        exit 1
    fi
    if ! readelf -p .comment "$binary" | grep -q "Linker: LLD"; then
        echo "layouts.sh: $binary was not linked by lld, so its layout was not shuffled" >&2
        exit 1
    fi
    echo "build $seed of $builds: $binary" >&2
    "$binary" --paired --warm-up-seed="$seed" --record="$records/build-$seed.tsv" "$@" \
        >"$records/build-$seed.txt"
done

shopt -s nullglob
record_files=("$records"/build-*.tsv)
if [[ ${#record_files[@]} -eq 0 ]]; then
    echo "layouts.sh: no workload of bench $bench matched: ${*:-(no filters)}" >&2
    exit 1
fi
"$binary" --summarize "${record_files[@]}"
