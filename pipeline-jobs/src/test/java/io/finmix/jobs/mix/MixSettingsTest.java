package io.finmix.jobs.mix;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.core.FinmixConfig;
import org.junit.jupiter.api.Test;

class MixSettingsTest {

  private static MixSettings of(String... sets) {
    return MixSettings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void tokenWeightedRecipesCountWithTheTokenizerTheyWillBePackedWithUnlessToldOtherwise() {
    assertThat(of("tokenize.tokenizer=/t/tokenizer.json").tokenizer())
        .isEqualTo("/t/tokenizer.json");
    assertThat(of("tokenize.tokenizer=/t/tokenizer.json", "mix.tokenizer=bytes").tokenizer())
        .isEqualTo("bytes");
    MixSettings s = of("mix.only=[finance]");
    assertThat(s.only()).containsExactly("finance");
    assertThat(s.recipesFile()).isEqualTo("recipes.conf");
    assertThat(s.promptsFile()).isEqualTo("prompts.conf");
  }
}
