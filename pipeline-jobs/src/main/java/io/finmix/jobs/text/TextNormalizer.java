package io.finmix.jobs.text;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.text.Normalizer;
import java.util.Locale;

/**
 * The text dedup and decontaminate compare: URLs removed, Unicode NFKC, lower case,
 * punctuation and symbols to spaces, whitespace folded; each step switchable in {@code
 * normalize} of finmix.conf.
 */
public final class TextNormalizer implements Serializable {

  private static final long serialVersionUID = 1L;

  private static final java.util.regex.Pattern URL =
      java.util.regex.Pattern.compile("(?i)\\b(?:https?://|www\\.)\\S+");

  private final boolean urls;
  private final boolean nfkc;
  private final boolean lowercase;
  private final boolean punctuation;
  private final boolean whitespace;

  public TextNormalizer(boolean urls, boolean nfkc, boolean lowercase, boolean punctuation,
      boolean whitespace) {
    this.urls = urls;
    this.nfkc = nfkc;
    this.lowercase = lowercase;
    this.punctuation = punctuation;
    this.whitespace = whitespace;
  }

  /** The normaliser of the {@code normalize} section. */
  public static TextNormalizer of(Config c) {
    return new TextNormalizer(c.getBoolean("normalize.urls"), c.getBoolean("normalize.nfkc"),
        c.getBoolean("normalize.lowercase"), c.getBoolean("normalize.punctuation"),
        c.getBoolean("normalize.whitespace"));
  }

  public String normalize(String text) {
    String s = urls ? URL.matcher(text).replaceAll(" ") : text;
    s = nfkc ? Normalizer.normalize(s, Normalizer.Form.NFKC) : s;
    if (lowercase) {
      s = s.toLowerCase(Locale.ROOT);
    }
    if (!punctuation && !whitespace) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    boolean space = true; // at the start: drop leading spaces
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      boolean isSpace = Character.isWhitespace(cp) || Character.isSpaceChar(cp);
      boolean folded = punctuation && !isSpace && isPunctuationOrSymbol(cp);
      if ((isSpace || folded) && whitespace) {
        if (!space) {
          out.append(' ');
          space = true;
        }
      } else {
        out.appendCodePoint(folded ? ' ' : cp);
        space = false;
      }
    }
    int end = out.length();
    if (whitespace && end > 0 && out.charAt(end - 1) == ' ') {
      out.setLength(end - 1);
    }
    return out.toString();
  }

  /** The normalised text split into words (on spaces). */
  public String[] words(String text) {
    return splitWords(normalize(text));
  }

  /** The words of an already normalised text (single spaces between words). */
  public static String[] splitWords(String normalised) {
    return normalised.isEmpty() ? new String[0] : normalised.split(" ");
  }

  private static boolean isPunctuationOrSymbol(int cp) {
    switch (Character.getType(cp)) {
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
      case Character.MATH_SYMBOL:
      case Character.CURRENCY_SYMBOL:
      case Character.MODIFIER_SYMBOL:
      case Character.OTHER_SYMBOL:
        return true;
      default:
        return false;
    }
  }
}
