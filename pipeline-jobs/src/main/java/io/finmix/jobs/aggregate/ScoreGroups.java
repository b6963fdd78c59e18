package io.finmix.jobs.aggregate;

import io.finmix.jobs.eval.Bootstrap;
import io.finmix.jobs.eval.Significance;
import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Metric;
import io.finmix.jobs.task.Outcomes;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The statistics of aggregate, on plain data (Spark hands each group's predictions over as a
 * list): one system's scores with bootstrap intervals, and recipes against their target-only
 * baseline, paired over shared eval rows and averaged over shared seeds: a row-level and a
 * two-level (seeds, then rows) bootstrap of the difference, and for right/wrong metrics the
 * exact McNemar test.
 */
public final class ScoreGroups implements Serializable {

  /**
   * One prediction: the eval row, its gold answer, the prediction (null: missing), correct, and
   * the row's group where its benchmark groups rows (null otherwise; {@link Metric#AVG_F1}).
   */
  public record Prediction(String recordId, String gold, String predicted, boolean correct,
      String group) implements Serializable {

    /** A prediction of a benchmark without groups. */
    public Prediction(String recordId, String gold, String predicted, boolean correct) {
      this(recordId, gold, predicted, correct, null);
    }
  }

  /** A metric's value on all rows with its bootstrap interval, over n rows. */
  public record Score(Metric metric, double value, double low, double high, long n) {}

  /** A recipe's metric, mean over its seeds, with the interval over rows, the seeds' sd. */
  public record RecipeScore(String recipe, Metric metric, List<Long> seeds, List<String> runs,
      double value, double low, double high, double seedSd, long n) {}

  /**
   * A recipe against the baseline recipe over the seeds and rows both have: {@code delta}
   * resamples rows, {@code seedInterval} seeds then rows ({@link Bootstrap#twoLevel});
   * {@code mcnemar} (null unless the metric is a fraction of rows correct) counts the
   * discordant (seed, row) pairs pooled over the seeds ({@link #mcnemar}).
   */
  public record Comparison(String recipe, String baseline, Metric metric, List<Long> seeds,
      long n, double value, double baselineValue, Bootstrap.Delta delta,
      Bootstrap.Interval seedInterval, Significance.McNemar mcnemar) {}

  private final int resamples;
  private final long seed;
  private final double level;

  public ScoreGroups(int resamples, long seed, double level) {
    this.resamples = resamples;
    this.seed = seed;
    this.level = level;
  }

  /** Every metric of {@code b} on one system's predictions, each with its interval. */
  public List<Score> scores(Benchmark b, List<Prediction> predictions) {
    Outcomes o = outcomes(b, predictions);
    List<Score> out = new ArrayList<>();
    for (Metric m : b.metrics()) {
      Bootstrap.Interval i = Bootstrap.interval(o.size(), rows -> m.compute(o, rows), resamples,
          seed, level);
      out.add(new Score(m, i.value(), i.low(), i.high(), o.size()));
    }
    return out;
  }

  /**
   * Per recipe (seed -> predictions, with the training run of each seed): its score on the
   * rows all its seeds share; and each recipe against {@code baseline}, paired on the seeds and
   * rows both share. No baseline (empty or absent): no comparisons.
   */
  public void compare(Benchmark b, Map<String, Map<Long, List<Prediction>>> byRecipe,
      Map<String, Map<Long, String>> runs, String baseline, List<RecipeScore> scores,
      List<Comparison> comparisons) {
    for (Map.Entry<String, Map<Long, List<Prediction>>> e : byRecipe.entrySet()) {
      List<Long> seeds = new ArrayList<>(e.getValue().keySet());
      List<Outcomes> systems = aligned(b, e.getValue(), seeds, sharedRows(e.getValue(), seeds));
      int n = systems.get(0).size();
      for (Metric m : b.metrics()) {
        Bootstrap.Interval i = Bootstrap.interval(n, rows -> mean(systems, m, rows), resamples,
            seed, level);
        scores.add(new RecipeScore(e.getKey(), m, seeds,
            seeds.stream().map(s -> runs.get(e.getKey()).get(s)).toList(), i.value(), i.low(),
            i.high(), seedSd(systems, m), n));
      }
    }
    Map<Long, List<Prediction>> base = byRecipe.get(baseline);
    if (base == null) {
      return;
    }
    for (Map.Entry<String, Map<Long, List<Prediction>>> e : byRecipe.entrySet()) {
      if (e.getKey().equals(baseline)) {
        continue;
      }
      List<Long> seeds = new ArrayList<>(new TreeSet<>(e.getValue().keySet()));
      seeds.retainAll(base.keySet());
      if (seeds.isEmpty()) {
        continue;
      }
      Map<Long, List<Prediction>> both = new TreeMap<>();
      seeds.forEach(s -> both.put(s, e.getValue().get(s)));
      TreeSet<String> rows = sharedRows(both, seeds);
      Map<Long, List<Prediction>> baseBoth = new TreeMap<>();
      seeds.forEach(s -> baseBoth.put(s, base.get(s)));
      rows.retainAll(sharedRows(baseBoth, seeds));
      List<Outcomes> mine = aligned(b, e.getValue(), seeds, rows);
      List<Outcomes> theirs = aligned(b, base, seeds, rows);
      for (Metric m : b.metrics()) {
        ToDoubleFunction<int[]> diff = idx -> mean(mine, m, idx) - mean(theirs, m, idx);
        Bootstrap.Delta d = Bootstrap.paired(rows.size(), diff, resamples, seed, level);
        Bootstrap.Interval twoLevel = Bootstrap.twoLevel(seeds.size(), rows.size(),
            (s, idx) -> m.compute(mine.get(s), idx) - m.compute(theirs.get(s), idx),
            resamples, seed, level);
        int[] all = identity(rows.size());
        comparisons.add(new Comparison(e.getKey(), baseline, m, seeds, rows.size(),
            mean(mine, m, all), mean(theirs, m, all), d, twoLevel,
            correctness(m) ? mcnemar(mine, theirs) : null));
      }
    }
  }

