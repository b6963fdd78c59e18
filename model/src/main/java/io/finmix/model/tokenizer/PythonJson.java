package io.finmix.model.tokenizer;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)}: {@code ", "} and
 * {@code ": "} between items without an indent, {@code ","} and a new line with one; maps in
 * their own order. What a chat template's {@code tojson} writes tools and arguments with.
 */
final class PythonJson {

  private PythonJson() {}

  static String dumps(Object value, Integer indent) {
    StringBuilder out = new StringBuilder();
    write(out, value, indent, 0);
    return out.toString();
  }

  private static void write(StringBuilder out, Object v, Integer indent, int level) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
          : d == Math.rint(d) && Math.abs(d) < 1e16 ? String.format(Locale.ROOT, "%.1f", d)
          : Double.toString(d));
    } else if (v instanceof Number) {
      out.append(v);
    } else if (v instanceof Map<?, ?> map) {
      container(out, '{', '}', map.entrySet().iterator(), indent, level, (e, l) -> {
        quote(out, String.valueOf(((Map.Entry<?, ?>) e).getKey()));
        out.append(": ");
        write(out, ((Map.Entry<?, ?>) e).getValue(), indent, l);
      });
    } else if (v instanceof Iterable<?> || v instanceof Object[]) {
      Iterator<?> it = v instanceof Iterable<?> i ? i.iterator()
          : Arrays.asList((Object[]) v).iterator();
      container(out, '[', ']', it, indent, level, (e, l) -> write(out, e, indent, l));
    } else {
      quote(out, String.valueOf(v));
    }
  }

  private interface Item {
    void write(Object item, int level);
  }

  private static void container(StringBuilder out, char open, char close, Iterator<?> items,
      Integer indent, int level, Item item) {
    out.append(open);
    if (!items.hasNext()) {
      out.append(close);
      return;
    }
    for (boolean first = true; items.hasNext(); first = false) {
      Object next = items.next();
      if (!first) {
        out.append(indent == null ? ", " : ",");
      }
      newLine(out, indent, level + 1);
      item.write(next, level + 1);
    }
    newLine(out, indent, level);
    out.append(close);
  }

  private static void newLine(StringBuilder out, Integer indent, int level) {
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * level));
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
