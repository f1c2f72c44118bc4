/**
 * The coordinator of one task ({@code DispatchProcessor}) and the task's own state: the pending
 * store and its recovery, the tenant queues and the start of calls with backpressure, the hand-off
 * of completions from Vert.x to the stream thread and their application, and the ways a request
 * leaves the task. It carries each request along the packages below (intake, routing, quota,
 * ratelimit, provider, retry, output); none of them knows it.
 */
package io.promptline.processor.dispatch;
