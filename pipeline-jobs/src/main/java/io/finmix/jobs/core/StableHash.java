package io.finmix.jobs.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** Stable ids and text fingerprints: the same input gives the same id on every run and JVM. */
public final class StableHash {

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  /** One digest a thread: getInstance looks the provider up on every call (a row each). */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private StableHash() {}

  /** 32 hex chars (128 bits) of sha256 over the parts, separated by NUL. */
  public static String hex128(String... parts) {
    MessageDigest sha = SHA256.get();
    sha.reset();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        sha.update((byte) 0);
      }
      sha.update(parts[i].getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /** The text as fingerprinted: Unicode NFKC, lower case, whitespace runs folded, trimmed. */
  public static String normalize(String text) {
    if (isAscii(text)) {
      return normalizeAscii(text);
    }
    String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    return WHITESPACE.matcher(nfkc).replaceAll(" ").trim();
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@link #normalize} of ASCII text in one pass (most of a corpus, and what ingest fingerprints
   * for every record): NFKC leaves ASCII as it is, lower case only moves A-Z, and the runs folded
   * are those of regex {@code \s} (space, tab, newline, vertical tab, form feed, return).
   */
  private static String normalizeAscii(String s) {
    char[] out = new char[s.length()];
    int n = 0;
    boolean inRun = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ' ' || (c >= '\t' && c <= '\r')) {
        if (!inRun) {
          out[n++] = ' ';
          inRun = true;
        }
      } else {
        out[n++] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        inRun = false;
      }
    }
    int start = 0;
    while (start < n && out[start] <= ' ') { // String.trim's rule
      start++;
    }
    while (n > start && out[n - 1] <= ' ') {
      n--;
    }
    return new String(out, start, n - start);
  }
}
