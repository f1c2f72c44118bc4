#!/usr/bin/env python3
"""Publish prompt requests to Promptline and read their results from Python, with no Promptline code.

Uses Debian's packages only: python3-confluent-kafka (librdkafka) for Kafka and python3-avro for
the Avro encoding; the Confluent Schema Registry's REST protocol and wire format (magic byte 0,
4-byte schema id, Avro binary) are spoken here with the standard library.

  apt-get install python3-confluent-kafka python3-avro

  # publish 5 requests for tenant acme to the batch tier; prints each request_id as the broker acknowledges it
  python3 ops/examples/python/promptline_client.py publish --tenant acme --count 5 --prompt "Classify: the invoice is wrong"
  # read the results (and dead letters) of those request ids; exits 1 if some are missing at the timeout
  python3 ops/examples/python/promptline_client.py results --ids run1-0 run1-1 --timeout 60

Options --bootstrap (default localhost:19092, the local stack's) and --registry (http://localhost:18081)
name the cluster; --topics-base (default llm) the topic names' prefix.
"""
import argparse
import io
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

import avro.io
import avro.name
import avro.schema
from confluent_kafka import Consumer, KafkaException, Producer

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "schemas", "src", "main", "avro")
REQUEST_TYPES = ["Priority", "ContentPart", "ToolCall", "ChatMessage", "ToolDefinition", "PromptRequest"]


class Registry:
    """The Confluent Schema Registry's REST protocol: the ids of subjects' schemas, and schemas by id."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.by_id = {}

    def _call(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise SystemExit("schema registry %s%s answered %d: %s" % (self.url, path, e.code, e.read().decode(errors="replace")))
        except urllib.error.URLError as e:
            raise SystemExit("cannot reach the schema registry at %s: %s" % (self.url, e.reason))

    def register(self, subject, schema):
        """The id of `schema` under `subject` (registered if new; the registry dedupes the same schema)."""
        return self._call("/subjects/%s/versions" % urllib.request.quote(subject, safe=""), {"schema": str(schema)})["id"]

    def schema(self, schema_id):
        if schema_id not in self.by_id:
            self.by_id[schema_id] = avro.schema.parse(self._call("/schemas/ids/%d" % schema_id)["schema"])
        return self.by_id[schema_id]


def request_schema():
    names = avro.name.Names()
    schema = None
    for t in REQUEST_TYPES:
        with open(os.path.join(SCHEMAS, t + ".avsc")) as f:
            schema = avro.schema.make_avsc_object(json.load(f), names)
    return schema


def encode(schema, schema_id, record):
    """Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro binary."""
    full = {f.name: record.get(f.name, f.default) for f in schema.fields}  # defaults for the fields not given
    out = io.BytesIO()
    out.write(struct.pack(">bI", 0, schema_id))
    avro.io.DatumWriter(schema).write(full, avro.io.BinaryEncoder(out))
    return out.getvalue()


def decode(registry, value):
    if value is None or len(value) < 5 or value[0] != 0:
        raise ValueError("not in the Confluent wire format")
    writer = registry.schema(struct.unpack(">I", value[1:5])[0])
    return avro.io.DatumReader(writer).read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))


def publish(args):
    registry = Registry(args.registry)
    schema = request_schema()
    topic = "%s.requests.%s" % (args.topics_base, args.tier.lower())
    schema_id = registry.register(topic + "-value", schema)
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "acks": "all"})
    run = args.run_id or "py-" + uuid.uuid4().hex[:8]
    failed = []

    request_ids = []
    for i in range(args.count):
        request_id = "%s-%d" % (run, i)
        request_ids.append(request_id)
        record = {"request_id": request_id, "tenant": args.tenant, "priority": args.tier.upper(), "model": args.model,
                  "messages": [{"role": "user", "content": args.prompt, "parts": None, "tool_calls": [], "tool_call_id": None,
                                "name": None}],
                  "max_tokens": args.max_tokens, "metadata": {"client": "python"},
                  "created_at": datetime.now(timezone.utc)}
        producer.produce(topic, key=args.tenant.encode(), value=encode(schema, schema_id, record),
                         on_delivery=lambda err, msg, rid=request_id: failed.append("%s: %s" % (rid, err)) if err else print(rid))
        producer.poll(0)
    if producer.flush(30) > 0:
        failed.append("%d requests not acknowledged within 30 s" % len(producer))
    if failed:
        sys.exit("not published: " + "; ".join(failed))


def results(args):
    registry = Registry(args.registry)
    wanted = set(args.ids)
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "promptline-python-" + uuid.uuid4().hex[:8],
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(["%s.results" % args.topics_base, "%s.dlq" % args.topics_base])
    deadline = time.monotonic() + args.timeout
    try:
        while wanted and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            record = decode(registry, msg.value())
            if msg.topic().endswith(".dlq"):
                request_id = record.get("request_id")
                if request_id in wanted:
                    wanted.discard(request_id)
                    print(json.dumps({"request_id": request_id, "dead_letter": record.get("category"), "message": record.get("message")}))
                continue
            if record["request_id"] in wanted:
                wanted.discard(record["request_id"])
                usage = record["usage"]
                print(json.dumps({"request_id": record["request_id"], "model": record["model"], "content": record["content"],
                                  "prompt_tokens": usage["prompt_tokens"], "completion_tokens": usage["completion_tokens"]}))
    finally:
        consumer.close()
    if wanted:
        sys.exit("no result within %d s for: %s" % (args.timeout, " ".join(sorted(wanted))))


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", default=os.environ.get("PROMPTLINE_BOOTSTRAP_SERVERS", "localhost:19092"),
                        help="Kafka bootstrap servers (env PROMPTLINE_BOOTSTRAP_SERVERS; default %(default)s)")
    common.add_argument("--registry", default=os.environ.get("PROMPTLINE_SCHEMA_REGISTRY_URL", "http://localhost:18081"),
                        help="schema registry URL (env PROMPTLINE_SCHEMA_REGISTRY_URL; default %(default)s)")
    common.add_argument("--topics-base", default="llm", help="the topic names' prefix (default %(default)s)")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", parents=[common], help="publish prompt requests; prints each request_id once acknowledged")
    pub.add_argument("--tenant", required=True)
    pub.add_argument("--prompt", required=True)
    pub.add_argument("--count", type=int, default=1)
    pub.add_argument("--tier", default="batch", choices=["urgent", "normal", "batch"])
    pub.add_argument("--model", default=None)
    pub.add_argument("--max-tokens", type=int, default=None)
    pub.add_argument("--run-id", default=None, help="request ids are <run-id>-0, -1, ... (default: py-<random>)")
    res = sub.add_parser("results", parents=[common], help="print the results (or dead letters) of request ids as JSON lines")
    res.add_argument("--ids", nargs="+", required=True)
    res.add_argument("--timeout", type=int, default=60)
    args = p.parse_args()
    publish(args) if args.command == "publish" else results(args)


if __name__ == "__main__":
    main()
