package io.finmix.model.nn;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Column sums over rows computed in pieces of {@link Kernels#ROWS} rows (a weight or bias
 * gradient): each piece sums into its own row of doubles, then the pieces are added in order,
 * so the result does not depend on how many threads ran them. The arrays are kept between calls.
 */
final class ColumnSums {

  private double[][] parts = new double[0][];
  private int pieces;
  private int width;

  /** Zeroed sums for {@code pieces} pieces of {@code width} columns. */
  ColumnSums start(int pieces, int width) {
    if (parts.length < pieces || (parts.length > 0 && parts[0].length != width)) {
      parts = new double[pieces][width];
    } else {
      for (int p = 0; p < pieces; p++) {
        Arrays.fill(parts[p], 0);
      }
    }
    this.pieces = pieces;
    this.width = width;
    return this;
  }

  /** Piece {@code p}'s sums. */
  double[] piece(int p) {
    return parts[p];
  }

  /** {@code out = sum of the pieces} (or {@code +=} where {@code accumulate}), in piece order. */
  void into(Mat out, boolean accumulate) {
    FloatBuffer y = out.floats();
    for (int j = 0; j < width; j++) {
      double s = 0;
      for (int p = 0; p < pieces; p++) {
        s += parts[p][j];
      }
      int at = out.at(0, j);
      y.put(at, (float) (accumulate ? y.get(at) + s : s));
    }
  }
}
