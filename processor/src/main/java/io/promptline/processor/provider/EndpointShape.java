package io.promptline.processor.provider;

import java.util.Set;

/**
 * What makes an endpoint one deployment among several: its name, the models it serves (empty:
 * any), its share of the provider's limits, and the part of its concurrency and rate reserved
 * for urgent calls.
 */
public record EndpointShape(String name, Set<String> models, DeploymentLimits limits, CapacityView capacity, double urgentReserve) {
    /** The one endpoint of a processor without deployments: any model, no limits of its own, alone. */
    static EndpointShape single(String provider, String baseUrl) {
        return new EndpointShape(provider + "@" + baseUrl, Set.of(), DeploymentLimits.unlimited(), CapacityView.ALONE, 0);
    }
}
