#!/usr/bin/env bash
# Benchmark harness: coord vs the raw client floor vs peer lock libraries, on etcd, Redis and ZooKeeper.
#   scripts/bench.sh           full run (several minutes), results in coord-bench/target/bench-results.md
#   scripts/bench.sh --smoke   tiny counts (~2-3 min incl. build), coord-bench/target/bench-results-smoke.md
# Env: M2=<dir> uses that Maven local repository; BENCH_SKIP_INSTALL=1 skips the reactor install;
#      BENCH_JAVA_OPTS extra JVM options for the main benchmark JVM.
# Asserts nothing: exits 0 unless the build itself fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MVN=(mvn -B -q)
if [[ -n "${M2:-}" ]]; then
  MVN+=("-Dmaven.repo.local=$M2")
fi
if [[ "${BENCH_SKIP_INSTALL:-0}" != "1" ]]; then
  "${MVN[@]}" install -DskipTests
fi
# Main benchmark class path (netty 4.2 aligned by the parent pom).
"${MVN[@]}" -pl coord-bench dependency:build-classpath -Dmdep.outputFile="$ROOT/coord-bench/target/classpath.txt"
# Redisson runner: its own pom and class path (netty 4.1), run as a child JVM by the benchmark.
"${MVN[@]}" -f coord-bench/redisson/pom.xml package dependency:build-classpath \
  -Dmdep.outputFile="$ROOT/coord-bench/redisson/target/classpath.txt"
CP="$ROOT/coord-bench/target/classes:$(cat "$ROOT/coord-bench/target/classpath.txt")"
RCP="$ROOT/coord-bench/redisson/target/classes:$(cat "$ROOT/coord-bench/redisson/target/classpath.txt")"
exec java ${BENCH_JAVA_OPTS:-} -Xss512k -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dbench.redisson.cp="$RCP" -Dbench.out="$ROOT/coord-bench/target/bench-results$([[ " $* " == *" --smoke "* ]] && echo -smoke).md" \
  -cp "$CP" io.coord.bench.Bench "$@"
