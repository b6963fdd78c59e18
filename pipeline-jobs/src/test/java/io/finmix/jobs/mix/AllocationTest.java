package io.finmix.jobs.mix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AllocationTest {

  private static final double INF = Double.POSITIVE_INFINITY;

  @Test
  void sharesFollowTheWeightsWhenNothingBinds() {
    Allocation.Result a = Allocation.of(1000, new double[] {2, 1, 1},
        new double[3], new double[] {INF, INF, INF});
    assertThat(a.target()).containsExactly(new double[] {500, 250, 250}, within(1e-9));
    assertThat(a.capped()).containsExactly(false, false, false);
  }

  @Test
  void whatACapCutsGoesToTheOthersByWeight() {
    // small is capped at 120 of its 150; then gen passes its cap of 150; big takes the rest.
    Allocation.Result a = Allocation.of(600, new double[] {0.5, 0.25, 0.25},
        new double[3], new double[] {400, 120, 150});
    assertThat(a.target()).containsExactly(new double[] {330, 120, 150}, within(1e-9));
    assertThat(a.capped()).containsExactly(false, true, true);
    assertThat(a.requested()).containsExactly(new double[] {300, 150, 150}, within(1e-9));
  }

  @Test
  void minimumsAreMetAndTheOthersShrink() {
    Allocation.Result a = Allocation.of(100, new double[] {0.9, 0.1}, new double[] {0, 30},
        new double[] {INF, INF});
    assertThat(a.target()).containsExactly(new double[] {70, 30}, within(1e-9));
  }

  @Test
  void whenTheCapsCannotReachTheTotalEveryComponentGetsItsCap() {
    Allocation.Result a = Allocation.of(1000, new double[] {1, 1}, new double[2],
        new double[] {100, 200});
    assertThat(a.target()).containsExactly(new double[] {100, 200}, within(1e-9));
    assertThat(a.total()).isEqualTo(300);
  }

  @Test
  void wholeExamplesAddUpByLargestRemainderWithinCaps() {
    long[] n = Allocation.wholeExamples(new double[] {33.4, 33.3, 33.3}, new long[] {99, 99, 99});
    assertThat(Arrays.stream(n).sum()).isEqualTo(100);
    assertThat(n).containsExactly(34, 33, 33);
    long[] capped = Allocation.wholeExamples(new double[] {10.9, 5.1}, new long[] {10, 9});
    assertThat(capped).containsExactly(10, 6);
  }

  @Test
  void temperatureFlattensTheSizes() {
    double[] w = Allocation.temperature(new double[] {100, 25}, 2);
    assertThat(w[0] / (w[0] + w[1])).isCloseTo(10.0 / 15, within(1e-12));
    double[] same = Allocation.temperature(new double[] {100, 25}, 1);
    assertThat(same).containsExactly(100, 25);
  }
}
