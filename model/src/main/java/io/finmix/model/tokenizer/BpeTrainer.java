package io.finmix.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE training on word counts: start from the 256 bytes and repeatedly merge the most
 * frequent adjacent pair (ties: the pair whose merged token sorts first), counting each word by
 * its frequency, until the vocabulary is full or no pair occurs {@code minFrequency} times.
 * Words are the pieces of GPT-2's pre-tokenization regex, the one the written tokenizer.json
 * applies at encode time ({@link #pieces}). Pair counts are updated incrementally, only in the
 * words that hold the merged pair.
 */
public final class BpeTrainer {

  /** GPT-2's pre-tokenization, as the ByteLevel pre-tokenizer with use_regex applies it. */
  public static final Pattern PIECES = Pattern.compile(
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  private BpeTrainer() {}

  /** The pre-tokenized pieces of a text. */
  public static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = PIECES.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /**
   * The merges, as pairs of byte-level symbol strings in merge order, for a vocabulary of at most
   * {@code vocabSize} tokens (256 bytes, one per merge, and {@code reserved} special tokens).
   */
  public static List<String[]> train(Map<String, Long> wordCounts, int vocabSize,
      long minFrequency, int reserved) {
    int maxMerges = vocabSize - 256 - reserved;
    if (maxMerges < 0) {
      throw new IllegalArgumentException("vocab_size " + vocabSize + " is less than the 256 "
          + "bytes and " + reserved + " special tokens");
    }
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(String.valueOf(ByteLevelBpeFile.symbol(b)));
    }
    // Words as symbol-id sequences, in a fixed order (sorted), with their counts.
    List<String> sortedWords = new ArrayList<>(wordCounts.keySet());
    sortedWords.sort(null);
    int[][] words = new int[sortedWords.size()][];
    long[] counts = new long[words.length];
    for (int w = 0; w < words.length; w++) {
      byte[] bytes = sortedWords.get(w).getBytes(StandardCharsets.UTF_8);
      words[w] = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        words[w][i] = bytes[i] & 0xff;
      }
      counts[w] = wordCounts.get(sortedWords.get(w));
    }
    Map<Long, Long> pairCounts = new HashMap<>();
    Map<Long, Set<Integer>> where = new HashMap<>();
    for (int w = 0; w < words.length; w++) {
      for (int i = 0; i + 1 < words[w].length; i++) {
        long p = pair(words[w][i], words[w][i + 1]);
        pairCounts.merge(p, counts[w], Long::sum);
        where.computeIfAbsent(p, k -> new HashSet<>()).add(w);
      }
    }
    PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) -> x[1] != y[1]
        ? Long.compare(y[1], x[1]) : merged(tokens, x[0]).compareTo(merged(tokens, y[0])));
    pairCounts.forEach((p, c) -> queue.add(new long[] {p, c}));
    List<String[]> merges = new ArrayList<>();
    Set<String> vocab = new HashSet<>(tokens);
    while (merges.size() < maxMerges && !queue.isEmpty()) {
      long[] top = queue.poll();
      long current = pairCounts.getOrDefault(top[0], 0L);
      if (current != top[1]) {
        if (current > 0) {
          queue.add(new long[] {top[0], current}); // stale entry: requeue at its true count
        }
        continue;
      }
      if (current < minFrequency) {
        break;
      }
      int a = (int) (top[0] >>> 32);
      int b = (int) top[0];
      String mergedToken = tokens.get(a) + tokens.get(b);
      int id = tokens.size();
      tokens.add(mergedToken);
      merges.add(new String[] {tokens.get(a), tokens.get(b)});
      vocab.add(mergedToken);
      Set<Integer> affected = where.remove(top[0]);
      pairCounts.remove(top[0]);
      Map<Long, Long> changed = new HashMap<>();
      for (int w : affected == null ? Set.<Integer>of() : affected) {
        int[] old = words[w];
        // Remove the word's pairs, merge, add them back: simple and exact.
        for (int i = 0; i + 1 < old.length; i++) {
          long p = pair(old[i], old[i + 1]);
          if (p != top[0]) {
            pairCounts.merge(p, -counts[w], Long::sum);
            changed.put(p, 0L);
          }
        }
        int[] merged = new int[old.length];
        int n = 0;
        for (int i = 0; i < old.length; i++) {
          if (i + 1 < old.length && old[i] == a && old[i + 1] == b) {
            merged[n++] = id;
            i++;
          } else {
            merged[n++] = old[i];
          }
        }
        words[w] = java.util.Arrays.copyOf(merged, n);
        for (int i = 0; i + 1 < n; i++) {
          long p = pair(words[w][i], words[w][i + 1]);
          pairCounts.merge(p, counts[w], Long::sum);
          where.computeIfAbsent(p, k -> new HashSet<>()).add(w);
          changed.put(p, 0L);
        }
      }
      for (long p : changed.keySet()) {
        long c = pairCounts.getOrDefault(p, 0L);
        if (c <= 0) {
          pairCounts.remove(p);
        } else {
          queue.add(new long[] {p, c});
        }
      }
    }
    return merges;
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) | (b & 0xffffffffL);
  }

  private static String merged(List<String> tokens, long p) {
    return tokens.get((int) (p >>> 32)) + tokens.get((int) p);
  }
}
