package io.finmix.model.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json files as the published checkpoints carry them. */
class HfConfigTest {

  static final Path MODELS = Path.of("../conf/models.conf");

  @TempDir
  Path dir;

  private Path json(String text) throws Exception {
    return Files.writeString(Files.createTempFile(dir, "config-", ".json"), text);
  }

  static final String QWEN3_06B = "{\"architectures\": [\"Qwen3ForCausalLM\"], "
      + "\"attention_bias\": false, \"attention_dropout\": 0.0, \"bos_token_id\": 151643, "
      + "\"eos_token_id\": 151645, \"head_dim\": 128, \"hidden_act\": \"silu\", "
      + "\"hidden_size\": 1024, \"initializer_range\": 0.02, \"intermediate_size\": 3072, "
      + "\"max_position_embeddings\": 40960, \"max_window_layers\": 28, \"model_type\": "
      + "\"qwen3\", \"num_attention_heads\": 16, \"num_hidden_layers\": 28, "
      + "\"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-06, \"rope_scaling\": null, "
      + "\"rope_theta\": 1000000, \"sliding_window\": null, \"tie_word_embeddings\": true, "
      + "\"torch_dtype\": \"bfloat16\", \"use_cache\": true, \"use_sliding_window\": false, "
      + "\"vocab_size\": 151936}";

  @Test
  void qwen3AndGpt2ReadAsTheirPresets() throws Exception {
    assertThat(HfConfig.read(json(QWEN3_06B)))
        .isEqualTo(ModelConfig.preset(MODELS, "qwen3-0.6b"));
    assertThat(HfConfig.read(json("{\"activation_function\": \"gelu_new\", \"model_type\": "
        + "\"gpt2\", \"n_ctx\": 1024, \"n_embd\": 768, \"n_head\": 12, \"n_layer\": 12, "
        + "\"n_positions\": 1024, \"layer_norm_epsilon\": 1e-05, \"vocab_size\": 50257}")))
        .isEqualTo(ModelConfig.preset(MODELS, "gpt2-small"));
  }

  @Test
  void qwen2HasQkvBiasesAndItsPublishedSize() throws Exception {
    ModelConfig q = HfConfig.read(json("{\"model_type\": \"qwen2\", \"hidden_act\": \"silu\", "
        + "\"hidden_size\": 896, \"intermediate_size\": 4864, \"num_attention_heads\": 14, "
        + "\"num_hidden_layers\": 24, \"num_key_value_heads\": 2, \"vocab_size\": 151936, "
        + "\"tie_word_embeddings\": true, \"rope_theta\": 1000000.0, \"rms_norm_eps\": 1e-06, "
        + "\"max_position_embeddings\": 32768, \"sliding_window\": 32768, "
        + "\"use_sliding_window\": false, \"rope_scaling\": null}"));
    assertThat(q.biases()).isEqualTo(ModelConfig.Biases.QKV);
    // Qwen2.5-0.5B: 0.36B parameters besides the tied embedding
    assertThat(q.parameterCount() - (long) q.vocabSize() * q.hidden())
        .isCloseTo(360_000_000L, Percentage.withPercentage(1));
  }

  @Test
  void everyPresetWritesAConfigThatReadsBack() throws Exception {
    for (ModelConfig m : ModelConfig.presets(MODELS).values()) {
      assertThat(HfConfig.read(json(HfConfig.write(m)))).isEqualTo(m);
    }
    assertThat(HfConfig.write(ModelConfig.preset(MODELS, "qwen3-0.6b")))
        .contains("\"model_type\": \"qwen3\"");
  }

  @Test
  void whatTheModelCannotReproduceIsRefusedByName() throws Exception {
    String llama = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, "
        + "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, \"vocab_size\": 100, "
        + "\"max_position_embeddings\": 128";
    assertThat(HfConfig.read(json(llama + "}")).kvHeads()).isEqualTo(4);
    Path scaled = json(llama + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}");
    assertThatThrownBy(() -> HfConfig.read(scaled)).hasMessageContaining(scaled.toString())
        .hasMessageContaining("rope_scaling");
    assertThatThrownBy(() -> HfConfig.read(json(llama + ", \"hidden_act\": \"gelu\"}")))
        .hasMessageContaining("hidden_act 'gelu'");
    assertThatThrownBy(() -> HfConfig.read(json(llama.replace("llama", "mamba") + "}")))
        .hasMessageContaining("model_type 'mamba' is not supported");
    assertThatThrownBy(() -> HfConfig.read(json(llama.replace("\"vocab_size\": 100, ", "")
        + "}"))).hasMessageContaining("no vocab_size");
    assertThatThrownBy(() -> HfConfig.read(json("[1]"))).hasMessageContaining("not a JSON object");
  }
}
