package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Token cross-entropy from integer labels, fused with its gradient: per row, the log-sum-exp of
 * the logits minus the label's logit (no one-hot labels, no softmax kept). With a gradient,
 * the logits are overwritten by it, {@code w (softmax - onehot(label))} for the row's weight
 * {@code w} (its share of the mean): the logits' buffer is the gradient's, as in llm.c.
 */
final class CrossEntropy {

  private CrossEntropy() {}

  /**
   * Row {@code i}'s loss into {@code losses[i]}; with {@code weights} not null, {@code logits}
   * replaced by the gradient of {@code sum_i weights[i] losses[i]}.
   */
  static void apply(Mat logits, int[] labels, float[] weights, double[] losses) {
    int m = logits.rows();
    int v = logits.cols();
    for (int i = 0; i < m; i++) {
      if (labels[i] < 0 || labels[i] >= v) {
        throw new IllegalArgumentException("label " + labels[i] + " is outside the vocabulary ("
            + v + ")");
      }
    }
    if (Kernels.host(logits)) {
      FloatBuffer buf = logits.floats();
      Kernels.parallel(m, i -> {
        float[] x = Kernels.row(0, v);
        float[] tmp = Kernels.row(1, v);
        int a = logits.at(i, 0);
        buf.get(a, x, 0, v);
        float max = Kernels.max(x, 0, v);
        float picked = x[labels[i]];
        for (int j = 0; j < v; j++) {
          x[j] -= max;
        }
        Kernels.exp(x, 0, v, tmp);
        double z = Kernels.sum(x, 0, v);
        losses[i] = Math.log(z) + max - picked;
        if (weights != null) {
          float scale = (float) (weights[i] / z);
          for (int j = 0; j < v; j++) {
            x[j] *= scale;
          }
          x[labels[i]] -= weights[i];
          buf.put(a, x, 0, v);
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray l = logits.nd();
      INDArray max = l.max(true, 1);
      INDArray e = Transforms.exp(l.subColumnVector(max), false);
      INDArray z = e.sum(true, 1);
      int[][] at = new int[m][];
      for (int i = 0; i < m; i++) {
        at[i] = new int[] {i, labels[i]};
      }
      INDArray index = Nd4j.createFromArray(at);
      INDArray picked = Nd4j.exec(DynamicCustomOp.builder("gather_nd").addInputs(l, index)
          .build())[0];
      double[] lse = Transforms.log(z, true).addi(max).reshape(m).toDoubleVector();
      double[] p = picked.reshape(m).toDoubleVector();
      for (int i = 0; i < m; i++) {
        losses[i] = lse[i] - p[i];
      }
      if (weights != null) {
        INDArray w = Nd4j.createFromArray(weights).castTo(l.dataType()).reshape(m, 1);
        l.assign(e.diviColumnVector(z).muliColumnVector(w));
        Nd4j.exec(DynamicCustomOp.builder("scatter_nd_add").addInputs(l, index,
            w.reshape(m).neg()).addOutputs(l).build());
      }
    }
  }
}
