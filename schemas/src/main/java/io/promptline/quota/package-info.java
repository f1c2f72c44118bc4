/**
 * The keys of the spend topic, shared by the cost roll-up that writes it and the processor that
 * reads it for budgets.
 */
package io.promptline.quota;
