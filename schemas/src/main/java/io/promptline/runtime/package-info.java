/**
 * Small helpers every deployable's background threads share. Knows no Promptline type.
 */
package io.promptline.runtime;
