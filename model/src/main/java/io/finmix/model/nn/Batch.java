package io.finmix.model.nn;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntBinaryOperator;

/**
 * A training batch of packed rows, all [rows, seq]: input ids, next-token labels, the loss mask
 * on those labels, segment ids (1, 2, ... per packed example, 0 on padding) and positions that
 * restart at 0 in every example. A token predicts the next token of its own example only.
 *
 * <p>The loss is the mean over the masked tokens ({@code perExample} false), or the mean over
 * the examples of each example's mean over its masked tokens ({@code perExample} true): then a
 * one-token answer (a sentiment label) weighs as much as a forty-token one (an entity list),
 * and a mixture's shares of examples are its shares of the gradient.
 */
public record Batch(int[][] ids, int[][] labels, int[][] lossMask, int[][] segments,
    int[][] positions, boolean perExample) {

  /** A batch whose loss is the mean over its masked tokens. */
  public Batch(int[][] ids, int[][] labels, int[][] lossMask, int[][] segments,
      int[][] positions) {
    this(ids, labels, lossMask, segments, positions, false);
  }

  public Batch {
    int rows = ids.length;
    for (int[][] a : List.of(labels, lossMask, segments, positions)) {
      if (a.length != rows) {
        throw new IllegalArgumentException("batch arrays differ in rows");
      }
    }
    for (int r = 0; r < rows; r++) {
      int t = ids[r].length;
      if (t != ids[0].length || labels[r].length != t || lossMask[r].length != t
          || segments[r].length != t || positions[r].length != t) {
        throw new IllegalArgumentException("batch row " + r + " differs in length");
      }
    }
  }

  /** The same batch, its loss the mean over examples of each example's token mean. */
  public Batch weightedPerExample() {
    return new Batch(ids, labels, lossMask, segments, positions, true);
  }

  public int rows() {
    return ids.length;
  }

  public int seqLen() {
    return ids.length == 0 ? 0 : ids[0].length;
  }

  /**
   * Packed sequences as {@code train.sequences} holds them (input ids, loss mask on the tokens,
   * segment ids, positions) turned into next-token training rows: token t is trained to
   * predict token t + 1 where both belong to the same example and the loss mask of t + 1 is set.
   */
  public static Batch ofSequences(int[][] inputIds, int[][] tokenLossMask, int[][] segments,
      int[][] positions) {
    int rows = inputIds.length;
    int[][] labels = new int[rows][];
    int[][] mask = new int[rows][];
    for (int r = 0; r < rows; r++) {
      int t = inputIds[r].length;
      labels[r] = new int[t];
      mask[r] = new int[t];
      for (int i = 0; i + 1 < t; i++) {
        if (segments[r][i] != 0 && segments[r][i + 1] == segments[r][i]) {
          labels[r][i] = inputIds[r][i + 1];
          mask[r][i] = tokenLossMask[r][i + 1];
        }
      }
    }
    return new Batch(inputIds, labels, mask, segments, positions);
  }

  /** Examples (token lists) packed into one row each, padded to {@code seqLen}; loss on all. */
  public static Batch ofPackedExamples(List<List<int[]>> rows, int seqLen) {
    return ofPackedExamples(rows, seqLen, (row, example) -> 0);
  }

  /**
   * Examples packed as {@link #ofPackedExamples(List, int)}, the loss on each example's tokens
   * from index {@code lossFrom(row, example)} on (0: all; a prompt's length: the answer).
   */
  public static Batch ofPackedExamples(List<List<int[]>> rows, int seqLen, IntBinaryOperator lossFrom) {
    int n = rows.size();
    int[][] ids = new int[n][seqLen];
    int[][] mask = new int[n][seqLen];
    int[][] seg = new int[n][seqLen];
    int[][] pos = new int[n][seqLen];
    for (int r = 0; r < n; r++) {
      int k = 0;
      int s = 1;
      for (int[] example : rows.get(r)) {
        if (k + example.length > seqLen) {
          throw new IllegalArgumentException("row " + r + " holds more than " + seqLen + " tokens");
        }
        int from = lossFrom.applyAsInt(r, s - 1);
        for (int i = 0; i < example.length; i++, k++) {
          ids[r][k] = example[i];
          mask[r][k] = i >= from ? 1 : 0;
          seg[r][k] = s;
          pos[r][k] = i;
        }
        s++;
      }
    }
    return ofSequences(ids, mask, seg, pos);
  }

  @Override
  public String toString() {
    return "Batch[" + rows() + " x " + seqLen() + ", first row " + Arrays.toString(ids.length == 0
        ? new int[0] : ids[0]) + "]";
  }
}
