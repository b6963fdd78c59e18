package io.finmix.jobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Benchmarks.Kind;
import io.finmix.jobs.task.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** Recipes against the baseline on hand-made predictions: McNemar's counts, the seed interval. */
class ScoreGroupsTest {

  private static final List<String> LABELS = List.of("negative", "neutral", "positive");
  private static final Benchmark FPB = new Benchmark("fpb", "fpb", List.of("valid", "test"),
      Kind.CLASSIFICATION, "", 0, LABELS, List.of("generate"),
      List.of(Metric.ACCURACY, Metric.WEIGHTED_F1), Metric.WEIGHTED_F1, "target", 0, 0L, 8,
      List.of(), 0, "");
  private static final Benchmark HEADLINES = new Benchmark("headlines", "h",
      List.of("valid", "test"), Kind.CLASSIFICATION, "", 0, List.of("Yes", "No"),
      List.of("rank"), List.of(Metric.AVG_F1, Metric.WEIGHTED_F1), Metric.AVG_F1, "target", 0,
      0L, 8, List.of(), 0, "question");

  @Test
  void averageF1AveragesOverThePredictionsGroups() {
    // MetricTest's example, through the predictions: up Y Y N N / Y N N N, down N N / N Y;
    // avg_f1 = (11/15 + 2/3) / 2 = 0.7, the pooled weighted F1 2/3
    String[][] rows = {{"Yes", "Yes", "up"}, {"Yes", "No", "up"}, {"No", "No", "up"},
        {"No", "No", "up"}, {"No", "No", "down"}, {"No", "Yes", "down"}};
    List<ScoreGroups.Prediction> ps = new ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      ps.add(new ScoreGroups.Prediction("r" + i, rows[i][0], rows[i][1],
          rows[i][0].equals(rows[i][1]), rows[i][2]));
    }
    Map<Metric, Double> values = new TreeMap<>();
    new ScoreGroups(50, 1, 0.95).scores(HEADLINES, ps).forEach(sc -> values.put(sc.metric(),
        sc.value()));
    assertThat(values.get(Metric.AVG_F1)).isCloseTo(0.7, within(1e-12));
    assertThat(values.get(Metric.WEIGHTED_F1)).isCloseTo(2.0 / 3, within(1e-12));
  }

  /** Ten rows, gold cycling the labels, right where told (else the next label). */
  private static List<ScoreGroups.Prediction> rows(IntPredicate right) {
    List<ScoreGroups.Prediction> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String gold = LABELS.get(i % 3);
      boolean ok = right.test(i);
      out.add(new ScoreGroups.Prediction("r" + i, gold, ok ? gold : LABELS.get((i + 1) % 3),
          ok));
    }
    out.sort(java.util.Comparator.comparing(ScoreGroups.Prediction::recordId));
    return out;
  }

  private static List<ScoreGroups.Comparison> compare(
      Map<String, Map<Long, List<ScoreGroups.Prediction>>> byRecipe) {
    Map<String, Map<Long, String>> runs = new TreeMap<>();
    byRecipe.forEach((recipe, bySeed) -> bySeed.keySet().forEach(s -> runs
        .computeIfAbsent(recipe, k -> new TreeMap<>()).put(s, recipe + "-s" + s)));
    List<ScoreGroups.RecipeScore> scores = new ArrayList<>();
    List<ScoreGroups.Comparison> comparisons = new ArrayList<>();
    new ScoreGroups(400, 7, 0.95).compare(FPB, byRecipe, runs, "target", scores, comparisons);
    return comparisons;
  }

  private static ScoreGroups.Comparison of(List<ScoreGroups.Comparison> cs, Metric m) {
    return cs.stream().filter(c -> c.metric() == m).findFirst().orElseThrow();
  }

  @Test
  void mcnemarPoolsTheSeedsRowPairs() {
    // seed 1: mix right on rows 0-8, target on 0-3: b = rows 4-8 = 5, c = 0
    // seed 2: mix right on rows 0-5, target on 0-2 and 9: b = rows 3-5 = 3, c = row 9 = 1
    // pooled: b = 8, c = 1; p = 2 * (C(9,0) + C(9,1)) / 2^9 = 20 / 512 = 0.0390625
    Map<String, Map<Long, List<ScoreGroups.Prediction>>> byRecipe = new TreeMap<>();
    byRecipe.put("mix", new TreeMap<>(Map.of(1L, rows(i -> i <= 8), 2L, rows(i -> i <= 5))));
    byRecipe.put("target", new TreeMap<>(Map.of(1L, rows(i -> i <= 3),
        2L, rows(i -> i <= 2 || i == 9))));
    List<ScoreGroups.Comparison> cs = compare(byRecipe);

    ScoreGroups.Comparison accuracy = of(cs, Metric.ACCURACY);
    assertThat(accuracy.seeds()).containsExactly(1L, 2L);
    assertThat(accuracy.mcnemar().b()).isEqualTo(8);
    assertThat(accuracy.mcnemar().c()).isEqualTo(1);
    assertThat(accuracy.mcnemar().pValue()).isEqualTo(0.0390625);
    // mix (9 + 6) / 20 = 0.75, target (4 + 4) / 20 = 0.4: b - c = 20 * 0.35 = 7
    assertThat(accuracy.value()).isEqualTo(0.75);
    assertThat(accuracy.baselineValue()).isEqualTo(0.4);
    assertThat(accuracy.delta().delta()).isCloseTo(0.35, within(1e-12));
    assertThat(accuracy.seedInterval().value()).isCloseTo(0.35, within(1e-12));
    assertThat(accuracy.seedInterval().low()).isLessThanOrEqualTo(0.35);
    assertThat(accuracy.seedInterval().high()).isGreaterThanOrEqualTo(0.35);
    // F1 is no fraction of rows right: no McNemar
    assertThat(of(cs, Metric.WEIGHTED_F1).mcnemar()).isNull();
  }

  @Test
  void oneSharedSeedGivesTheRowLevelIntervalTwice() {
    // the mix has seeds 1 and 3, the target 1 and 2: only seed 1 is paired
    Map<String, Map<Long, List<ScoreGroups.Prediction>>> byRecipe = new TreeMap<>();
    byRecipe.put("mix", new TreeMap<>(Map.of(1L, rows(i -> i != 4), 3L, rows(i -> false))));
    byRecipe.put("target", new TreeMap<>(Map.of(1L, rows(i -> i % 2 == 0),
        2L, rows(i -> true))));
    for (ScoreGroups.Comparison c : compare(byRecipe)) {
      assertThat(c.seeds()).containsExactly(1L);
      assertThat(c.seedInterval().low()).isEqualTo(c.delta().low());
      assertThat(c.seedInterval().high()).isEqualTo(c.delta().high());
    }
    // seed 1 only: b = odd rows = 5 (1, 3, 5, 7, 9), c = row 4 = 1; p = 2 * 7 / 64
    assertThat(of(compare(byRecipe), Metric.ACCURACY).mcnemar().pValue()).isEqualTo(0.21875);
  }
}
