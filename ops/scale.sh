#!/usr/bin/env bash
# Runs the scale-out scenarios on the local stack's real processes (Kafka broker processes, registry, simulator,
# processors in their own JVMs) and prints their figures: one tenant's backlog on 1, 2 and 3 JVMs; fail-over of an
# instance holding a million-id dedupe window, with and without a standby replica, and the survivor's RSS at 1,024
# calls in flight; three JVMs sharing a 600-RPM deployment; two of three brokers killed. --help lists the options.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then
    sed -n '/static final String USAGE = """/,/""";/p' ops/localstack/src/main/java/io/promptline/ops/local/chaos/ScaleMain.java | sed '1d;$d' | sed 's/^            //'
    exit 0
  fi
done
command -v java >/dev/null || { echo "Java 17+ is required (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (e.g. apt-get install maven)" >&2; exit 1; }
mkdir -p .scale
echo "Building Promptline (log: .scale/build.log) ..."
if ! mvn -B -DskipTests package -pl ops/localstack -am >.scale/build.log 2>&1; then
  tail -40 .scale/build.log >&2
  echo "Build failed; see .scale/build.log" >&2
  exit 1
fi
exec java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error \
  -Dorg.slf4j.simpleLogger.logFile=.scale/harness.log \
  -cp "ops/localstack/target/classes:$(cat ops/localstack/target/classpath.txt)" io.promptline.ops.local.chaos.ScaleMain "$@"
