/**
 * Which model a request goes to: an explicit model, else its task type's route, else the default;
 * and the context-window fallback chain. Pure functions of the request and the configuration.
 */
package io.promptline.processor.routing;