  /** Whether {@code m} is the fraction of rows scored correct, so McNemar's test applies. */
  static boolean correctness(Metric m) {
    return m == Metric.ACCURACY || m == Metric.EXACT_MATCH;
  }

  /**
   * McNemar's test of a recipe against the baseline, pooled over seeds: every (seed, row) pair
   * of the recipe's and the baseline's run of that seed on that row is one paired trial; b
   * counts those only the recipe got right, c those only the baseline did. Pooled, b - c is
   * seeds x rows x (accuracy delta), the same sign as the delta; but one row counts once per
   * seed, and the rows of different seeds are not independent trials, so with several seeds the
   * p-value is that of these training runs (as the row-level interval), not of the recipes.
   */
  static Significance.McNemar mcnemar(List<Outcomes> mine, List<Outcomes> theirs) {
    long b = 0;
    long c = 0;
    for (int s = 0; s < mine.size(); s++) {
      boolean[] a = mine.get(s).correct();
      boolean[] z = theirs.get(s).correct();
      for (int i = 0; i < a.length; i++) {
        if (a[i] && !z[i]) {
          b++;
        } else if (z[i] && !a[i]) {
          c++;
        }
      }
    }
    return Significance.mcnemar(b, c);
  }

  /** The eval rows every seed has. */
  private static TreeSet<String> sharedRows(Map<Long, List<Prediction>> bySeed,
      List<Long> seeds) {
    TreeSet<String> rows = null;
    for (Long s : seeds) {
      TreeSet<String> ids = new TreeSet<>();
      bySeed.get(s).forEach(p -> ids.add(p.recordId()));
      if (rows == null) {
        rows = ids;
      } else {
        rows.retainAll(ids);
      }
    }
    return rows == null ? new TreeSet<>() : rows;
  }

  /** Each seed's outcomes on {@code rows}, in the same (sorted record id) order. */
  private static List<Outcomes> aligned(Benchmark b, Map<Long, List<Prediction>> bySeed,
      List<Long> seeds, TreeSet<String> rows) {
    List<Outcomes> out = new ArrayList<>();
    for (Long s : seeds) {
      Map<String, Prediction> byId = new LinkedHashMap<>();
      bySeed.get(s).forEach(p -> byId.put(p.recordId(), p));
      out.add(outcomes(b, rows.stream().map(byId::get).toList()));
    }
    return out;
  }

  static Outcomes outcomes(Benchmark b, List<Prediction> predictions) {
    int n = predictions.size();
    String[] gold = new String[n];
    String[] predicted = new String[n];
    boolean[] correct = new boolean[n];
    String[] groups = b.groupBy().isEmpty() ? null : new String[n];
    for (int i = 0; i < n; i++) {
      Prediction p = predictions.get(i);
      gold[i] = p.gold();
      predicted[i] = p.predicted();
      correct[i] = p.correct();
      if (groups != null) {
        groups[i] = p.group();
      }
    }
    return new Outcomes(gold, predicted, correct, b.choices(), groups);
  }

  private static double mean(List<Outcomes> systems, Metric m, int[] rows) {
    double sum = 0;
    for (Outcomes o : systems) {
      sum += m.compute(o, rows);
    }
    return sum / systems.size();
  }

  private static double seedSd(List<Outcomes> systems, Metric m) {
    if (systems.size() < 2) {
      return Double.NaN;
    }
    double[] v = systems.stream().mapToDouble(m::compute).toArray();
    double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
    double ss = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum();
    return Math.sqrt(ss / (v.length - 1));
  }

  private static int[] identity(int n) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return idx;
  }
}
