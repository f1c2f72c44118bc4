/**
 * The live quotas and budgets of tenants, read from the global stores of the compacted quotas and
 * spend topics. Tells a tenant's limits and whether its budget is spent; it does not enforce them.
 */
package io.promptline.processor.quota;
