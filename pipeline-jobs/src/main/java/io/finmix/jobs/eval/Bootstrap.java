package io.finmix.jobs.eval;

import io.finmix.jobs.task.Metric;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Seeded percentile bootstrap over benchmark rows: confidence intervals for one metric and for
 * the paired difference of two systems scored on the same rows.
 *
 * <p>Each resample draws n row indices with replacement from one {@link SplittableRandom}
 * seeded with the caller's seed, n draws per resample, resample after resample, whatever the
 * statistic returns; so the same seed gives bit-identical results. Resamples whose statistic is
 * not finite (e.g. macro-F1 of a sample with no class left) are ignored. Percentiles interpolate
 * linearly between order statistics: with m sorted values, percentile q lies at rank
 * q * (m - 1), as numpy's default ("linear") method.
 */
public final class Bootstrap {

  /** A statistic on all rows and its percentile-bootstrap confidence interval. */
  public record Interval(double value, double low, double high) {}

  /**
   * A paired difference of two systems on all rows, its percentile-bootstrap confidence interval
   * and the two-sided p-value of H0: delta = 0.
   */
  public record Delta(double delta, double low, double high, double pValue) {}

  private Bootstrap() {}

  /**
   * The statistic on rows 0..n-1 and its percentile interval at {@code level} (e.g. 0.95) from
   * {@code resamples} resamples. All NaN when n is 0; low and high NaN when fewer than two
   * resamples give a finite statistic.
   *
   * @param statistic the statistic of the listed rows (repeats count); it may keep the array
   */
  public static Interval interval(int n, ToDoubleFunction<int[]> statistic, int resamples,
      long seed, double level) {
    validate(n, resamples, level);
    if (n == 0) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    double value = statistic.applyAsDouble(Metric.identity(n));
    double[] sorted = resample(n, statistic, resamples, seed);
    double[] bounds = bounds(sorted, level);
    return new Interval(value, bounds[0], bounds[1]);
  }

