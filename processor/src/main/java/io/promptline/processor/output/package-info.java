/**
 * What a task emits at the end of a request's path: results with their cost events, dead letters
 * with the headers that describe a request's calls, and where a record was read ({@code Origin}).
 * It forwards what it is given; it does not decide outcomes.
 */
package io.promptline.processor.output;
