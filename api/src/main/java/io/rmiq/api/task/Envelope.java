package io.rmiq.api.task;

import java.io.Serializable;

/**
 * A task or result that carries its own id, so that a result can find its way back to whoever
 * submitted the task through a shared results queue.
 */
public interface Envelope extends Serializable {

    /** The id the submitter chose; unique enough that submitters sharing a queue do not collide. */
    String id();
}
