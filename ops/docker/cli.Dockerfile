# syntax=docker/dockerfile:1
# The promptline CLI (and topic creation): docker run --rm promptline/cli --help
# Build from the repository root: docker build -f ops/docker/cli.Dockerfile -t promptline/cli .
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl producer -am package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 promptline && useradd --system --uid 10001 --gid promptline --home-dir /app --no-create-home promptline
COPY --from=build /src/producer/target/promptline.jar /app/promptline.jar
USER promptline
ENTRYPOINT ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.org.apache.kafka=error", "-jar", "/app/promptline.jar"]
