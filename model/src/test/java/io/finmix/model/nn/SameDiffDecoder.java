package io.finmix.model.nn;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.io.NdTensors;
import io.finmix.model.io.Safetensors.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SameDiff decoder finmix trained with until 2026-12, kept in the tests as a second oracle
 * for the explicit engine's gradients (same weights, same batch) until it is deleted.
 *
 * <p>The decoder-only transformer of a {@link ModelConfig}, as one SameDiff graph: RMSNorm or
 * LayerNorm, rotary or learned positions, grouped-query attention (query heads grouped per
 * key/value head, keys and values never repeated), optional per-head query/key norms, biases
 * (none, qkv, all), SwiGLU or tanh-GELU MLP, tied or separate output projection.
 *
 * <p>Attention respects packing: token i attends to token j only inside its own example
 * (same segment id) and only backwards ({@code pos_j <= pos_i}, positions restarting per
 * example), so a packed row gives each example exactly the logits it gets alone.
 *
 * <p>The loss is token cross-entropy from integer labels, weighted by the loss mask and
 * averaged over the masked tokens; labels are never one-hot data (the graph expands them next
 * to the logits, the size of the logits' own gradient). The token and position tables are
 * looked up on the host and their gradients summed on the host ({@code gather}'s gradient in
 * DL4J 1.0.0-M2.1 overwrites repeated rows instead of adding them).
 *
 * <p>With a {@link LoraConfig} the targeted projections carry low-rank adapters ({@code
 * ....q_proj.lora_A.weight} [rank, in], {@code lora_B.weight} [out, rank], PEFT's names); then
 * only the adapters are {@link #trainable()}, and {@link #mergedParameters()} folds them into
 * the base weights for export. Adapter dropout masks come from the host, seeded per step
 * ({@link #lossAndGradients(Batch, long)}), so a resumed run draws the same masks.
 *
 * <p>Parameter names follow Hugging Face's Llama layout ({@code model.layers.0.self_attn.q_proj
 * .weight}, weights [out, in]) so checkpoints map one to one. Not thread-safe.
 */
public final class SameDiffDecoder {

  static final String EMBED = "model.embed_tokens.weight";
  static final String POSITIONS = "model.embed_positions.weight";
  static final String HEAD = "lm_head.weight";

  static final String LORA_A = ".lora_A.weight";
  static final String LORA_B = ".lora_B.weight";
  private static final String DROPOUT = ".lora_dropout";

  /** The loss of a batch and the gradient of every trainable parameter. */
  public record Gradients(double loss, Map<String, INDArray> byName) {}

  private final ModelConfig c;
  private final LoraConfig lora;
  private final DataType dt;
  /** Adapter dropout placeholders and their widths, in build order. */
  private final Map<String, Integer> dropoutInputs = new LinkedHashMap<>();
  private final SameDiff sd;
  private final INDArray embed;
  private final INDArray positionTable;
  private boolean gradFunction;

  /** The graph, for tests of how it runs. */
  SameDiff graph() {
    return sd;
  }

  /** A freshly initialised model (normal(0, 0.02) weights, unit norms, zero biases). */
  public SameDiffDecoder(ModelConfig config, long seed) {
    this(config, null, seed);
  }

  /**
   * A freshly initialised model with adapters ({@code lora} null: none). The base weights are
   * those of {@code new Decoder(config, seed)}; the adapters draw from their own stream.
   */
  public SameDiffDecoder(ModelConfig config, LoraConfig lora, long seed) {
    this.c = config;
    this.lora = lora;
    this.dt = switch (config.dtype()) {
      case DOUBLE -> DataType.DOUBLE;
      case HALF -> DataType.HALF;
      case FLOAT -> DataType.FLOAT;
    };
    Nd4j.getRandom().setSeed(seed);
    this.sd = SameDiff.create();
    INDArray table = weight(c.vocabSize(), c.hidden());
    this.embed = c.tiedEmbeddings() ? sd.var(EMBED, table).getArr() : table;
    this.positionTable = c.positions() == Positions.LEARNED
        ? weight(c.maxSeqLen(), c.hidden()) : null;
    build();
    if (lora != null) {
      Random adapters = Nd4j.getRandomFactory().getNewRandomInstance(seed ^ 0x10AAL);
      for (Map.Entry<String, INDArray> e : parameters().entrySet()) {
        if (e.getKey().endsWith(LORA_A)) {
          INDArray a = e.getValue();
          double bound = 1 / Math.sqrt(a.size(1));
          a.assign(Nd4j.rand(0.0, 1.0, adapters, a.shape()).castTo(dt).muli(2 * bound).subi(bound));
        }
      }
    }
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
    return new TreeSet<>((lora == null ? parameters() : adapterParameters()).keySet());
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
    boolean anyAdapter = values.keySet().stream().anyMatch(SameDiffDecoder::isAdapter);
    Map<String, INDArray> params = parameters();
    params.keySet().removeIf(n -> isAdapter(n) && !anyAdapter);
    assign(params, values, "a parameter");
  }

  /** Sets the adapters alone, every one of them, from {@code values}; the base is untouched. */
  public void setAdapters(Map<String, Tensor> values) {
    assign(adapterParameters(), values, "an adapter");
  }

  /** {@code targets} from {@code values}: the same names, the same shapes. */
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
      e.getValue().assign(NdTensors.array(t, dt));
    }
  }

  /** The adapters alone (live arrays), by name; empty without LoRA. */
  public Map<String, INDArray> adapterParameters() {
    Map<String, INDArray> out = new TreeMap<>(parameters());
    out.keySet().removeIf(n -> !isAdapter(n));
    return out;
  }

  /**
   * The base parameters with the adapters folded in ({@code W + scale B A}), as new arrays:
   * the model a plain {@code Decoder} of the same config computes. Without LoRA, copies.
   */
  public Map<String, INDArray> mergedParameters() {
    Map<String, INDArray> all = parameters();
    Map<String, INDArray> out = new TreeMap<>();
    for (Map.Entry<String, INDArray> e : all.entrySet()) {
      String name = e.getKey();
      if (isAdapter(name)) {
        continue;
      }
      INDArray w = e.getValue().dup();
      String module = name.substring(0, name.length() - ".weight".length());
      INDArray a = all.get(module + LORA_A);
      if (a != null) {
        w.addi(all.get(module + LORA_B).mmul(a).muli(lora.scale()));
      }
      out.put(name, w);
    }
    return out;
  }

  /** Every parameter by name, the live arrays (changing one changes the model). */
  public Map<String, INDArray> parameters() {
    Map<String, INDArray> out = new TreeMap<>();
    for (SDVariable v : sd.variables()) {
      if (v.getVariableType() == VariableType.VARIABLE) {
        out.put(v.name(), v.getArr());
      }
    }
    out.put(EMBED, embed);
    if (positionTable != null) {
      out.put(POSITIONS, positionTable);
    }
    return out;
  }

  private INDArray weight(long rows, long cols) {
    return Nd4j.randn(dt, rows, cols).muli(0.02);
  }

  private void build() {
    int h = c.hidden();
    int hd = c.headDim();
    SDVariable tokens = sd.placeHolder("tokens", dt, -1, h);
    SDVariable pos = sd.placeHolder("pos", DataType.INT, -1, -1);
    SDVariable seg = sd.placeHolder("seg", DataType.INT, -1, -1);
    SDVariable labels = sd.placeHolder("labels", DataType.INT, -1);
    SDVariable lossMask = sd.placeHolder("loss_mask", DataType.INT, -1);
    SDVariable x = tokens;
    if (positionTable != null) {
      x = x.add(sd.placeHolder("position_rows", dt, -1, h));
    }
    SDVariable bt = sd.shape(seg).castTo(DataType.LONG);
    SDVariable b = sd.slice(bt, new int[] {0}, new int[] {1});
    SDVariable t = sd.slice(bt, new int[] {1}, new int[] {1});

    // token i may see token j: same example, not later in it; as an additive bias [B,1,T,T]
    SDVariable same = sd.eq(sd.expandDims(seg, 2), sd.expandDims(seg, 1));
    SDVariable notLater = sd.lte(sd.expandDims(pos, 1), sd.expandDims(pos, 2));
    SDVariable bias = sd.expandDims(sd.math.and(same, notLater).castTo(dt).sub(1.0).mul(1e9), 1);

    SDVariable cos = null;
    SDVariable sin = null;
    SDVariable rotate = null;
    if (c.positions() == Positions.ROPE) {
      double[] inv = new double[hd];
      for (int i = 0; i < hd / 2; i++) {
        inv[i] = inv[i + hd / 2] = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / hd);
      }
      SDVariable angles = sd.reshape(pos, -1, 1).castTo(dt)
          .mul(sd.constant("rope_inv_freq", Nd4j.createFromArray(inv).castTo(dt).reshape(1, hd)));
      cos = sd.reshape(sd.math.cos(angles), -1, 1, hd);
      sin = sd.reshape(sd.math.sin(angles), -1, 1, hd);
      // rotate_half(v) = [-v2, v1] = v @ R
      INDArray r = Nd4j.zeros(dt, hd, hd);
      for (int i = 0; i < hd / 2; i++) {
        r.putScalar(i + hd / 2, i, -1.0);
        r.putScalar(i, i + hd / 2, 1.0);
      }
      rotate = sd.constant("rope_rotate", r);
    }

    int heads = c.heads();
    int kv = c.kvHeads();
    boolean qkvBias = c.biases() != Biases.NONE;
    boolean allBias = c.biases() == Biases.ALL;
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      SDVariable in = norm(p + "input_layernorm", x, h);
      SDVariable q = sd.reshape(linear(p + "self_attn.q_proj", in, h, heads * hd, qkvBias),
          -1, heads, hd);
      SDVariable k = sd.reshape(linear(p + "self_attn.k_proj", in, h, kv * hd, qkvBias),
          -1, kv, hd);
      SDVariable v = linear(p + "self_attn.v_proj", in, h, kv * hd, qkvBias);
      if (c.qkNorm()) {
        q = rms(p + "self_attn.q_norm", q, hd, 2);
        k = rms(p + "self_attn.k_norm", k, hd, 2);
      }
      if (rotate != null) {
        q = rope(q, cos, sin, rotate, heads, hd);
        k = rope(k, cos, sin, rotate, kv, hd);
      }
      // [N,h,hd] -> [B,h,T,hd]; the g query heads of one kv head side by side along time
      SDVariable q4 = sd.permute(sd.reshape(q, cat(b, t, dims(heads, hd))), 0, 2, 1, 3);
      SDVariable k4 = sd.permute(sd.reshape(k, cat(b, t, dims(kv, hd))), 0, 2, 1, 3);
      SDVariable v4 = sd.permute(sd.reshape(v, cat(b, t, dims(kv, hd))), 0, 2, 1, 3);
      SDVariable scores = sd.mmul(sd.reshape(q4, cat(b, dims(kv, -1, hd))), k4, false, true,
          false).mul(1.0 / Math.sqrt(hd));
      SDVariable att = sd.nn.softmax(sd.reshape(scores, cat(b, dims(heads), t, t)).add(bias), 3);
      SDVariable o = sd.mmul(sd.reshape(att, cat(b, dims(kv, -1), t)), v4);
      o = sd.reshape(sd.permute(sd.reshape(o, cat(b, dims(heads), t, dims(hd))), 0, 2, 1, 3),
          -1, heads * hd);
      x = x.add(linear(p + "self_attn.o_proj", o, heads * hd, h, allBias));
      SDVariable in2 = norm(p + "post_attention_layernorm", x, h);
      SDVariable up = linear(p + "mlp.up_proj", in2, h, c.mlpHidden(), allBias);
      SDVariable act = c.mlp() == Mlp.SWIGLU
          ? sd.nn.swish(linear(p + "mlp.gate_proj", in2, h, c.mlpHidden(), allBias)).mul(up)
          : geluTanh(up);
      x = x.add(linear(p + "mlp.down_proj", act, c.mlpHidden(), h, allBias));
    }
    x = norm("model.norm", x, h);
    SDVariable head = c.tiedEmbeddings() ? sd.getVariable(EMBED)
        : sd.var(HEAD, weight(c.vocabSize(), h));
    SDVariable logits = sd.mmul(x, head, false, true, false).rename("logits");

    SDVariable m = lossMask.castTo(dt);
    SDVariable count = sd.math.max(m.sum(), sd.constant(Nd4j.scalar(dt, 1.0)));
    SDVariable oneHot = sd.oneHot(labels, c.vocabSize(), -1, 1.0, 0.0, dt);
    SDVariable loss = sd.loss.softmaxCrossEntropy("loss", oneHot, logits, m.div(count),
        LossReduce.SUM, 0.0);
    sd.reshape("token_loss", sd.sum(sd.nn.logSoftmax(logits).mul(oneHot), true, 1).neg()
        .mul(sd.reshape(m, -1, 1)), -1);
    sd.setLossVariables(loss);
  }

  private SDVariable dims(long... v) {
    return sd.constant(Nd4j.createFromArray(v));
  }

  private SDVariable cat(SDVariable... parts) {
    return sd.concat(0, parts);
  }

  private SDVariable norm(String name, SDVariable x, int width) {
    if (c.norm() == Norm.RMS) {
      return rms(name, x, width, 1);
    }
    SDVariable centred = x.sub(sd.mean(x, true, 1));
    SDVariable var = sd.mean(centred.mul(centred), true, 1);
    return centred.mul(sd.math.rsqrt(var.add(c.normEps())))
        .mul(sd.var(name + ".weight", Nd4j.ones(dt, width)))
        .add(sd.var(name + ".bias", Nd4j.zeros(dt, width)));
  }

  private SDVariable rms(String name, SDVariable x, int width, int dim) {
    SDVariable meanSquare = sd.mean(x.mul(x), true, dim);
    return x.mul(sd.math.rsqrt(meanSquare.add(c.normEps())))
        .mul(sd.var(name + ".weight", Nd4j.ones(dt, width)));
  }

  private SDVariable linear(String name, SDVariable x, int in, int out, boolean withBias) {
    SDVariable y = sd.mmul(x, sd.var(name + ".weight", weight(out, in)), false, true, false);
    if (lora != null && lora.adapts(name.substring(name.indexOf('.', "model.layers.".length())
        + 1))) {
      SDVariable dropped = x;
      if (lora.dropout() > 0) {
        dropped = x.mul(sd.placeHolder(name + DROPOUT, dt, -1, in));
        dropoutInputs.put(name + DROPOUT, in);
      }
      SDVariable a = sd.var(name + LORA_A, Nd4j.zeros(dt, lora.rank(), in));
      SDVariable b = sd.var(name + LORA_B, Nd4j.zeros(dt, out, lora.rank()));
      y = y.add(sd.mmul(sd.mmul(dropped, a, false, true, false), b, false, true, false)
          .mul(lora.scale()));
    }
    return withBias ? y.add(sd.var(name + ".bias", Nd4j.zeros(dt, out))) : y;
  }

  private SDVariable rope(SDVariable x, SDVariable cos, SDVariable sin, SDVariable rotate,
      int heads, int hd) {
    SDVariable rotated = sd.reshape(sd.mmul(sd.reshape(x, -1, hd), rotate), -1, heads, hd);
    return x.mul(cos).add(rotated.mul(sin));
  }

  private SDVariable geluTanh(SDVariable x) {
    SDVariable inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(sd.math.tanh(inner).add(1.0));
  }

  /**
   * The placeholders of a batch: table rows looked up here, masks and labels flattened; adapter
   * dropout masks drawn from {@code dropoutSeed}, or all ones when it is null (no dropout).
   */
  private Map<String, INDArray> feed(Batch batch, Long dropoutSeed) {
    Sessions.keepCurrentThreadOnly(sd);
    Sessions.keepCurrentThreadOnly(sd.getFunction("grad"));
    int n = batch.rows() * batch.seqLen();
    int[] ids = flat(batch.ids(), n);
    for (int id : ids) {
      if (id < 0 || id >= c.vocabSize()) {
        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary ("
            + c.vocabSize() + ")");
      }
    }
    Map<String, INDArray> ph = new HashMap<>();
    ph.put("tokens", embed.getRows(ids));
    if (positionTable != null) {
      int[] pos = flat(batch.positions(), n);
      for (int p : pos) {
        if (p >= c.maxSeqLen()) {
          throw new IllegalArgumentException("position " + p + " is past max_seq_len "
              + c.maxSeqLen());
        }
      }
      ph.put("position_rows", positionTable.getRows(pos));
    }
    ph.put("pos", Nd4j.createFromArray(batch.positions()));
    ph.put("seg", Nd4j.createFromArray(batch.segments()));
    ph.put("labels", Nd4j.createFromArray(flat(batch.labels(), n)));
    ph.put("loss_mask", Nd4j.createFromArray(flat(batch.lossMask(), n)));
    Random rng = dropoutSeed == null ? null
        : Nd4j.getRandomFactory().getNewRandomInstance(dropoutSeed);
    Map<Integer, INDArray> ones = new HashMap<>();
    dropoutInputs.forEach((name, width) -> {
      if (rng == null) {
        ph.put(name, ones.computeIfAbsent(width, w -> Nd4j.ones(dt, n, w)));
      } else {
        double keep = 1 - lora.dropout();
        ph.put(name, Nd4j.rand(0.0, 1.0, rng, n, width).lt(keep).castTo(dt)
            .divi(keep));
      }
    });
    return ph;
  }

  private static int[] flat(int[][] a, int n) {
    int[] out = new int[n];
    int k = 0;
    for (int[] row : a) {
      System.arraycopy(row, 0, out, k, row.length);
      k += row.length;
    }
    return out;
  }

  /** The mean cross-entropy over the batch's masked tokens. */
  public double loss(Batch batch) {
    return sd.output(feed(batch, null), "loss").get("loss").getDouble(0);
  }

  /** Each token's cross-entropy times its loss mask, [rows, seq]. */
  public INDArray tokenLosses(Batch batch) {
    return sd.output(feed(batch, null), "token_loss").get("token_loss")
        .reshape(batch.rows(), batch.seqLen());
  }

  /** Logits, [rows, seq, vocab]. */
  public INDArray logits(Batch batch) {
    return sd.output(feed(batch, null), "logits").get("logits")
        .reshape(batch.rows(), batch.seqLen(), c.vocabSize());
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

  private static final Object STDOUT = new Object();

  static {
    Sessions.install();
  }

  /**
   * SameDiff's createGradFunction prints a line per differentiated op ("Added differentiated op
   * ...") to stdout, hundreds of lines where a command's results go; they are dropped.
   */
  private void createGradFunction(String[] inputs) {
    synchronized (STDOUT) {
      java.io.PrintStream out = System.out;
      System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
      try {
        sd.createGradFunction(inputs);
      } finally {
        System.setOut(out);
      }
    }
  }

  private Gradients compute(Batch batch, Long dropoutSeed) {
    boolean tables = lora == null;
    List<String> inputs = new ArrayList<>();
    if (tables) {
      inputs.add("tokens");
      if (positionTable != null) {
        inputs.add("position_rows");
      }
    }
    if (!gradFunction) {
      createGradFunction(inputs.toArray(new String[0]));
      gradFunction = true;
    }
    Map<String, INDArray> ph = feed(batch, dropoutSeed);
    List<String> wanted = new ArrayList<>(inputs);
    Set<String> trainable = trainable();
    for (SDVariable v : sd.variables()) {
      if (v.getVariableType() == VariableType.VARIABLE && trainable.contains(v.name())) {
        wanted.add(v.name());
      }
    }
    var out = sd.calculateGradientsAndOutputs(ph, List.of("loss"), wanted);
    Map<String, INDArray> g = new TreeMap<>(out.getGradients());
    if (tables) {
      int n = batch.rows() * batch.seqLen();
      INDArray tokenGrad = scatterAdd(embed, flat(batch.ids(), n), g.remove("tokens"));
      g.merge(EMBED, tokenGrad, INDArray::add);
      if (positionTable != null) {
        g.put(POSITIONS, scatterAdd(positionTable, flat(batch.positions(), n),
            g.remove("position_rows")));
      }
    }
    return new Gradients(out.getOutputs().get("loss").getDouble(0), g);
  }

  /**
   * Rows of {@code table}'s shape with {@code rows[i]} += {@code updates[i]}, summed on the host
   * in index order: deterministic, where a parallel scatter-add sums a repeated row's updates in
   * whatever order its threads run (and a resumed run would drift from the original in the
   * last bits).
   */
  private static INDArray scatterAdd(INDArray table, int[] rows, INDArray updates) {
    int width = (int) table.size(1);
    if (table.dataType() == DataType.DOUBLE) {
      double[] u = updates.dup('c').data().asDouble();
      double[] out = new double[(int) table.length()];
      for (int i = 0; i < rows.length; i++) {
        int at = rows[i] * width;
        for (int j = 0; j < width; j++) {
          out[at + j] += u[i * width + j];
        }
      }
      return Nd4j.create(out, table.shape(), 'c');
    }
    float[] u = updates.castTo(DataType.FLOAT).dup('c').data().asFloat();
    float[] out = new float[(int) table.length()];
    for (int i = 0; i < rows.length; i++) {
      int at = rows[i] * width;
      for (int j = 0; j < width; j++) {
        out[at + j] += u[i * width + j];
      }
    }
    return Nd4j.create(out, table.shape(), 'c').castTo(table.dataType());
  }
}
