/**
 * Promptline's topics: their names, their settings, how they are created (and waited for until
 * served), and how they are read as a downstream application reads them (read_committed).
 */
package io.promptline.topics;
