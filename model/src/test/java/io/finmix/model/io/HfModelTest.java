package io.finmix.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.DType;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class HfModelTest {

  static final Batch BATCH = Batch.ofPackedExamples(List.of(
      List.of(new int[] {1, 5, 9, 2}, new int[] {7, 7, 3, 30, 11}), List.of(new int[] {4, 8, 15,
          16, 23, 39, 0})), 12);

  static ModelConfig shape(boolean qkNorm, Biases biases, Norm norm, Mlp mlp, Positions pos,
      boolean tied) {
    return new ModelConfig(40, 16, 2, 4, pos == Positions.LEARNED ? 4 : 2, 4, qkNorm, biases, 24,
        norm, mlp, pos, tied, 32, DType.FLOAT, 10000.0, 1e-5);
  }

  /** A model whose every parameter matters: norms and biases moved off 1 and 0. */
  static Decoder model(ModelConfig c, LoraConfig lora) {
    Decoder d = new Decoder(c, lora, 3);
    Nd4j.getRandom().setSeed(9);
    d.parameters().forEach((name, w) -> {
      if (!name.contains("lora_A")) {
        w.addi(Nd4j.randn(w.dataType(), w.shape()).muli(0.1));
      }
    });
    return d;
  }

  static double relDiff(INDArray a, INDArray b) {
    return a.distance2(b) / b.norm2Number().doubleValue();
  }

  @Test
  void exportThenImportGivesIdenticalLogitsForEveryFamily(@TempDir Path tmp) {
    Map<String, ModelConfig> shapes = new TreeMap<>(Map.of(
        "llama", shape(false, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, true),
        "llama-untied", shape(false, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, false),
        "qwen2", shape(false, Biases.QKV, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, true),
        "qwen3", shape(true, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, true),
        "gpt2", shape(false, Biases.ALL, Norm.LAYER, Mlp.GELU, Positions.LEARNED, true)));
    shapes.forEach((family, c) -> {
      Decoder original = model(c, null);
      Path dir = tmp.resolve(family);
      HfModel.write(original, dir, Safetensors.DType.F32);
      assertThat(HfWeights.modelType(dir.resolve("config.json")))
          .isEqualTo(family.replace("-untied", ""));
      Decoder back = HfModel.read(dir, null, DType.FLOAT, 1);
      assertThat(back.config()).isEqualTo(c);
      assertThat(back.logits(BATCH)).as(family).isEqualTo(original.logits(BATCH));
    });
  }

  @Test
  void aPhi3CheckpointWithFusedProjectionsImports(@TempDir Path tmp) throws Exception {
    ModelConfig c = shape(false, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, false);
    Decoder original = model(c, null);
    Path dir = tmp.resolve("phi3");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), HfConfig.write(c)
        .replace("\"llama\"", "\"phi3\"").replace("LlamaForCausalLM", "Phi3ForCausalLM"));
    Map<String, Tensor> hf = HfWeights.toHf("phi3", c, NdTensors.tensors(original.parameters()));
    assertThat(hf).containsKey("model.layers.0.self_attn.qkv_proj.weight")
        .containsKey("model.layers.1.mlp.gate_up_proj.weight")
        .doesNotContainKey("model.layers.0.self_attn.q_proj.weight");
    // two shards, as large checkpoints come
    Map<String, Tensor> first = new TreeMap<>();
    Map<String, Tensor> second = new TreeMap<>();
    StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
    hf.forEach((name, t) -> {
      boolean one = name.contains("layers.0.");
      (one ? first : second).put(name, t);
      index.append(index.charAt(index.length() - 1) == '{' ? "" : ", ").append('"').append(name)
          .append("\": \"model-0000").append(one ? 1 : 2).append("-of-00002.safetensors\"");
    });
    Files.writeString(dir.resolve("model.safetensors.index.json"), index + "}}");
    Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of(),
        Safetensors.DType.BF16);
    Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of(),
        Safetensors.DType.F32);
    Decoder back = HfModel.read(dir, null, DType.FLOAT, 1);
    // layer 0 went through bfloat16: close, not equal
    assertThat(relDiff(back.logits(BATCH), original.logits(BATCH))).isLessThan(2e-2);
    assertThat(back.parameters().get("model.layers.1.mlp.gate_proj.weight"))
        .isEqualTo(original.parameters().get("model.layers.1.mlp.gate_proj.weight"));
  }

  @Test
  void loraExportsMergedAndItsAdaptersRoundTripAsPeftFiles(@TempDir Path tmp) {
    ModelConfig c = shape(false, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, true);
    LoraConfig lora = new LoraConfig(2, 4, 0.1, Set.of("q", "o", "up"));
    Decoder tuned = model(c, lora);
    tuned.adapterParameters().values().forEach(a -> a.addi(0.3));

    HfModel.write(tuned, tmp.resolve("merged"), Safetensors.DType.F32);
    Decoder merged = HfModel.read(tmp.resolve("merged"), null, DType.FLOAT, 1);
    assertThat(relDiff(merged.logits(BATCH), tuned.logits(BATCH))).isLessThan(1e-5);

    HfModel.writeAdapters(tuned, tmp.resolve("adapter"), "base");
    assertThat(HfModel.adapterConfig(tmp.resolve("adapter"))).isEqualTo(lora);
    try (Safetensors.Reader r = Safetensors.open(tmp.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(r.entries()).hasSize(2 * 3 * 2);
      assertThat(r.has("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight")).isTrue();
    }
    // the base weights alone differ from the tuned model; with the adapters loaded they are it
    Decoder base = new Decoder(c, lora, 5);
    Map<String, Tensor> baseOnly = new TreeMap<>(NdTensors.tensors(tuned.parameters()));
    baseOnly.keySet().removeIf(n -> n.contains(".lora_"));
    base.setParameters(baseOnly);
    assertThat(relDiff(base.logits(BATCH), tuned.logits(BATCH))).isGreaterThan(1e-3);
    HfModel.readAdapters(tmp.resolve("adapter"), base);
    assertThat(base.logits(BATCH)).isEqualTo(tuned.logits(BATCH));

    assertThatThrownBy(() -> HfModel.readAdapters(tmp.resolve("adapter"),
        new Decoder(c, new LoraConfig(4, 4, 0.1, Set.of("q")), 1)))
        .hasMessageContaining("differ from the model's rank=4");
  }

  @Test
  void aCheckpointOfAnotherShapeIsAnErrorNamingTheTensor(@TempDir Path tmp) throws Exception {
    ModelConfig c = shape(false, Biases.NONE, Norm.RMS, Mlp.SWIGLU, Positions.ROPE, true);
    HfModel.write(model(c, null), tmp, Safetensors.DType.F32);
    Files.writeString(tmp.resolve("config.json"), Files.readString(tmp.resolve("config.json"))
        .replace("\"intermediate_size\": 24", "\"intermediate_size\": 20"));
    assertThatThrownBy(() -> HfModel.read(tmp, null, DType.FLOAT, 1))
        .hasMessageContaining(tmp.toString()).hasMessageContaining("mlp.gate_proj.weight")
        .hasMessageContaining("[24, 16]");
    Files.delete(tmp.resolve("model.safetensors"));
    assertThatThrownBy(() -> HfModel.read(tmp, null, DType.FLOAT, 1))
        .hasMessageContaining("has neither model.safetensors nor");
  }
}
