package io.rmiq.client;

import io.rmiq.api.DistributedQueue;

/** The contract on the embedded server's own handles: no RMI between caller and queue. */
class InProcessQueueTest extends QueueContractTest {

    @Override
    <E> DistributedQueue<E> queue(String name) {
        return server.queue(name);
    }
}
