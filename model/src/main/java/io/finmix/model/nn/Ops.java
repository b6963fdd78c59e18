package io.finmix.model.nn;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The small element-wise steps between a model's operations: copies, zeroing, scaling, adding
 * a bias row, summing columns (a bias gradient). Each on both paths (see {@link Kernels}).
 */
final class Ops {

  private Ops() {}

  /** {@code dst = src}. */
  static void copy(Mat src, Mat dst) {
    same(src, dst);
    if (Kernels.host(dst)) {
      FloatBuffer s = src.floats();
      FloatBuffer d = dst.floats();
      Kernels.rows(src.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          d.put(dst.at(i, 0), s, src.at(i, 0), src.cols());
        }
      });
    } else {
      dst.nd().assign(src.nd());
    }
  }

  /** {@code m = 0}. */
  static void zero(Mat m) {
    scale(m, 0);
  }

  /** {@code m *= f} ({@code f} 0: zeros, whatever m held). */
  static void scale(Mat m, double f) {
    if (Kernels.host(m)) {
      FloatBuffer b = m.floats();
      float s = (float) f;
      Kernels.rows(m.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int at = m.at(i, 0);
          for (int j = 0; j < m.cols(); j++) {
            b.put(at + j, s == 0 ? 0f : b.get(at + j) * s);
          }
        }
      });
    } else if (f == 0) {
      m.nd().assign(0);
    } else {
      m.nd().muli(f);
    }
  }

  /** {@code dst += src}. */
  static void add(Mat src, Mat dst) {
    same(src, dst);
    if (Kernels.host(dst)) {
      FloatBuffer s = src.floats();
      FloatBuffer d = dst.floats();
      Kernels.rows(src.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int a = src.at(i, 0);
          int b = dst.at(i, 0);
          for (int j = 0; j < src.cols(); j++) {
            d.put(b + j, d.get(b + j) + s.get(a + j));
          }
        }
      });
    } else {
      dst.nd().addi(src.nd());
    }
  }

  /** {@code m[i, :] += bias} for every row. */
  static void addRow(Mat m, Mat b) {
    if (Kernels.host(m)) {
      FloatBuffer x = m.floats();
      FloatBuffer v = b.floats();
      int vb = b.at(0, 0);
      Kernels.rows(m.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int at = m.at(i, 0);
          for (int j = 0; j < m.cols(); j++) {
            x.put(at + j, x.get(at + j) + v.get(vb + j));
          }
        }
      });
    } else {
      try (MemoryWorkspace ignored = Kernels.scope()) {
        m.nd().addiRowVector(b.nd());
      }
    }
  }

  /**
   * {@code out = sum_i m[i, :]} (a bias gradient), on the host in pieces summed in order, so
   * the same at any thread count.
   */
  static void columnSums(Mat m, Mat o, ColumnSums sums) {
    if (Kernels.host(m)) {
      FloatBuffer x = m.floats();
      int cols = m.cols();
      sums.start(Kernels.pieces(m.rows()), cols);
      Kernels.parallel(Kernels.pieces(m.rows()), p -> {
        double[] s = sums.piece(p);
        for (int i = p * Kernels.ROWS; i < Math.min(m.rows(), (p + 1) * Kernels.ROWS); i++) {
          int at = m.at(i, 0);
          for (int j = 0; j < cols; j++) {
            s[j] += x.get(at + j);
          }
        }
      });
      sums.into(o, false);
    } else {
      try (MemoryWorkspace ignored = Kernels.scope()) {
        o.nd().assign(m.nd().sum(true, 0));
      }
    }
  }

  /** {@code dst[r] = src[rows[r]]} for each row r of {@code dst}. */
  static void gatherRows(Mat src, int[] rows, Mat dst) {
    if (Kernels.host(dst)) {
      FloatBuffer s = src.floats();
      FloatBuffer d = dst.floats();
      Kernels.rows(dst.rows(), (from, to) -> {
        for (int r = from; r < to; r++) {
          d.put(dst.at(r, 0), s, src.at(rows[r], 0), src.cols());
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      dst.nd().assign(Nd4j.pullRows(src.nd(), 1, Arrays.copyOf(rows, dst.rows())));
    }
  }

  /** {@code dst[rows[r]] = src[r]} for each row r of {@code src} (distinct rows). */
  static void scatterRows(Mat src, int[] rows, Mat dst) {
    if (Kernels.host(dst)) {
      FloatBuffer s = src.floats();
      FloatBuffer d = dst.floats();
      Kernels.rows(src.rows(), (from, to) -> {
        for (int r = from; r < to; r++) {
          d.put(dst.at(rows[r], 0), s, src.at(r, 0), src.cols());
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray target = dst.nd();
      Nd4j.exec(DynamicCustomOp.builder("scatter_upd").addInputs(target,
          Nd4j.createFromArray(Arrays.copyOf(rows, src.rows())), src.nd()).addOutputs(target)
          .build());
    }
  }

  private static void same(Mat a, Mat b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
      throw new IllegalArgumentException("shapes differ: " + a + " and " + b);
    }
  }
}
