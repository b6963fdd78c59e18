package io.finmix.jobs.mix;

import io.finmix.jobs.core.FinmixConfig;
import java.util.List;

/**
 * The {@code mix} section of the config, read in one place.
 *
 * @param recipesFile the recipes (a name under conf/ or a path)
 * @param promptsFile the prompt templates the recipes render with
 * @param only the recipes to mix; empty: every recipe of the file
 * @param tokenizer the tokenizer token-weighted recipes count with: mix.tokenizer, else
 *     tokenize.tokenizer (so the shares hold for the packed sequences)
 */
record MixSettings(String recipesFile, String promptsFile, List<String> only,
    String tokenizer) {

  static MixSettings of(FinmixConfig config) {
    String own = config.config().getString("mix.tokenizer");
    return new MixSettings(config.config().getString("mix.recipes"),
        config.config().getString("mix.prompts"), config.config().getStringList("mix.only"),
        own.isEmpty() ? config.config().getString("tokenize.tokenizer") : own);
  }
}
