/**
 * Batch API spill: batch-tier requests gathered into provider batch jobs (OpenAI Files + Batches),
 * their state in changelogged stores, submission that survives a crash without submitting twice,
 * polling, and output lines turned into results, dead letters or synchronous calls exactly once.
 */
package io.promptline.processor.batch;
