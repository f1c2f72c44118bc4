#!/bin/sh
# Run by the secured compose variant's `kafka-init` service as the broker's admin: gives every
# component its SCRAM-SHA-512 principal (password from the secrets directory) and exactly the ACLs
# OPERATIONS.md lists for it ("Secured clusters"). Idempotent: it runs at every `up`.
set -eu
PROMPTLINE="${PROMPTLINE:-java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.apache.kafka=error -jar /app/promptline.jar}"
SECRETS="${PROMPTLINE_SECRETS_DIR:-/run/secrets/promptline}"
for pair in processor:promptline-processor sink:promptline-sink cli:promptline-cli producer:promptline-app \
            schema-registry:schema-registry; do
  component="${pair%%:*}"
  user="${pair#*:}"
  $PROMPTLINE acls "$component" --principal "User:$user" --password-file "$SECRETS/$user.password" --apply
done
