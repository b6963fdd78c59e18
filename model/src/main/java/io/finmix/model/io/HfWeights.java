package io.finmix.model.io;

import com.google.gson.JsonElement;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.io.Safetensors.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A Hugging Face checkpoint's tensors under finmix's parameter names, and back, in plain Java.
 *
 * <p>finmix names its parameters as Hugging Face's Llama does ({@code model.layers.0.self_attn
 * .q_proj.weight}, weights [out, in]), so {@code llama}, {@code mistral}, {@code qwen2} and
 * {@code qwen3} checkpoints map one to one. {@code phi3} fuses the query, key and value
 * projections row-wise into {@code self_attn.qkv_proj} and the MLP's gate and up projections into
 * {@code mlp.gate_up_proj}. {@code gpt2} has its own names and stores its linear layers as
 * Conv1D, weights [in, out]; its query, key and value are the columns of {@code attn.c_attn}.
 * GPT-2 checkpoints are read with or without the {@code transformer.} prefix and written with it.
 *
 * <p>Reading checks everything against the {@link ModelConfig}: a missing tensor, a tensor of
 * another shape or one the model does not have (other than known buffers: rotary {@code
 * inv_freq}, GPT-2's attention masks) is an {@link IllegalArgumentException} naming it. With tied
 * embeddings a {@code lm_head.weight} in the checkpoint is ignored, as Hugging Face ties it to the
 * embedding too. Tensors that need no reshaping are passed through, not copied.
 */
public final class HfWeights {

  /** The {@code model_type}s mapped. */
  public static final Set<String> TYPES = Set.of("llama", "mistral", "qwen2", "qwen3", "phi3",
      "gpt2");

  static final String EMBED = "model.embed_tokens.weight";
  static final String POSITIONS = "model.embed_positions.weight";
  static final String HEAD = "lm_head.weight";

  /** Buffers, not parameters, that checkpoints may carry. */
  private static final Pattern BUFFERS = Pattern.compile(
      "model\\.(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq"
          + "|(transformer\\.)?h\\.\\d+\\.attn\\.(masked_)?bias");

  /**
   * One Hugging Face tensor: finmix's {@code parts} stacked by rows, then transposed if it is a
   * Conv1D weight (two-dimensional; a Conv1D bias is a plain vector).
   */
  private record Link(String hf, List<String> parts, boolean conv1d) {}

  private HfWeights() {}

  /** The {@code model_type} of a Hugging Face {@code config.json}. */
  public static String modelType(Path configJson) {
    JsonElement type = JsonFiles.read(configJson).get("model_type");
    if (type == null || !type.isJsonPrimitive() || !type.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException(configJson + " has no model_type string");
    }
    return type.getAsString();
  }

  /** finmix's parameters for {@code c}, name to shape, in the model's order. */
  public static Map<String, long[]> shapes(ModelConfig c) {
    long h = c.hidden();
    long q = (long) c.heads() * c.headDim();
    long kv = (long) c.kvHeads() * c.headDim();
    long inner = c.mlpHidden();
    boolean qkvBias = c.biases() != Biases.NONE;
    boolean allBias = c.biases() == Biases.ALL;
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put(EMBED, new long[] {c.vocabSize(), h});
    if (c.positions() == Positions.LEARNED) {
      s.put(POSITIONS, new long[] {c.maxSeqLen(), h});
    }
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      norm(s, c, p + "input_layernorm");
      linear(s, p + "self_attn.q_proj", q, h, qkvBias);
      linear(s, p + "self_attn.k_proj", kv, h, qkvBias);
      linear(s, p + "self_attn.v_proj", kv, h, qkvBias);
      linear(s, p + "self_attn.o_proj", h, q, allBias);
      if (c.qkNorm()) {
        s.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
        s.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
      }
      norm(s, c, p + "post_attention_layernorm");
      if (c.mlp() == Mlp.SWIGLU) {
        linear(s, p + "mlp.gate_proj", inner, h, allBias);
      }
      linear(s, p + "mlp.up_proj", inner, h, allBias);
      linear(s, p + "mlp.down_proj", h, inner, allBias);
    }
    norm(s, c, "model.norm");
    if (!c.tiedEmbeddings()) {
      s.put(HEAD, new long[] {c.vocabSize(), h});
    }
    return s;
  }

  private static void norm(Map<String, long[]> s, ModelConfig c, String name) {
    s.put(name + ".weight", new long[] {c.hidden()});
    if (c.norm() == Norm.LAYER) {
      s.put(name + ".bias", new long[] {c.hidden()});
    }
  }

  private static void linear(Map<String, long[]> s, String name, long out, long in,
      boolean bias) {
    s.put(name + ".weight", new long[] {out, in});
    if (bias) {
      s.put(name + ".bias", new long[] {out});
    }
  }

  /**
   * The tensors of a {@code modelType} checkpoint under finmix's names, checked against {@code
   * c}: every parameter present with its shape, nothing else but known buffers (and a tied
   * {@code lm_head.weight}, ignored).
   */
  public static Map<String, Tensor> fromHf(String modelType, ModelConfig c,
      Map<String, Tensor> hf) {
    Map<String, long[]> shapes = shapes(c);
    String prefix = modelType.equals("gpt2") && !hf.containsKey("transformer.wte.weight")
        && hf.containsKey("wte.weight") ? "" : "transformer.";
    String where = "Hugging Face checkpoint (" + modelType + ")";
    Map<String, Tensor> out = new LinkedHashMap<>();
    Set<String> used = new HashSet<>();
    for (Link link : links(modelType, c, prefix)) {
      Tensor t = take(hf, link.hf(), hfShape(link, shapes), where);
      used.add(link.hf());
      List<Tensor> parts = splitRows(link.conv1d() && t.shape().length == 2 ? transpose(t) : t,
          link.parts().stream().map(shapes::get).toList());
      for (int i = 0; i < parts.size(); i++) {
        out.put(link.parts().get(i), parts.get(i));
      }
    }
    if (c.tiedEmbeddings() && hf.containsKey(HEAD)) {
      take(hf, HEAD, shapes.get(EMBED), where);
      used.add(HEAD);
    }
    unexpected(hf.keySet(), used, true, where);
    return out;
  }

  /**
   * finmix's parameters (all of {@link #shapes}, nothing else) as the tensors of a {@code
   * modelType} checkpoint; GPT-2's with the {@code transformer.} prefix, tied heads not written.
   */
  public static Map<String, Tensor> toHf(String modelType, ModelConfig c,
      Map<String, Tensor> finmix) {
    List<Link> links = links(modelType, c, "transformer.");
    Map<String, long[]> shapes = shapes(c);
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      take(finmix, e.getKey(), e.getValue(), "finmix parameter map");
    }
    unexpected(finmix.keySet(), shapes.keySet(), false, "finmix parameter map");
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Link link : links) {
      Tensor t = concatRows(link.parts().stream().map(finmix::get).toList());
      out.put(link.hf(), link.conv1d() && t.shape().length == 2 ? transpose(t) : t);
    }
    return out;
  }

  /** How finmix's parameters make a {@code type} checkpoint's tensors. */
  private static List<Link> links(String type, ModelConfig c, String prefix) {
    check(type, c);
    List<Link> links = new ArrayList<>();
    if (type.equals("gpt2")) {
      links.add(new Link(prefix + "wte.weight", List.of(EMBED), false));
      links.add(new Link(prefix + "wpe.weight", List.of(POSITIONS), false));
      for (int l = 0; l < c.layers(); l++) {
        String g = prefix + "h." + l + ".";
        String p = "model.layers." + l + ".";
        for (String s : List.of(".weight", ".bias")) {
          links.add(new Link(g + "ln_1" + s, List.of(p + "input_layernorm" + s), false));
          links.add(new Link(g + "attn.c_attn" + s, List.of(p + "self_attn.q_proj" + s,
              p + "self_attn.k_proj" + s, p + "self_attn.v_proj" + s), true));
          links.add(new Link(g + "attn.c_proj" + s, List.of(p + "self_attn.o_proj" + s), true));
          links.add(new Link(g + "ln_2" + s, List.of(p + "post_attention_layernorm" + s), false));
          links.add(new Link(g + "mlp.c_fc" + s, List.of(p + "mlp.up_proj" + s), true));
          links.add(new Link(g + "mlp.c_proj" + s, List.of(p + "mlp.down_proj" + s), true));
        }
      }
      links.add(new Link(prefix + "ln_f.weight", List.of("model.norm.weight"), false));
      links.add(new Link(prefix + "ln_f.bias", List.of("model.norm.bias"), false));
      if (!c.tiedEmbeddings()) {
        links.add(new Link(HEAD, List.of(HEAD), false));
      }
      return links;
    }
    boolean phi3 = type.equals("phi3");
    for (String name : shapes(c).keySet()) {
      if (phi3 && name.contains(".self_attn.q_proj.")) {
        links.add(new Link(name.replace("q_proj", "qkv_proj"), List.of(name,
            name.replace("q_proj", "k_proj"), name.replace("q_proj", "v_proj")), false));
      } else if (phi3 && name.contains(".mlp.gate_proj.")) {
        links.add(new Link(name.replace("gate_proj", "gate_up_proj"),
            List.of(name, name.replace("gate_proj", "up_proj")), false));
      } else if (!phi3 || !name.matches(".*\\.(self_attn\\.[kv]_proj|mlp\\.up_proj)\\..*")) {
        links.add(new Link(name, List.of(name), false));
      }
    }
    return links;
  }

  /** {@code type} is known and {@code c} has its shape. */
  private static void check(String type, ModelConfig c) {
    if (!TYPES.contains(type)) {
      throw new IllegalArgumentException("model_type '" + type + "' has no tensor mapping "
          + "(known: " + String.join(", ", new TreeSet<>(TYPES)) + ")");
    }
    boolean fits = type.equals("gpt2")
        ? c.norm() == Norm.LAYER && c.mlp() == Mlp.GELU && c.positions() == Positions.LEARNED
            && c.biases() == Biases.ALL && !c.qkNorm() && c.kvHeads() == c.heads()
            && c.heads() * c.headDim() == c.hidden()
        : c.norm() == Norm.RMS && c.mlp() == Mlp.SWIGLU && c.positions() == Positions.ROPE;
    if (!fits) {
      throw new IllegalArgumentException("model_type '" + type + "' does not fit the model's "
          + "shape (" + c.norm() + ", " + c.mlp() + ", " + c.positions() + ", biases "
          + c.biases() + (c.qkNorm() ? ", qk norms" : "") + ")");
    }
  }

  /** The shape of a link's Hugging Face tensor. */
  private static long[] hfShape(Link link, Map<String, long[]> shapes) {
    long[] shape = shapes.get(link.parts().get(0)).clone();
    shape[0] = link.parts().stream().mapToLong(p -> shapes.get(p)[0]).sum();
    return link.conv1d() && shape.length == 2 ? new long[] {shape[1], shape[0]} : shape;
  }

  /** {@code name} from {@code tensors}, which must hold it with shape {@code expected}. */
  private static Tensor take(Map<String, Tensor> tensors, String name, long[] expected,
      String where) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException(where + " has no tensor '" + name + "' (shape "
          + Arrays.toString(expected) + ")");
    }
    if (!Arrays.equals(t.shape(), expected)) {
      throw new IllegalArgumentException(where + ": tensor '" + name + "' has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
    }
    return t;
  }

  /** Names in {@code all} not {@code known} (nor buffers, if allowed) are an error. */
  private static void unexpected(Set<String> all, Set<String> known, boolean buffers,
      String where) {
    List<String> extra = all.stream().filter(n -> !known.contains(n))
        .filter(n -> !buffers || !BUFFERS.matcher(n).matches()).sorted().toList();
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException(where + " has " + extra.size() + " tensor(s) the model "
          + "does not (the checkpoint of another model?): "
          + String.join(", ", extra.subList(0, Math.min(extra.size(), 10)))
          + (extra.size() > 10 ? ", ..." : ""));
    }
  }

  /** A [rows, cols] tensor as [cols, rows]. */
  static Tensor transpose(Tensor t) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] in = t.data();
    float[] out = new float[in.length];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < cols; k++) {
        out[k * rows + r] = in[r * cols + k];
      }
    }
    return new Tensor(new long[] {cols, rows}, out);
  }

  /** Tensors stacked along their first dimension (one is passed through). */
  static Tensor concatRows(List<Tensor> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    long[] shape = parts.get(0).shape().clone();
    shape[0] = parts.stream().mapToLong(p -> p.shape()[0]).sum();
    float[] out = new float[parts.stream().mapToInt(p -> p.data().length).sum()];
    int at = 0;
    for (Tensor p : parts) {
      System.arraycopy(p.data(), 0, out, at, p.data().length);
      at += p.data().length;
    }
    return new Tensor(shape, out);
  }

  /** A tensor cut along its first dimension into {@code shapes} (one is passed through). */
  static List<Tensor> splitRows(Tensor t, List<long[]> shapes) {
    if (shapes.size() == 1) {
      return List.of(t);
    }
    List<Tensor> out = new ArrayList<>();
    int at = 0;
    for (long[] shape : shapes) {
      int n = (int) Safetensors.count(shape);
      out.add(new Tensor(shape.clone(), Arrays.copyOfRange(t.data(), at, at + n)));
      at += n;
    }
    return out;
  }
}
