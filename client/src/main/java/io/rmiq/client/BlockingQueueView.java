package io.rmiq.client;

import io.rmiq.api.DistributedQueue;
import java.time.Duration;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * A rmiq queue as a {@link BlockingQueue}, for code written against the JDK interface (see
 * {@link QueueClient#blockingQueue}). Every method means what the JDK documents, with rmiq's
 * at-most-once {@code get}/{@code poll}/{@code take} underneath:
 * <ul>
 *   <li>{@code drainTo} takes in batches of up to 1,000 items per call;</li>
 *   <li>{@code remainingCapacity} is the capacity the server was given minus what the queue
 *       holds now, waiting and in flight ({@link Integer#MAX_VALUE} for an unbounded queue), a snapshot others may change at once;</li>
 *   <li>{@code size}, {@code isEmpty}, {@code peek} and {@code element} are snapshots too;</li>
 *   <li>{@code iterator}, and so {@code contains}, {@code remove(Object)}, {@code toArray},
 *       {@code removeAll} and {@code retainAll}, throw {@link UnsupportedOperationException}: a
 *       remote queue has no stable sequence to walk or to remove from the middle of.</li>
 * </ul>
 * An interrupt ends a waiting call with {@link InterruptedException}; a non-waiting one
 * ({@code offer(e)}, {@code poll()}) keeps the interrupt flag set and answers as if it had no time.
 */
public final class BlockingQueueView<E> extends AbstractQueue<E> implements BlockingQueue<E> {

    private static final int BATCH = 1_000;
    private final DistributedQueue<E> queue;
    private final IntSupplier remaining;

    /** @param remaining the room left now, {@link Integer#MAX_VALUE} for an unbounded queue */
    BlockingQueueView(DistributedQueue<E> queue, IntSupplier remaining) {
        this.queue = queue;
        this.remaining = remaining;
    }

    /** The rmiq handle underneath, for its batches and leases. */
    public DistributedQueue<E> queue() {
        return queue;
    }

    @Override
    public boolean offer(E e) {
        try {
            return queue.offer(e, Duration.ZERO);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void put(E e) throws InterruptedException {
        queue.put(e);
    }

    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        return queue.offer(e, Duration.ofNanos(unit.toNanos(timeout)));
    }

    @Override
    public E take() throws InterruptedException {
        return queue.get();
    }

    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(Duration.ofNanos(unit.toNanos(timeout)));
    }

    @Override
    public E poll() {
        try {
            return queue.poll(Duration.ZERO);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public E peek() {
        List<E> head = queue.peek(1);
        return head.isEmpty() ? null : head.get(0);
    }

    @Override
    public E element() {
        E head = peek();
        if (head == null) {
            throw new NoSuchElementException("queue '" + queue.name() + "' is empty");
        }
        return head;
    }

    @Override
    public int remainingCapacity() {
        return remaining.getAsInt();
    }

    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        int n = 0;
        try {
            while (n < maxElements) {
                List<E> got = queue.take(Math.min(BATCH, maxElements - n), Duration.ZERO);
                if (got.isEmpty()) {
                    break;
                }
                c.addAll(got);
                n += got.size();
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return n;
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public boolean isEmpty() {
        return queue.size() == 0;
    }

    /** @throws UnsupportedOperationException always: a remote queue cannot be walked */
    @Override
    public Iterator<E> iterator() {
        throw new UnsupportedOperationException("a remote rmiq queue cannot be iterated; use peek, take or drainTo");
    }

    @Override
    public String toString() {
        return "BlockingQueue view of rmiq queue '" + queue.name() + "'";
    }
}
