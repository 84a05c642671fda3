package io.rmiq.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ObjectInputFilter;
import org.junit.jupiter.api.Test;

/** What a client accepts in call results: stubs and exceptions, not remote objects that export themselves. */
class ClassFilterTest {

    private static ObjectInputFilter.Status decide(Class<?> c) {
        return ClassFilter.clientCalls().checkInput(new ObjectInputFilter.FilterInfo() {
            public Class<?> serialClass() {
                return c;
            }

            public long arrayLength() {
                return -1;
            }

            public long depth() {
                return 1;
            }

            public long references() {
                return 1;
            }

            public long streamBytes() {
                return 100;
            }
        });
    }

    @Test
    void remoteObjectsThatExportThemselves_areRefused() {
        assertEquals(ObjectInputFilter.Status.REJECTED, decide(java.rmi.server.UnicastRemoteObject.class));
        assertEquals(ObjectInputFilter.Status.REJECTED, decide(java.rmi.server.RemoteServer.class));
        assertEquals(ObjectInputFilter.Status.REJECTED, decide(java.rmi.MarshalledObject.class));
    }

    @Test
    void whatStubsAndFailuresAreMadeOf_isAllowed() {
        assertEquals(ObjectInputFilter.Status.ALLOWED, decide(java.rmi.server.RemoteObjectInvocationHandler.class));
        assertEquals(ObjectInputFilter.Status.ALLOWED, decide(java.rmi.server.ObjID.class));
        assertEquals(ObjectInputFilter.Status.ALLOWED, decide(java.rmi.ConnectException.class));
        assertEquals(ObjectInputFilter.Status.ALLOWED, decide(java.rmi.NoSuchObjectException.class));
    }
}
