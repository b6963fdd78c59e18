package io.finmix.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finmix.jobs.task.Metric;
import io.finmix.jobs.task.Outcomes;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class BootstrapTest {

  private static double[] values(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = random.nextDouble() * 10;
    }
    return x;
  }

  private static ToDoubleFunction<int[]> mean(double[] x) {
    return rows -> {
      double sum = 0;
      for (int r : rows) {
        sum += x[r];
      }
      return sum / rows.length;
    };
  }

  /** Accuracy outcomes with the given rows correct. */
  private static Outcomes correctWhere(boolean[] correct) {
    String[] gold = new String[correct.length];
    String[] predicted = new String[correct.length];
    for (int i = 0; i < correct.length; i++) {
      gold[i] = "a";
      predicted[i] = correct[i] ? "a" : "b";
    }
    return new Outcomes(gold, predicted, correct, List.of("a", "b"));
  }

  @Test
  void sameSeedGivesBitIdenticalResults() {
    double[] x = values(150, 7);
    Bootstrap.Interval a = Bootstrap.interval(x.length, mean(x), 500, 42, 0.95);
    Bootstrap.Interval b = Bootstrap.interval(x.length, mean(x), 500, 42, 0.95);
    // Records compare doubles bit for bit (Double.compare semantics).
    assertThat(a).isEqualTo(b);
    assertThat(Double.doubleToRawLongBits(a.low())).isEqualTo(Double.doubleToRawLongBits(b.low()));

    double[] y = values(150, 8);
    ToDoubleFunction<int[]> diff =
        rows -> mean(x).applyAsDouble(rows) - mean(y).applyAsDouble(rows);
    assertThat(Bootstrap.paired(x.length, diff, 500, 42, 0.9))
        .isEqualTo(Bootstrap.paired(x.length, diff, 500, 42, 0.9));
  }

  @Test
  void differentSeedsGiveDifferentBounds() {
    double[] x = values(150, 7);
    Bootstrap.Interval a = Bootstrap.interval(x.length, mean(x), 500, 1, 0.95);
    Bootstrap.Interval b = Bootstrap.interval(x.length, mean(x), 500, 2, 0.95);
    assertThat(a.value()).isEqualTo(b.value());
    assertThat(a.low()).isNotEqualTo(b.low());
    assertThat(a.high()).isNotEqualTo(b.high());
  }

  @Test
  void intervalOfAMeanContainsItsValue() {
    double[] x = values(200, 3);
    Bootstrap.Interval ci = Bootstrap.interval(x.length, mean(x), 1000, 11, 0.95);
    double mean = mean(x).applyAsDouble(Metric.identity(x.length));
    assertThat(ci.value()).isEqualTo(mean);
    assertThat(ci.low()).isLessThan(ci.value());
    assertThat(ci.high()).isGreaterThan(ci.value());
    // Uniform(0, 10) has sd 10/sqrt(12) = 2.89, so the 95% half-width is about
    // 1.96 * 2.89 / sqrt(200) = 0.40.
    assertThat(ci.high() - ci.low()).isBetween(0.6, 1.0);
  }

  @Test
  void metricIntervalOverOutcomes() {
    boolean[] correct = new boolean[100];
    for (int i = 0; i < 70; i++) {
      correct[i] = true;
    }
    Outcomes o = correctWhere(correct);
    Bootstrap.Interval ci =
        Bootstrap.interval(o.size(), rows -> Metric.ACCURACY.compute(o, rows), 400, 5, 0.95);
    assertThat(ci.value()).isEqualTo(0.7);
    assertThat(ci.low()).isBetween(0.55, 0.7);
    assertThat(ci.high()).isBetween(0.7, 0.85);
  }

  @Test
  void identicalSystemsHaveDeltaZeroAndPValueOne() {
    boolean[] correct = new boolean[50];
    for (int i = 0; i < 50; i += 3) {
      correct[i] = true;
    }
    Outcomes a = correctWhere(correct);
    Outcomes b = correctWhere(correct.clone());
    Bootstrap.Delta d = Bootstrap.paired(50,
        rows -> Metric.ACCURACY.compute(a, rows) - Metric.ACCURACY.compute(b, rows), 300, 9, 0.95);
    assertThat(d.delta()).isZero();
    assertThat(d.low()).isZero();
    assertThat(d.high()).isZero();
    assertThat(d.pValue()).isEqualTo(1.0);
  }

  @Test
  void aClearlyBetterSystemHasAPositiveIntervalAndSmallPValue() {
    int n = 200;
    boolean[] good = new boolean[n];
    boolean[] coin = new boolean[n];
    for (int i = 0; i < n; i++) {
      good[i] = i % 10 != 0; // 90%
      coin[i] = i % 2 == 0; // 50%
    }
    Outcomes a = correctWhere(good);
    Outcomes b = correctWhere(coin);
    Bootstrap.Delta d = Bootstrap.paired(n,
        rows -> Metric.ACCURACY.compute(a, rows) - Metric.ACCURACY.compute(b, rows), 1000, 17,
        0.95);
    assertThat(d.delta()).isCloseTo(0.4, within(1e-12));
    assertThat(d.low()).isGreaterThan(0);
    assertThat(d.high()).isGreaterThan(d.low());
    assertThat(d.pValue()).isLessThan(0.01);

    // Swapped, the difference and its interval flip sign; the test is just as sure.
    Bootstrap.Delta swapped = Bootstrap.paired(n,
        rows -> Metric.ACCURACY.compute(b, rows) - Metric.ACCURACY.compute(a, rows), 1000, 17,
        0.95);
    assertThat(swapped.delta()).isCloseTo(-0.4, within(1e-12));
    assertThat(swapped.high()).isLessThan(0);
    assertThat(swapped.pValue()).isEqualTo(d.pValue());
  }

  @Test
  void nanResamplesAreIgnored() {
    // Row 0 alone has no score: a resample made only of row 0 is NaN. With two rows a quarter
    // of the resamples are {0, 0}; they must not turn the bounds into NaN.
    ToDoubleFunction<int[]> stat = rows -> {
      double sum = 0;
      int counted = 0;
      for (int r : rows) {
        if (r == 1) {
          sum += 5;
          counted++;
        }
      }
      return counted == 0 ? Double.NaN : sum / counted;
    };
    Bootstrap.Interval ci = Bootstrap.interval(2, stat, 200, 4, 0.95);
    assertThat(ci.value()).isEqualTo(5.0);
    assertThat(ci.low()).isEqualTo(5.0);
    assertThat(ci.high()).isEqualTo(5.0);

    Bootstrap.Interval none = Bootstrap.interval(3, rows -> Double.NaN, 50, 4, 0.95);
    assertThat(none.value()).isNaN();
    assertThat(none.low()).isNaN();
    assertThat(none.high()).isNaN();
    assertThat(Bootstrap.paired(3, rows -> Double.NaN, 50, 4, 0.95).pValue()).isNaN();
  }

  @Test
  void fewerThanTwoResamplesLeaveTheBoundsOpen() {
    Bootstrap.Interval one = Bootstrap.interval(5, rows -> 1.0, 1, 4, 0.95);
    assertThat(one.value()).isEqualTo(1.0);
    assertThat(one.low()).isNaN();
    assertThat(one.high()).isNaN();
  }

  @Test
  void noRowsIsAllNaN() {
    Bootstrap.Interval ci = Bootstrap.interval(0, rows -> 1.0, 10, 1, 0.95);
    assertThat(ci.value()).isNaN();
    assertThat(ci.low()).isNaN();
    assertThat(ci.high()).isNaN();
    Bootstrap.Delta d = Bootstrap.paired(0, rows -> 1.0, 10, 1, 0.95);
    assertThat(d.delta()).isNaN();
    assertThat(d.pValue()).isNaN();
  }

  @Test
  void percentilesInterpolateLinearlyLikeNumpy() {
    double[] sorted = {1, 2, 3, 4, 10};
    // numpy.percentile([1, 2, 3, 4, 10], [2.5, 50, 97.5]) = [1.1, 3.0, 9.4]
    assertThat(Bootstrap.percentile(sorted, 0.025)).isCloseTo(1.1, within(1e-12));
    assertThat(Bootstrap.percentile(sorted, 0.5)).isEqualTo(3.0);
    assertThat(Bootstrap.percentile(sorted, 0.975)).isCloseTo(9.4, within(1e-12));
    assertThat(Bootstrap.percentile(sorted, 1.0)).isEqualTo(10.0);
    assertThat(Bootstrap.percentile(sorted, 0.0)).isEqualTo(1.0);
  }

  /** A system right on the rows where {@code right} holds, of n. */
  private static Outcomes rightWhere(int n, java.util.function.IntPredicate right) {
    boolean[] correct = new boolean[n];
    for (int i = 0; i < n; i++) {
      correct[i] = right.test(i);
    }
    return correctWhere(correct);
  }

  @Test
  void twoLevelWithOneSeedIsTheRowLevelInterval() {
    Outcomes a = rightWhere(200, i -> i % 10 != 0);
    Outcomes b = rightWhere(200, i -> i % 3 != 0);
    Bootstrap.Delta rows = Bootstrap.paired(200,
        idx -> Metric.ACCURACY.compute(a, idx) - Metric.ACCURACY.compute(b, idx), 800, 23, 0.9);
    Bootstrap.Interval both = Bootstrap.twoLevel(1, 200,
        (s, idx) -> Metric.ACCURACY.compute(a, idx) - Metric.ACCURACY.compute(b, idx), 800, 23,
        0.9);
    // one seed: every draw is seed 0, and the rows come from the row-level stream: bit for bit
    assertThat(both.value()).isEqualTo(rows.delta());
    assertThat(both.low()).isEqualTo(rows.low());
    assertThat(both.high()).isEqualTo(rows.high());
    assertThat(both.low()).isLessThan(both.high());
  }

  @Test
  void twoLevelOfSeedsThatDisagreeEntirely() {
    // seed 0's difference is 0 and seed 1's is 1 on any rows: the row-level statistic (the
    // mean over both seeds) is 0.5 on every resample, so its interval is [0.5, 0.5]. Drawing
    // two seeds gives 0 with probability 1/4 ({0, 0}), 0.5 with 1/2, 1 with 1/4 ({1, 1}): about
    // 500 of 2000 resamples at each end, far more than the 2.5% (50) a 95% bound cuts, so the
    // bounds are exactly 0 and 1.
    Bootstrap.SeedStatistic perSeed = (s, idx) -> s;
    Bootstrap.Interval both = Bootstrap.twoLevel(2, 30, perSeed, 2000, 5, 0.95);
    assertThat(both.value()).isEqualTo(0.5); // (0 + 1) / 2
    assertThat(both.low()).isEqualTo(0.0);
    assertThat(both.high()).isEqualTo(1.0);
    Bootstrap.Delta rows = Bootstrap.paired(30,
        idx -> (perSeed.applyAsDouble(0, idx) + perSeed.applyAsDouble(1, idx)) / 2, 2000, 5, 0.95);
    assertThat(rows.low()).isEqualTo(0.5);
    assertThat(rows.high()).isEqualTo(0.5);
  }

  @Test
  void twoLevelIsWiderWhereSeedsDisagree() {
    // seed 0: 90% against 50% (+0.4); seed 1: 70% against 70% (0): the mean is +0.2, and the
    // row-level interval, blind to the seeds' spread, is far narrower than 0..0.4
    int n = 200;
    List<Outcomes> mine = List.of(rightWhere(n, i -> i % 10 != 0), rightWhere(n, i -> i % 10 < 7));
    List<Outcomes> theirs = List.of(rightWhere(n, i -> i % 2 == 0),
        rightWhere(n, i -> i % 10 >= 3));
    Bootstrap.SeedStatistic perSeed = (s, idx) -> Metric.ACCURACY.compute(mine.get(s), idx)
        - Metric.ACCURACY.compute(theirs.get(s), idx);
    Bootstrap.Delta rows = Bootstrap.paired(n,
        idx -> (perSeed.applyAsDouble(0, idx) + perSeed.applyAsDouble(1, idx)) / 2, 1000, 3,
        0.95);
    Bootstrap.Interval both = Bootstrap.twoLevel(2, n, perSeed, 1000, 3, 0.95);
    assertThat(both.value()).isCloseTo(0.2, within(1e-12));
    assertThat(rows.delta()).isCloseTo(0.2, within(1e-12));
    assertThat(rows.high() - rows.low()).isLessThan(0.2);
    // a quarter of the resamples draw seed 1 twice (about 0) and a quarter seed 0 twice (0.4)
    assertThat(both.low()).isLessThan(rows.low()).isLessThan(0.05);
    assertThat(both.high()).isGreaterThan(rows.high()).isGreaterThan(0.35);
    assertThat(Bootstrap.twoLevel(2, n, perSeed, 1000, 3, 0.95)).isEqualTo(both);
    assertThat(Bootstrap.twoLevel(2, n, perSeed, 1000, 4, 0.95).low()).isNotEqualTo(both.low());
  }

  @Test
  void twoLevelWithNoSeedsOrRowsIsNaN() {
    Bootstrap.Interval none = Bootstrap.twoLevel(0, 5, (s, idx) -> 1.0, 10, 1, 0.95);
    assertThat(none.value()).isNaN();
    assertThat(none.low()).isNaN();
    assertThat(Bootstrap.twoLevel(3, 0, (s, idx) -> 1.0, 10, 1, 0.95).high()).isNaN();
    assertThatThrownBy(() -> Bootstrap.twoLevel(-1, 5, (s, idx) -> 1.0, 10, 1, 0.95))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seed count");
  }

  @Test
  void argumentsAreValidated() {
    assertThatThrownBy(() -> Bootstrap.interval(5, rows -> 0, 0, 1, 0.95))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resamples");
    assertThatThrownBy(() -> Bootstrap.interval(5, rows -> 0, 10, 1, 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("level");
    assertThatThrownBy(() -> Bootstrap.paired(5, rows -> 0, 10, 1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("level");
    assertThatThrownBy(() -> Bootstrap.paired(5, rows -> 0, 10, 1, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Bootstrap.interval(-1, rows -> 0, 10, 1, 0.95))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
