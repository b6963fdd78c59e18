package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.config.ModelConfig.Biases;
import io.finmix.model.config.ModelConfig.DType;
import io.finmix.model.config.ModelConfig.Mlp;
import io.finmix.model.config.ModelConfig.Norm;
import io.finmix.model.config.ModelConfig.Positions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class DecoderTest {

  static final ModelConfig TINY = ModelConfig.preset(Path.of("../conf/models.conf"), "tiny");

  /** Llama-family shape with everything switched on: GQA, query/key norms, qkv biases. */
  static ModelConfig llamaLike(DType dtype) {
    return new ModelConfig(40, 16, 2, 4, 2, 4, true, Biases.QKV, 24, Norm.RMS, Mlp.SWIGLU,
        Positions.ROPE, true, 32, dtype, 10000.0, 1e-6);
  }

  /** GPT-2 shape: LayerNorm, GELU, learned positions, biases everywhere, separate head here. */
  static ModelConfig gpt2Like(DType dtype) {
    return new ModelConfig(40, 16, 2, 4, 4, 4, false, Biases.ALL, 32, Norm.LAYER, Mlp.GELU,
        Positions.LEARNED, false, 32, dtype, 10000.0, 1e-5);
  }

  static int[] example(Random r, int length, int vocab) {
    int[] e = new int[length];
    for (int i = 0; i < length; i++) {
      e[i] = r.nextInt(vocab);
    }
    return e;
  }

  @Test
  void perExampleWeightingAveragesEachExamplesMeanNotEveryToken() {
    Decoder d = new Decoder(TINY, 11);
    Random r = new Random(9);
    int[] shortAnswer = example(r, 6, TINY.vocabSize());
    int[] longAnswer = example(r, 12, TINY.vocabSize());
    int[] other = example(r, 8, TINY.vocabSize());
    // the loss on the last token of the first, the last 8 of the second, the last 3 of the third
    int[] lossFrom = {5, 4, 5};
    Batch tokens = Batch.ofPackedExamples(List.of(List.of(shortAnswer, longAnswer),
        List.of(other)), 20, (row, e) -> lossFrom[row == 0 ? e : 2]);
    INDArray each = d.tokenLosses(tokens);
    double a = each.getDouble(0, 4);
    double b = each.get(NDArrayIndex.point(0), NDArrayIndex.interval(6, 17)).sumNumber()
        .doubleValue();
    double c = each.get(NDArrayIndex.point(1), NDArrayIndex.all()).sumNumber().doubleValue();
    org.assertj.core.data.Offset<Double> close = org.assertj.core.data.Offset.offset(1e-5);
    assertThat(d.loss(tokens)).isCloseTo((a + b + c) / (1 + 8 + 3), close);
    assertThat(d.loss(tokens.weightedPerExample())).isCloseTo((a / 1 + b / 8 + c / 3) / 3, close);
  }

  @Test
  void aPackedRowGivesEachExampleTheLossAndLogitsItHasAlone() {
    for (ModelConfig config : List.of(TINY, llamaLike(DType.FLOAT), gpt2Like(DType.FLOAT))) {
      Decoder d = new Decoder(config, 11);
      Random r = new Random(5);
      int[] a = example(r, 5, config.vocabSize());
      int[] b = example(r, 7, config.vocabSize());
      int[] c = example(r, 9, config.vocabSize());
      Batch packed = Batch.ofPackedExamples(List.of(List.of(a, b), List.of(c)), 16);
      double packedSum = d.tokenLosses(packed).sumNumber().doubleValue();
      double alone = 0;
      for (int[] e : List.of(a, b, c)) {
        alone += d.tokenLosses(Batch.ofPackedExamples(List.of(List.of(e)), e.length))
            .sumNumber().doubleValue();
      }
      assertThat(Math.abs(packedSum - alone) / alone).as(config.toString())
          .isLessThanOrEqualTo(1e-4);
      // b's logits inside the packed row are its logits alone
      INDArray inRow = d.logits(packed).get(NDArrayIndex.point(0),
          NDArrayIndex.interval(5, 12), NDArrayIndex.all());
      INDArray own = d.logits(Batch.ofPackedExamples(List.of(List.of(b)), b.length))
          .get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all());
      assertThat(inRow.sub(own).amaxNumber().doubleValue()).as(config.toString())
          .isLessThanOrEqualTo(1e-4 * Math.max(1, own.amaxNumber().doubleValue()));
      // the mean loss is the masked tokens' mean
      int masked = (a.length - 1) + (b.length - 1) + (c.length - 1);
      assertThat(d.loss(packed)).isCloseTo(packedSum / masked,
          org.assertj.core.data.Offset.offset(1e-5));
      // without the segment boundaries the second example sees the first: the loss differs
      int[][] oneSegment = new int[2][16];
      int[][] positions = new int[2][16];
      for (int i = 0; i < 16; i++) {
        oneSegment[0][i] = 1;
        oneSegment[1][i] = 1;
        positions[0][i] = i;
        positions[1][i] = i;
      }
      Batch leaky = new Batch(packed.ids(), packed.labels(), packed.lossMask(), oneSegment,
          positions);
      assertThat(Math.abs(d.tokenLosses(leaky).sumNumber().doubleValue() - packedSum))
          .isGreaterThan(1e-3);
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesInDouble() {
    for (ModelConfig config : List.of(llamaLike(DType.DOUBLE), gpt2Like(DType.DOUBLE))) {
      Decoder d = new Decoder(config, 3);
      // move norms and biases off their initial values so their gradients are exercised
      Random r = new Random(9);
      for (Map.Entry<String, INDArray> p : d.parameters().entrySet()) {
        if (p.getKey().contains("norm") || p.getKey().endsWith(".bias")) {
          p.getValue().addi(org.nd4j.linalg.factory.Nd4j.randn(p.getValue().dataType(),
              p.getValue().shape()).muli(0.1));
        }
      }
      int[] a = example(r, 6, config.vocabSize());
      int[] b = {a[0], a[0], a[1], a[0]}; // repeated ids: their embedding rows add up
      Batch batch = Batch.ofPackedExamples(List.of(List.of(a, b), List.of(b)), 12);
      Map<String, INDArray> grads = d.gradients(batch);
      assertThat(grads.keySet()).isEqualTo(d.parameters().keySet());
      double eps = 1e-6;
      for (Map.Entry<String, INDArray> p : d.parameters().entrySet()) {
        INDArray w = p.getValue();
        INDArray g = grads.get(p.getKey());
        assertThat(g.shape()).as(p.getKey()).isEqualTo(w.shape());
        for (int k = 0; k < 2; k++) {
          long i = r.nextInt((int) w.length());
          if (p.getKey().equals(Decoder.EMBED) && k == 0) {
            i = (long) a[0] * config.hidden(); // a row used several times
          }
          double orig = w.getDouble(i);
          w.putScalar(i, orig + eps);
          double up = d.loss(batch);
          w.putScalar(i, orig - eps);
          double down = d.loss(batch);
          w.putScalar(i, orig);
          double numeric = (up - down) / (2 * eps);
          double analytic = g.getDouble(i);
          // relative error, where the gradient is not so small that finite differences are noise
          double scale = Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic));
          assertThat(Math.abs(numeric - analytic) / scale)
              .as("%s [%d]: numeric %s, analytic %s (%s)", p.getKey(), i, numeric, analytic,
                  config.norm())
              .isLessThanOrEqualTo(1e-4);
        }
      }
    }
  }

  @Test
  void stepsDownTheGradientLowerTheLoss() {
    Decoder d = new Decoder(TINY, 1);
    Random r = new Random(2);
    Batch batch = Batch.ofPackedExamples(List.of(List.of(example(r, 30, 512)),
        List.of(example(r, 20, 512), example(r, 10, 512))), 32);
    double start = d.loss(batch);
    assertThat(start).isCloseTo(Math.log(512), org.assertj.core.data.Offset.offset(0.1));
    for (int step = 0; step < 30; step++) {
      Map<String, INDArray> g = d.gradients(batch);
      d.parameters().forEach((name, w) -> w.subi(g.get(name).mul(0.5)));
    }
    assertThat(d.loss(batch)).isLessThan(start * 0.8);
  }
}
