/**
 * The envelopes of command tasks and executor calls: on the default allow list (as all of
 * {@code io.rmiq.api}), so every server and client accepts them without configuration.
 */
package io.rmiq.api.task;
