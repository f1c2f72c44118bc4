/**
 * The LLM simulator: an OpenAI-compatible HTTP server with configurable latency, token usage and
 * fault injection (by rate or by a marker in the prompt), with a ledger of the calls it answered.
 * The one simulated part of every test; it knows the OpenAI protocol, nothing of Kafka.
 */
package io.promptline.ops.simulator;
