package io.finmix.jobs.dedup;

import io.finmix.jobs.text.Shingles;
import java.util.Arrays;

/**
 * The (bucket, id) pairs of one shuffle partition, and for each bucket its smallest id: an
 * open-addressing hash map over primitive longs, so grouping a partition's LSH buckets costs
 * two passes over flat arrays and no sort. Memory is about 40 bytes per pair of the partition.
 */
final class BucketRoots {

  private long[] buckets = new long[1 << 12];
  private long[] ids = new long[1 << 12];
  private int size;

  private long[] keys;
  private long[] roots;
  private boolean[] used;

  void add(long bucket, long id) {
    if (size == buckets.length) {
      buckets = Arrays.copyOf(buckets, size * 2);
      ids = Arrays.copyOf(ids, size * 2);
    }
    buckets[size] = bucket;
    ids[size] = id;
    size++;
  }

  /** Groups what was added; then {@link #size}, {@link #id} and {@link #root} read it. */
  void group() {
    int capacity = Integer.highestOneBit(Math.max(4, size) * 2 - 1) * 2;
    keys = new long[capacity];
    roots = new long[capacity];
    used = new boolean[capacity];
    for (int i = 0; i < size; i++) {
      int slot = slot(buckets[i]);
      if (!used[slot]) {
        used[slot] = true;
        keys[slot] = buckets[i];
        roots[slot] = ids[i];
      } else if (ids[i] < roots[slot]) {
        roots[slot] = ids[i];
      }
    }
  }

  int size() {
    return size;
  }

  long id(int i) {
    return ids[i];
  }

  /** The smallest id in the bucket of pair i. */
  long root(int i) {
    return roots[slot(buckets[i])];
  }

  private int slot(long key) {
    int mask = keys.length - 1;
    int slot = (int) Shingles.mix(key) & mask;
    while (used[slot] && keys[slot] != key) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }
}
