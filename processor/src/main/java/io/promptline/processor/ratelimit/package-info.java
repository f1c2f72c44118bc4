/**
 * Per-tenant request and token limits of one task as a GCRA on actual call starts, with
 * reservations that order a tenant's requests and estimate their waits. Knows limits and times
 * only: not where limits come from, nor what a request is.
 */
package io.promptline.processor.ratelimit;
