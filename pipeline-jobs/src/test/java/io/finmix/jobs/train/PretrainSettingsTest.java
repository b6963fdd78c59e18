package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PretrainSettingsTest {

  private static PretrainSettings of(String... sets) {
    return PretrainSettings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void theRunIsNamedForItsModelAndSeedUnlessNamed() {
    assertThat(of("pretrain.model=tiny", "pretrain.seed=7").runName())
        .isEqualTo("pretrain-tiny-s7");
    assertThat(of("pretrain.name=\"my-base\"").runName()).isEqualTo("my-base");
  }

  @Test
  void itsTrainingRunIsAFreshFullModelWithTheLossOnEveryTokenExported() {
    Map<String, Object> keys = of("pretrain.steps=40", "pretrain.lr=1e-3").trainKeys();
    assertThat(keys).containsEntry("train.steps", 40L).containsEntry("train.lr", 1e-3)
        .containsEntry("train.init", "").containsEntry("train.lora.enabled", false)
        .containsEntry("train.loss_weighting", "token").containsEntry("train.export_hf", true)
        .containsEntry("train.recipe", "pretrain");
  }

  @Test
  void noStepsIsAnErrorNamingTheKey() {
    assertThatThrownBy(() -> of("pretrain.steps=0")).isInstanceOf(UserError.class)
        .hasMessageContaining("pretrain.steps = 0 must be at least 1");
  }
}
