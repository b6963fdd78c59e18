package io.finmix.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainerTest {

  static final Path MODELS = Path.of("../conf/models.conf");
  static final ModelConfig TINY = ModelConfig.preset(MODELS, "tiny");

  static double mean(List<Double> xs, int from, int to) {
    return xs.subList(from, to).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  @Test
  void theScheduleWarmsUpThenDecaysByCosineToItsFloor() {
    TrainConfig c = TrainConfig.of(1e-3, 10, 110, 0);
    assertThat(c.lrAt(0)).isEqualTo(1e-4);
    assertThat(c.lrAt(9)).isEqualTo(1e-3);
    assertThat(c.lrAt(10)).isEqualTo(1e-3);
    assertThat(c.lrAt(60)).isCloseTo(0.55e-3, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(c.lrAt(110)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(c.lrAt(500)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
    assertThatThrownBy(() -> TrainConfig.of(0, 1, 1, 0)).hasMessageContaining("train.lr = 0.0");
  }

  @Test
  void adamWTakesTorchsFirstStepAndDecaysOnlyMatrices() {
    TrainConfig c = new TrainConfig(0.1, 0.1, 0, 10, 0.5, 0.9, 0.95, 1e-8, 0, 0);
    AdamW adam = new AdamW(c);
    Map<String, INDArray> p = new HashMap<>(Map.of("w", Nd4j.createFromArray(
        new float[][] {{1f, -2f}}), "b", Nd4j.createFromArray(new float[] {1f, -2f})));
    Map<String, INDArray> g = Map.of("w", Nd4j.createFromArray(new float[][] {{0.5f, -4f}}),
        "b", Nd4j.createFromArray(new float[] {0.5f, -4f}));
    adam.step(p, g, 0.1);
    // step 1: m/(1-b1) = g, v/(1-b2) = g^2, so the update is lr * sign(g); decay p *= 1 - lr*wd
    assertThat(p.get("w").getDouble(0, 0)).isCloseTo(1 * 0.95 - 0.1, within());
    assertThat(p.get("w").getDouble(0, 1)).isCloseTo(-2 * 0.95 + 0.1, within());
    assertThat(p.get("b").getDouble(0)).isCloseTo(0.9, within());
    assertThat(p.get("b").getDouble(1)).isCloseTo(-1.9, within());
  }

  static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-6);
  }

  @Test
  void fullFineTuningLearnsTheTask() {
    Trainer t = new Trainer(new Decoder(TINY, 1), TrainConfig.of(1e-2, 10, 120, 1));
    Random r = new Random(3);
    List<Double> losses = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      Trainer.Step s = t.step(Progressions.batch(r, 8, 32, 40));
      losses.add(s.loss());
      assertThat(s.tokens()).isEqualTo(8 * 32);
    }
    assertThat(losses.get(0)).isCloseTo(Math.log(TINY.vocabSize()),
        org.assertj.core.data.Offset.offset(0.1));
    // a model that learns the progressions pays ~ln(40) on an example's first token, ~ln 3 on
    // its second, ~0 after: about 0.6 nats per token
    assertThat(mean(losses, 110, 120)).as("losses %s", losses).isLessThan(1.5);
  }

  @Test
  void loraTrainsTheAdaptersAndLeavesTheBaseBitIdentical() {
    // a base model that knows strides 1..3, adapted to strides 5..7
    Decoder base = new Decoder(TINY, 1);
    Trainer pre = new Trainer(base, TrainConfig.of(1e-2, 5, 60, 1));
    Random r = new Random(3);
    for (int i = 0; i < 60; i++) {
      pre.step(Progressions.batch(r, 8, 32, 40));
    }
    LoraConfig lora = LoraConfig.allProjections(8, 16, 0.05);
    Decoder d = new Decoder(TINY, lora, 1);
    d.setParameters(io.finmix.model.io.NdTensors.tensors(base.parameters()));
    Map<String, INDArray> before = new HashMap<>();
    d.parameters().forEach((n, a) -> before.put(n, a.dup()));
    assertThat(d.trainable()).allMatch(n -> n.contains(".lora_"))
        .hasSize(TINY.layers() * 7 * 2);
    Trainer t = new Trainer(d, TrainConfig.of(1e-2, 5, 60, 1));
    List<Double> losses = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      losses.add(t.step(Progressions.batch(r, 8, 32, 40, 5)).loss());
    }
    assertThat(mean(losses, 50, 60)).as("losses %s", losses).isLessThan(mean(losses, 0, 5) - 0.5);
    d.parameters().forEach((name, a) -> {
      if (name.contains(".lora_")) {
        assertThat(a).as(name).isNotEqualTo(before.get(name));
      } else {
        assertThat(a).as(name).isEqualTo(before.get(name)); // bit for bit
      }
    });

    // the merged weights in a plain model compute what base + adapters compute
    Decoder merged = new Decoder(TINY, 99);
    merged.setParameters(io.finmix.model.io.NdTensors.tensors(d.mergedParameters()));
    Batch b = Progressions.batch(new Random(8), 2, 32, 40);
    INDArray withAdapters = d.logits(b);
    assertThat(merged.logits(b).distance2(withAdapters) / withAdapters.norm2Number()
        .doubleValue()).isLessThan(1e-5);
  }

  @Test
  void aResumedRunTakesTheSameStepsAsTheUninterruptedOne(@TempDir Path tmp) {
    LoraConfig lora = new LoraConfig(2, 4, 0.2, Set.of("q", "v", "down"));
    for (LoraConfig adapters : java.util.Arrays.asList(null, lora)) {
      TrainConfig cfg = TrainConfig.of(5e-3, 3, 20, 7);
      Trainer a = new Trainer(new Decoder(TINY, adapters, 7), cfg);
      Random r = new Random(11);
      List<Batch> batches = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        batches.add(Progressions.batch(r, 4, 32, 40));
      }
      for (int i = 0; i < 5; i++) {
        a.step(batches.get(i));
      }
      Path dir = tmp.resolve((adapters == null ? "full" : "lora") + "-step-5");
      a.checkpoint("tok-1", Map.of("run", "r1")).write(dir);
      List<Double> straight = new ArrayList<>();
      for (int i = 5; i < 8; i++) {
        straight.add(a.step(batches.get(i)).loss());
      }
      Checkpoint ck = Checkpoint.read(dir);
      assertThat(ck.step()).isEqualTo(5);
      assertThat(ck.tokenizer()).isEqualTo("tok-1");
      Trainer b = Trainer.resume(ck, cfg);
      assertThat(b.steps()).isEqualTo(5);
      assertThat(b.model().lora()).isEqualTo(adapters);
      List<Double> resumed = new ArrayList<>();
      for (int i = 5; i < 8; i++) {
        resumed.add(b.step(batches.get(i)).loss());
      }
      assertThat(resumed).as(String.valueOf(adapters)).isEqualTo(straight);
    }
  }

  @Test
  void aNonFiniteLossStopsTheStepAndChangesNothing() {
    Decoder d = new Decoder(TINY, 1);
    Trainer t = new Trainer(d, TrainConfig.of(1e-3, 0, 10, 1));
    Batch b = Progressions.batch(new Random(1), 2, 16, 40);
    t.step(b);
    d.parameters().get("model.layers.1.mlp.up_proj.weight").putScalar(0, 0, Double.NaN);
    INDArray q = d.parameters().get("model.layers.0.self_attn.q_proj.weight").dup();
    assertThatThrownBy(() -> t.step(b)).isInstanceOf(NonFiniteLossException.class)
        .hasMessageContaining("step 1: loss NaN");
    assertThat(d.parameters().get("model.layers.0.self_attn.q_proj.weight")).isEqualTo(q);
    assertThat(t.steps()).isEqualTo(1);
  }
}
