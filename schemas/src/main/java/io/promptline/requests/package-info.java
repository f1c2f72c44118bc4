/**
 * The rules of the request contract that the Avro schema cannot express, shared by the processor
 * (which refuses what breaks them) and publishers (which check before publishing).
 */
package io.promptline.requests;
