package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RunStateTest {

  private static final Map<String, String> FACTS = RunState.facts("finance", 2, 4, 4, 7L, 200L,
      "bpe-1", 256);

  @Test
  void aFreshRunHasItsFactsAndNoProgress() {
    RunState s = RunState.fresh(FACTS, "mini", "scratch", 42L, 1000L);
    assertThat(s.model()).isEqualTo("mini");
    assertThat(s.init()).isEqualTo("scratch");
    assertThat(s.snapshot()).isEqualTo(42L);
    assertThat(s.startedAtMillis()).isEqualTo(1000L);
    assertThat(s.tokens()).isZero();
    assertThat(s.seconds()).isZero();
    assertThat(s.resumes()).isZero();
    assertThat(s.firstLoss()).isNaN();
    assertThat(s.mismatch(FACTS)).isNull();
  }

  @Test
  void progressIsWrittenAsTheCheckpointStoresItAndOtherKeysStay() {
    RunState s = new RunState(Map.of("tokens", "10", "seconds", "1.5", "first_loss", "NaN",
        "lora", "r=8"));
    RunState t = s.withTokens(s.tokens() + 5).withSeconds(2.5).withFirstLoss(3.25)
        .withResumes(s.resumes() + 1);
    assertThat(t.map()).containsEntry("tokens", "15").containsEntry("seconds", "2.5")
        .containsEntry("first_loss", "3.25").containsEntry("resumes", "1")
        .containsEntry("lora", "r=8");
    // the state is a value: the original is unchanged
    assertThat(s.tokens()).isEqualTo(10L);
  }

  @Test
  void aResumeWithOtherSettingsNamesTheFirstThatDiffers() {
    RunState s = RunState.fresh(FACTS, "mini", "scratch", 42L, 1000L);
    assertThat(s.mismatch(RunState.facts("finance", 2, 8, 4, 7L, 200L, "bpe-1", 256)))
        .isEqualTo("batch_per_worker");
    assertThat(s.mismatch(RunState.facts("finance", 2, 4, 4, 7L, 200L, "bpe-2", 256)))
        .isEqualTo("tokenizer_id");
  }
}
