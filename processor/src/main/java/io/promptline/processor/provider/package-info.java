/**
 * Calling the providers: the chat client interface and its Vert.x implementation, the call and
 * outcome types, error classification, provider signals (Retry-After, x-ratelimit-*), each
 * endpoint's circuit breaker and adaptive concurrency, the JVM-wide priority-aware permits, and
 * the {@code CallGateway} that starts calls on them. It knows nothing of tasks, stores or topics.
 */
package io.promptline.processor.provider;
