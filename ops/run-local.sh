#!/usr/bin/env bash
# Runs the whole Promptline pipeline on this machine (no Docker): a Kafka broker process (KRaft),
# the schema registry, the LLM simulator or a real provider, PostgreSQL, processor and sink; then a
# sample workload and a summary. `ops/run-local.sh --help` lists the options.
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  case "$arg" in
    -h|--help) cat ops/localstack/src/main/resources/io/promptline/ops/local/run-local-usage.txt; exit 0 ;;
  esac
done
command -v java >/dev/null || { echo "Java 17+ is required (e.g. apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (e.g. apt-get install maven)" >&2; exit 1; }
data="${PROMPTLINE_LOCAL_DIR:-.localstack}"
mkdir -p "$data"
echo "Building Promptline (the first run downloads dependencies; log: $data/build.log) ..."
if ! mvn -B -DskipTests package -pl ops/localstack -am >"$data/build.log" 2>&1; then
  tail -40 "$data/build.log" >&2
  echo "Build failed; see $data/build.log" >&2
  exit 1
fi
exec java -Xmx1536m -Dorg.slf4j.simpleLogger.logFile="$data/stack.log" -cp "ops/localstack/target/classes:$(cat ops/localstack/target/classpath.txt)" \
  io.promptline.ops.local.LocalStack "$@"
