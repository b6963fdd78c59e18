package io.finmix.jobs.task;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns model generations into predictions: a class label, a numeric answer, or a set of named
 * entities. Generations are messy (leading blank lines, quotes, markdown, "Answer:" prefixes,
 * trailing punctuation), so the parsers search the text rather than expect an exact form, and
 * they return null or an empty set when nothing is found instead of guessing.
 */
public final class AnswerParser {

  /** A number found in a generation: its value as written, percent or not, and the text. */
  public record ParsedNumber(double value, boolean percent, String text) {}

  /**
   * One number as written in prose. It must not be glued to a preceding letter or digit ("Q3",
   * "FY2023" are names, not answers), and a sign must not follow a letter or digit either, so a
   * range "10-20" reads as 10 and 20. Thousands commas must be followed by exactly three digits
   * that end there; otherwise the comma separates two numbers ("3,4"). Accounting parentheses,
   * a currency symbol before and a percent sign or word after are part of the token.
   */
  private static final Pattern NUMBER = Pattern.compile(
      "(?<![\\p{L}\\p{N}])"
          + "(?<open>\\(\\s*)?"
          + "(?:(?<![\\p{L}\\p{N}])(?<sign1>[+\\-\u2212]))?"
          + "(?:(?<currency>[$\u20ac\u00a3])\\s?)?"
          + "(?<sign2>[+\\-\u2212])?"
          + "(?<![\\p{L}\\p{N}])"
          + "(?<digits>\\d{1,3}(?:,\\d{3}(?!\\d))+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?|\\.\\d+)"
          + "(?<percent1>\\s?(?:%|percent\\b))?"
          + "(?<close>\\s*\\))?"
          + "(?<percent2>\\s?%)?",
      Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

  /** Markers after which a generation states its final answer (GSM8K's "####" and prose). */
  private static final Pattern ANSWER_MARKER = Pattern.compile(
      "####|the\\s+answer\\s+is|answer\\s*:", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

  /** A plain float as a gold file may hold it, exponent included ("1e-05"). */
  private static final Pattern PLAIN_FLOAT =
      Pattern.compile("[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");

  private static final Pattern ENTITY_SEPARATOR = Pattern.compile("[\\r\\n;]+");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  /** Punctuation, quotes and markdown around an entity type ("ORG.", "**ORG**"). */
  private static final Pattern TYPE_PADDING = Pattern.compile("^[^\\p{L}]+|[^\\p{L}]+$");

  private AnswerParser() {}

  /**
   * The choice that occurs first in {@code text}, compared case-insensitively and as a whole
   * word: the characters around the match must not be letters or digits where the choice itself
   * begins or ends with one, so "positive" does not match in "nonpositive". When two choices
   * start at the same position the longer wins ("no change" over "no"). Returns the choice as
   * spelled in {@code choices}, or null when none occurs: a missing answer is never turned into
   * a default class.
   */
  public static String firstLabel(String text, List<String> choices) {
    if (text == null) {
      return null;
    }
    for (int start = 0; start < text.length(); start++) {
      String best = null;
      for (String choice : choices) {
        if (choice == null || choice.isEmpty()
            || (best != null && choice.length() <= best.length())) {
          continue;
        }
        if (wordAt(text, start, choice)) {
          best = choice;
        }
      }
      if (best != null) {
        return best;
      }
    }
    return null;
  }

  private static boolean wordAt(String text, int start, String word) {
    int end = start + word.length();
    if (end > text.length() || !text.regionMatches(true, start, word, 0, word.length())) {
      return false;
    }
    boolean openBoundary = start == 0 || !isWordChar(text.charAt(start - 1))
        || !isWordChar(word.charAt(0));
    boolean closeBoundary = end == text.length() || !isWordChar(text.charAt(end))
        || !isWordChar(word.charAt(word.length() - 1));
    return openBoundary && closeBoundary;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c);
  }

  /**
   * The final numeric answer of a generation. After an answer marker ("####", "the answer is",
   * "answer:", any case) the first number following the last marker is the answer; without a
   * marker, or with no number after the last one, the last number in the text is. Thousands
   * commas, a sign (including the Unicode minus), accounting parentheses ("(12.5)" is -12.5), a
   * leading currency symbol and a trailing "%" or "percent" are understood; the value is kept as
   * written (12.5 for "12.5%", with {@code percent} set) and scale words after the number
   * ("million", "bn") are ignored, not applied. Null when the text has no number.
   */
  public static ParsedNumber number(String text) {
    if (text == null) {
      return null;
    }
    Matcher marker = ANSWER_MARKER.matcher(text);
    int afterMarker = -1;
    while (marker.find()) {
      afterMarker = marker.end();
    }
    Matcher m = NUMBER.matcher(text);
    if (afterMarker >= 0 && m.find(afterMarker)) {
      return toNumber(m);
    }
    ParsedNumber last = null;
    m.reset();
    while (m.find()) {
      last = toNumber(m);
    }
    return last;
  }

  private static ParsedNumber toNumber(Matcher m) {
    double magnitude = Double.parseDouble(m.group("digits").replace(",", ""));
    boolean negative = isMinus(m.group("sign1")) ^ isMinus(m.group("sign2"));
    boolean accounting = m.group("open") != null && m.group("close") != null;
    double value = accounting ? -magnitude : negative ? -magnitude : magnitude;
    boolean percent = m.group("percent1") != null || m.group("percent2") != null;
    // An unmatched parenthesis is prose around the number, not part of it.
    int start = m.group("open") != null && !accounting ? m.end("open") : m.start();
    int end = m.end();
    if (!accounting && m.group("close") != null) {
      end = m.group("percent1") != null ? m.end("percent1") : m.end("digits");
      percent = m.group("percent1") != null;
    }
    return new ParsedNumber(value + 0.0, percent, m.group().substring(
        start - m.start(), end - m.start()).strip());
  }

  private static boolean isMinus(String sign) {
    return sign != null && !sign.equals("+");
  }

  /**
   * Whether a parsed answer matches a gold number: |value - gold| <= max(1e-6, 1e-3 * |gold|).
   * The tolerance is relative, so an answer rounded to a few significant digits still matches,
   * with an absolute floor for golds near 0. A percent answer also matches when value / 100 does
   * (FinQA golds are often ratios: gold 0.125 matches "12.5%").
   */
  public static boolean numberMatches(ParsedNumber p, double gold) {
    if (p == null || !Double.isFinite(gold)) {
      return false;
    }
    double tolerance = Math.max(1e-6, 1e-3 * Math.abs(gold));
    return Math.abs(p.value() - gold) <= tolerance
        || (p.percent() && Math.abs(p.value() / 100 - gold) <= tolerance);
  }

  /**
   * A gold numeric label as a number, or null when it is not one. The whole label must be one
   * number: a plain float (exponent allowed, as Python writes small floats) or a number as
   * {@link #number} reads it (commas, sign, currency, percent). A percent label keeps its value
   * as written: "12.5%" is 12.5.
   */
  public static Double goldNumber(String gold) {
    if (gold == null) {
      return null;
    }
    String s = gold.strip();
    if (PLAIN_FLOAT.matcher(s).matches()) {
      return Double.parseDouble(s) + 0.0;
    }
    Matcher m = NUMBER.matcher(s);
    if (m.matches()) {
      return toNumber(m).value();
    }
    return null;
  }

  /**
   * The named entities of an answer in the FLARE/PIXIU NER format: entities separated by
   * newlines or ";", each "entity text, TYPE", split at the last comma so the entity may contain
   * commas. Each becomes "lower-cased entity text with whitespace folded|TYPE", e.g.
   * "apple inc.|ORG". Types are PER, ORG and LOC (PERSON, ORGANIZATION and LOCATION are read as
   * these); pieces that do not parse are ignored. Sorted, so output is deterministic; empty for
   * a null or empty text.
   */
  public static Set<String> entities(String text) {
    Set<String> out = new TreeSet<>();
    if (text == null) {
      return out;
    }
    for (String piece : ENTITY_SEPARATOR.split(text)) {
      int comma = piece.lastIndexOf(',');
      if (comma < 0) {
        continue;
      }
      String entity = WHITESPACE.matcher(piece.substring(0, comma)).replaceAll(" ").strip()
          .toLowerCase(Locale.ROOT);
      String type = entityType(piece.substring(comma + 1));
      if (!entity.isEmpty() && type != null) {
        out.add(entity + "|" + type);
      }
    }
    return out;
  }

  private static String entityType(String raw) {
    String type = TYPE_PADDING.matcher(raw.strip()).replaceAll("").toUpperCase(Locale.ROOT);
    return switch (type) {
      case "PER", "PERSON" -> "PER";
      case "ORG", "ORGANIZATION", "ORGANISATION" -> "ORG";
      case "LOC", "LOCATION" -> "LOC";
      default -> null;
    };
  }

  /**
   * A stable string for storing a parsed number: the value without trailing zeros, in plain
   * notation, followed by "%" when it was a percent ("1234.5", "12.5%", "-3").
   */
  public static String canonical(ParsedNumber p) {
    String number = Double.isFinite(p.value())
        ? BigDecimal.valueOf(p.value()).stripTrailingZeros().toPlainString()
        : Double.toString(p.value());
    return p.percent() ? number + "%" : number;
  }
}
