package io.finmix.model.train;

import io.finmix.model.io.NdTensors;
import io.finmix.model.io.Safetensors.Tensor;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as {@code torch.optim.AdamW}: per
 * parameter, first and second moments with bias correction, and {@code p -= lr * wd * p} on
 * matrices only (rank ≥ 2: projections and embeddings; norms and biases are not decayed). The
 * state is plain arrays by name ({@code <param>.exp_avg}, {@code <param>.exp_avg_sq}) so a
 * checkpoint stores and restores it exactly.
 */
final class AdamW {

  static final String M = ".exp_avg";
  static final String V = ".exp_avg_sq";

  private final TrainConfig cfg;
  private final Map<String, INDArray> state = new TreeMap<>();
  private long t;

  AdamW(TrainConfig cfg) {
    this.cfg = cfg;
  }

  /** Updates each parameter that has a gradient, in place. */
  void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
    t++;
    double c1 = 1 - Math.pow(cfg.beta1(), t);
    double c2 = 1 - Math.pow(cfg.beta2(), t);
    for (Map.Entry<String, INDArray> e : grads.entrySet()) {
      INDArray p = params.get(e.getKey());
      INDArray g = e.getValue();
      INDArray m = state.computeIfAbsent(e.getKey() + M, k -> Nd4j.zerosLike(p));
      INDArray v = state.computeIfAbsent(e.getKey() + V, k -> Nd4j.zerosLike(p));
      m.muli(cfg.beta1()).addi(g.mul(1 - cfg.beta1()));
      v.muli(cfg.beta2()).addi(g.mul(g).muli(1 - cfg.beta2()));
      if (p.rank() >= 2 && cfg.weightDecay() > 0) {
        p.muli(1 - lr * cfg.weightDecay());
      }
      INDArray denom = Transforms.sqrt(v.div(c2), false).addi(cfg.eps());
      p.subi(m.div(denom).muli(lr / c1));
    }
  }

  long steps() {
    return t;
  }

  /** The moment arrays by name (live). */
  Map<String, INDArray> state() {
    return state;
  }

  /**
   * The state of a checkpoint: {@code steps} updates taken, the moments by name, each set
   * beside its parameter in {@code params} (its dtype and shape).
   */
  void restore(long steps, Map<String, Tensor> moments, Map<String, INDArray> params) {
    Map<String, INDArray> arrays = new TreeMap<>();
    moments.forEach((name, tensor) -> {
      String param = name.endsWith(V) ? name.substring(0, name.length() - V.length())
          : name.endsWith(M) ? name.substring(0, name.length() - M.length()) : null;
      INDArray p = param == null ? null : params.get(param);
      if (p == null) {
        throw new IllegalArgumentException("optimizer state '" + name + "' belongs to no "
            + "parameter of the model");
      }
      arrays.put(name, NdTensors.array(tensor, p.dataType()).reshape(p.shape()));
    });
    t = steps;
    state.clear();
    state.putAll(arrays);
  }
}
