package io.finmix.jobs.ingest;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a source's records get their split: the dataset's own (a fixed split per file, or a field
 * of the record), or, where it has none, a stable hash of the record's text with configured
 * fractions and seed, so identical texts always land in the same split.
 */
public sealed interface SplitRule extends Serializable {

  /** The split names finmix uses. */
  Set<String> NAMES = Set.of("train", "valid", "test");

  /** Every record (or every record of a file) gets the same split. */
  record Fixed(String split) implements SplitRule {}

  /** The split is a field of the record; {@code values} renames (validation -> valid). */
  record Field(FieldPath path, Map<String, String> values) implements SplitRule {}

  /**
   * What a hash split hashes: the normalised instruction + input (identical texts share a
   * split), the normalised input alone (every question about one text, one headline or one
   * report shares a split), or the natural key.
   */
  enum By { TEXT, INPUT, KEY }

  /**
   * A stable hash split.
   *
   * @param fractions split name -> fraction, summing to 1, in name order
   * @param seed mixes into the hash; change it to draw a different split
   * @param by what is hashed
   */
  record Hash(TreeMap<String, Double> fractions, long seed, By by) implements SplitRule {

    /** The split for a hashed value: a uniform draw in [0, 1) from sha256(seed, value). */
    public String pick(String value) {
      double u = unitInterval(seed, value);
      double cumulative = 0;
      String last = null;
      for (Map.Entry<String, Double> e : fractions.entrySet()) {
        cumulative += e.getValue();
        last = e.getKey();
        if (u < cumulative) {
          return last;
        }
      }
      return last;
    }

    static double unitInterval(long seed, String value) {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(ByteBuffer.allocate(8).putLong(seed).array());
        byte[] digest = sha.digest(value.getBytes(StandardCharsets.UTF_8));
        long bits = ByteBuffer.wrap(digest).getLong() >>> 11; // 53 bits
        return bits / (double) (1L << 53);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
