package io.rmiq.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AllowListTest {

    final AllowList defaults = AllowList.defaults();

    @Test
    void defaults_allowJdkValuesAndRmiqTypes() {
        for (String name : List.of("java.lang.Integer", "java.lang.String", "java.util.ArrayList",
                "java.util.HashMap", "java.util.ImmutableCollections$ListN", "java.util.CollSer",
                "java.time.Ser", "java.math.BigDecimal", "io.rmiq.api.QueueStats", "[I", "[[B",
                "[Ljava.lang.String;", "[[Ljava.lang.Long;")) {
            assertTrue(defaults.allows(name), name);
        }
    }

    @Test
    void defaults_refuseEverythingElse() {
        for (String name : List.of("org.apache.commons.collections.functors.InvokerTransformer",
                "java.net.URL", "java.util.Comparators$NullComparator", "java.util.concurrent.ForkJoinPool",
                "java.util.concurrent.ThreadPoolExecutor", "java.util.Comparator", "javax.management.BadAttributeValueExpException",
                "java.lang.reflect.Proxy", "io.rmiq.transport.AuthClientSocketFactory", "com.example.Point",
                "[Lcom.example.Point;", "java.lang.Integerx", "[", "[[", "[Lcom.evil.Gadget", "[Xfoo", "[II",
                "[L;")) {
            assertFalse(defaults.allows(name), name);
        }
    }

    @Test
    void patterns_matchOneClassOnePackageOrAPackageTree() {
        AllowList list = defaults.with(List.of("com.example.Point", "org.one.*", "net.tree.**", "biz.Event*"));
        assertTrue(list.allows("com.example.Point"));
        assertFalse(list.allows("com.example.Point3"));
        assertTrue(list.allows("org.one.A"));
        assertTrue(list.allows("org.one.A$Inner"));
        assertFalse(list.allows("org.one.sub.A"));
        assertTrue(list.allows("net.tree.A"));
        assertTrue(list.allows("net.tree.deep.er.B"));
        assertFalse(list.allows("net.treehouse.B"));
        assertTrue(list.allows("biz.EventStarted"));
        assertTrue(list.allows("[Lnet.tree.X;"));
    }

    @Test
    void validate_refusesMalformedAndCatchAllPatterns() {
        for (String bad : List.of("", " ", "*", "**", "com..**x", "com.*.Foo", "com/example/Foo", "com.example.")) {
            assertThrows(IllegalArgumentException.class, () -> AllowList.validate(bad), bad);
        }
        assertEquals("com.example.**", AllowList.validate(" com.example.** "));
    }
}
