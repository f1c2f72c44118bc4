/**
 * The cost roll-ups: a Kafka Streams topology from the cost events (exactly once) to hourly spend per
 * tenant and model, and to the spend per period that budgets read.
 */
package io.promptline.sink.rollup;
