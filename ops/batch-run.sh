#!/usr/bin/env bash
# Runs the batch tier through the provider Batch API on the local stack's real processes (broker process,
# registry, simulator with its Files and Batches endpoints, the processor in its own JVM), with a processor
# kill -9 during submission and during ingestion, then checks every request answered exactly once, no job
# submitted twice and the bill at the literal batch price. `ops/batch-run.sh --compare` answers the same
# requests synchronously and through batch jobs and compares costs and wall times. --help lists the options.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then
    sed -n '/static final String USAGE = """/,/""";/p' ops/localstack/src/main/java/io/promptline/ops/local/chaos/BatchRunMain.java | sed '1d;$d' | sed 's/^            //'
    exit 0
  fi
done
command -v java >/dev/null || { echo "Java 17+ is required (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (e.g. apt-get install maven)" >&2; exit 1; }
mkdir -p .batch-run
echo "Building Promptline (log: .batch-run/build.log) ..."
if ! mvn -B -DskipTests package -pl ops/localstack -am >.batch-run/build.log 2>&1; then
  tail -40 .batch-run/build.log >&2
  echo "Build failed; see .batch-run/build.log" >&2
  exit 1
fi
exec java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error \
  -Dorg.slf4j.simpleLogger.logFile=.batch-run/harness.log \
  -cp "ops/localstack/target/classes:$(cat ops/localstack/target/classpath.txt)" io.promptline.ops.local.chaos.BatchRunMain "$@"
