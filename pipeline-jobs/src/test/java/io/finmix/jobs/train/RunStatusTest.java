package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RunStatusTest {

  @Test
  void theColumnHoldsWhatAnalystsQueryFor() {
    // finmix.train.runs.status, as the README's queries and evaluate's check read it
    assertThat(RunStatus.values()).extracting(RunStatus::column)
        .containsExactly("running", "finished", "failed");
    assertThat(RunStatus.FINISHED.is("finished")).isTrue();
    assertThat(RunStatus.FINISHED.is("failed")).isFalse();
    assertThat(RunStatus.FINISHED.is(null)).isFalse();
  }
}
