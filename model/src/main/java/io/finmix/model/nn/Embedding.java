package io.finmix.model.nn;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The input embedding: row {@code ids[i]} of the token table, plus row {@code positions[i]} of
 * the learned position table where there is one. Backward scatters each token's gradient onto
 * its rows, {@code dtable[ids[i]] += dx[i]}, in token order (llm.c's {@code encoder_backward}):
 * a row used twice gets both, summed the same way every time.
 */
final class Embedding {

  private final Mat tokens;
  private final Mat positions;
  private final Mat dTokens;
  private final Mat dPositions;

  /** {@code positions} null: rotary; gradients null: frozen. */
  Embedding(Mat tokens, Mat positions, Mat dTokens, Mat dPositions) {
    this.tokens = tokens;
    this.positions = positions;
    this.dTokens = dTokens;
    this.dPositions = dPositions;
  }

  /** {@code x[i] = tokens[ids[i]] (+ positions[pos[i]])} for the first {@code x.rows()} ids. */
  void forward(int[] ids, int[] pos, Mat x) {
    int n = x.rows();
    if (Kernels.host(x)) {
      Mat t = tokens;
      Mat p = positions;
      FloatBuffer ts = t.floats();
      FloatBuffer ps = p == null ? null : p.floats();
      FloatBuffer xs = x.floats();
      int h = x.cols();
      Kernels.rows(n, (from, to) -> {
        for (int i = from; i < to; i++) {
          int o = x.at(i, 0);
          xs.put(o, ts, t.at(ids[i], 0), h);
          if (ps != null) {
            int a = p.at(pos[i], 0);
            for (int j = 0; j < h; j++) {
              xs.put(o + j, xs.get(o + j) + ps.get(a + j));
            }
          }
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray rows = Nd4j.pullRows(tokens.nd(), 1, Arrays.copyOf(ids, n));
      if (positions != null) {
        rows.addi(Nd4j.pullRows(positions.nd(), 1, Arrays.copyOf(pos, n)));
      }
      x.nd().assign(rows);
    }
  }

  /**
   * Scatters {@code dx} onto the tables' gradients: the token table's is added to where {@code
   * accumulate} (a tied head wrote its part first), else set; the position table's is set.
   */
  void backward(Mat dx, int[] ids, int[] pos, boolean accumulate) {
    if (dTokens != null) {
      scatter(dx, ids, dTokens, accumulate);
    }
    if (dPositions != null) {
      scatter(dx, pos, dPositions, false);
    }
  }

  private static void scatter(Mat dx, int[] rows, Mat t, boolean accumulate) {
    if (!accumulate) {
      Ops.zero(t);
    }
    int n = dx.rows();
    int h = dx.cols();
    if (Kernels.host(dx)) {
      FloatBuffer g = dx.floats();
      FloatBuffer ts = t.floats();
      for (int i = 0; i < n; i++) {
        int a = dx.at(i, 0);
        int o = t.at(rows[i], 0);
        for (int j = 0; j < h; j++) {
          ts.put(o + j, ts.get(o + j) + g.get(a + j));
        }
      }
      return;
    }
    // the same sums on the ND4J path: one row per distinct id, a product with a selection
    // matrix (sums in token order), then a scatter without repeated indices
    int[] distinct = Arrays.stream(rows, 0, n).distinct().sorted().toArray();
    float[][] select = new float[distinct.length][n];
    for (int i = 0; i < n; i++) {
      select[Arrays.binarySearch(distinct, rows[i])][i] = 1f;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray sums = Nd4j.createFromArray(select).castTo(dx.dataType()).mmul(dx.nd());
      INDArray table = t.nd();
      Nd4j.exec(DynamicCustomOp.builder("scatter_add").addInputs(table,
          Nd4j.createFromArray(distinct), sums).addOutputs(table).build());
    }
  }
}
