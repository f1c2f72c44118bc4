# syntax=docker/dockerfile:1
# Promptline sink: PostgreSQL sink, cost roll-up and alert webhook.
# Build from the repository root: docker build -f ops/docker/sink.Dockerfile -t promptline/sink .
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl sink -am package dependency:copy-dependencies -DincludeScope=runtime \
 && mkdir -p /app/lib && cp sink/target/dependency/*.jar /app/lib/ && cp sink/target/promptline-sink-*.jar /app/lib/

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 promptline && useradd --system --uid 10001 --gid promptline --home-dir /app --no-create-home promptline \
 && mkdir -p /var/lib/promptline && chown promptline:promptline /var/lib/promptline
COPY --from=build /app/lib /app/lib
USER promptline
WORKDIR /var/lib/promptline
EXPOSE 9401
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-cp", "/app/lib/*", "io.promptline.sink.SinkMain"]
