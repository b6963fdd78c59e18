package io.finmix.jobs.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A path into a native record: {@code question}, {@code info.target}, {@code
 * conversations[0].value}. Names are split at dots; {@code [n]} indexes an array.
 */
public final class FieldPath implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String text;
  /** String (object field) or Integer (array index) segments. */
  private final List<Object> segments;

  private FieldPath(String text, List<Object> segments) {
    this.text = text;
    this.segments = segments;
  }

  /** Parses a path; throws IllegalArgumentException with the reason on a malformed one. */
  public static FieldPath parse(String text) {
    List<Object> segments = new ArrayList<>();
    int i = 0;
    StringBuilder name = new StringBuilder();
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '.') {
        flush(text, name, segments, true);
        i++;
      } else if (c == '[') {
        flush(text, name, segments, false);
        int close = text.indexOf(']', i);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed [ in path '" + text + "'");
        }
        try {
          segments.add(Integer.parseInt(text.substring(i + 1, close).trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("array index must be a number in '" + text + "'");
        }
        i = close + 1;
      } else {
        name.append(c);
        i++;
      }
    }
    flush(text, name, segments, false);
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("empty path");
    }
    return new FieldPath(text, List.copyOf(segments));
  }

  private static void flush(String text, StringBuilder name, List<Object> out, boolean required) {
    if (name.length() > 0) {
      out.add(name.toString());
      name.setLength(0);
    } else if (required && (out.isEmpty() || !(out.get(out.size() - 1) instanceof Integer))) {
      throw new IllegalArgumentException("empty name in path '" + text + "'");
    }
  }

  /** The value at this path, or null when any step is missing. */
  public JsonNode get(JsonNode root) {
    return getFrom(root, 0);
  }

  /** The value at the segments from {@code from} on. */
  JsonNode getFrom(JsonNode node, int from) {
    for (int i = from; i < segments.size() && node != null; i++) {
      Object s = segments.get(i);
      node = s instanceof Integer idx ? (node.isArray() ? node.get(idx) : null)
          : (node.isObject() ? node.get((String) s) : null);
    }
    return node == null || node.isMissingNode() || node.isNull() ? null : node;
  }

  /** Whether this path begins with all of {@code prefix}'s segments. */
  public boolean startsWith(FieldPath prefix) {
    return segments.size() >= prefix.segments.size()
        && segments.subList(0, prefix.segments.size()).equals(prefix.segments);
  }

  int length() {
    return segments.size();
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FieldPath p && p.segments.equals(segments);
  }

  @Override
  public int hashCode() {
    return segments.hashCode();
  }
}
