package io.promptline.processor.metrics;

/** What the gauges of one provider endpoint read. Thread-safe. */
public interface EndpointGauges {
    String provider();

    String baseUrl();

    /** The circuit breaker's state: 0 closed, 1 open, 2 half-open, 3 disabled or metrics-only. */
    int breakerGauge();

    /** 1 while the endpoint says it is misconfigured (401/403, insufficient_quota, 404) and no call since succeeded, else 0. */
    int misconfigured();

    /** The adaptive limit of concurrent calls to the endpoint. */
    int concurrencyLimit();

    /** The deployment's name (provider@base URL for the one endpoint of a processor without deployments). */
    String name();

    /** This instance's share of the deployment's limits, in (0, 1]. */
    double share();
}
