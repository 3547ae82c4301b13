package org.pgbackfill.job.currentmessage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * The Python values a chat document holds once {@code json.loads} has read it, and the three things
 * SPEC.md 7 step 5 does with them: truthiness, hashing (dict keys, set membership) and ordering
 * ({@code max}'s {@code >}). Values are represented as
 * {@link #NONE}, {@link Boolean}, {@link BigInteger} (int), {@link Double} (float), {@link String},
 * {@code List<Object>} (list) and {@code Map<String, Object>} (dict, insertion-ordered).
 *
 * <p>Python facts this relies on (checked with python3 3.11): bool is an int (True == 1 == 1.0, one
 * dict key); int/float comparisons are exact ({@code 2**53+1 != float(2**53)}); every {@code NaN}
 * json.loads returns is one and the same object (its parse_constant table), so a NaN finds itself as
 * a dict key or set member and inside list/dict equality (identity before {@code ==}), while
 * {@code NaN > x} and {@code x > NaN} are False; str compares by code point; list {@code >} is
 * lexicographic (first index whose items are not {@code ==}, else the lengths); dict and None support
 * no ordering at all (TypeError even against themselves).
 */
public final class PyValues {
    /** Python's None (a Java null never stands for a value here). */
    public enum None { NONE }

    public static final None NONE = None.NONE;

    /** Marks a value that cannot be hashed (a list or a dict): its content never matters where it is used. */
    public enum Unhashable { LIST, DICT }

    /** What Python raises when {@code >} is not supported between two values. */
    public static final class Unorderable extends Exception {
        Unorderable(Object a, Object b) {
            super("'>' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'", null, false, false);
        }
    }

    private static final BigInteger ZERO = BigInteger.ZERO;

    private PyValues() { }

    public static String typeName(Object v) {
        if (v == NONE) return "NoneType";
        if (v instanceof Boolean) return "bool";
        if (v instanceof BigInteger) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof List<?> || v == Unhashable.LIST) return "list";
        if (v instanceof Map<?, ?> || v == Unhashable.DICT) return "dict";
        throw new IllegalArgumentException(String.valueOf(v));
    }

    /** {@code bool(v)}. */
    public static boolean truthy(Object v) {
        if (v == NONE) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof BigInteger i) return i.signum() != 0;
        if (v instanceof Double d) return d != 0.0;          // NaN is truthy
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        throw new IllegalArgumentException(String.valueOf(v));
    }

    /** {@code v or 0}. */
    public static Object orZero(Object v) {
        return truthy(v) ? v : ZERO;
    }

    /**
     * A Java object whose {@code equals}/{@code hashCode} are Python's {@code ==}/{@code hash} for a
     * hashable value: numbers equal in Python map to one key (integral floats and bools become ints),
     * NaN equals NaN (one object); or {@link Unhashable} for a list or dict.
     */
    public static Object hashKey(Object v) {
        if (v instanceof Boolean b) return b ? BigInteger.ONE : ZERO;
        if (v instanceof Double d) {
            if (!Double.isNaN(d) && !Double.isInfinite(d) && d == Math.rint(d)) return new BigDecimal(d).toBigInteger();
            return d;                                         // Double.equals: NaN equals NaN, as the one NaN object does
        }
        if (v instanceof List<?>) return Unhashable.LIST;
        if (v instanceof Map<?, ?>) return Unhashable.DICT;
        return v;                                             // NONE, BigInteger, String, or already a marker
    }

    public static boolean isNumber(Object v) {
        return v instanceof Boolean || v instanceof BigInteger || v instanceof Double;
    }

    /** Python's {@code a == b} as {@code PyObject_RichCompareBool} sees it (the one NaN object equals itself). */
    public static boolean eq(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            Double na = nan(a), nb = nan(b);
            if (na != null || nb != null) return na != null && nb != null;
            return compareNumbers(a, b) == 0;
        }
        if (a instanceof String s) return s.equals(b);
        if (a == NONE) return b == NONE;
        if (a instanceof List<?> la) {
            if (!(b instanceof List<?> lb) || la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!eq(la.get(i), lb.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> ma) {
            if (!(b instanceof Map<?, ?> mb) || ma.size() != mb.size()) return false;
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) return false;
            }
            return true;
        }
        return false;
    }

    /** Python's {@code a > b}; throws where Python raises TypeError. */
    public static boolean gt(Object a, Object b) throws Unorderable {
        if (isNumber(a) && isNumber(b)) {
            if (nan(a) != null || nan(b) != null) return false;
            return compareNumbers(a, b) > 0;
        }
        if (a instanceof String sa && b instanceof String sb) return compareCodePoints(sa, sb) > 0;
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            int n = Math.min(la.size(), lb.size());
            for (int i = 0; i < n; i++) {
                if (!eq(la.get(i), lb.get(i))) return gt(la.get(i), lb.get(i));
            }
            return la.size() > lb.size();
        }
        throw new Unorderable(a, b);
    }

    private static Double nan(Object v) {
        return v instanceof Double d && Double.isNaN(d) ? d : null;
    }

    /** Exact comparison of two non-NaN numbers, infinities included. */
    private static int compareNumbers(Object a, Object b) {
        int ia = infinity(a), ib = infinity(b);
        if (ia != 0 || ib != 0) return Integer.compare(ia, ib);
        return exact(a).compareTo(exact(b));
    }

    private static int infinity(Object v) {
        if (v instanceof Double d && Double.isInfinite(d)) return d > 0 ? 1 : -1;
        return 0;
    }

    private static BigDecimal exact(Object v) {
        if (v instanceof Boolean b) return b ? BigDecimal.ONE : BigDecimal.ZERO;
        if (v instanceof BigInteger i) return new BigDecimal(i);
        return new BigDecimal((Double) v);
    }

    /** str comparison: by code point, as Python compares (Java's compareTo compares UTF-16 units). */
    static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
