/**
 * The benchmark ({@code ops/bench.sh}): runs the real pipeline and the baselines against one broker
 * process, registry and simulator at each in-flight limit and latency, measures throughput, CPU and
 * latency from outside (a load generator and a read_committed result meter), and writes the report
 * and charts. Operations tooling: it may use every module; no module uses it.
 */
package io.promptline.ops.bench;
