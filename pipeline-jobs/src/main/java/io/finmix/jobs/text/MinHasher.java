package io.finmix.jobs.text;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * MinHash signatures and their LSH band keys. Each of {@code numPerm} seeded hash functions
 * permutes the 64-bit shingle hashes; a signature holds the minimum of each over a text's
 * shingles, so two texts agree on a position with probability (close to) the Jaccard
 * similarity of their shingle sets.
 */
public final class MinHasher implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The chance {@link #bandsAndRows} gives a pair exactly at the threshold to be a candidate. */
  public static final double TARGET_RECALL = 0.95;

  private final int[] multipliers;
  private final int[] salts;
  private final int bands;
  private final int rows;

  public MinHasher(int numPerm, long seed, int bands, int rows) {
    if (bands * rows > numPerm || bands < 1 || rows < 1) {
      throw new IllegalArgumentException("bands x rows = " + bands + " x " + rows
          + " must be at most num_perm = " + numPerm);
    }
    SplittableRandom random = new SplittableRandom(seed);
    this.multipliers = new int[numPerm];
    this.salts = new int[numPerm];
    for (int i = 0; i < numPerm; i++) {
      multipliers[i] = random.nextInt() | 1;
      salts[i] = random.nextInt();
    }
    this.bands = bands;
    this.rows = rows;
  }

  public int bands() {
    return bands;
  }

  public int rows() {
    return rows;
  }

  /**
   * The signature of a shingle set; all-max for an empty set. Each (well mixed) 64-bit shingle
   * hash is folded to 32 bits x, and permutation i maps it to a_i x + b_i mod 2^32 with a_i
   * odd: a bijection whose high bits, which decide the minimum, depend on every bit of x. In
   * 32 bits the loop over permutations runs as vector instructions (a 64-bit minimum does not
   * vectorize on Java 17): 2.4x faster per shingle on AVX-512, and two shingles of a pair's
   * union still collide in a permutation with probability 2^-32.
   */
  public int[] signature(long[] shingles) {
    int[] a = multipliers;
    int[] b = salts;
    int[] sig = new int[a.length];
    java.util.Arrays.fill(sig, Integer.MAX_VALUE);
    for (long s : shingles) {
      int x = (int) (s ^ (s >>> 32));
      for (int i = 0; i < sig.length; i++) {
        sig[i] = Math.min(sig[i], a[i] * x + b[i]);
      }
    }
    return sig;
  }

  /** One bucket key per band: the hash of that band's rows of the signature. */
  public long[] bandKeys(int[] signature) {
    long[] keys = new long[bands];
    for (int b = 0; b < bands; b++) {
      long h = 0x9e3779b97f4a7c15L * (b + 1);
      for (int r = 0; r < rows; r++) {
        h = Shingles.mix(h ^ signature[b * rows + r]);
      }
      keys[b] = h;
    }
    return keys;
  }

  /**
   * The bands x rows for a similarity threshold: the most rows per band (the fewest
   * dissimilar candidates) whose S-curve 1 - (1 - s^r)^b still catches a pair exactly at the
   * threshold with probability {@link #TARGET_RECALL}; pairs above it are caught more often.
   * Verification then drops the dissimilar candidates, so recall is what the bands must buy.
   */
  public static int[] bandsAndRows(int numPerm, double threshold) {
    for (int r = numPerm; r >= 1; r--) {
      int b = numPerm / r;
      if (collision(threshold, b, r) >= TARGET_RECALL) {
        return new int[] {b, r};
      }
    }
    return new int[] {numPerm, 1};
  }

  /** The probability that a pair of similarity s shares a bucket. */
  public static double collision(double s, int bands, int rows) {
    return 1 - Math.pow(1 - Math.pow(s, rows), bands);
  }
}
