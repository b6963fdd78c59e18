package io.finmix.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RankChoiceTest {

  private static final double NAN = Double.NaN;

  @Test
  void picksTheHighestScore() {
    assertThat(RankChoice.best(new double[] {-3.2, -1.5, -7.0})).isEqualTo(1);
    assertThat(RankChoice.best(new double[] {4})).isEqualTo(0);
    assertThat(RankChoice.best(new double[] {Double.NEGATIVE_INFINITY, -1e300})).isEqualTo(1);
  }

  @Test
  void tiesGoToTheFirstChoice() {
    assertThat(RankChoice.best(new double[] {-2, -1, -1, -1})).isEqualTo(1);
    assertThat(RankChoice.best(new double[] {0.5, 0.5})).isEqualTo(0);
    // 0.0 and -0.0 are equal scores: the first wins.
    assertThat(RankChoice.best(new double[] {-0.0, 0.0})).isEqualTo(0);
  }

  @Test
  void nanNeverWins() {
    assertThat(RankChoice.best(new double[] {NAN, -5})).isEqualTo(1);
    assertThat(RankChoice.best(new double[] {-5, NAN, -4})).isEqualTo(2);
    assertThat(RankChoice.best(new double[] {NAN, Double.NEGATIVE_INFINITY})).isEqualTo(1);
    assertThat(RankChoice.best(new double[] {NAN, NAN, NAN})).isEqualTo(0);
  }

  @Test
  void noScoresIsAnError() {
    assertThatThrownBy(() -> RankChoice.best(new double[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
