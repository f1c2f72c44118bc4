/**
 * Prices: a versioned table per provider and model in integer micro-units per million tokens, and
 * the exact cost of a call's usage. No I/O beyond loading the table.
 */
package io.promptline.processor.cost;
