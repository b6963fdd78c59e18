package io.finmix.jobs.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import org.junit.jupiter.api.Test;

class DedupSettingsTest {

  @Test
  void theDefaultsDeriveBandsFromTheThresholdAndVerifySmallCandidateSetsOnTheDriver() {
    DedupSettings s = DedupSettings.of(FinmixConfig.defaultsWith());
    assertThat(s.bands() * s.rows()).isLessThanOrEqualTo(s.numPerm());
    assertThat(s.bands()).isEqualTo(18);
    assertThat(s.rows()).isEqualTo(7);
    assertThat(s.driverMaxEdges()).isEqualTo(250_000L);
    assertThat(DedupSettings.of(FinmixConfig.defaultsWith("dedup.near.driver_max_edges=0"))
        .driverMaxEdges()).isZero();
  }

  @Test
  void aBadValueIsAUserErrorNamingItsKey() {
    assertThatThrownBy(() -> DedupSettings.of(FinmixConfig.defaultsWith(
        "dedup.near.driver_max_edges=-1"))).isInstanceOf(UserError.class)
        .hasMessageContaining("dedup.near.driver_max_edges");
    assertThatThrownBy(() -> DedupSettings.of(FinmixConfig.defaultsWith(
        "dedup.near.bands=30", "dedup.near.rows=7"))).isInstanceOf(UserError.class)
        .hasMessageContaining("dedup.near.bands");
  }
}
