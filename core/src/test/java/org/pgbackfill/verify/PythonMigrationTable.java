package org.pgbackfill.verify;

import com.fasterxml.jackson.databind.JsonNode;
import org.pgbackfill.schema.TargetSchema;
import org.pgbackfill.testing.ExpectedRow;
import org.pgbackfill.testing.ReferenceBackfill;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code chat_message} as Open WebUI's own Python migration leaves it, built from the independent
 * reference: JSON columns as SQLAlchemy sends them through {@code json.dumps} ({@code ", "} and
 * {@code ": "} separators, everything outside printable ASCII escaped as {@code \u00e9}, floats
 * printed by Python's {@code repr}, so {@code 1e2} becomes {@code 100.0}). The bytes differ from
 * pgbackfill's everywhere; the content is the same, which is what {@code verify} must see.
 */
public final class PythonMigrationTable {
    private PythonMigrationTable() { }

    /** Creates chat_message with its foreign key and inserts the expected rows, Python-style. */
    public static void write(Connection c, ReferenceBackfill.Expectation expected) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_message (" + TargetSchema.COLUMNS + ") VALUES "
                + "(?, ?, ?, ?, ?, ?::json, ?::json, ?, ?::json, ?::json, ?::json, ?, ?::json, ?::json, ?::json, ?, ?)")) {
            int pending = 0;
            for (ExpectedRow r : expected.rows().values()) {
                ps.setString(1, r.id());
                ps.setString(2, r.chatId());
                ps.setString(3, r.userId());
                ps.setString(4, r.role());
                ps.setString(5, r.parentId());
                ps.setString(6, dumps(r.content()));
                ps.setString(7, dumps(r.output()));
                ps.setString(8, r.modelId());
                ps.setString(9, dumps(r.files()));
                ps.setString(10, dumps(r.sources()));
                ps.setString(11, dumps(r.embeds()));
                if (r.done() == null) ps.setNull(12, Types.BOOLEAN); else ps.setBoolean(12, r.done());
                ps.setString(13, dumps(r.statusHistory()));
                ps.setString(14, dumps(r.error()));
                ps.setString(15, dumps(r.usage()));
                ps.setLong(16, r.createdAt());
                ps.setLong(17, r.updatedAt());
                ps.addBatch();
                if (++pending == 500) {
                    ps.executeBatch();
                    pending = 0;
                }
            }
            if (pending > 0) ps.executeBatch();
        }
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.ADD_FOREIGN_KEY.replace(" NOT VALID", ""));
        }
    }

    /** Python's {@code json.dumps(value)} with its defaults. */
    public static String dumps(JsonNode n) {
        StringBuilder b = new StringBuilder();
        write(n, b);
        return b.toString();
    }

    private static void write(JsonNode n, StringBuilder b) {
        switch (n.getNodeType()) {
            case OBJECT -> {
                b.append('{');
                Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    string(e.getKey(), b);
                    b.append(": ");
                    write(e.getValue(), b);
                    if (it.hasNext()) b.append(", ");
                }
                b.append('}');
            }
            case ARRAY -> {
                b.append('[');
                for (int i = 0; i < n.size(); i++) {
                    if (i > 0) b.append(", ");
                    write(n.get(i), b);
                }
                b.append(']');
            }
            case STRING -> string(n.textValue(), b);
            case NUMBER -> b.append(n.isIntegralNumber() ? n.bigIntegerValue().toString() : pythonFloat(n.doubleValue()));
            case BOOLEAN -> b.append(n.booleanValue() ? "true" : "false");
            case NULL -> b.append("null");
            default -> throw new IllegalArgumentException("not JSON: " + n.getNodeType());
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
                }
            }
        }
        b.append('"');
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, fixed notation from 1e-4 to 1e16, else {@code 1e+16}. */
    static String pythonFloat(double d) {
        if (d == 0) return 1 / d < 0 ? "-0.0" : "0.0";
        BigDecimal v = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = v.unscaledValue().toString();
        int exponent = digits.length() - 1 - v.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        String plain = v.toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }
}
