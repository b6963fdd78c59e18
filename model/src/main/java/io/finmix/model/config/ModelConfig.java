package io.finmix.model.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The shape of a decoder-only transformer, immutable and checked: vocabulary, width, layers,
 * attention heads and key/value heads (grouped-query attention when fewer), the head width
 * (hidden / heads unless set, as Qwen3 sets it), per-head query/key norms, biases, MLP width, norm,
 * MLP kind, positions, tied embeddings, longest sequence and dtype. Presets live in
 * {@code conf/models.conf}; a checkpoint stores its config as JSON ({@link #toJson}).
 */
public record ModelConfig(int vocabSize, int hidden, int layers, int heads, int kvHeads,
    int headDim, boolean qkNorm, Biases biases, int mlpHidden, Norm norm, Mlp mlp, Positions positions,
    boolean tiedEmbeddings, int maxSeqLen, DType dtype, double ropeTheta, double normEps)
    implements Serializable {

  /** RMSNorm (Llama) or LayerNorm with bias (GPT-2). */
  public enum Norm { RMS, LAYER }

  /** Biases: none (Llama), on the query/key/value projections (Qwen2), or everywhere (GPT-2). */
  public enum Biases { NONE, QKV, ALL }

  /** SwiGLU (gate, up, down) or GELU, tanh approximation (up, down). */
  public enum Mlp { SWIGLU, GELU }

  /** Rotary embeddings in attention, or a learned position table added to the input. */
  public enum Positions { ROPE, LEARNED }

  /** Parameter and activation type: float; half where the backend allows; double for checks. */
  public enum DType { FLOAT, HALF, DOUBLE }

  static final Set<String> KEYS = Set.of("vocab_size", "hidden", "layers", "heads", "kv_heads",
      "head_dim", "qk_norm", "biases", "mlp_hidden", "norm", "mlp", "positions", "tied_embeddings", "max_seq_len", "dtype",
      "rope_theta", "norm_eps", "description");

  public ModelConfig {
    require(vocabSize >= 2, "vocab_size", vocabSize, "at least 2");
    require(hidden >= 1, "hidden", hidden, "positive");
    require(layers >= 1, "layers", layers, "positive");
    require(heads >= 1, "heads", heads, "positive");
    require(headDim >= 1, "head_dim", headDim, "positive");
    require(kvHeads >= 1 && heads % kvHeads == 0, "kv_heads", kvHeads,
        "a positive divisor of heads (" + heads + ")");
    require(mlpHidden >= 1, "mlp_hidden", mlpHidden, "positive");
    require(maxSeqLen >= 1, "max_seq_len", maxSeqLen, "positive");
    require(positions != Positions.ROPE || headDim % 2 == 0, "head_dim", headDim,
        "even for rope");
    require(ropeTheta > 0, "rope_theta", ropeTheta, "positive");
    require(normEps > 0, "norm_eps", normEps, "positive");
  }

  private static void require(boolean ok, String key, Object value, String what) {
    if (!ok) {
      throw new IllegalArgumentException("model config: " + key + " = " + value + " must be "
          + what);
    }
  }

  /** Trainable parameters, counted from the shapes (what the built model must hold). */
  public long parameterCount() {
    long h = hidden;
    long q = (long) heads * headDim;
    long kv = (long) kvHeads * headDim;
    long normParams = norm == Norm.RMS ? h : 2 * h;
    long attention = h * q + 2 * h * kv + q * h + (qkNorm ? 2L * headDim : 0);
    long mlpParams = (mlp == Mlp.SWIGLU ? 3L : 2L) * h * mlpHidden;
    if (biases != Biases.NONE) {
      attention += q + 2 * kv;
    }
    if (biases == Biases.ALL) {
      attention += h;
      mlpParams += (mlp == Mlp.SWIGLU ? 2L : 1L) * mlpHidden + h;
    }
    long block = attention + mlpParams + 2 * normParams;
    long embeddings = (long) vocabSize * h * (tiedEmbeddings ? 1 : 2);
    long positionTable = positions == Positions.LEARNED ? (long) maxSeqLen * h : 0;
    return embeddings + positionTable + layers * block + normParams;
  }

  /** The same shape with another vocabulary (a tokenizer's). */
  public ModelConfig withVocabSize(int vocab) {
    return new ModelConfig(vocab, hidden, layers, heads, kvHeads, headDim, qkNorm, biases,
        mlpHidden, norm, mlp, positions, tiedEmbeddings, maxSeqLen, dtype, ropeTheta, normEps);
  }

  /** The same shape in another dtype (double for gradient checks). */
  public ModelConfig withDType(DType type) {
    return new ModelConfig(vocabSize, hidden, layers, heads, kvHeads, headDim, qkNorm,
        biases, mlpHidden, norm, mlp, positions, tiedEmbeddings, maxSeqLen, type, ropeTheta, normEps);
  }

  /**
   * A config from HOCON keys (those of {@code conf/models.conf}); {@code where} names it in
   * messages. Unknown keys are errors; kv_heads (heads), head_dim (hidden / heads), qk_norm
   * (false), biases (none), norm (rms), mlp (swiglu), positions (rope), tied_embeddings (true), dtype (float),
   * rope_theta (10000) and norm_eps (1e-6) have defaults.
   */
  public static ModelConfig fromConfig(Config c, String where) {
    for (Map.Entry<String, ConfigValue> e : c.root().entrySet()) {
      if (!KEYS.contains(e.getKey())) {
        throw new IllegalArgumentException(where + ": unknown key '" + e.getKey() + "' (known: "
            + new java.util.TreeSet<>(KEYS) + ")");
      }
    }
    try {
      int hidden = c.getInt("hidden");
      int heads = c.getInt("heads");
      if (!c.hasPath("head_dim") && (heads < 1 || hidden % heads != 0)) {
        throw new IllegalArgumentException("model config: heads = " + heads + " must divide "
            + "hidden (" + hidden + ") unless head_dim is set");
      }
      return new ModelConfig(c.getInt("vocab_size"), hidden, c.getInt("layers"), heads,
          c.hasPath("kv_heads") ? c.getInt("kv_heads") : heads,
          c.hasPath("head_dim") ? c.getInt("head_dim") : hidden / heads,
          c.hasPath("qk_norm") && c.getBoolean("qk_norm"),
          enumOf(Biases.class, c, "biases", "none", where), c.getInt("mlp_hidden"), enumOf(Norm.class, c, "norm", "rms", where),
          enumOf(Mlp.class, c, "mlp", "swiglu", where),
          enumOf(Positions.class, c, "positions", "rope", where),
          !c.hasPath("tied_embeddings") || c.getBoolean("tied_embeddings"),
          c.getInt("max_seq_len"), enumOf(DType.class, c, "dtype", "float", where),
          c.hasPath("rope_theta") ? c.getDouble("rope_theta") : 10000.0,
          c.hasPath("norm_eps") ? c.getDouble("norm_eps") : 1e-6);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, Config c, String key, String dflt,
      String where) {
    String v = c.hasPath(key) ? c.getString(key) : dflt;
    try {
      return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder known = new StringBuilder();
      for (E x : type.getEnumConstants()) {
        known.append(known.length() == 0 ? "" : ", ").append(x.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException(where + ": " + key + " = '" + v + "' is not one of "
          + known, e);
    }
  }

  /** The presets of a models file ({@code conf/models.conf}: {@code models { name { ... } }}). */
  public static Map<String, ModelConfig> presets(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("models file " + file + " does not exist");
    }
    Config root;
    try {
      root = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
    if (!root.hasPath("models")) {
      throw new IllegalArgumentException(file + " has no 'models' block");
    }
    Map<String, ModelConfig> out = new TreeMap<>();
    Config models = root.getConfig("models");
    for (String name : models.root().keySet()) {
      out.put(name, fromConfig(models.getConfig(com.typesafe.config.ConfigUtil.joinPath(name)),
          file + ": models." + name));
    }
    return out;
  }

  /** One preset of a models file, or an error listing the presets there are. */
  public static ModelConfig preset(Path file, String name) {
    Map<String, ModelConfig> all = presets(file);
    ModelConfig c = all.get(name);
    if (c == null) {
      throw new IllegalArgumentException("no model preset '" + name + "' in " + file
          + " (presets: " + String.join(", ", all.keySet()) + ")");
    }
    return c;
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** JSON with the HOCON key names, what a checkpoint stores. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("vocab_size", vocabSize);
    o.addProperty("hidden", hidden);
    o.addProperty("layers", layers);
    o.addProperty("heads", heads);
    o.addProperty("kv_heads", kvHeads);
    o.addProperty("head_dim", headDim);
    o.addProperty("qk_norm", qkNorm);
    o.addProperty("biases", biases.name().toLowerCase(Locale.ROOT));
    o.addProperty("mlp_hidden", mlpHidden);
    o.addProperty("norm", norm.name().toLowerCase(Locale.ROOT));
    o.addProperty("mlp", mlp.name().toLowerCase(Locale.ROOT));
    o.addProperty("positions", positions.name().toLowerCase(Locale.ROOT));
    o.addProperty("tied_embeddings", tiedEmbeddings);
    o.addProperty("max_seq_len", maxSeqLen);
    o.addProperty("dtype", dtype.name().toLowerCase(Locale.ROOT));
    o.addProperty("rope_theta", ropeTheta);
    o.addProperty("norm_eps", normEps);
    return GSON.toJson(o);
  }

  /** The config {@link #toJson} wrote; {@code where} names the file in messages. */
  public static ModelConfig fromJson(String json, String where) {
    Config parsed;
    try {
      parsed = ConfigFactory.parseString(json,
          ConfigParseOptions.defaults().setSyntax(com.typesafe.config.ConfigSyntax.JSON));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(where + " is not a JSON object: " + e.getMessage(), e);
    }
    return fromConfig(parsed, where);
  }
}
