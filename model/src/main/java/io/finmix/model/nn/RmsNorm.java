package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm (Llama): {@code y = x / sqrt(mean(x^2) + eps) * w} over each row. Backward, with
 * {@code r} the reciprocal root and {@code x^ = x r}: {@code dx = r (g - x^ mean(g x^))} where
 * {@code g = dy w}, and {@code dw = sum_rows dy x^}.
 */
final class RmsNorm implements Normalization {

  private final Mat w;
  private final Mat dw;
  private final double eps;
  private final ColumnSums dwSums = new ColumnSums();

  /** {@code dw} null: the weight does not train. */
  RmsNorm(Mat w, Mat dw, double eps) {
    this.w = w;
    this.dw = dw;
    this.eps = eps;
  }

  @Override
  public void forward(Mat x, Mat y, Mat stats) {
    int d = x.cols();
    if (Kernels.host(x)) {
      FloatBuffer xs = x.floats();
      FloatBuffer ys = y.floats();
      FloatBuffer ss = stats.floats();
      FloatBuffer ws = w.floats();
      int wb = w.at(0, 0);
      Kernels.rows(x.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int a = x.at(i, 0);
          double sq = 0;
          for (int j = 0; j < d; j++) {
            float v = xs.get(a + j);
            sq += v * v;
          }
          float r = (float) (1 / Math.sqrt(sq / d + eps));
          ss.put(stats.at(i, 1), r);
          int b = y.at(i, 0);
          for (int j = 0; j < d; j++) {
            ys.put(b + j, xs.get(a + j) * r * ws.get(wb + j));
          }
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray xa = x.nd();
      INDArray r = Transforms.pow(xa.mul(xa).mean(true, 1).addi(eps), -0.5, false);
      stats.cols(1, 2).nd().assign(r);
      y.nd().assign(xa.mulColumnVector(r).muliRowVector(w.nd()));
    }
  }

  @Override
  public void backward(Mat dy, Mat x, Mat stats, Mat dx, boolean accumulate) {
    int d = x.cols();
    if (Kernels.host(x)) {
      FloatBuffer gs = dy.floats();
      FloatBuffer xs = x.floats();
      FloatBuffer ss = stats.floats();
      FloatBuffer os = dx.floats();
      FloatBuffer ws = w.floats();
      int wb = w.at(0, 0);
      ColumnSums sums = dwSums.start(Kernels.pieces(x.rows()), d);
      Kernels.parallel(Kernels.pieces(x.rows()), p -> {
        double[] dws = dw == null ? null : sums.piece(p);
        for (int i = p * Kernels.ROWS; i < Math.min(x.rows(), (p + 1) * Kernels.ROWS); i++) {
          int a = x.at(i, 0);
          int g = dy.at(i, 0);
          int o = dx.at(i, 0);
          float r = ss.get(stats.at(i, 1));
          double dot = 0;
          for (int j = 0; j < d; j++) {
            dot += gs.get(g + j) * ws.get(wb + j) * xs.get(a + j);
          }
          float mean = (float) (dot * r / d);
          for (int j = 0; j < d; j++) {
            float xhat = xs.get(a + j) * r;
            float v = r * (gs.get(g + j) * ws.get(wb + j) - xhat * mean);
            os.put(o + j, accumulate ? os.get(o + j) + v : v);
            if (dws != null) {
              dws[j] += gs.get(g + j) * xhat;
            }
          }
        }
      });
      if (dw != null) {
        sums.into(dw, false);
      }
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray r = stats.cols(1, 2).nd();
      INDArray xhat = x.nd().mulColumnVector(r);
      INDArray g = dy.nd().mulRowVector(w.nd());
      INDArray mean = g.mul(xhat).mean(true, 1);
      INDArray v = g.subi(xhat.mulColumnVector(mean)).muliColumnVector(r);
      if (accumulate) {
        dx.nd().addi(v);
      } else {
        dx.nd().assign(v);
      }
      if (dw != null) {
        dw.nd().assign(dy.nd().mul(xhat).sum(true, 0));
      }
    }
  }
}