  /**
   * The paired bootstrap of a difference between two systems. {@code difference} computes
   * metricA(rows) - metricB(rows) on the same rows, so each resample compares the systems on the
   * same items, which is what makes the test paired. The p-value is that of the percentile
   * bootstrap test of H0: delta = 0, two-sided: twice the smaller of the fractions of finite
   * resamples with a difference at most 0 and at least 0, capped at 1. It is NaN when no
   * resample is finite, and its resolution is 1 / resamples (0 means below that).
   */
  public static Delta paired(int n, ToDoubleFunction<int[]> difference, int resamples, long seed,
      double level) {
    validate(n, resamples, level);
    if (n == 0) {
      return new Delta(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double delta = difference.applyAsDouble(Metric.identity(n));
    double[] sorted = resample(n, difference, resamples, seed);
    double[] bounds = bounds(sorted, level);
    double pValue = Double.NaN;
    if (sorted.length > 0) {
      long atMost = Arrays.stream(sorted).filter(d -> d <= 0).count();
      long atLeast = Arrays.stream(sorted).filter(d -> d >= 0).count();
      pValue = Math.min(1.0, 2.0 * Math.min(atMost, atLeast) / sorted.length);
    }
    return new Delta(delta, bounds[0], bounds[1], pValue);
  }

  /** A statistic of one seed (an index into the seeds) on the listed rows (repeats count). */
  @FunctionalInterface
  public interface SeedStatistic {
    double applyAsDouble(int seed, int[] rows);
  }

  /**
   * The two-level (seeds, then rows) percentile bootstrap of a mean over seeds: each resample
   * draws {@code seeds} seed indices with replacement, then n row indices with replacement, and
   * takes the mean over the drawn seeds (repeats count) of {@code perSeed} on the drawn rows.
   * The rows are drawn once per resample and used for every drawn seed: the eval rows are the
   * same items for every seed (crossed, not nested), which is also how the row-level {@link
   * #paired} bootstrap pairs them. So the interval holds the seed-to-seed variance as well as
   * the row-to-row one. {@code value} is the mean over all seeds on all rows.
   *
   * <p>Rows come from the same random stream as {@link #interval} and {@link #paired} (seeded
   * with {@code seed}, n draws per resample) and seeds from a stream of their own, split off a
   * second generator seeded the same way; so with one seed the resamples, and hence the bounds,
   * are bit for bit those of the row-level bootstrap of the same statistic. A resample whose
   * mean is not finite is ignored. All NaN when n or {@code seeds} is 0.
   */
  public static Interval twoLevel(int seeds, int n, SeedStatistic perSeed, int resamples,
      long seed, double level) {
    validate(n, resamples, level);
    if (seeds < 0) {
      throw new IllegalArgumentException("seed count must be >= 0, got " + seeds);
    }
    if (n == 0 || seeds == 0) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    int[] allSeeds = Metric.identity(seeds);
    double value = meanOverSeeds(allSeeds, seeds, Metric.identity(n), perSeed);
    // resample calls the statistic once per resample, in order, so the seed draws of each
    // resample come before its statistic, from their own stream
    SplittableRandom seedRandom = new SplittableRandom(seed).split();
    double[] sorted = resample(n, rows -> {
      int[] drawn = new int[seeds];
      for (int i = 0; i < seeds; i++) {
        drawn[i] = seedRandom.nextInt(seeds);
      }
      return meanOverSeeds(drawn, seeds, rows, perSeed);
    }, resamples, seed);
    double[] bounds = bounds(sorted, level);
    return new Interval(value, bounds[0], bounds[1]);
  }

  /** The mean of {@code perSeed} over the drawn seeds, each distinct seed computed once. */
  private static double meanOverSeeds(int[] drawn, int seeds, int[] rows,
      SeedStatistic perSeed) {
    int[] times = new int[seeds];
    for (int s : drawn) {
      times[s]++;
    }
    double sum = 0;
    for (int s = 0; s < seeds; s++) {
      if (times[s] > 0) {
        // a fresh copy each time: the statistic may keep or change the array it is given
        sum += times[s] * perSeed.applyAsDouble(s, rows.clone());
      }
    }
    return sum / drawn.length;
  }

  private static void validate(int n, int resamples, double level) {
    if (n < 0) {
      throw new IllegalArgumentException("row count must be >= 0, got " + n);
    }
    if (resamples < 1) {
      throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
    }
    if (!(level > 0 && level < 1)) {
      throw new IllegalArgumentException("level must be in (0, 1), got " + level);
    }
  }

  /** The finite statistics of the resamples, sorted. */
  private static double[] resample(int n, ToDoubleFunction<int[]> statistic, int resamples,
      long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] values = new double[resamples];
    int finite = 0;
    for (int b = 0; b < resamples; b++) {
      // A fresh array each time: the statistic may keep or change the one it is given.
      int[] rows = new int[n];
      for (int i = 0; i < n; i++) {
        rows[i] = random.nextInt(n);
      }
      double v = statistic.applyAsDouble(rows);
      if (Double.isFinite(v)) {
        values[finite++] = v;
      }
    }
    double[] sorted = Arrays.copyOf(values, finite);
    Arrays.sort(sorted);
    return sorted;
  }

  private static double[] bounds(double[] sorted, double level) {
    if (sorted.length < 2) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double tail = (1 - level) / 2;
    return new double[] {percentile(sorted, tail), percentile(sorted, 1 - tail)};
  }

  /** Percentile q (0..1) of sorted values, linear between order statistics (numpy's default). */
  static double percentile(double[] sorted, double q) {
    double rank = q * (sorted.length - 1);
    int below = (int) Math.floor(rank);
    if (below >= sorted.length - 1) {
      return sorted[sorted.length - 1];
    }
    double fraction = rank - below;
    return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
  }
}
