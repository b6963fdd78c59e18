package io.finmix.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every preset of conf/models.conf builds and trains. {@code tiny} and {@code small} as they
 * are; the cluster shapes (hundreds of millions of parameters) with one block and a 512-token
 * vocabulary, which keeps every feature of their block (head width, GQA, query/key norms,
 * biases, LayerNorm, GELU, learned positions) at a size a test machine trains in seconds.
 */
class PresetsTrainTest {

  @Test
  void everyPresetBuildsAndItsLossFallsOnARepeatedBatch() {
    Map<String, ModelConfig> presets = ModelConfig.presets(Path.of("../conf/models.conf"));
    assertThat(presets).containsKeys("tiny", "small", "llama-200m", "qwen3-0.6b", "gpt2-small");
    presets.forEach((name, preset) -> {
      ModelConfig c = preset.parameterCount() > 20_000_000 ? oneBlock(preset) : preset;
      Trainer t = new Trainer(new Decoder(c, 5), TrainConfig.of(1e-2, 2, 10, 5));
      Batch b = Progressions.batch(new Random(1), 2, 32, 40);
      double first = t.step(b).loss();
      double last = first;
      for (int i = 1; i < 10; i++) {
        last = t.step(b).loss();
      }
      assertThat(first).as(name).isCloseTo(Math.log(c.vocabSize()),
          org.assertj.core.data.Offset.offset(0.5));
      assertThat(last).as(name).isLessThan(first * 0.8);
    });
  }

  static ModelConfig oneBlock(ModelConfig p) {
    return new ModelConfig(512, p.hidden(), 1, p.heads(), p.kvHeads(), p.headDim(), p.qkNorm(),
        p.biases(), p.mlpHidden(), p.norm(), p.mlp(), p.positions(), p.tiedEmbeddings(),
        p.maxSeqLen(), p.dtype(), p.ropeTheta(), p.normEps());
  }
}
