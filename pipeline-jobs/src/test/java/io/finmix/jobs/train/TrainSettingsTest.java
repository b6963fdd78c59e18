package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {

  private static TrainSettings of(String... sets) {
    return TrainSettings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void lossWeightingIsTokenByDefaultOrExampleAndAnythingElseNamesTheKey() {
    assertThat(of().perExampleLoss()).isFalse();
    assertThat(of("train.loss_weighting=example").perExampleLoss()).isTrue();
    assertThat(of("train.loss_weighting=token").perExampleLoss()).isFalse();
    assertThatThrownBy(() -> of("train.loss_weighting=examples")).isInstanceOf(UserError.class)
        .hasMessageContaining("train.loss_weighting = 'examples' must be example or token");
  }
}
