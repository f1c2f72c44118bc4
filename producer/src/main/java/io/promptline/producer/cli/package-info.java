/**
 * The {@code promptline} command line: one picocli command per file (submit, import, results, tail,
 * dlq, quota, costs, topics) over the producer library and read_committed topic reads. Package-private
 * but for the entry point.
 */
package io.promptline.producer.cli;
