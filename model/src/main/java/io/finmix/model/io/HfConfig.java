package io.finmix.model.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.DType;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} as a {@link ModelConfig} and back, for the families finmix
 * reads and writes: Llama-style ({@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3},
 * {@code phi3}) and {@code gpt2}. What the model cannot reproduce (rope scaling, sliding-window
 * attention, partial rotary, another activation) is refused with the key named, never silently
 * dropped: the logits would differ.
 */
public final class HfConfig {

  /** The families read, by {@code model_type}. */
  public static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral", "qwen2", "qwen3",
      "phi3");

  private HfConfig() {}

  /** The model of a {@code config.json}; {@code vocab_size} is the checkpoint's. */
  public static ModelConfig read(Path configJson) {
    JsonObject c = JsonFiles.read(configJson);
    try {
      return of(c);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
    }
  }

  static ModelConfig of(JsonObject c) {
    String type = string(c, "model_type", null);
    if (type == null) {
      throw new IllegalArgumentException("no model_type");
    }
    if (type.equals("gpt2")) {
      return gpt2(c);
    }
    if (!LLAMA_FAMILY.contains(type)) {
      throw new IllegalArgumentException("model_type '" + type + "' is not supported (supported: "
          + String.join(", ", new java.util.TreeSet<>(LLAMA_FAMILY)) + ", gpt2)");
    }
    JsonElement scaling = c.get("rope_scaling");
    if (scaling != null && !scaling.isJsonNull()) {
      throw new IllegalArgumentException("rope_scaling " + scaling + " is not supported");
    }
    if (bool(c, "use_sliding_window", false)) {
      throw new IllegalArgumentException("use_sliding_window = true is not supported");
    }
    if (type.equals("mistral") && !isNull(c, "sliding_window")) {
      throw new IllegalArgumentException("sliding_window " + c.get("sliding_window")
          + " is not supported");
    }
    double partial = number(c, "partial_rotary_factor", 1.0);
    if (partial != 1.0) {
      throw new IllegalArgumentException("partial_rotary_factor " + partial + " is not supported");
    }
    String act = string(c, "hidden_act", "silu");
    if (!act.equals("silu")) {
      throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (silu)");
    }
    if (bool(c, "attention_bias", false) || bool(c, "mlp_bias", false)) {
      throw new IllegalArgumentException("attention_bias / mlp_bias = true is not supported");
    }
    int hidden = integer(c, "hidden_size");
    int heads = integer(c, "num_attention_heads");
    return new ModelConfig(integer(c, "vocab_size"), hidden, integer(c, "num_hidden_layers"),
        heads, c.has("num_key_value_heads") && !isNull(c, "num_key_value_heads")
            ? integer(c, "num_key_value_heads") : heads,
        c.has("head_dim") && !isNull(c, "head_dim") ? integer(c, "head_dim") : hidden / heads,
        type.equals("qwen3"), type.equals("qwen2") ? Biases.QKV : Biases.NONE,
        integer(c, "intermediate_size"), Norm.RMS, Mlp.SWIGLU, Positions.ROPE,
        bool(c, "tie_word_embeddings", false), integer(c, "max_position_embeddings"),
        DType.FLOAT, number(c, "rope_theta", 10000.0), number(c, "rms_norm_eps", 1e-6));
  }

  private static ModelConfig gpt2(JsonObject c) {
    String act = string(c, "activation_function", "gelu_new");
    if (!List.of("gelu_new", "gelu_pytorch_tanh").contains(act)) {
      throw new IllegalArgumentException("activation_function '" + act + "' is not supported "
          + "(gelu_new)");
    }
    int hidden = integer(c, "n_embd");
    return new ModelConfig(integer(c, "vocab_size"), hidden, integer(c, "n_layer"),
        integer(c, "n_head"), integer(c, "n_head"), hidden / integer(c, "n_head"), false,
        Biases.ALL, isNull(c, "n_inner") ? 4 * hidden : integer(c, "n_inner"), Norm.LAYER,
        Mlp.GELU, Positions.LEARNED, true, integer(c, "n_positions"), DType.FLOAT, 10000.0,
        number(c, "layer_norm_epsilon", 1e-5));
  }

  /**
   * The {@code config.json} of a finmix model, as the family its shape belongs to: GPT-2
   * (LayerNorm, GELU, learned positions, biases), Qwen3 (query/key norms), Qwen2 (qkv biases) or
   * Llama.
   */
  public static String write(ModelConfig m) {
    JsonObject c = new JsonObject();
    boolean gpt2 = m.norm() == Norm.LAYER && m.mlp() == Mlp.GELU
        && m.positions() == Positions.LEARNED && m.biases() == Biases.ALL && m.tiedEmbeddings()
        && m.kvHeads() == m.heads() && m.headDim() * m.heads() == m.hidden() && !m.qkNorm();
    boolean llama = m.norm() == Norm.RMS && m.mlp() == Mlp.SWIGLU
        && m.positions() == Positions.ROPE && m.biases() != Biases.ALL;
    if (gpt2) {
      c.addProperty("model_type", "gpt2");
      c.add("architectures", array("GPT2LMHeadModel"));
      c.addProperty("vocab_size", m.vocabSize());
      c.addProperty("n_embd", m.hidden());
      c.addProperty("n_layer", m.layers());
      c.addProperty("n_head", m.heads());
      c.addProperty("n_inner", m.mlpHidden());
      c.addProperty("n_positions", m.maxSeqLen());
      c.addProperty("n_ctx", m.maxSeqLen());
      c.addProperty("activation_function", "gelu_new");
      c.addProperty("layer_norm_epsilon", m.normEps());
    } else if (llama && !(m.qkNorm() && m.biases() == Biases.QKV)) {
      String type = m.qkNorm() ? "qwen3" : m.biases() == Biases.QKV ? "qwen2" : "llama";
      c.addProperty("model_type", type);
      c.add("architectures", array(switch (type) {
        case "qwen3" -> "Qwen3ForCausalLM";
        case "qwen2" -> "Qwen2ForCausalLM";
        default -> "LlamaForCausalLM";
      }));
      c.addProperty("vocab_size", m.vocabSize());
      c.addProperty("hidden_size", m.hidden());
      c.addProperty("num_hidden_layers", m.layers());
      c.addProperty("num_attention_heads", m.heads());
      c.addProperty("num_key_value_heads", m.kvHeads());
      c.addProperty("head_dim", m.headDim());
      c.addProperty("intermediate_size", m.mlpHidden());
      c.addProperty("hidden_act", "silu");
      c.addProperty("max_position_embeddings", m.maxSeqLen());
      c.addProperty("rope_theta", m.ropeTheta());
      c.addProperty("rms_norm_eps", m.normEps());
      c.addProperty("tie_word_embeddings", m.tiedEmbeddings());
      c.addProperty("attention_bias", false);
    } else {
      throw new IllegalArgumentException("no Hugging Face family has this model's shape ("
          + m.norm() + ", " + m.mlp() + ", " + m.positions() + ", biases " + m.biases()
          + (m.qkNorm() ? ", qk norms" : "") + ")");
    }
    c.addProperty("torch_dtype", "float32");
    return new GsonBuilder().setPrettyPrinting().create().toJson(c);
  }

  private static com.google.gson.JsonArray array(String value) {
    com.google.gson.JsonArray a = new com.google.gson.JsonArray();
    a.add(value);
    return a;
  }

  private static boolean isNull(JsonObject c, String key) {
    return !c.has(key) || c.get(key).isJsonNull();
  }

  private static int integer(JsonObject c, String key) {
    if (isNull(c, key)) {
      throw new IllegalArgumentException("no " + key);
    }
    try {
      return c.get(key).getAsJsonPrimitive().getAsBigDecimal().intValueExact();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " = " + c.get(key) + " is not an integer", e);
    }
  }

  private static double number(JsonObject c, String key, double dflt) {
    if (isNull(c, key)) {
      return dflt;
    }
    try {
      return c.get(key).getAsDouble();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " = " + c.get(key) + " is not a number", e);
    }
  }

  private static boolean bool(JsonObject c, String key, boolean dflt) {
    if (isNull(c, key)) {
      return dflt;
    }
    JsonElement v = c.get(key);
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalArgumentException(key + " = " + v + " is not true or false");
    }
    return v.getAsBoolean();
  }

  private static String string(JsonObject c, String key, String dflt) {
    return isNull(c, key) ? dflt : c.get(key).getAsString();
  }
}
