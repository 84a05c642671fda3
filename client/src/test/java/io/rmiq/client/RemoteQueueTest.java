package io.rmiq.client;

import io.rmiq.api.DistributedQueue;

/** The contract through a real client over 127.0.0.1: handshake, RMI, filters and all. */
class RemoteQueueTest extends QueueContractTest {

    private QueueClient client;

    @Override
    <E> DistributedQueue<E> queue(String name) {
        if (client == null) {
            client = QueueClient.connect("127.0.0.1", server.port(), KEY);
            closeables.add(client);
        }
        return client.queue(name);
    }
}
