#!/usr/bin/env bash
# make bench-core: the seven-check pass and the parse-only floor, REPS (5) repetitions each, interleaved by Google
# Benchmark in one process. The machine is shared: the best repetition is the least disturbed one, the median shows
# the spread, and the ratio to the parse-only floor of the same run is what compares across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
./build/core_bench --benchmark_repetitions="$REPS" --benchmark_enable_random_interleaving=true --benchmark_format=csv \
  2>/dev/null | awk -F, '
  /^"(SevenChecks|ParseOnly)\/min_time:[0-9.]+"/ {
    split($1, n, "/"); name = substr(n[1], 2); rate = $7 + 0
    runs[name] = runs[name] " " rate
    if (rate > best[name]) best[name] = rate
    if ($11 != "") heap[name] = $11
  }
  /^"(SevenChecks|ParseOnly)\/min_time:[0-9.]+_median"/ { split($1, n, "/"); median[substr(n[1], 2)] = $7 + 0 }
  END {
    printf "| benchmark   | best M events/s | median M events/s | best vs parse-only |\n"
    printf "|-------------|-----------------|-------------------|--------------------|\n"
    for (i = 0; i < 2; i++) {
      name = i == 0 ? "ParseOnly" : "SevenChecks"
      printf "| %-11s | %15.3f | %17.3f | %18.2f |\n", name, best[name] / 1e6, median[name] / 1e6, best[name] / best["ParseOnly"]
    }
    printf "SevenChecks peak heap: %.1f bytes per event\n", heap["SevenChecks"]
    printf "SevenChecks repetitions (events/s):%s\n", runs["SevenChecks"]
  }'
