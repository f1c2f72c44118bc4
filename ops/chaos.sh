#!/usr/bin/env bash
# Runs the chaos harness: the local stack's real parts (broker process, registry, simulator, PostgreSQL,
# processors and sink in their own JVMs) under a random fault schedule per seed, then checks that every
# request ended exactly once, costs are exact, PostgreSQL equals the topics and duplicates were counted.
# `ops/chaos.sh --help` lists the options; a failed seed replays with `ops/chaos.sh --seed N`.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then
    sed -n '/static final String USAGE = """/,/""";/p' ops/localstack/src/main/java/io/promptline/ops/local/chaos/ChaosMain.java | sed '1d;$d' | sed 's/^            //'
    exit 0
  fi
done
command -v java >/dev/null || { echo "Java 17+ is required (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (e.g. apt-get install maven)" >&2; exit 1; }
mkdir -p .chaos
echo "Building Promptline (log: .chaos/build.log) ..."
if ! mvn -B -DskipTests package -pl ops/localstack -am >.chaos/build.log 2>&1; then
  tail -40 .chaos/build.log >&2
  echo "Build failed; see .chaos/build.log" >&2
  exit 1
fi
exec java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error \
  -Dorg.slf4j.simpleLogger.logFile=.chaos/harness.log \
  -cp "ops/localstack/target/classes:$(cat ops/localstack/target/classpath.txt)" io.promptline.ops.local.chaos.ChaosMain "$@"
