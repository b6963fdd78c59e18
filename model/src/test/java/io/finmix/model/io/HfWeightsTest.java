package io.finmix.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.DType;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.io.Safetensors.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint tensor names and layouts, both ways, on tiny models. */
class HfWeightsTest {

  @TempDir
  Path dir;

  static final int VOCAB = 11;
  static final int HIDDEN = 8;
  static final int INNER = 12;

  private static ModelConfig llamaShaped(int headDim, boolean qkNorm, Biases biases,
      boolean tied) {
    return new ModelConfig(VOCAB, HIDDEN, 2, 2, 1, headDim, qkNorm, biases, INNER, Norm.RMS,
        Mlp.SWIGLU, Positions.ROPE, tied, 16, DType.FLOAT, 10000.0, 1e-6);
  }

  static final ModelConfig LLAMA = llamaShaped(4, false, Biases.NONE, false);
  static final ModelConfig LLAMA_TIED = llamaShaped(4, false, Biases.NONE, true);
  static final ModelConfig QWEN2 = llamaShaped(4, false, Biases.QKV, true);
  static final ModelConfig QWEN3 = llamaShaped(6, true, Biases.NONE, true);
  static final ModelConfig GPT2 = new ModelConfig(VOCAB, HIDDEN, 2, 2, 2, 4, false, Biases.ALL,
      32, Norm.LAYER, Mlp.GELU, Positions.LEARNED, true, 16, DType.FLOAT, 10000.0, 1e-5);

