#!/usr/bin/env bash
# Runs the JMH suite in src/jmh/java and prints the Markdown table of BENCHMARKS.md.
#
#   bench/run.sh                      # every benchmark, about 6 minutes on 2 cores
#   bench/run.sh RunBenchmark         # only those matching the JMH regexes given
#   JMH_OPTS="-f 1 -wi 1 -i 1" bench/run.sh   # other settings
#
# Writes target/jmh-result.csv (JMH's CSV, with -prof gc), target/jmh-run.log (JMH's output)
# and target/jmh-table.md (the table, also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
opts=${JMH_OPTS:--f 1 -wi 3 -w 1s -i 5 -r 1s}
mkdir -p target
start=$(date +%s)
echo "JMH: $opts -prof gc $*"
mvn -q -Pjmh test-compile exec:exec \
  -Dexample.args="$opts -prof gc -rf csv -rff target/jmh-result.csv $*" \
  | tee target/jmh-run.log | { grep --line-buffered -E '^# (Benchmark|Parameters):' || true; }
mvn -q -Pjmh test-compile exec:exec -Dexample=dev.weft.BenchTable \
  -Dexample.args="target/jmh-result.csv target/jmh-table.md"
echo
echo "wall time: $(( $(date +%s) - start )) s"
