/**
 * Billing: the cost event of each call, priced by the table row in effect when the call was made
 * and by its billing mode (synchronous at the full price, Batch API at the batch price); the
 * policy for models without a price. Prices themselves live in {@code io.promptline.pricing}.
 */
package io.promptline.processor.cost;
