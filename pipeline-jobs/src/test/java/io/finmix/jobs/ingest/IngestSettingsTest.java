package io.finmix.jobs.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import org.junit.jupiter.api.Test;

class IngestSettingsTest {

  private static IngestSettings of(String... sets) {
    return IngestSettings.of(FinmixConfig.defaultsWith(sets));
  }

  @Test
  void readsTheSectionWithSizesInBytes() {
    IngestSettings s = of("ingest.only=[fpb, tfns]", "ingest.split_bytes=64MiB",
        "ingest.max_chars=5000", "ingest.sources=sources/sample.conf");
    assertThat(s.only()).containsExactly("fpb", "tfns");
    assertThat(s.splitBytes()).isEqualTo(64L << 20);
    assertThat(s.maxChars()).isEqualTo(5000);
    assertThat(s.quarantineRawChars()).isEqualTo(2000);
    assertThat(s.sourcesFile()).isEqualTo("sources/sample.conf");
  }

  @Test
  void aCountOutOfRangeNamesItsKey() {
    assertThatThrownBy(() -> of("ingest.max_chars=0")).isInstanceOf(UserError.class)
        .hasMessageContaining("ingest.max_chars = 0");
    assertThatThrownBy(() -> of("ingest.quarantine_raw_chars=3000000000"))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("ingest.quarantine_raw_chars = 3000000000")
        .hasMessageContaining("must be between 1 and");
  }
}
