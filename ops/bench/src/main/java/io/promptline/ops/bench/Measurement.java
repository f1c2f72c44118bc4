package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import org.HdrHistogram.Histogram;

import java.util.Map;

/**
 * What one run measured over its window.
 *
 * @param warmupSeconds how long the run warmed up before its window (until throughput was steady)
 * @param resultsPerSec results per second (of the backlog tier: normal, or batch in a PRIORITY run)
 * @param boundPerSec   the bound the design compares against (NaN for the ceiling run itself)
 * @param boundReason   how the bound was derived, e.g. {@code C/L} or {@code CPU ceiling}
 * @param cpuCores      CPU used by the system under test, in cores (1.0 = one core busy)
 * @param machineCores  CPU used by everything on the machine, in cores
 * @param heapMaxMb     the largest heap in use seen (Promptline only; NaN for baselines)
 * @param oldGenMaxMb   the largest G1 old generation seen: promoted state plus garbage not yet collected (Promptline only)
 * @param gcPercent     share of the window spent in GC pauses (Promptline only)
 * @param latencies     end-to-end latency (ms) per tier, from publish to the committed result
 * @param urgentStages  where urgent requests' time went: queued in the processor, the call, applying, becoming visible
 */
record Measurement(RunSpec spec, double warmupSeconds, double windowSeconds, double resultsPerSec, double boundPerSec, String boundReason,
                   double cpuCores, double machineCores, double rssMaxMb, double heapMaxMb, double oldGenMaxMb, double gcPercent,
                   Map<Priority, Histogram> latencies, Map<ResultMeter.Stage, Histogram> urgentStages, long unmatched) {

    /** The same measurement against another bound (bounds are settled once the ceiling is known). */
    Measurement withBound(Runner.Bound b) {
        return new Measurement(spec, warmupSeconds, windowSeconds, resultsPerSec, b.perSecond(), b.reason(), cpuCores, machineCores, rssMaxMb, heapMaxMb,
                oldGenMaxMb, gcPercent, latencies, urgentStages, unmatched);
    }

    double ratioToBound() {
        return resultsPerSec / boundPerSec;
    }

    /** p-th percentile of the tier's end-to-end latency in ms, or NaN without samples. */
    double latencyMs(Priority tier, double percentile) {
        Histogram h = latencies.get(tier);
        return h == null || h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile);
    }

    long latencySamples(Priority tier) {
        Histogram h = latencies.get(tier);
        return h == null ? 0 : h.getTotalCount();
    }
}
