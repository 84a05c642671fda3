package io.rmiq.serial;

import io.rmiq.api.PayloadRejectedException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;

/**
 * Turns queue items into the bytes a server stores and back, under an {@link AllowList}.
 * Plain values take the {@link CompactCodec} form, items from Python that are not plain the
 * {@link PickledCodec} form; everything else is Java serialization. Thread-safe.
 *
 * <p>Encoding checks each class as it is written, so a producer learns at once, without a round
 * trip, that a consumer would refuse its item. Decoding runs the JDK's own deserialization behind an
 * allow-list filter merged with the JVM-wide filter, and loads classes with the thread's context
 * class loader falling back to this one's.
 */
public final class PayloadCodec {

    private final AllowList allow;
    private final SerialLimits limits;

    public PayloadCodec(AllowList allow, SerialLimits limits) {
        this.allow = allow;
        this.limits = limits;
    }

    public AllowList allowList() {
        return allow;
    }

    /**
     * Serializes one item.
     *
     * @throws PayloadRejectedException if it is null, not serializable, or has a class off the list
     */
    public byte[] encode(Object item) {
        if (item == null) {
            throw new PayloadRejectedException("null cannot be put on a queue");
        }
        byte[] compact = item instanceof io.rmiq.api.PickledValue pv ? PickledCodec.encode(pv) : CompactCodec.tryEncode(item);
        if (compact != null) {
            if (compact.length > limits.maxBytes()) {
                throw new PayloadRejectedException("item of " + compact.length + " bytes exceeds the limit of "
                        + limits.maxBytes());
            }
            return compact;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (CheckingOutputStream out = new CheckingOutputStream(bytes)) {
            out.writeObject(item);
        } catch (NotSerializableException e) {
            throw new PayloadRejectedException("class " + e.getMessage() + " is not Serializable");
        } catch (IOException e) {
            throw new PayloadRejectedException("cannot serialize " + item.getClass().getName() + ": " + e, e);
        }
        if (bytes.size() > limits.maxBytes()) {
            throw new PayloadRejectedException("item of " + bytes.size() + " bytes exceeds the limit of "
                    + limits.maxBytes());
        }
        return bytes.toByteArray();
    }

    /**
     * Deserializes one item.
     *
     * @throws PayloadRejectedException naming the class if the filter refuses it, or if the class is
     *                                  not on this JVM's class path
     */
    public Object decode(byte[] data) {
        if (CompactCodec.isCompact(data)) {
            return CompactCodec.decode(data, limits);
        }
        if (PickledCodec.isExact(data)) {
            return PickledCodec.exactValue(data, limits);
        }
        if (PickledCodec.isPickled(data)) {
            return PickledCodec.decode(data, limits);
        }
        ClassFilter filter = ClassFilter.of(allow, limits);
        try (ObjectInputStream in = new LoaderAwareInputStream(new ByteArrayInputStream(data))) {
            ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
            in.setObjectInputFilter(jvmWide == null ? filter : ObjectInputFilter.merge(filter, jvmWide));
            return in.readObject();
        } catch (InvalidClassException e) {
            String why = filter.rejection() != null ? filter.rejection() : e.getMessage();
            throw new PayloadRejectedException("refused to deserialize an item: " + why + allowHint(), e);
        } catch (ClassNotFoundException e) {
            throw new PayloadRejectedException("item has class " + e.getMessage()
                    + ", which is not on this JVM's class path", e);
        } catch (IOException e) {
            throw new PayloadRejectedException("item is not a valid serialized object: " + e, e);
        }
    }

    private String allowHint() {
        return " (allowed: JDK values, io.rmiq.api and the --allow patterns)";
    }

    private final class CheckingOutputStream extends ObjectOutputStream {
        CheckingOutputStream(OutputStream out) throws IOException {
            super(out);
        }

        private boolean writingFailure;

        @Override
        protected void annotateClass(Class<?> cl) throws IOException {
            if (cl.getName().startsWith("java.io.") && java.io.ObjectStreamException.class.isAssignableFrom(cl)) {
                // The stream is writing its own failure (a NotSerializableException) before throwing
                // it: let it, so that the caller hears which class is not Serializable.
                writingFailure = true;
            }
            if (!writingFailure) {
                check(cl.getName());
            }
        }

        @Override
        protected void annotateProxyClass(Class<?> cl) throws IOException {
            for (Class<?> i : cl.getInterfaces()) {
                check(i.getName());
            }
        }

        // Unchecked on purpose: ObjectOutputStream answers an IOException by serializing the exception
        // itself into the stream, whose class would then be the one reported.
        private void check(String name) {
            if (!allow.allows(name)) {
                throw new PayloadRejectedException("class " + name + " is not on the allow list" + allowHint());
            }
        }
    }

    private static final class LoaderAwareInputStream extends ObjectInputStream {
        LoaderAwareInputStream(ByteArrayInputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            if (context != null) {
                try {
                    return Class.forName(desc.getName(), false, context);
                } catch (ClassNotFoundException e) {
                    // fall through to the default, which also knows primitives
                }
            }
            return super.resolveClass(desc);
        }
    }
}
