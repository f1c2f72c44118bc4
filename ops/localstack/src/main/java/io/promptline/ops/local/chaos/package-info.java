/**
 * The randomized fault harness ({@code ops/chaos.sh}), in the manner of Jepsen and Kafka's own
 * system tests: the local stack's real parts under a seeded schedule of kills, outages and provider
 * fault windows, with publishers of every kind, checked at the end for the invariants the processor
 * promises. A short form runs in {@code mvn verify} (ChaosHarnessIntegrationTest).
 */
package io.promptline.ops.local.chaos;
