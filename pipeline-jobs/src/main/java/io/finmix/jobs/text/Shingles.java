package io.finmix.jobs.text;

import java.util.Arrays;

/**
 * Word n-gram shingles as sorted, distinct 64-bit hashes, and the exact Jaccard similarity of
 * two such sets. Dedup compares texts by their shingles; decontaminate by token n-grams, the
 * same thing with a larger n.
 */
public final class Shingles {

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Shingles() {}

  /**
   * The distinct hashes of the word n-grams of {@code words}, sorted. A text shorter than n
   * words is one shingle (the whole text); an empty text has none.
   */
  public static long[] of(String[] words, int n) {
    // Each word is hashed once; an n-gram's hash combines its words' hashes in order.
    long[] wordHashes = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      wordHashes[i] = hash64(words[i]);
    }
    return ngrams(wordHashes, words.length, n);
  }

  /**
   * {@code of(TextNormalizer.splitWords(text), n)}, without making the words: each is hashed
   * as the text is scanned (the near pass shingles every row this way).
   */
  public static long[] ofText(String text, int n) {
    if (text.isEmpty()) {
      return new long[0];
    }
    long[] wordHashes = new long[16];
    int count = 0;
    int kept = 0; // String.split drops the empty words at the end
    long h = FNV_OFFSET;
    boolean empty = true;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ' ';
      if (c != ' ') {
        h = (h ^ c) * FNV_PRIME;
        empty = false;
        continue;
      }
      if (count == wordHashes.length) {
        wordHashes = Arrays.copyOf(wordHashes, count * 2);
      }
      wordHashes[count++] = mix(h);
      if (!empty) {
        kept = count;
      }
      h = FNV_OFFSET;
      empty = true;
    }
    return ngrams(wordHashes, kept, n);
  }

  private static long[] ngrams(long[] wordHashes, int words, int n) {
    if (words == 0) {
      return new long[0];
    }
    int count = Math.max(1, words - n + 1);
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      long h = 0;
      for (int j = i; j < Math.min(words, i + n); j++) {
        h = (h + wordHashes[j]) * 0x9e3779b97f4a7c15L;
      }
      out[i] = mix(h);
    }
    Arrays.sort(out);
    return distinct(out);
  }

  /**
   * The distinct hashes of the character k-grams of a (normalised) text, sorted; a text
   * shorter than k is one shingle. Finer than word shingles for short texts, where one changed
   * word would change most word n-grams.
   */
  public static long[] chars(String text, int k) {
    if (text.isEmpty()) {
      return new long[0];
    }
    int count = Math.max(1, text.length() - k + 1);
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = hash64(text.substring(i, Math.min(text.length(), i + k)));
    }
    Arrays.sort(out);
    return distinct(out);
  }

  /** Jaccard similarity |a ∩ b| / |a ∪ b| of two sorted distinct arrays; 1.0 when both empty. */
  public static double jaccard(long[] a, long[] b) {
    if (a.length == 0 && b.length == 0) {
      return 1.0;
    }
    int common = intersection(a, b);
    return common / (double) (a.length + b.length - common);
  }

  /** |a ∩ b| of two sorted distinct arrays. */
  public static int intersection(long[] a, long[] b) {
    int i = 0;
    int j = 0;
    int common = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        common++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return common;
  }

  /** A 64-bit hash of the text's UTF-16 code units: FNV-1a, then a splitmix64 finish. */
  public static long hash64(CharSequence text) {
    long h = FNV_OFFSET;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** splitmix64's finaliser: every input bit affects every output bit. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static long[] distinct(long[] sorted) {
    int n = 0;
    for (int i = 0; i < sorted.length; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        sorted[n++] = sorted[i];
      }
    }
    return n == sorted.length ? sorted : Arrays.copyOf(sorted, n);
  }
}
