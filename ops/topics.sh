#!/usr/bin/env bash
# Creates Promptline's topics on a Kafka cluster (what the local stack and docker-compose do for
# themselves): ops/topics.sh --bootstrap-servers broker:9092 --partitions 12 --replication-factor 3
# The delay ladder must match the processor's promptline.retry.delays (--retry-delays 10s,1m,10m).
exec "$(dirname "$0")/../producer/bin/promptline" topics create "$@"
