package io.finmix.model.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods on Java strings, for chat templates written against jinja2:
 * {@code message.content.startswith('<tool_response>')}, {@code .split('</think>')[-1]},
 * {@code .strip('\n')}. A method it does not know falls through to jinjava's own resolvers.
 */
final class PythonStrings extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] types,
      Object[] params) {
    if (!(base instanceof String s) || method == null) {
      return null;
    }
    Object[] p = params == null ? new Object[0] : params;
    Object result = switch (method.toString()) {
      case "startswith" -> anyOf(p[0]).stream().anyMatch(x -> s.startsWith(x));
      case "endswith" -> anyOf(p[0]).stream().anyMatch(x -> s.endsWith(x));
      case "strip" -> rstrip(lstrip(s, chars(p)), chars(p));
      case "lstrip" -> lstrip(s, chars(p));
      case "rstrip" -> rstrip(s, chars(p));
      case "split" -> split(s, chars(p), p.length > 1 ? ((Number) p[1]).intValue() : -1);
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> title(s);
      case "capitalize" -> s.isEmpty() ? s
          : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      case "replace" -> s.replace(String.valueOf(p[0]), String.valueOf(p[1]));
      case "find" -> (long) s.indexOf(String.valueOf(p[0]));
      case "count" -> count(s, String.valueOf(p[0]));
      case "join" -> join(s, p[0]);
      case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(Character::isWhitespace);
      case "isdigit" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
      default -> null;
    };
    if (result != null) {
      context.setPropertyResolved(true);
    }
    return result;
  }

  /** A prefix argument: one string or a tuple of them. */
  private static List<String> anyOf(Object arg) {
    Collection<?> c = arg instanceof Collection<?> col ? col
        : arg instanceof Object[] array ? Arrays.asList(array) : List.of(String.valueOf(arg));
    return c.stream().map(String::valueOf).toList();
  }

  private static String chars(Object[] p) {
    return p.length == 0 || p[0] == null ? null : String.valueOf(p[0]);
  }

  private static boolean stripped(int codePoint, String chars) {
    return chars == null ? Character.isWhitespace(codePoint) : chars.indexOf(codePoint) >= 0;
  }

  static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && stripped(s.codePointAt(i), chars)) {
      i += Character.charCount(s.codePointAt(i));
    }
    return s.substring(i);
  }

  static String rstrip(String s, String chars) {
    int j = s.length();
    while (j > 0 && stripped(s.codePointBefore(j), chars)) {
      j -= Character.charCount(s.codePointBefore(j));
    }
    return s.substring(0, j);
  }

  /** Python's split: on runs of whitespace without a separator, else on the literal separator. */
  static List<String> split(String s, String separator, int maxSplits) {
    List<String> out = new ArrayList<>();
    if (separator == null) {
      for (String part : s.strip().split("\\s+")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
      return out;
    }
    if (separator.isEmpty()) {
      throw new IllegalArgumentException("split: empty separator");
    }
    int from = 0;
    for (int at = s.indexOf(separator); at >= 0 && (maxSplits < 0 || out.size() < maxSplits);
        at = s.indexOf(separator, from)) {
      out.add(s.substring(from, at));
      from = at + separator.length();
    }
    out.add(s.substring(from));
    return out;
  }

  private static long count(String s, String sub) {
    long n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + Math.max(1, sub.length()))) {
      n++;
    }
    return n;
  }

  private static String title(String s) {
    StringBuilder b = new StringBuilder(s.length());
    boolean afterLetter = false;
    for (char c : s.toCharArray()) {
      b.append(afterLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
      afterLetter = Character.isLetter(c);
    }
    return b.toString();
  }

  private static String join(String separator, Object items) {
    StringJoiner j = new StringJoiner(separator);
    for (Object o : (Iterable<?>) items) {
      j.add(String.valueOf(o));
    }
    return j.toString();
  }

  // Methods only: no properties.

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
