/**
 * Test fixtures the modules share in test scope: an in-process KRaft broker, the registry, the
 * simulator and PostgreSQL for one test class, a child JVM, a mutable clock, and waiting helpers.
 * No module's main code uses it (ModuleRulesTest).
 */
package io.promptline.testkit;
