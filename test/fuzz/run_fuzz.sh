#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS (default 60) from its seed corpus in test/fuzz/corpus_*;
# new inputs go to build/san/corpus_* (the checked-in seeds stay as they are), crashes to build/san/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
mkdir -p build/san/artifacts
for target in "$@"; do
  name=$(basename "$target")           # fuzz_batch -> corpus_batch
  seeds=test/fuzz/corpus_${name#fuzz_}
  work=build/san/corpus_${name#fuzz_}
  mkdir -p "$work"
  echo "== $name for ${seconds}s (seeds: $(ls "$seeds" | wc -l))"
  rc=0
  "$target" -max_total_time="$seconds" -max_len=16384 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build/san/artifacts/"$name"- "$work" "$seeds" > "build/san/$name.log" 2>&1 || rc=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)" \
    "build/san/$name.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "build/san/$name.log"
    echo "$name found a failure (exit $rc): see build/san/artifacts/"
    exit 1
  fi
done
echo "fuzz: all targets ran ${seconds}s without a failure"
