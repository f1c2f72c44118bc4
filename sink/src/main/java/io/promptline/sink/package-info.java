/**
 * The sink deployable's entry point: it runs the PostgreSQL writer, the cost roll-up and the alerter
 * from one typed configuration.
 */
package io.promptline.sink;
