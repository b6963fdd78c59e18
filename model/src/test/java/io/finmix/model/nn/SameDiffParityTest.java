package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.model.config.LoraConfig;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.DType;
import io.finmix.model.io.NdTensors;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The explicit engine against the SameDiff decoder it replaces, on the same weights and batch:
 * logits and every trainable gradient within 1e-4 relative, on both kernel paths.
 */
class SameDiffParityTest {

  static double relative(INDArray a, INDArray b) {
    double scale = Math.max(1e-6, b.amaxNumber().doubleValue());
    return a.castTo(b.dataType()).sub(b).amaxNumber().doubleValue() / scale;
  }

  void check(ModelConfig config, LoraConfig lora, boolean nd4j) throws Exception {
    Decoder d = new Decoder(config, lora, 3);
    Random r = new Random(9);
    for (Map.Entry<String, INDArray> p : d.parameters().entrySet()) {
      if (p.getKey().contains("norm") || p.getKey().endsWith(".bias")
          || p.getKey().contains("lora_B")) {
        p.getValue().addi(Nd4j.randn(p.getValue().dataType(), p.getValue().shape()).muli(0.2));
      }
    }
    SameDiffDecoder old = new SameDiffDecoder(config, lora, 3);
    old.setParameters(NdTensors.tensors(d.parameters()));
    Batch batch = Batch.ofPackedExamples(List.of(
        List.of(DecoderTest.example(r, 9, config.vocabSize()),
            DecoderTest.example(r, 13, config.vocabSize())),
        List.of(DecoderTest.example(r, 24, config.vocabSize()))), 24);
    try (AutoCloseable path = nd4j ? Kernels.nd4jPath() : () -> { }) {
      String what = config + " lora " + lora + " nd4j " + nd4j;
      assertThat(relative(d.logits(batch), old.logits(batch))).as(what).isLessThan(1e-4);
      Decoder.Gradients g = d.lossAndGradients(batch, 1);
      Map<String, INDArray> expected = old.gradients(batch);
      assertThat(g.loss()).as(what).isCloseTo(old.loss(batch),
          org.assertj.core.data.Offset.offset(1e-5));
      assertThat(g.byName().keySet()).isEqualTo(expected.keySet());
      for (String name : expected.keySet()) {
        assertThat(relative(g.byName().get(name), expected.get(name))).as(what + " " + name)
            .isLessThan(1e-4);
      }
    }
  }

  @Test
  void hostPathMatchesSameDiff() throws Exception {
    for (ModelConfig c : List.of(DecoderTest.TINY, DecoderTest.llamaLike(DType.FLOAT),
        DecoderTest.gpt2Like(DType.FLOAT))) {
      check(c, null, false);
    }
    check(DecoderTest.llamaLike(DType.FLOAT), LoraConfig.allProjections(4, 8, 0), false);
  }

  @Test
  void nd4jPathMatchesSameDiff() throws Exception {
    for (ModelConfig c : List.of(DecoderTest.TINY, DecoderTest.llamaLike(DType.FLOAT),
        DecoderTest.gpt2Like(DType.FLOAT))) {
      check(c, null, true);
    }
    check(DecoderTest.llamaLike(DType.FLOAT), LoraConfig.allProjections(4, 8, 0), true);
  }
}
