package io.rmiq.api.task;

/**
 * The outcome of a {@link CallTask}: a value, or the failure with its stack trace as text (the
 * exception itself is not sent, since its class may not be on the submitter's allow list).
 *
 * @param id           the task's id
 * @param value        the serialized return value, null on failure
 * @param errorClass   the failure's class name, null on success
 * @param errorMessage the failure's message
 * @param errorTrace   the failure's stack trace as {@code printStackTrace} writes it, causes included
 * @param worker       which worker ran it ({@code host/pid})
 */
public record CallResult(String id, byte[] value, String errorClass, String errorMessage, String errorTrace,
        String worker) implements Envelope {

    private static final long serialVersionUID = 1L;

    public boolean failed() {
        return errorClass != null;
    }
}
