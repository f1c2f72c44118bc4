#!/usr/bin/env bash
# The seeds' job end to end (ops/seed001.sh --help): N rows in PostgreSQL, imported with the JDBC import into one
# tenant's batch tier, processed by the processor (its own JVM) against the simulator, sunk into PostgreSQL by the
# sink (its own JVM); prints the wall time, rows/s against C / mean call and the seeds' 1,157 rows/s, the processor's
# RSS, and whether every row has exactly one result and the bill is exact. Writes seed001.md under .bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  case "$a" in -h|--help) sed -n '/static final String USAGE = """/,/""";/p' ops/bench/src/main/java/io/promptline/ops/bench/Seed001.java | sed '1d;$d;s/^            //'; exit 0 ;; esac
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
exec java -Xmx2g -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error \
  -cp "ops/bench/target/classes:$(cat ops/bench/target/classpath.txt)" io.promptline.ops.bench.Seed001 "$@"