  /** Every parameter of {@code c}, every value distinct (0, 1, 2, ... across tensors). */
  private static Map<String, Tensor> parameters(ModelConfig c) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    int next = 0;
    for (Map.Entry<String, long[]> e : HfWeights.shapes(c).entrySet()) {
      float[] data = new float[(int) Safetensors.count(e.getValue())];
      for (int i = 0; i < data.length; i++) {
        data[i] = next++;
      }
      out.put(e.getKey(), new Tensor(e.getValue(), data));
    }
    return out;
  }

  private static void assertSame(Map<String, Tensor> actual, Map<String, Tensor> expected) {
    assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((name, t) -> {
      assertThat(actual.get(name).shape()).as(name).isEqualTo(t.shape());
      assertThat(actual.get(name).data()).as(name).isEqualTo(t.data());
    });
  }

  private static float[] row(Tensor t, int r) {
    int width = (int) t.shape()[1];
    return Arrays.copyOfRange(t.data(), r * width, (r + 1) * width);
  }

  @Test
  void shapesCountTheConfigsParameters() {
    for (ModelConfig c : new ModelConfig[] {LLAMA, LLAMA_TIED, QWEN2, QWEN3, GPT2}) {
      assertThat(HfWeights.shapes(c).values().stream().mapToLong(Safetensors::count).sum())
          .isEqualTo(c.parameterCount());
    }
  }

  @Test
  void everyFamilyRoundTrips() {
    Object[][] cases = {{"llama", LLAMA}, {"llama", LLAMA_TIED}, {"mistral", LLAMA},
        {"qwen2", QWEN2}, {"qwen3", QWEN3}, {"phi3", LLAMA}, {"phi3", QWEN2}, {"gpt2", GPT2}};
    for (Object[] x : cases) {
      String type = (String) x[0];
      ModelConfig c = (ModelConfig) x[1];
      Map<String, Tensor> finmix = parameters(c);
      Map<String, Tensor> hf = HfWeights.toHf(type, c, finmix);
      assertSame(HfWeights.fromHf(type, c, hf), finmix);
    }
  }

  @Test
  void llamaFamilyNamesAreFinmixNames() {
    assertThat(HfWeights.toHf("qwen3", QWEN3, parameters(QWEN3)).keySet())
        .containsExactlyElementsOf(HfWeights.shapes(QWEN3).keySet())
        .contains("model.layers.1.self_attn.k_norm.weight").doesNotContain("lm_head.weight");
    assertThat(HfWeights.toHf("llama", LLAMA, parameters(LLAMA))).containsKey("lm_head.weight");
  }

  @Test
  void tiedHeadAndRotaryBuffersAreIgnoredOnImport() {
    Map<String, Tensor> finmix = parameters(LLAMA_TIED);
    Map<String, Tensor> hf = new LinkedHashMap<>(HfWeights.toHf("llama", LLAMA_TIED, finmix));
    hf.put("lm_head.weight", hf.get("model.embed_tokens.weight"));
    hf.put("model.layers.0.self_attn.rotary_emb.inv_freq", new Tensor(new long[] {2},
        new float[] {1, 0.01f}));
    assertSame(HfWeights.fromHf("llama", LLAMA_TIED, hf), finmix);
  }

  @Test
  void gpt2WeightsAreTransposedConv1dWithQkvColumns() {
    Map<String, Tensor> finmix = parameters(GPT2);
    Map<String, Tensor> hf = HfWeights.toHf("gpt2", GPT2, finmix);
    Tensor cAttn = hf.get("transformer.h.1.attn.c_attn.weight");
    assertThat(cAttn.shape()).containsExactly(HIDDEN, 3 * HIDDEN);
    Tensor k = finmix.get("model.layers.1.self_attn.k_proj.weight");
    int i = 5;
    int j = 3;
    assertThat(cAttn.data()[i * 3 * HIDDEN + HIDDEN + j]).isEqualTo(k.data()[j * HIDDEN + i]);
    assertThat(hf.get("transformer.h.1.attn.c_attn.bias").data()[HIDDEN + j])
        .isEqualTo(finmix.get("model.layers.1.self_attn.k_proj.bias").data()[j]);
    assertThat(hf.get("transformer.h.0.mlp.c_fc.weight").shape()).containsExactly(HIDDEN, 32);
    assertThat(hf.get("transformer.h.0.mlp.c_proj.weight").shape()).containsExactly(32, HIDDEN);
    assertThat(hf.get("transformer.wpe.weight").shape()).containsExactly(16, HIDDEN);
    assertThat(hf).containsKeys("transformer.ln_f.bias", "transformer.h.0.ln_2.weight")
        .doesNotContainKey("lm_head.weight");
  }

  @Test
  void phi3SplitsFusedProjectionsByRows() {
    Map<String, Tensor> finmix = parameters(LLAMA);
    Map<String, Tensor> hf = HfWeights.toHf("phi3", LLAMA, finmix);
    assertThat(hf).doesNotContainKeys("model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.mlp.up_proj.weight");
    Tensor qkv = hf.get("model.layers.0.self_attn.qkv_proj.weight");
    assertThat(qkv.shape()).containsExactly((2 + 2 * 1) * 4, HIDDEN);
    Tensor gateUp = hf.get("model.layers.0.mlp.gate_up_proj.weight");
    assertThat(gateUp.shape()).containsExactly(2 * INNER, HIDDEN);
    Map<String, Tensor> back = HfWeights.fromHf("phi3", LLAMA, hf);
    assertThat(row(back.get("model.layers.0.self_attn.k_proj.weight"), 0))
        .isEqualTo(row(qkv, 2 * 4));
    assertThat(row(back.get("model.layers.0.self_attn.v_proj.weight"), 0))
        .isEqualTo(row(qkv, 3 * 4));
    assertThat(row(back.get("model.layers.0.mlp.up_proj.weight"), 0))
        .isEqualTo(row(gateUp, INNER));
  }

  @Test
  void hubGpt2NamesWithoutPrefixImport() {
    Map<String, Tensor> finmix = parameters(GPT2);
    Map<String, Tensor> hub = new LinkedHashMap<>();
    HfWeights.toHf("gpt2", GPT2, finmix)
        .forEach((name, t) -> hub.put(name.substring("transformer.".length()), t));
    assertThat(hub).containsKeys("wte.weight", "h.0.ln_1.weight");
    hub.put("lm_head.weight", hub.get("wte.weight"));
    hub.put("h.0.attn.bias", new Tensor(new long[] {1, 1, 16, 16}, new float[256]));
    hub.put("h.1.attn.masked_bias", new Tensor(new long[] {}, new float[] {-1e4f}));
    assertSame(HfWeights.fromHf("gpt2", GPT2, hub), finmix);

    hub.remove("h.1.mlp.c_fc.weight");
    assertThatThrownBy(() -> HfWeights.fromHf("gpt2", GPT2, hub))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has no tensor 'h.1.mlp.c_fc.weight'");
  }

  @Test
  void missingTensorIsNamed() {
    Map<String, Tensor> hf = new LinkedHashMap<>(HfWeights.toHf("phi3", LLAMA,
        parameters(LLAMA)));
    hf.remove("model.layers.1.mlp.gate_up_proj.weight");
    assertThatThrownBy(() -> HfWeights.fromHf("phi3", LLAMA, hf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("phi3")
        .hasMessageContaining("has no tensor 'model.layers.1.mlp.gate_up_proj.weight'");
    Map<String, Tensor> finmix = parameters(LLAMA);
    finmix.remove("lm_head.weight");
    assertThatThrownBy(() -> HfWeights.toHf("llama", LLAMA, finmix))
        .hasMessageContaining("finmix parameter map has no tensor 'lm_head.weight'");
  }

  @Test
  void wrongShapeIsNamedWithBothShapes() {
    Map<String, Tensor> hf = new LinkedHashMap<>(HfWeights.toHf("gpt2", GPT2, parameters(GPT2)));
    // a c_attn weight stored [out, in], as if it were a Linear
    hf.put("transformer.h.0.attn.c_attn.weight", new Tensor(new long[] {24, 8},
        new float[24 * 8]));
    assertThatThrownBy(() -> HfWeights.fromHf("gpt2", GPT2, hf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tensor 'transformer.h.0.attn.c_attn.weight' has shape [24, 8], "
            + "expected [8, 24]");
  }

  @Test
  void unexpectedTensorsAreNamed() {
    // a Qwen3 checkpoint read with a Llama config of the same widths: the norms are left over
    ModelConfig llama = llamaShaped(6, false, Biases.NONE, true);
    Map<String, Tensor> hf = HfWeights.toHf("qwen3", QWEN3, parameters(QWEN3));
    assertThatThrownBy(() -> HfWeights.fromHf("llama", llama, hf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4 tensor(s) the model does not")
        .hasMessageContaining("model.layers.0.self_attn.k_norm.weight")
        .hasMessageContaining("model.layers.1.self_attn.q_norm.weight");
    Map<String, Tensor> finmix = parameters(LLAMA);
    finmix.put("model.rotary_emb.inv_freq", new Tensor(new long[] {1}, new float[1]));
    assertThatThrownBy(() -> HfWeights.toHf("llama", LLAMA, finmix))
        .hasMessageContaining("model.rotary_emb.inv_freq");
  }

  @Test
  void unknownTypesAndMismatchedShapesAreRefused() {
    assertThatThrownBy(() -> HfWeights.toHf("mamba", LLAMA, parameters(LLAMA)))
        .hasMessageContaining("model_type 'mamba' has no tensor mapping");
    assertThatThrownBy(() -> HfWeights.fromHf("gpt2", LLAMA, Map.of()))
        .hasMessageContaining("model_type 'gpt2' does not fit");
    assertThatThrownBy(() -> HfWeights.fromHf("llama", GPT2, Map.of()))
        .hasMessageContaining("model_type 'llama' does not fit");
  }

  @Test
  void modelTypeIsReadFromConfigJson() throws Exception {
    Path config = Files.writeString(dir.resolve("config.json"),
        "{\"model_type\": \"phi3\", \"hidden_size\": 8}");
    assertThat(HfWeights.modelType(config)).isEqualTo("phi3");
    Path none = Files.writeString(dir.resolve("none.json"), "{\"hidden_size\": 8}");
    assertThatThrownBy(() -> HfWeights.modelType(none)).hasMessageContaining("no model_type");
  }
}
