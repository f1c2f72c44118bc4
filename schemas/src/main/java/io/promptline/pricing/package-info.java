/**
 * Prices: a table of rows per provider and model, each with a version and the instant it took
 * effect, in integer micro-units per million tokens; and the exact cost of a call's usage by its
 * billing mode. Shared by the processor (pricing each call) and the CLI (repricing what was
 * recorded). No I/O beyond loading a table.
 */
package io.promptline.pricing;
