package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GPT-2's GELU, tanh approximation: {@code y = x (1 + t) / 2}, {@code t = tanh(k (x + c x^3))},
 * {@code k = sqrt(2 / pi)}, {@code c = 0.044715}. Backward: {@code dx = dy ((1 + t) / 2 + x (1 -
 * t^2) k (1 + 3 c x^2) / 2)}, t recomputed.
 */
final class GeluTanh {

  private static final double K = Math.sqrt(2 / Math.PI);
  private static final double C = 0.044715;

  private GeluTanh() {}

  static void forward(Mat x, Mat y) {
    int cols = x.cols();
    if (Kernels.host(x)) {
      FloatBuffer xs = x.floats();
      FloatBuffer ys = y.floats();
      Kernels.rows(x.rows(), (from, to) -> {
        float[] v = Kernels.row(0, cols);
        float[] t = Kernels.row(1, cols);
        float[] tmp = Kernels.row(2, cols);
        for (int i = from; i < to; i++) {
          xs.get(x.at(i, 0), v, 0, cols);
          tanh(v, t, tmp, cols);
          for (int j = 0; j < cols; j++) {
            t[j] = 0.5f * v[j] * (1f + t[j]);
          }
          ys.put(y.at(i, 0), t, 0, cols);
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray v = x.nd();
      INDArray t = Transforms.tanh(v.mul(v).muli(v).muli(C).addi(v).muli(K), false);
      y.nd().assign(t.addi(1).muli(v).muli(0.5));
    }
  }

  static void backward(Mat dy, Mat x, Mat dx) {
    int cols = x.cols();
    if (Kernels.host(x)) {
      FloatBuffer gs = dy.floats();
      FloatBuffer xs = x.floats();
      FloatBuffer os = dx.floats();
      float k = (float) K;
      float c = (float) C;
      Kernels.rows(x.rows(), (from, to) -> {
        float[] v = Kernels.row(0, cols);
        float[] t = Kernels.row(1, cols);
        float[] g = Kernels.row(2, cols);
        float[] tmp = Kernels.row(3, cols);
        for (int i = from; i < to; i++) {
          xs.get(x.at(i, 0), v, 0, cols);
          gs.get(dy.at(i, 0), g, 0, cols);
          tanh(v, t, tmp, cols);
          for (int j = 0; j < cols; j++) {
            float vj = v[j];
            float tj = t[j];
            g[j] *= 0.5f * (1f + tj) + 0.5f * vj * (1f - tj * tj) * k * (1f + 3f * c * vj * vj);
          }
          os.put(dx.at(i, 0), g, 0, cols);
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray v = x.nd();
      INDArray v2 = v.mul(v);
      INDArray t = Transforms.tanh(v2.mul(v).muli(C).addi(v).muli(K), false);
      INDArray d = t.add(1).muli(0.5)
          .addi(t.mul(t).rsubi(1).muli(v).muli(v2.mul(3 * C).addi(1)).muli(0.5 * K));
      dx.nd().assign(dy.nd().mul(d));
    }
  }

  /** {@code t = tanh(k (v + c v^3))} through {@link Kernels#exp}: {@code 1 - 2 / (e^(2z) + 1)}. */
  private static void tanh(float[] v, float[] t, float[] tmp, int n) {
    float k = (float) K;
    float c = (float) C;
    for (int j = 0; j < n; j++) {
      float x = v[j];
      t[j] = 2f * k * (x + c * x * x * x);
    }
    Kernels.exp(t, 0, n, tmp);
    for (int j = 0; j < n; j++) {
      t[j] = 1f - 2f / (t[j] + 1f);
    }
  }
}
