/**
 * The first stage of a request's path: decoding a record into a request (or a reason it is
 * malformed), claiming it by request_id (duplicates stop here), validating it and deciding
 * whether it is called and with which model ({@code AdmissionPolicy}), with a token estimate. It
 * knows nothing of the task that calls it, of calls or of their outcomes.
 */
package io.promptline.processor.intake;
