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

  private StableHash() {}

  /** 32 hex chars (128 bits) of sha256 over the parts, separated by NUL. */
  public static String hex128(String... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (int i = 0; i < parts.length; i++) {
        if (i > 0) {
          sha.update((byte) 0);
        }
        sha.update(parts[i].getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The text as fingerprinted: Unicode NFKC, lower case, whitespace runs folded, trimmed. */
  public static String normalize(String text) {
    String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    return WHITESPACE.matcher(nfkc).replaceAll(" ").trim();
  }
}
