package io.finmix.model.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.model.config.ModelConfig;
import io.finmix.model.infer.Generator.Finish;
import io.finmix.model.infer.Generator.Generation;
import io.finmix.model.infer.Generator.Settings;
import io.finmix.model.infer.Scorer.Choice;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.train.Progressions;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class InferenceTest {

  static final ModelConfig TINY = ModelConfig.preset(Path.of("../conf/models.conf"), "tiny");
  static final int SPAN = 40;
  /** Token id k as letter: 1 -> 'a', ... ; lets stop strings be tested on real text. */
  static final Function<int[], String> LETTERS = ids -> {
    StringBuilder b = new StringBuilder();
    for (int id : ids) {
      b.append((char) ('a' + id - 1));
    }
    return b.toString();
  };
  static Decoder trained;

  @BeforeAll
  static void trainOnProgressions() {
    Trainer t = new Trainer(new Decoder(TINY, 1), TrainConfig.of(1e-2, 10, 150, 1));
    Random r = new Random(3);
    for (int i = 0; i < 150; i++) {
      t.step(Progressions.batch(r, 8, 32, SPAN));
    }
    trained = t.model();
  }

  static int[] progression(int start, int stride, int from, int count) {
    int[] out = new int[count];
    for (int k = 0; k < count; k++) {
      out[k] = Progressions.term(start, stride, from + k, SPAN);
    }
    return out;
  }

  /** log p(cand | prompt) straight from the logits of one unpacked sequence. */
  static double direct(Decoder d, int[] prompt, int[] cand) {
    int[] seq = new int[prompt.length + cand.length];
    System.arraycopy(prompt, 0, seq, 0, prompt.length);
    System.arraycopy(cand, 0, seq, prompt.length, cand.length);
    INDArray logits = d.logits(Batch.ofPackedExamples(List.of(List.of(seq)), seq.length));
    double ll = 0;
    for (int i = prompt.length; i < seq.length; i++) {
      double[] row = logits.slice(0).getRow(i - 1).toDoubleVector();
      double max = java.util.Arrays.stream(row).max().orElseThrow();
      double z = 0;
      for (double v : row) {
        z += Math.exp(v - max);
      }
      ll += row[seq[i]] - max - Math.log(z);
    }
    return ll;
  }

  @Test
  void packedScoresEqualEachCandidateScoredAlone() {
    Decoder d = new Decoder(TINY, 4);
    Random r = new Random(2);
    List<int[]> prompts = new ArrayList<>();
    List<List<int[]>> cands = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      prompts.add(r.ints(3 + r.nextInt(9), 0, TINY.vocabSize()).toArray());
      List<int[]> cs = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        cs.add(r.ints(1 + r.nextInt(4), 0, TINY.vocabSize()).toArray());
      }
      cands.add(cs);
    }
    List<List<Choice>> scores = new Scorer(d, 24, 2).score(prompts, cands);
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 3; j++) {
        Choice c = scores.get(i).get(j);
        double expected = direct(d, prompts.get(i), cands.get(i).get(j));
        assertThat(Math.abs(c.logLikelihood() - expected) / Math.abs(expected))
            .as("prompt %d candidate %d", i, j).isLessThan(1e-4);
        assertThat(c.tokens()).isEqualTo(cands.get(i).get(j).length);
      }
    }
    // a prompt longer than the row keeps its end
    int[] longPrompt = r.ints(40, 0, TINY.vocabSize()).toArray();
    int[] cand = {5, 6};
    double ll = new Scorer(d, 10, 1).score(List.of(longPrompt), List.of(List.of(cand))).get(0)
        .get(0).logLikelihood();
    assertThat(ll).isCloseTo(direct(d, java.util.Arrays.copyOfRange(longPrompt, 32, 40), cand),
        org.assertj.core.data.Offset.offset(1e-4));
    assertThatThrownBy(() -> new Scorer(d, 4, 1).score(List.of(new int[] {1}),
        List.of(List.of(new int[] {1, 2, 3, 4})))).hasMessageContaining("prompt 0");
  }

  @Test
  void aTrainedModelRanksTheTrueContinuationFirst() {
    List<int[]> prompts = new ArrayList<>();
    List<List<int[]>> cands = new ArrayList<>();
    for (int start = 0; start < 10; start++) {
      int stride = 1 + start % 3;
      prompts.add(progression(start * 3, stride, 0, 5));
      cands.add(List.of(progression(start * 3, stride + 1, 5, 1),
          progression(start * 3, stride, 5, 1), progression(start * 3, stride, 6, 1)));
    }
    int right = 0;
    for (List<Choice> choices : new Scorer(trained, 32, 4).score(prompts, cands)) {
      Choice best = choices.stream().max(java.util.Comparator.comparingDouble(
          Choice::logLikelihood)).orElseThrow();
      right += best == choices.get(1) ? 1 : 0;
    }
    assertThat(right).isGreaterThanOrEqualTo(9);
  }

  @Test
  void greedyGenerationContinuesTheProgressionAndBatchingChangesNothing() {
    List<int[]> prompts = List.of(progression(2, 1, 0, 4), progression(7, 2, 0, 6),
        progression(30, 3, 0, 3));
    Generator g = new Generator(trained, LETTERS);
    List<Generation> batched = g.generate(prompts, Settings.greedy(5, -1));
    for (int i = 0; i < prompts.size(); i++) {
      Generation alone = g.generate(List.of(prompts.get(i)), Settings.greedy(5, -1)).get(0);
      assertThat(batched.get(i).tokens()).isEqualTo(alone.tokens());
      assertThat(batched.get(i).finish()).isEqualTo(Finish.LENGTH);
    }
    int[] expected = progression(7, 2, 6, 5);
    assertThat(batched.get(1).tokens()).isEqualTo(expected);
    assertThat(batched.get(1).text()).isEqualTo(LETTERS.apply(expected));
  }

  @Test
  void theKeyValueCacheGeneratesExactlyTheTokensOfFullRecomputation() {
    Random r = new Random(12);
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      prompts.add(progression(r.nextInt(SPAN), 1 + r.nextInt(3), 0, 2 + r.nextInt(9)));
    }
    prompts.add(r.ints(7, 1, TINY.vocabSize()).toArray()); // off the task: near ties
    for (Settings s : List.of(Settings.greedy(10, 9), new Settings(10, 1.5, 5, List.of("q"),
        -1))) {
      List<Generation> cached = new Generator(trained, LETTERS).generate(prompts, s);
      List<Generation> full = new Generator(trained, LETTERS, false).generate(prompts, s);
      for (int i = 0; i < prompts.size(); i++) {
        assertThat(cached.get(i).tokens()).as("prompt %d, %s", i, s)
            .isEqualTo(full.get(i).tokens());
        assertThat(cached.get(i).finish()).isEqualTo(full.get(i).finish());
      }
    }
  }

  @Test
  void theNd4jPathScoresAndGeneratesAsTheHostPathDoes() throws Exception {
    // the path a CUDA executor takes: cached keys and values read through ND4J operations
    Random r = new Random(21);
    List<int[]> prompts = new ArrayList<>();
    List<List<int[]>> cands = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      prompts.add(progression(r.nextInt(SPAN), 1 + r.nextInt(3), 0, 3 + r.nextInt(8)));
      cands.add(List.of(r.ints(1, 1, 40).toArray(), r.ints(3, 1, 40).toArray()));
    }
    List<List<Choice>> host = new Scorer(trained, 24, 3).score(prompts, cands);
    List<Generation> hostText = new Generator(trained, LETTERS).generate(prompts,
        Settings.greedy(6, -1));
    try (AutoCloseable path = io.finmix.model.nn.Kernels.nd4jPath()) {
      List<List<Choice>> nd4j = new Scorer(trained, 24, 3).score(prompts, cands);
      for (int i = 0; i < prompts.size(); i++) {
        for (int j = 0; j < 2; j++) {
          double a = host.get(i).get(j).logLikelihood();
          double b = nd4j.get(i).get(j).logLikelihood();
          assertThat(Math.abs(a - b) / Math.abs(b)).as("prompt %d candidate %d", i, j)
              .isLessThan(1e-4);
        }
      }
      List<Generation> nd4jText = new Generator(trained, LETTERS).generate(prompts,
          Settings.greedy(6, -1));
      for (int i = 0; i < prompts.size(); i++) {
        assertThat(nd4jText.get(i).tokens()).isEqualTo(hostText.get(i).tokens());
      }
    }
  }

  @Test
  void stopStringsEosAndTemperatureSampling() {
    Generator g = new Generator(trained, LETTERS);
    int[] prompt = progression(0, 1, 0, 4); // a b c d
    // "ef" stops it: the text is cut before the stop string, tokens too
    Generation stopped = g.generate(List.of(prompt), Settings.greedy(8, -1, "zz", "fg"))
        .get(0);
    assertThat(stopped.finish()).isEqualTo(Finish.STOP);
    assertThat(stopped.text()).isEqualTo("e");
    assertThat(stopped.tokens()).containsExactly(5);
    // the eos token ends it and is not part of the output
    Generation eos = g.generate(List.of(prompt), Settings.greedy(8, 7)).get(0);
    assertThat(eos.finish()).isEqualTo(Finish.EOS);
    assertThat(eos.tokens()).containsExactly(5, 6);
    // sampling: seeded, so repeatable; hot enough to leave the greedy path
    Settings hot = new Settings(12, 5.0, 42, List.of(), -1);
    List<int[]> many = List.of(prompt, prompt, prompt);
    List<Generation> a = g.generate(many, hot);
    List<Generation> b = g.generate(many, hot);
    for (int i = 0; i < 3; i++) {
      assertThat(a.get(i).tokens()).isEqualTo(b.get(i).tokens());
    }
    assertThat(a.get(0).tokens()).isNotEqualTo(a.get(1).tokens());
    assertThat(Generator.pick(new double[] {1, 3, 3}, 0, new Random())).isEqualTo(1);
  }
}
