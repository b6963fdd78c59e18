package io.finmix.model.nn;

import io.finmix.model.config.ModelConfig;
import java.util.Arrays;

/**
 * The keys and values of sequences a {@link Decoder} has read, so it reads each token once:
 * {@code slots} sequences of at most {@code capacity} tokens, every layer's keys and values
 * (after norms and rotary positions) for each. {@link Decoder#extend} appends tokens to slots
 * and returns their logits; {@link #copy} starts a slot as a copy of another (one prompt, many
 * continuations). Holds native memory until closed.
 */
public final class KvCache implements AutoCloseable {

  private final int slots;
  private final int capacity;
  private final int[] length;
  private final Mat[] keys;
  private final Mat[] values;

  KvCache(ModelConfig c, int slots, int capacity, org.nd4j.linalg.api.buffer.DataType type) {
    if (slots < 1 || capacity < 1) {
      throw new IllegalArgumentException("a cache needs slots (" + slots + ") and capacity ("
          + capacity + ") of at least 1");
    }
    this.slots = slots;
    this.capacity = capacity;
    this.length = new int[slots];
    this.keys = new Mat[c.layers()];
    this.values = new Mat[c.layers()];
    int width = c.kvHeads() * c.headDim();
    for (int l = 0; l < c.layers(); l++) {
      // only rows already written are ever read: no need to zero (and touch) the rest
      keys[l] = Mat.of(Buffers.allocateUninitialized(type, (long) slots * capacity, width));
      values[l] = Mat.of(Buffers.allocateUninitialized(type, (long) slots * capacity, width));
    }
  }

  public int slots() {
    return slots;
  }

  public int capacity() {
    return capacity;
  }

  /** Tokens held by {@code slot}. */
  public int length(int slot) {
    return length[check(slot)];
  }

  /** Empties {@code slot}. */
  public void clear(int slot) {
    length[check(slot)] = 0;
  }

  /** Empties every slot. */
  public void clear() {
    Arrays.fill(length, 0);
  }

  /** Makes slot {@code to} hold what slot {@code from} holds. */
  public void copy(int from, int to) {
    check(from);
    check(to);
    int n = length[from];
    for (int l = 0; l < keys.length; l++) {
      for (Mat m : new Mat[] {keys[l], values[l]}) {
        Ops.copy(m.rows(from * capacity, from * capacity + n), m.rows(to * capacity,
            to * capacity + n));
      }
    }
    length[to] = n;
  }

  private int check(int slot) {
    if (slot < 0 || slot >= slots) {
      throw new IndexOutOfBoundsException("slot " + slot + " of a cache of " + slots);
    }
    return slot;
  }

  /** The first row of {@code slot}'s keys in {@link #keys(int)}. */
  int firstRow(int slot) {
    return slot * capacity;
  }

  Mat keys(int layer) {
    return keys[layer];
  }

  Mat values(int layer) {
    return values[layer];
  }

  /** Span {@code s}'s new keys and values (rows of k, v) after the cached ones of its slot. */
  void write(int layer, Mat k, Mat v, Attention.Spans spans) {
    Mat kc = keys(layer);
    Mat vc = values(layer);
    for (int s = 0; s < spans.count(); s++) {
      int from = spans.start()[s];
      int to = spans.keyStart()[s] + spans.prefix()[s];
      int n = spans.length()[s];
      Ops.copy(k.rows(from, from + n), kc.rows(to, to + n));
      Ops.copy(v.rows(from, from + n), vc.rows(to, to + n));
    }
  }

  /** Records that {@code added} tokens were appended to {@code slot}. */
  void grow(int slot, int added) {
    if (length[slot] + added > capacity) {
      throw new IllegalArgumentException("slot " + slot + " holds " + length[slot]
          + " tokens: " + added + " more pass its capacity of " + capacity);
    }
    length[slot] += added;
  }

  @Override
  public void close() {
    for (int l = 0; l < keys.length; l++) {
      keys[l].buf().close();
      values[l].buf().close();
    }
  }
}
