package io.finmix.jobs.train;

import io.finmix.model.nn.Batch;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * One row of {@code finmix.train.sequences}, as a worker trains on it. A class, not a record:
 * Spark's Kryo serializer cannot build records.
 */
final class PackedSequence implements Serializable {

  private final long index;
  private final int[] ids;
  private final int[] mask;
  private final int[] segments;
  private final int[] positions;

  PackedSequence(long index, int[] ids, int[] mask, int[] segments, int[] positions) {
    this.index = index;
    this.ids = ids;
    this.mask = mask;
    this.segments = segments;
    this.positions = positions;
  }

  long index() {
    return index;
  }

  /** Selected in this order by {@link #of(Row)}. */
  static final String[] COLUMNS = {"sequence_index", "input_ids", "loss_mask", "segment_ids",
      "positions"};

  static PackedSequence of(Row r) {
    return new PackedSequence(r.getLong(0), ints(r.getList(1)), ints(r.getList(2)),
        ints(r.getList(3)), ints(r.getList(4)));
  }

  private static int[] ints(List<Integer> values) {
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** Sequences as one training batch (next-token labels inside each packed example). */
  static Batch batch(List<PackedSequence> rows) {
    int n = rows.size();
    int[][] ids = new int[n][];
    int[][] mask = new int[n][];
    int[][] seg = new int[n][];
    int[][] pos = new int[n][];
    for (int r = 0; r < n; r++) {
      ids[r] = rows.get(r).ids;
      mask[r] = rows.get(r).mask;
      seg[r] = rows.get(r).segments;
      pos[r] = rows.get(r).positions;
    }
    return Batch.ofSequences(ids, mask, seg, pos);
  }

  /** Whether the sequence is held out for validation: a fixed hash of its index, no seed. */
  static boolean validation(long index, double fraction) {
    return fraction > 0 && unit(mix(index ^ 0x5EEDL)) < fraction;
  }

  /** The sequence's place in epoch {@code epoch}'s shuffled order under {@code seed}. */
  static long orderKey(long seed, int epoch, long index) {
    return mix(mix(seed * 0x9E3779B97F4A7C15L + epoch) ^ index);
  }

  /** SplitMix64's finaliser: a bijection of longs that scrambles every bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static double unit(long h) {
    return (h >>> 11) * 0x1.0p-53;
  }
}
