# syntax=docker/dockerfile:1
# Promptline processor: Kafka Streams processor: calls the LLM API for the tier topics.
# Build from the repository root: docker build -f ops/docker/processor.Dockerfile -t promptline/processor .
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl processor -am package dependency:copy-dependencies -DincludeScope=runtime \
 && mkdir -p /app/lib && cp processor/target/dependency/*.jar /app/lib/ && cp processor/target/promptline-processor-*.jar /app/lib/

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 promptline && useradd --system --uid 10001 --gid promptline --home-dir /app --no-create-home promptline \
 && mkdir -p /var/lib/promptline && chown promptline:promptline /var/lib/promptline
COPY --from=build /app/lib /app/lib
USER promptline
WORKDIR /var/lib/promptline
EXPOSE 9400
# Heap at half the container's memory: the rest holds RocksDB's shared cache (PROMPTLINE_PROCESSOR_ROCKSDB_CACHE_BYTES),
# direct buffers (Vert.x, Kafka clients), metaspace and threads.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-cp", "/app/lib/*", "io.promptline.processor.ProcessorMain"]
