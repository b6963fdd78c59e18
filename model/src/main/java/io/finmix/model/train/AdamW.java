package io.finmix.model.train;

import io.finmix.model.io.NdTensors;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Kernels;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as {@code torch.optim.AdamW}: per
 * parameter, first and second moments with bias correction, and {@code p -= lr * wd * p} on
 * matrices only (rank ≥ 2: projections and embeddings; norms and biases are not decayed). The
 * state is plain arrays by name ({@code <param>.exp_avg}, {@code <param>.exp_avg_sq}) so a
 * checkpoint stores and restores it exactly. Parameters and moments are updated in place, in
 * one fused pass per parameter (on the host path, over Java copies of {@link #CHUNK} elements
 * that the JIT vectorises).
 */
final class AdamW {

  static final String M = ".exp_avg";
  static final String V = ".exp_avg_sq";
  /** Elements per piece of an update or a norm: fixed, so sums do not depend on threads. */
  static final int CHUNK = 1 << 14;

  private final TrainConfig cfg;
  private final Map<String, INDArray> state = new TreeMap<>();
  private long t;

  AdamW(TrainConfig cfg) {
    this.cfg = cfg;
  }

  /** Updates each parameter that has a gradient, in place. */
  void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
    step(params, grads, lr, 1);
  }

  /**
   * Updates each parameter that has a gradient, in place, the gradients taken times {@code
   * gradScale} (the clipping factor; the gradient arrays are left as they are).
   */
  void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr,
      double gradScale) {
    t++;
    double c1 = 1 - Math.pow(cfg.beta1(), t);
    double c2 = 1 - Math.pow(cfg.beta2(), t);
    for (Map.Entry<String, INDArray> e : grads.entrySet()) {
      INDArray p = params.get(e.getKey());
      INDArray m = state.computeIfAbsent(e.getKey() + M, k -> zerosLike(p));
      INDArray v = state.computeIfAbsent(e.getKey() + V, k -> zerosLike(p));
      double decay = p.rank() >= 2 ? 1 - lr * cfg.weightDecay() : 1;
      if (Kernels.host(p.dataType())) {
        update(p, e.getValue(), m, v, (float) gradScale, (float) decay, (float) (lr / c1),
            (float) c2);
      } else {
        try (MemoryWorkspace ignored = Kernels.scope()) {
          INDArray g = e.getValue().mul(gradScale);
          m.muli(cfg.beta1()).addi(g.mul(1 - cfg.beta1()));
          v.muli(cfg.beta2()).addi(g.muli(g).muli(1 - cfg.beta2()));
          p.muli(decay);
          INDArray denom = Transforms.sqrt(v.div(c2), false).addi(cfg.eps());
          p.subi(m.div(denom).muli(lr / c1));
        }
      }
    }
  }

  private static INDArray zerosLike(INDArray p) {
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.zerosLike(p);
    }
  }

  /** The host path's fused update of one parameter. */
  private void update(INDArray param, INDArray grad, INDArray m1, INDArray m2, float scale,
      float decay, float stepSize, float c2) {
    FloatBuffer p = floats(param);
    FloatBuffer g = floats(grad);
    FloatBuffer m = floats(m1);
    FloatBuffer v = floats(m2);
    int n = (int) param.length();
    float b1 = (float) cfg.beta1();
    float b2 = (float) cfg.beta2();
    float eps = (float) cfg.eps();
    Kernels.parallel((n + CHUNK - 1) / CHUNK, c -> {
      int from = c * CHUNK;
      int len = Math.min(n, from + CHUNK) - from;
      float[] ps = Kernels.row(0, len);
      float[] gs = Kernels.row(1, len);
      float[] ms = Kernels.row(2, len);
      float[] vs = Kernels.row(3, len);
      p.get(from, ps, 0, len);
      g.get(from, gs, 0, len);
      m.get(from, ms, 0, len);
      v.get(from, vs, 0, len);
      for (int i = 0; i < len; i++) {
        float gi = gs[i] * scale;
        float mi = b1 * ms[i] + (1 - b1) * gi;
        float vi = b2 * vs[i] + (1 - b2) * gi * gi;
        ms[i] = mi;
        vs[i] = vi;
        ps[i] = ps[i] * decay - stepSize * mi / ((float) Math.sqrt(vi / c2) + eps);
      }
      p.put(from, ps, 0, len);
      m.put(from, ms, 0, len);
      v.put(from, vs, 0, len);
    });
  }

  /** Host views of the arrays this optimizer updates, made once per array. */
  private final Map<INDArray, FloatBuffer> views = new IdentityHashMap<>();

  private FloatBuffer floats(INDArray a) {
    return views.computeIfAbsent(a, x -> x.data().asNioFloat());
  }

  /**
   * The global L2 norm of {@code arrays}: on the host path, sums of squares over fixed pieces
   * added in order, the same at any thread count.
   */
  double norm(Collection<INDArray> arrays) {
    double sumSq = 0;
    for (INDArray a : arrays) {
      if (!Kernels.host(a.dataType())) {
        double n = a.norm2Number().doubleValue();
        sumSq += n * n;
        continue;
      }
      FloatBuffer b = floats(a);
      int n = (int) a.length();
      double[] part = new double[(n + CHUNK - 1) / CHUNK];
      Kernels.parallel(part.length, c -> {
        int from = c * CHUNK;
        int len = Math.min(n, from + CHUNK) - from;
        float[] xs = Kernels.row(0, len);
        b.get(from, xs, 0, len);
        for (int i = 0; i < len; i++) {
          xs[i] *= xs[i];
        }
        part[c] = Kernels.sum(xs, 0, len);
      });
      for (double s : part) {
        sumSq += s;
      }
    }
    return Math.sqrt(sumSq);
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
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        arrays.put(name, NdTensors.array(tensor, p.dataType()).reshape(p.shape()).dup('c'));
      }
    });
    t = steps;
    state.values().forEach(views::remove);
    state.values().forEach(INDArray::close);
    state.clear();
    state.putAll(arrays);
  }
}
