package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The SwiGLU gate of Llama's MLP: {@code act = silu(gate) * up}, {@code silu(g) = g s(g)} with
 * {@code s} the logistic sigmoid. Backward: {@code dgate = dact up s (1 + g (1 - s))}, {@code
 * dup = dact silu(g)}; the sigmoid is recomputed rather than stored.
 */
final class SwiGlu {

  private SwiGlu() {}

  static void forward(Mat gate, Mat up, Mat act) {
    int cols = gate.cols();
    if (Kernels.host(act)) {
      FloatBuffer g = gate.floats();
      FloatBuffer u = up.floats();
      FloatBuffer o = act.floats();
      Kernels.rows(gate.rows(), (from, to) -> {
        float[] x = Kernels.row(0, cols);
        float[] y = Kernels.row(1, cols);
        float[] e = Kernels.row(2, cols);
        float[] tmp = Kernels.row(3, cols);
        for (int i = from; i < to; i++) {
          g.get(gate.at(i, 0), x, 0, cols);
          u.get(up.at(i, 0), y, 0, cols);
          for (int j = 0; j < cols; j++) {
            e[j] = -x[j];
          }
          Kernels.exp(e, 0, cols, tmp);
          for (int j = 0; j < cols; j++) {
            y[j] *= x[j] / (1f + e[j]);
          }
          o.put(act.at(i, 0), y, 0, cols);
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray g = gate.nd();
      act.nd().assign(g.mul(Transforms.sigmoid(g, true)).muli(up.nd()));
    }
  }

  static void backward(Mat dact, Mat gate, Mat up, Mat dgate, Mat dup) {
    int cols = gate.cols();
    if (Kernels.host(dact)) {
      FloatBuffer d = dact.floats();
      FloatBuffer g = gate.floats();
      FloatBuffer u = up.floats();
      FloatBuffer dg = dgate.floats();
      FloatBuffer du = dup.floats();
      Kernels.rows(gate.rows(), (from, to) -> {
        float[] x = Kernels.row(0, cols);
        float[] y = Kernels.row(1, cols);
        float[] dy = Kernels.row(2, cols);
        float[] s = Kernels.row(3, cols);
        float[] tmp = Kernels.row(4, cols);
        for (int i = from; i < to; i++) {
          g.get(gate.at(i, 0), x, 0, cols);
          u.get(up.at(i, 0), y, 0, cols);
          d.get(dact.at(i, 0), dy, 0, cols);
          for (int j = 0; j < cols; j++) {
            s[j] = -x[j];
          }
          Kernels.exp(s, 0, cols, tmp);
          for (int j = 0; j < cols; j++) {
            float sig = 1f / (1f + s[j]);
            float dj = dy[j];
            dy[j] = dj * y[j] * sig * (1f + x[j] * (1f - sig)); // dgate
            y[j] = dj * x[j] * sig; // dup
          }
          dg.put(dgate.at(i, 0), dy, 0, cols);
          du.put(dup.at(i, 0), y, 0, cols);
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray g = gate.nd();
      INDArray s = Transforms.sigmoid(g, true);
      INDArray d = dact.nd();
      INDArray one = s.rsub(1).muli(g).addi(1); // 1 + g (1 - s)
      dgate.nd().assign(d.mul(up.nd()).muli(s).muli(one));
      dup.nd().assign(d.mul(g).muli(s));
    }
  }
}
