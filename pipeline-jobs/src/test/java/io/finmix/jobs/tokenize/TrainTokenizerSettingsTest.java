package io.finmix.jobs.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainTokenizerSettingsTest {

  private static TrainTokenizerJob.Settings of(String... sets) {
    return TrainTokenizerJob.Settings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void theTokenizerGoesUnderTheWarehouseByNameUnlessAFolderIsGiven(@org.junit.jupiter.api.io
      .TempDir Path tmp) {
    TrainTokenizerJob.Settings s = of("warehouse=\"" + tmp + "/wh\"", "train_tokenizer.name=bpe-x",
        "train_tokenizer.vocab_size=300", "tokenize.seq_len=128");
    assertThat(s.dir()).isEqualTo(tmp.resolve("wh/tokenizers/bpe-x"));
    assertThat(s.vocabSize()).isEqualTo(300);
    assertThat(s.maxLength()).isEqualTo(128);
    assertThat(of("train_tokenizer.out=\"" + tmp + "/tok\"").dir()).isEqualTo(tmp.resolve("tok"));
  }

  @Test
  void aVocabularySmallerThanTheBytesIsRefused() {
    assertThatThrownBy(() -> of("train_tokenizer.vocab_size=256")).isInstanceOf(UserError.class)
        .hasMessageContaining("vocab_size >= 257");
    assertThatThrownBy(() -> of("train_tokenizer.min_frequency=0")).isInstanceOf(UserError.class)
        .hasMessageContaining("min_frequency >= 1");
  }
}
