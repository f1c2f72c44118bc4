#!/usr/bin/env bash
# Writes the secrets of the secured compose variant (ops/docker/secured/compose.yml) into DIR
# (default: ops/docker/secured/secrets, which git ignores): random passwords for the broker's
# admin and one SCRAM-SHA-512 principal per component, the JAAS files each container mounts, the
# admin's client settings for the init job, and a tenant secret for acme and globex.
# Existing files are kept, so re-running after `docker compose up` changes nothing.
#   ops/docker/secured/make-secrets.sh [DIR]
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
DIR="${1:-$(cd "$(dirname "$0")" && pwd)/secrets}"
mkdir -p "$DIR"
cd "$DIR"

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# Written once: a file already there is a secret someone may be using.
write() { [[ -e "$1" ]] || { umask 022; cat > "$1"; }; }

[[ -e admin.password ]] || random_hex 24 > admin.password
ADMIN="$(cat admin.password)"
# The broker authenticates the admin (inter-broker, controller, init job) with PLAIN against this
# file and everyone else with SCRAM-SHA-512 against the credentials the init job stores in KRaft.
write broker.jaas <<JAAS
KafkaServer {
    org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin"
    password="$ADMIN"
    user_admin="$ADMIN";
    org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS
write admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN";
PROPS
write admin.jaas <<JAAS
org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN";
JAAS

for user in promptline-processor promptline-sink promptline-cli promptline-app schema-registry; do
  [[ -e "$user.password" ]] || random_hex 24 > "$user.password"
  PASSWORD="$(cat "$user.password")"
  write "$user.jaas" <<JAAS
org.apache.kafka.common.security.scram.ScramLoginModule required username="$user" password="$PASSWORD";
JAAS
done
# The Confluent registry reads its Kafka login from a JAAS file's KafkaClient section.
write schema-registry-client.jaas <<JAAS
KafkaClient {
    $(cat schema-registry.jaas)
};
JAAS

write tenants.properties <<PROPS
acme=$(head -c 32 /dev/urandom | base64 -w0)
globex=$(head -c 32 /dev/urandom | base64 -w0)
PROPS
echo "secrets in $DIR"
