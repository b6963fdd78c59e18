package io.finmix.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;

class SignificanceTest {

  @Test
  void holmAdjustsInTheGivenOrderAndKeepsTheRawOrder() {
    // sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, 0.04 * 1 = 0.04 -> raised to
    // the running maximum 0.06 (a larger raw p never gets a smaller adjusted one)
    double[] adjusted = Significance.holm(new double[] {0.01, 0.04, 0.03, 0.005});
    assertThat(adjusted[0]).isCloseTo(0.03, within(1e-15));
    assertThat(adjusted[1]).isCloseTo(0.06, within(1e-15));
    assertThat(adjusted[2]).isCloseTo(0.06, within(1e-15));
    assertThat(adjusted[3]).isCloseTo(0.02, within(1e-15));
  }

  @Test
  void holmCapsAtOneAndTiesShareTheirValue() {
    // 0.4 * 3 = 1.2 -> 1; 0.5 * 2 = 1.0; 0.45 lies between them: running maximum 1
    assertThat(Significance.holm(new double[] {0.5, 0.4, 0.45})).containsExactly(1.0, 1.0, 1.0);
    // two equal p-values: 0.02 * 2 = 0.04, then max(0.04, 0.02 * 1) = 0.04
    assertThat(Significance.holm(new double[] {0.02, 0.02})).containsExactly(0.04, 0.04);
    // one p-value is its own adjustment; none gives none
    assertThat(Significance.holm(new double[] {0.003})).containsExactly(0.003);
    assertThat(Significance.holm(new double[0])).isEmpty();
  }

  @Test
  void holmLeavesNaNOutOfTheFamily() {
    // m = 2, not 3: 0.01 * 2 = 0.02, max(0.02, 0.02 * 1) = 0.02
    double[] adjusted = Significance.holm(new double[] {0.01, Double.NaN, 0.02});
    assertThat(adjusted[0]).isCloseTo(0.02, within(1e-15));
    assertThat(adjusted[1]).isNaN();
    assertThat(adjusted[2]).isCloseTo(0.02, within(1e-15));
    assertThat(Significance.holm(new double[] {Double.NaN})[0]).isNaN();
    assertThatThrownBy(() -> Significance.holm(new double[] {0.2, 1.5}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
  }

  @Test
  void mcnemarExactOnSmallCounts() {
    // b + c = 10, min 1: P(X <= 1) = (C(10,0) + C(10,1)) / 2^10 = 11 / 1024; p = 22 / 1024
    assertThat(Significance.mcnemar(1, 9).pValue()).isEqualTo(0.021484375);
    assertThat(Significance.mcnemar(9, 1).pValue()).isEqualTo(0.021484375);
    // b + c = 5, min 0: p = 2 * 1/32
    assertThat(Significance.mcnemar(0, 5).pValue()).isEqualTo(0.0625);
    // b + c = 15, min 3: P(X <= 3) = (1 + 15 + 105 + 455) / 32768 = 576 / 32768; p = 1152 / 32768
    assertThat(Significance.mcnemar(12, 3).pValue()).isEqualTo(0.03515625);
    // b + c = 9, min 1: (1 + 9) / 512, doubled: 20 / 512
    assertThat(Significance.mcnemar(8, 1).pValue()).isEqualTo(0.0390625);
    Significance.McNemar m = Significance.mcnemar(12, 3);
    assertThat(m.b()).isEqualTo(12);
    assertThat(m.c()).isEqualTo(3);
  }

  @Test
  void mcnemarIsOneWithoutEvidence() {
    assertThat(Significance.mcnemar(0, 0).pValue()).isEqualTo(1.0); // no discordant pair
    assertThat(Significance.mcnemar(3, 3).pValue()).isEqualTo(1.0); // b = c
    // b + c = 5, min 2: P(X <= 2) = (1 + 5 + 10) / 32 = 1/2, doubled: 1
    assertThat(Significance.mcnemar(2, 3).pValue()).isEqualTo(1.0);
    assertThatThrownBy(() -> Significance.mcnemar(-1, 3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mcnemarOnLargeCounts() {
    // Exact with Python's integers and fractions:
    //   from fractions import Fraction; from math import comb
    //   float(2 * Fraction(sum(comb(5000, i) for i in range(2401)), 2**5000))
    assertThat(Significance.mcnemar(2400, 2600).pValue())
        .isCloseTo(0.004883649737517518, Percentage.withPercentage(1e-9));
    //   float(2 * Fraction(sum(comb(1110, i) for i in range(11)), 2**1110)): below 2^-1022, a
    //   subnormal double (scipy's binomtest says 0.0); 2^-1110 alone would underflow
    assertThat(Significance.mcnemar(10, 1100).pValue())
        .isCloseTo(1.09019323587145e-310, Percentage.withPercentage(1e-6));
    // 2 / 2^2000 is below the smallest double: 0, not NaN
    assertThat(Significance.mcnemar(0, 2000).pValue()).isEqualTo(0.0);
    assertThat(Significance.mcnemar(2500, 2500).pValue()).isEqualTo(1.0);
  }
}
