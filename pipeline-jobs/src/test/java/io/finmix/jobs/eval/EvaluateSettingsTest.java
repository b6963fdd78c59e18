package io.finmix.jobs.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import org.junit.jupiter.api.Test;

class EvaluateSettingsTest {

  private static EvaluateSettings of(String... sets) {
    return EvaluateSettings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void theSectionIsReadAndEachBadValueNamesItsKey() {
    EvaluateSettings s = of("evaluate.checkpoints=all", "evaluate.max_rows=50",
        "evaluate.only=[fpb, tfns]", "tokenize.tokenizer=bytes");
    assertThat(s.allCheckpoints()).isTrue();
    assertThat(s.maxRows()).isEqualTo(50);
    assertThat(s.only()).containsExactly("fpb", "tfns");
    assertThat(s.tokenizer()).isEqualTo("bytes");
    assertThat(of().allCheckpoints()).isFalse();
    assertThatThrownBy(() -> of("evaluate.checkpoints=best")).isInstanceOf(UserError.class)
        .hasMessageContaining("evaluate.checkpoints: 'best' is not last or all");
    assertThatThrownBy(() -> of("evaluate.batch_size=0"))
        .hasMessageContaining("evaluate.batch_size: 0 must be at least 1");
    assertThatThrownBy(() -> of("evaluate.workers=-1"))
        .hasMessageContaining("evaluate.workers: -1 must be at least 0");
  }
}
