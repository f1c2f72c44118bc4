#!/usr/bin/env bash
# Runs the Promptline benchmark on this machine: a Kafka broker process, the schema registry, the
# LLM simulator, the processor in its own JVM, baselines and producer load. Prints a table and
# writes results.md, results.csv and bench.png under .bench/. `ops/bench.sh --help` lists options.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  case "$a" in -h|--help) sed -n '/static final String USAGE = """/,/""";/p' ops/bench/src/main/java/io/promptline/ops/bench/BenchOptions.java | sed '1d;$d;s/^            //'; exit 0 ;; esac
done
command -v java >/dev/null || { echo "Java 17+ is required (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (e.g. apt-get install maven)" >&2; exit 1; }
mkdir -p .bench
echo "Building Promptline (log: .bench/build.log) ..."
if ! mvn -B -DskipTests package -pl ops/bench -am >.bench/build.log 2>&1; then
  tail -40 .bench/build.log >&2
  echo "Build failed; see .bench/build.log" >&2
  exit 1
fi
exec java -Xmx2g ${BENCH_HARNESS_JAVA_OPTS:-} -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error \
  -cp "ops/bench/target/classes:$(cat ops/bench/target/classpath.txt)" io.promptline.ops.bench.Benchmark "$@"
