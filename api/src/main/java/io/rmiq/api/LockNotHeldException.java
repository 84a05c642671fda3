package io.rmiq.api;

/**
 * A lock was unlocked, renewed or asked for its fencing token by a holder that does not hold it: it
 * never acquired it, already unlocked it, or lost it because its lease ran out, its client's session
 * ended or the server restarted. rmiq's {@link IllegalMonitorStateException}.
 *
 * <p>When the holder believed it held the lock, the work it did meanwhile may have overlapped with
 * another holder's: that is what {@link DistributedLock#fencingToken() fencing tokens} are for.
 */
public class LockNotHeldException extends RmiqException {
    private static final long serialVersionUID = 1L;

    public LockNotHeldException(String message) {
        super(message);
    }
}
