package io.rmiq.client.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class RemoteTaskExceptionTest {

    @Test
    void frames_ofTheTopException_inEveryFormPrintStackTraceWrites() {
        String trace = """
                java.lang.IllegalStateException: boom
                \tat com.example.Job.run(Job.java:12)
                \tat app//com.example.Job.call(Job.java:7)
                \tat java.base@17.0.2/java.lang.Thread.run(Thread.java:833)
                \tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
                \tat com.example.Gen$$Lambda$14/0x0000000800c03000.call(Unknown Source)
                \t... 3 more
                Caused by: java.lang.ArithmeticException: / by zero
                \tat com.example.Math.div(Math.java:3)
                """;
        assertArrayEquals(new StackTraceElement[] {
            new StackTraceElement("com.example.Job", "run", "Job.java", 12),
            new StackTraceElement("com.example.Job", "call", "Job.java", 7),
            new StackTraceElement("java.lang.Thread", "run", "Thread.java", 833),
            new StackTraceElement("jdk.internal.reflect.NativeMethodAccessorImpl", "invoke0", null, -2),
            new StackTraceElement("com.example.Gen$$Lambda$14/0x0000000800c03000", "call", null, -1),
        }, RemoteTaskException.frames(trace));
    }
}
