package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm (GPT-2): {@code y = (x - mean) / sqrt(var + eps) * w + b} over each row, the
 * variance biased. Backward, with {@code x^} the normalised row and {@code g = dy w}: {@code dx
 * = r (g - mean(g) - x^ mean(g x^))}, {@code dw = sum_rows dy x^}, {@code db = sum_rows dy}.
 */
final class LayerNorm implements Normalization {

  private final Mat w;
  private final Mat b;
  private final Mat dw;
  private final Mat db;
  private final double eps;
  private final ColumnSums dwSums = new ColumnSums();
  private final ColumnSums dbSums = new ColumnSums();

  /** {@code dw}, {@code db} null: weight and bias do not train. */
  LayerNorm(Mat w, Mat b, Mat dw, Mat db, double eps) {
    this.w = w;
    this.b = b;
    this.dw = dw;
    this.db = db;
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
      FloatBuffer bs = b.floats();
      int wb = w.at(0, 0);
      int bb = b.at(0, 0);
      Kernels.rows(x.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int a = x.at(i, 0);
          double sum = 0;
          for (int j = 0; j < d; j++) {
            sum += xs.get(a + j);
          }
          float mean = (float) (sum / d);
          double sq = 0;
          for (int j = 0; j < d; j++) {
            float c = xs.get(a + j) - mean;
            sq += c * c;
          }
          float r = (float) (1 / Math.sqrt(sq / d + eps));
          ss.put(stats.at(i, 0), mean);
          ss.put(stats.at(i, 1), r);
          int o = y.at(i, 0);
          for (int j = 0; j < d; j++) {
            ys.put(o + j, (xs.get(a + j) - mean) * r * ws.get(wb + j) + bs.get(bb + j));
          }
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray xa = x.nd();
      INDArray mean = xa.mean(true, 1);
      INDArray centred = xa.subColumnVector(mean);
      INDArray r = Transforms.pow(centred.mul(centred).mean(true, 1).addi(eps), -0.5, false);
      stats.cols(0, 1).nd().assign(mean);
      stats.cols(1, 2).nd().assign(r);
      y.nd().assign(centred.muliColumnVector(r).muliRowVector(w.nd())
          .addiRowVector(b.nd()));
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
      ColumnSums ws2 = dwSums.start(Kernels.pieces(x.rows()), d);
      ColumnSums bs2 = dbSums.start(Kernels.pieces(x.rows()), d);
      Kernels.parallel(Kernels.pieces(x.rows()), p -> {
        double[] pw = dw == null ? null : ws2.piece(p);
        double[] pb = db == null ? null : bs2.piece(p);
        for (int i = p * Kernels.ROWS; i < Math.min(x.rows(), (p + 1) * Kernels.ROWS); i++) {
          int a = x.at(i, 0);
          int g = dy.at(i, 0);
          int o = dx.at(i, 0);
          float mean = ss.get(stats.at(i, 0));
          float r = ss.get(stats.at(i, 1));
          double sumG = 0;
          double dot = 0;
          for (int j = 0; j < d; j++) {
            float gj = gs.get(g + j) * ws.get(wb + j);
            sumG += gj;
            dot += gj * (xs.get(a + j) - mean) * r;
          }
          float meanG = (float) (sumG / d);
          float meanDot = (float) (dot / d);
          for (int j = 0; j < d; j++) {
            float xhat = (xs.get(a + j) - mean) * r;
            float v = r * (gs.get(g + j) * ws.get(wb + j) - meanG - xhat * meanDot);
            os.put(o + j, accumulate ? os.get(o + j) + v : v);
            if (pw != null) {
              pw[j] += gs.get(g + j) * xhat;
            }
            if (pb != null) {
              pb[j] += gs.get(g + j);
            }
          }
        }
      });
      if (dw != null) {
        ws2.into(dw, false);
      }
      if (db != null) {
        bs2.into(db, false);
      }
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray mean = stats.cols(0, 1).nd();
      INDArray r = stats.cols(1, 2).nd();
      INDArray xhat = x.nd().subColumnVector(mean).muliColumnVector(r);
      INDArray g = dy.nd().mulRowVector(w.nd());
      INDArray meanG = g.mean(true, 1);
      INDArray meanDot = g.mul(xhat).mean(true, 1);
      INDArray v = g.subiColumnVector(meanG).subi(xhat.mulColumnVector(meanDot))
          .muliColumnVector(r);
      if (accumulate) {
        dx.nd().addi(v);
      } else {
        dx.nd().assign(v);
      }
      if (dw != null) {
        dw.nd().assign(dy.nd().mul(xhat).sum(true, 0));
      }
      if (db != null) {
        db.nd().assign(dy.nd().sum(true, 0));
      }
    }
  }
}
