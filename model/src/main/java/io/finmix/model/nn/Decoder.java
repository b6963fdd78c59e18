package io.finmix.model.nn;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.io.HfWeights;
import io.finmix.model.io.NdTensors;
import io.finmix.model.io.Safetensors.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.api.ops.random.impl.UniformDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The decoder-only transformer of a {@link ModelConfig}, written as llm.c writes GPT-2: each
 * operation a small class with its forward and backward pass ({@link Embedding}, {@link
 * RmsNorm}/{@link LayerNorm}, {@link Linear} with LoRA {@link Linear.Adapter adapters}, {@link
 * Rotary}, {@link Attention}, {@link SwiGlu}/{@link GeluTanh}, {@link CrossEntropy}), the model a
 * loop over its {@link Block}s, every activation, gradient and scratch buffer allocated once per
 * batch shape and reused ({@link Buffers}), parameters and gradients updated in place.
 *
 * <p>Shapes: Llama, Qwen2 and Qwen3 (RMSNorm, rotary, SwiGLU; grouped-query attention, query and
 * key norms, qkv biases), GPT-2 (LayerNorm, learned positions, tanh-GELU, biases everywhere),
 * tied or separate output projection. Attention respects packing: a token sees the earlier
 * tokens of its own example only (a run of equal segment ids), so a packed row gives each
 * example exactly the logits it gets alone. The loss is the cross-entropy of integer labels,
 * weighted by the loss mask and averaged over the masked tokens.
 *
 * <p>With a {@link LoraConfig} the targeted projections carry low-rank adapters ({@code
 * ....q_proj.lora_A.weight} [rank, in], {@code lora_B.weight} [out, rank], PEFT's names); then
 * only the adapters are {@link #trainable()}, and {@link #mergedParameters()} folds them into
 * the base weights for export. Adapter dropout is seeded per step ({@link
 * #lossAndGradients(Batch, long)}), so a resumed run draws the same masks.
 *
 * <p>Parameter names follow Hugging Face's Llama layout ({@code model.layers.0.self_attn.q_proj
 * .weight}, weights [out, in]) so checkpoints map one to one. {@code float} and {@code double}
 * (gradient checks); {@code half} is refused. Not thread-safe: one caller at a time.
 */
public final class Decoder implements AutoCloseable {

  static final String EMBED = "model.embed_tokens.weight";
  static final String POSITIONS = "model.embed_positions.weight";
  static final String HEAD = "lm_head.weight";

  static final String LORA_A = ".lora_A.weight";
  static final String LORA_B = ".lora_B.weight";

  /**
   * The loss of a batch and the gradient of every trainable parameter; the arrays are the
   * model's own gradient buffers, overwritten by its next backward pass.
   */
  public record Gradients(double loss, Map<String, INDArray> byName) {}

  private final ModelConfig c;
  private final LoraConfig lora;
  private final DataType dt;
  private final Map<String, INDArray> params = new TreeMap<>();
  private final Map<String, INDArray> grads = new TreeMap<>();
  private final Embedding embedding;
  private final Block[] blocks;
  private final Normalization finalNorm;
  private final Mat head;
  private final Mat headGrad;
  private final Rotary rotary;
  private final Buffers buffers;

  /** A freshly initialised model (normal(0, 0.02) weights, unit norms, zero biases). */
  public Decoder(ModelConfig config, long seed) {
    this(config, null, seed);
  }

  /**
   * A freshly initialised model with adapters ({@code lora} null: none). The base weights are
   * those of {@code new Decoder(config, seed)}; the adapters draw from their own stream (A
   * uniform in ±1/sqrt(in), B zero, so training starts from the base model exactly).
   */
  public Decoder(ModelConfig config, LoraConfig lora, long seed) {
    this.c = config;
    this.lora = lora;
    this.dt = switch (config.dtype()) {
      case DOUBLE -> DataType.DOUBLE;
      case FLOAT -> DataType.FLOAT;
      case HALF -> throw new IllegalArgumentException("model config: dtype = half is not "
          + "supported by finmix's engine (use float, or double for gradient checks)");
    };
    this.buffers = new Buffers(dt);
    Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
    for (Map.Entry<String, long[]> e : HfWeights.shapes(config).entrySet()) {
      String name = e.getKey();
      INDArray p = Buffers.allocate(dt, e.getValue());
      if (name.endsWith(".bias")) {
        p.assign(0);
      } else if (p.rank() == 1) {
        p.assign(1); // norm weights
      } else {
        Nd4j.getExecutioner().exec(new GaussianDistribution(p, 0.0, 0.02), rng);
      }
      params.put(name, p);
    }
    Map<String, Linear.Adapter> adapters = new TreeMap<>();
    if (lora != null) {
      Random adapterRng = Nd4j.getRandomFactory().getNewRandomInstance(seed ^ 0x10AAL);
      int id = 0;
      for (int l = 0; l < c.layers(); l++) {
        for (String target : new TreeSet<>(lora.targets())) {
          String module = "model.layers." + l + "." + LoraConfig.MODULES.get(target);
          INDArray w = params.get(module + ".weight");
          if (w == null) {
            continue; // gate_proj of a GELU MLP
          }
          INDArray a = Buffers.allocate(dt, lora.rank(), w.size(1));
          double bound = 1 / Math.sqrt(w.size(1));
          Nd4j.getExecutioner().exec(new UniformDistribution(a, -bound, bound), adapterRng);
          INDArray b = Buffers.allocate(dt, w.size(0), lora.rank());
          params.put(module + LORA_A, a);
          params.put(module + LORA_B, b);
          adapters.put(module, new Linear.Adapter(Mat.of(a), Mat.of(b),
              Mat.of(grad(module + LORA_A)), Mat.of(grad(module + LORA_B)), lora.scale(),
              lora.dropout(), id++));
        }
      }
    }
    for (String name : params.keySet()) {
      if (lora == null || isAdapter(name)) {
        grad(name);
      }
    }
    this.rotary = c.positions() == Positions.ROPE ? new Rotary(c.headDim(), c.ropeTheta(), dt)
        : null;
    this.embedding = new Embedding(mat(params, EMBED), mat(params, POSITIONS),
        mat(grads, EMBED), mat(grads, POSITIONS));
    this.blocks = new Block[c.layers()];
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      blocks[l] = new Block(c, l, norm(p + "input_layernorm"),
          linear(p + "self_attn.q_proj", adapters), linear(p + "self_attn.k_proj", adapters),
          linear(p + "self_attn.v_proj", adapters),
          c.qkNorm() ? rms(p + "self_attn.q_norm") : null,
          c.qkNorm() ? rms(p + "self_attn.k_norm") : null,
          linear(p + "self_attn.o_proj", adapters), norm(p + "post_attention_layernorm"),
          params.containsKey(p + "mlp.gate_proj.weight") ? linear(p + "mlp.gate_proj", adapters)
              : null,
          linear(p + "mlp.up_proj", adapters), linear(p + "mlp.down_proj", adapters), rotary);
    }
    this.finalNorm = norm("model.norm");
    this.head = mat(params, c.tiedEmbeddings() ? EMBED : HEAD);
    this.headGrad = mat(grads, c.tiedEmbeddings() ? EMBED : HEAD);
  }

  /** The array {@code name} of {@code arrays} as a matrix, or null. */
  private static Mat mat(Map<String, INDArray> arrays, String name) {
    INDArray a = arrays.get(name);
    return a == null ? null : Mat.of(a);
  }

  /** The gradient buffer of {@code name}, allocated on first use. */
  private INDArray grad(String name) {
    return grads.computeIfAbsent(name, n -> Buffers.allocate(dt, params.get(n).shape()));
  }

  private Linear linear(String module, Map<String, Linear.Adapter> adapters) {
    return new Linear(module, mat(params, module + ".weight"), mat(params, module + ".bias"),
        mat(grads, module + ".weight"), mat(grads, module + ".bias"), adapters.get(module));
  }

  private Normalization norm(String module) {
    if (c.norm() == Norm.RMS) {
      return rms(module);
    }
    return new LayerNorm(mat(params, module + ".weight"), mat(params, module + ".bias"),
        mat(grads, module + ".weight"), mat(grads, module + ".bias"), c.normEps());
  }

  private RmsNorm rms(String module) {
    return new RmsNorm(mat(params, module + ".weight"), mat(grads, module + ".weight"),
        c.normEps());
  }

  public ModelConfig config() {
    return c;
  }

  /** The adapters, or null. */
  public LoraConfig lora() {
    return lora;
  }

  /** The names training updates: the adapters with LoRA, else every parameter. */
  public Set<String> trainable() {
    return new TreeSet<>(grads.keySet());
  }

  /** Whether a parameter name is a LoRA adapter's ({@code ....lora_A.weight}, {@code lora_B}). */
  public static boolean isAdapter(String name) {
    return name.endsWith(LORA_A) || name.endsWith(LORA_B);
  }

  /**
   * Sets parameters from {@code values} (converted to the model's dtype). Every base parameter
   * must be given; adapters all or none (none: they keep their initial values). A name the
   * model lacks or a shape that differs is an error naming it.
   */
  public void setParameters(Map<String, Tensor> values) {
    boolean anyAdapter = values.keySet().stream().anyMatch(Decoder::isAdapter);
    Map<String, INDArray> targets = parameters();
    targets.keySet().removeIf(n -> isAdapter(n) && !anyAdapter);
    assign(targets, values, "a parameter");
  }

  /** Sets the adapters alone, every one of them, from {@code values}; the base is untouched. */
  public void setAdapters(Map<String, Tensor> values) {
    assign(adapterParameters(), values, "an adapter");
  }

  private void assign(Map<String, INDArray> targets, Map<String, Tensor> values, String what) {
    for (String name : values.keySet()) {
      if (!targets.containsKey(name)) {
        throw new IllegalArgumentException("tensor '" + name + "' is not " + what + " of this "
            + "model");
      }
    }
    for (Map.Entry<String, INDArray> e : targets.entrySet()) {
      Tensor t = values.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' is missing");
      }
      if (!Arrays.equals(t.shape(), e.getValue().shape())) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape "
            + Arrays.toString(t.shape()) + ", the model needs "
            + Arrays.toString(e.getValue().shape()));
      }
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        INDArray value = NdTensors.array(t, dt);
        e.getValue().assign(value);
        value.close();
      }
    }
  }

  /** The adapters alone (live arrays), by name; empty without LoRA. */
  public Map<String, INDArray> adapterParameters() {
    Map<String, INDArray> out = new TreeMap<>(params);
    out.keySet().removeIf(n -> !isAdapter(n));
    return out;
  }

  /**
   * The base parameters with the adapters folded in ({@code W + scale B A}), as new arrays:
   * the model a plain {@code Decoder} of the same config computes. Without LoRA, copies.
   */
  public Map<String, INDArray> mergedParameters() {
    Map<String, INDArray> out = new TreeMap<>();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      String name = e.getKey();
      if (isAdapter(name)) {
        continue;
      }
      INDArray w = e.getValue().dup();
      String module = name.substring(0, name.length() - ".weight".length());
      INDArray a = params.get(module + LORA_A);
      if (a != null) {
        w.addi(params.get(module + LORA_B).mmul(a).muli(lora.scale()));
      }
      out.put(name, w);
    }
    return out;
  }

  /** Every parameter by name, the live arrays (changing one changes the model). */
  public Map<String, INDArray> parameters() {
    return new TreeMap<>(params);
  }

  // ---------------------------------------------------------------- training and scoring

  /** A batch flattened to tokens: ids, positions, attention spans, loss rows and weights. */
  private record Plan(int n, int[] ids, int[] positions, Attention.Spans spans, int[] lossRows,
      int[] labels, float[] weights, float[] mask) {}

  private Plan plan(Batch batch) {
    int rows = batch.rows();
    int t = batch.seqLen();
    int n = rows * t;
    int[] ids = new int[n];
    int[] pos = new int[n];
    int[] start = new int[n];
    int[] length = new int[n];
    int spans = 0;
    int[] lossRows = new int[n];
    int[] lossSpan = new int[n];
    double[] spanMask = new double[n];
    int m = 0;
    double count = 0;
    for (int r = 0; r < rows; r++) {
      int[] seg = batch.segments()[r];
      int rowSpans = spans;
      for (int i = 0; i < t; i++) {
        int k = r * t + i;
        ids[k] = batch.ids()[r][i];
        pos[k] = batch.positions()[r][i];
        if (ids[k] < 0 || ids[k] >= c.vocabSize()) {
          throw new IllegalArgumentException("token id " + ids[k] + " is outside the vocabulary ("
              + c.vocabSize() + ")");
        }
        if (c.positions() == Positions.LEARNED && (pos[k] < 0 || pos[k] >= c.maxSeqLen())) {
          throw new IllegalArgumentException("position " + pos[k] + " is past max_seq_len "
              + c.maxSeqLen());
        }
        if (i == 0 || seg[i] != seg[i - 1]) {
          for (int s2 = rowSpans; s2 < spans; s2++) {
            if (seg[start[s2] - r * t] == seg[i]) {
              throw new IllegalArgumentException("batch row " + r + ": segment " + seg[i]
                  + " is split in two (an example's tokens must be contiguous)");
            }
          }
          start[spans] = k;
          spans++;
        }
        length[spans - 1]++;
        int mask = batch.lossMask()[r][i];
        if (mask != 0) {
          lossSpan[m] = spans - 1;
          lossRows[m++] = k;
          count += mask;
          spanMask[spans - 1] += mask;
        }
      }
    }
    int[] rowsWithLoss = Arrays.copyOf(lossRows, m);
    int examples = 0;
    for (int s = 0; s < spans; s++) {
      examples += spanMask[s] > 0 ? 1 : 0;
    }
    int[] labels = new int[m];
    float[] weights = new float[m];
    float[] mask = new float[m];
    for (int j = 0; j < m; j++) {
      int k = rowsWithLoss[j];
      labels[j] = batch.labels()[k / t][k % t];
      mask[j] = batch.lossMask()[k / t][k % t];
      // the token mean, or the mean over examples of each one's token mean
      weights[j] = (float) (batch.perExample() ? mask[j] / (spanMask[lossSpan[j]] * examples)
          : mask[j] / Math.max(1, count));
    }
    return new Plan(n, ids, pos, Attention.Spans.of(start, length, spans), rowsWithLoss, labels,
        weights, mask);
  }

  /**
   * The forward pass of {@code n} tokens through the blocks: the final residual [n, hidden].
   * With {@code keep}, every block keeps its activations for a backward pass.
   */
  private Mat blocks(int[] ids, int[] positions, int n, Attention.Spans spans, KvCache cache,
      boolean keep, Long dropoutSeed) {
    Mat x = buffers.mat(keep ? "x.0" : "x", n, c.hidden());
    embedding.forward(ids, positions, x);                         // [n] -> [n, hidden]
    if (rotary != null) {
      rotary.prepare(positions, n, buffers);
    }
    for (int l = 0; l < blocks.length; l++) {
      Mat out = keep ? buffers.mat("x." + (l + 1), n, c.hidden()) : x;
      blocks[l].forward(new Pass(buffers, keep ? l : 0, dropoutSeed), x, out, spans, cache);
      x = out;
    }
    return x;
  }

  /** The logits of rows {@code rows} of the final residual: final norm, output projection. */
  private Mat logitsOf(Mat x, int[] rows, int m) {
    Mat xg = buffers.mat("head.x", m, c.hidden());
    Ops.gatherRows(x, rows, xg);
    Mat xf = buffers.mat("head.xf", m, c.hidden());
    finalNorm.forward(xg, xf, buffers.mat("head.st", m, 2));
    Mat logits = buffers.mat("logits", m, c.vocabSize());          // [m, hidden] -> [m, vocab]
    Gemm.abt(xf, head, logits, 0);
    return logits;
  }

  /** Per-row losses of the plan's loss rows, and, with {@code grad}, the logits' gradient. */
  private double[] losses(Plan p, boolean keep, Long dropoutSeed, boolean grad) {
    Mat x = blocks(p.ids(), p.positions(), p.n(), p.spans(), null, keep, dropoutSeed);
    int m = p.lossRows().length;
    double[] out = new double[m];
    if (m > 0) {
      CrossEntropy.apply(logitsOf(x, p.lossRows(), m), p.labels(), grad ? p.weights() : null,
          out);
    }
    return out;
  }

  /** The batch's loss: the mean cross-entropy over its masked tokens, or its examples. */
  public double loss(Batch batch) {
    Plan p = plan(batch);
    double[] l = losses(p, false, null, false);
    double sum = 0;
    for (int j = 0; j < l.length; j++) {
      sum += p.weights()[j] * l[j];
    }
    return sum;
  }

  /** Each token's cross-entropy times its loss mask, [rows, seq]. */
  public INDArray tokenLosses(Batch batch) {
    Plan p = plan(batch);
    double[] l = losses(p, false, null, false);
    double[] out = new double[p.n()];
    for (int j = 0; j < l.length; j++) {
      out[p.lossRows()[j]] = l[j] * p.mask()[j];
    }
    return Nd4j.createFromArray(out).castTo(dt).reshape(batch.rows(), batch.seqLen());
  }

  /** Logits, [rows, seq, vocab] (a new array). */
  public INDArray logits(Batch batch) {
    Plan p = plan(batch);
    Mat x = blocks(p.ids(), p.positions(), p.n(), p.spans(), null, false, null);
    int[] all = new int[p.n()];
    Arrays.setAll(all, i -> i);
    Mat logits = logitsOf(x, all, p.n());
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return logits.nd().dup('c').reshape(batch.rows(), batch.seqLen(), c.vocabSize());
    }
  }

  /** The gradient of {@link #loss} with respect to every trainable parameter, by name. */
  public Map<String, INDArray> gradients(Batch batch) {
    return compute(batch, null).byName();
  }

  /**
   * The loss and the gradient of every {@link #trainable()} parameter, adapter dropout (if any)
   * drawn from {@code dropoutSeed}: one forward and one backward pass.
   */
  public Gradients lossAndGradients(Batch batch, long dropoutSeed) {
    return compute(batch, dropoutSeed);
  }

  private Gradients compute(Batch batch, Long dropoutSeed) {
    Plan p = plan(batch);
    int m = p.lossRows().length;
    int n = p.n();
    double[] l = losses(p, true, dropoutSeed, true);
    double loss = 0;
    for (int j = 0; j < m; j++) {
      loss += p.weights()[j] * l[j];
    }
    // head: dxf = dlogits W, dW = dlogits^T xf; final norm; rows back into place
    Mat dlogits = buffers.mat("logits", m, c.vocabSize());
    Mat dxf = buffers.mat("d.xf", m, c.hidden());
    Gemm.mm(dlogits, false, head, false, dxf, 1, 0);
    if (headGrad != null) {
      Gemm.mm(dlogits, true, buffers.mat("head.xf", m, c.hidden()), false, headGrad, 1, 0);
    }
    Mat dxg = buffers.mat("d.xg", m, c.hidden());
    finalNorm.backward(dxf, buffers.mat("head.x", m, c.hidden()), buffers.mat("head.st", m, 2),
        dxg, false);
    Mat dx = buffers.mat("d.x", n, c.hidden());
    Ops.zero(dx);
    Ops.scatterRows(dxg, p.lossRows(), dx);
    for (int l2 = blocks.length - 1; l2 >= 0; l2--) {
      Mat x = buffers.mat("x." + l2, n, c.hidden());
      blocks[l2].backward(new Pass(buffers, l2, dropoutSeed), x, dx, p.spans());
    }
    embedding.backward(dx, p.ids(), p.positions(), c.tiedEmbeddings() && headGrad != null);
    return new Gradients(loss, Collections.unmodifiableMap(grads));
  }

  // ---------------------------------------------------------------- incremental decoding

  /** A key/value cache of {@code slots} sequences of up to {@code capacity} tokens. */
  public KvCache newCache(int slots, int capacity) {
    if (c.positions() == Positions.LEARNED && capacity > c.maxSeqLen()) {
      capacity = c.maxSeqLen();
    }
    return new KvCache(c, slots, capacity, dt);
  }

  /**
   * Reads {@code tokens.get(s)} after what slot {@code slots[s]} of {@code cache} holds,
   * appending them to it, and returns the logits of the last {@code wanted[s]} tokens of each
   * (those of sequence 0 first), [sum of wanted, vocab]: a view of the model's buffer, valid
   * until its next call.
   */
  public INDArray extend(KvCache cache, int[] slots, List<int[]> tokens, int[] wanted) {
    int count = slots.length;
    if (tokens.size() != count || wanted.length != count) {
      throw new IllegalArgumentException(count + " slots, " + tokens.size() + " token lists and "
          + wanted.length + " wanted counts");
    }
    int n = 0;
    int m = 0;
    Set<Integer> distinct = new TreeSet<>();
    for (int s = 0; s < count; s++) {
      int len = tokens.get(s).length;
      if (!distinct.add(slots[s])) {
        throw new IllegalArgumentException("slot " + slots[s] + " is extended twice");
      }
      if (len == 0 || wanted[s] < 0 || wanted[s] > len) {
        throw new IllegalArgumentException("sequence " + s + ": " + len + " tokens, "
            + wanted[s] + " logits wanted");
      }
      if (cache.length(slots[s]) + len > cache.capacity()) {
        throw new IllegalArgumentException("slot " + slots[s] + " holds "
            + cache.length(slots[s]) + " tokens: " + len + " more pass the cache's capacity of "
            + cache.capacity());
      }
      n += len;
      m += wanted[s];
    }
    int[] ids = new int[n];
    int[] pos = new int[n];
    int[] start = new int[count];
    int[] length = new int[count];
    int[] keyStart = new int[count];
    int[] prefix = new int[count];
    int[] rows = new int[m];
    int k = 0;
    int r = 0;
    for (int s = 0; s < count; s++) {
      int[] t = tokens.get(s);
      start[s] = k;
      length[s] = t.length;
      keyStart[s] = cache.firstRow(slots[s]);
      prefix[s] = cache.length(slots[s]);
      for (int i = 0; i < t.length; i++, k++) {
        if (t[i] < 0 || t[i] >= c.vocabSize()) {
          throw new IllegalArgumentException("token id " + t[i] + " is outside the vocabulary ("
              + c.vocabSize() + ")");
        }
        ids[k] = t[i];
        pos[k] = prefix[s] + i;
        if (i >= t.length - wanted[s]) {
          rows[r++] = k;
        }
      }
    }
    Mat x = blocks(ids, pos, n, new Attention.Spans(start, length, keyStart, prefix, count),
        cache, false, null);
    for (int s = 0; s < count; s++) {
      cache.grow(slots[s], length[s]);
    }
    return m == 0 ? Nd4j.create(dt, 0, c.vocabSize()) : logitsOf(x, rows, m).nd();
  }

  /** Bytes of activation and scratch buffers held (parameters, gradients apart). */
  public long bufferBytes() {
    return buffers.bytes();
  }

  /** Frees the activation and scratch buffers now (they are allocated again when needed). */
  @Override
  public void close() {
    buffers.close();
  }
}
