package io.finmix.model.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

  static final Path MODELS = Path.of("../conf/models.conf");

  @Test
  void thePresetsParseAndHaveTheirPublishedSizes() {
    Map<String, ModelConfig> presets = ModelConfig.presets(MODELS);
    assertThat(presets).containsKeys("tiny", "small", "llama-200m", "qwen3-0.6b", "gpt2-small");
    ModelConfig tiny = presets.get("tiny");
    assertThat(tiny.headDim()).isEqualTo(8);
    assertThat(tiny.kvHeads()).isEqualTo(2);
    assertThat(tiny.norm()).isEqualTo(ModelConfig.Norm.RMS);
    assertThat(tiny.parameterCount()).isLessThan(100_000);
    assertThat(presets.get("small").parameterCount()).isBetween(2_000_000L, 10_000_000L);
    // GPT-2 small: 124,439,808 parameters (tied embeddings, learned positions, biases)
    assertThat(presets.get("gpt2-small").parameterCount()).isEqualTo(124_439_808L);
    // Qwen3-0.6B: 0.44B parameters besides the (tied) embedding
    ModelConfig qwen3 = presets.get("qwen3-0.6b");
    assertThat(qwen3.headDim()).isEqualTo(128);
    assertThat(qwen3.parameterCount() - (long) qwen3.vocabSize() * qwen3.hidden())
        .isCloseTo(440_000_000L, Percentage.withPercentage(1));
    assertThat(presets.get("llama-200m").parameterCount())
        .isCloseTo(200_000_000L, Percentage.withPercentage(5));
  }

  @Test
  void jsonRoundTrips() {
    for (ModelConfig c : ModelConfig.presets(MODELS).values()) {
      assertThat(ModelConfig.fromJson(c.toJson(), "config.json")).isEqualTo(c);
    }
    ModelConfig tiny = ModelConfig.preset(MODELS, "tiny");
    assertThat(tiny.withVocabSize(300).vocabSize()).isEqualTo(300);
    assertThat(tiny.withDType(ModelConfig.DType.DOUBLE).dtype())
        .isEqualTo(ModelConfig.DType.DOUBLE);
  }

  @Test
  void badShapesAndKeysAreNamed() {
    String base = "vocab_size = 64, hidden = 32, layers = 1, mlp_hidden = 64, max_seq_len = 16, ";
    assertThatThrownBy(() -> ModelConfig.fromConfig(ConfigFactory.parseString(base
        + "heads = 4, kv_heads = 3"), "m")).hasMessageContaining("kv_heads = 3")
        .hasMessageContaining("divisor of heads (4)");
    assertThatThrownBy(() -> ModelConfig.fromConfig(ConfigFactory.parseString(base
        + "heads = 5"), "m")).hasMessageContaining("heads = 5 must divide hidden (32)");
    assertThatThrownBy(() -> ModelConfig.fromConfig(ConfigFactory.parseString(base
        + "heads = 4, head_dim = 7"), "m")).hasMessageContaining("head_dim = 7")
        .hasMessageContaining("even for rope");
    assertThatThrownBy(() -> ModelConfig.fromConfig(ConfigFactory.parseString(base
        + "heads = 4, norm = batch"), "models.x")).hasMessageContaining("models.x")
        .hasMessageContaining("norm = 'batch' is not one of rms, layer");
    assertThatThrownBy(() -> ModelConfig.fromConfig(ConfigFactory.parseString(base
        + "heads = 4, widht = 3"), "models.x")).hasMessageContaining("unknown key 'widht'");
    assertThatThrownBy(() -> ModelConfig.preset(MODELS, "huge"))
        .hasMessageContaining("no model preset 'huge'").hasMessageContaining("small, tiny");
  }
}
