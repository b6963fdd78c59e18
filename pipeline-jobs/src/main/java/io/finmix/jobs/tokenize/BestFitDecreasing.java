package io.finmix.jobs.tokenize;

import java.io.Serializable;
import java.util.BitSet;

/**
 * Best-fit-decreasing bin packing over a whole recipe, planned from its length histogram alone:
 * items longest first, each into the open bin with the least room that still fits it (a new
 * bin when none does). Examples of one length are interchangeable, so the plan says, per
 * length, which bin its k-th item goes to; the caller ranks the examples of each length (by
 * position) and looks their bins up. Memory: one int per example, no rows.
 */
public final class BestFitDecreasing implements Serializable {

  private final int[][] binOfSlot;
  private final int bins;

  private BestFitDecreasing(int[][] binOfSlot, int bins) {
    this.binOfSlot = binOfSlot;
    this.bins = bins;
  }

  /** Plans the packing of {@code counts[l]} items of length l into bins of {@code capacity}. */
  public static BestFitDecreasing plan(long[] counts, int capacity) {
    if (counts.length > capacity + 1) {
      throw new IllegalArgumentException("items longer than the capacity " + capacity);
    }
    int[][] binOfSlot = new int[counts.length][];
    // Open bins by remaining room: a stack of bin ids per room, and a bit per non-empty room.
    int[][] stacks = new int[capacity + 1][];
    int[] sizes = new int[capacity + 1];
    BitSet nonEmpty = new BitSet(capacity + 1);
    int bins = 0;
    for (int length = counts.length - 1; length >= 1; length--) {
      if (counts[length] > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("too many items of length " + length);
      }
      int[] slots = new int[(int) counts[length]];
      for (int k = 0; k < slots.length; k++) {
        int room = nonEmpty.nextSetBit(length);
        int bin;
        if (room < 0) {
          bin = bins++;
          room = capacity;
        } else {
          bin = stacks[room][--sizes[room]];
          if (sizes[room] == 0) {
            nonEmpty.clear(room);
          }
        }
        slots[k] = bin;
        int left = room - length;
        if (left > 0) {
          if (stacks[left] == null) {
            stacks[left] = new int[16];
          } else if (sizes[left] == stacks[left].length) {
            stacks[left] = java.util.Arrays.copyOf(stacks[left], sizes[left] * 2);
          }
          stacks[left][sizes[left]++] = bin;
          nonEmpty.set(left);
        }
      }
      binOfSlot[length] = slots;
    }
    binOfSlot[0] = new int[0];
    return new BestFitDecreasing(binOfSlot, bins);
  }

  /** The bin of the {@code rank}-th (0-based) item of length {@code length}. */
  public int bin(int length, long rank) {
    return binOfSlot[length][(int) rank];
  }

  public int bins() {
    return bins;
  }
}
