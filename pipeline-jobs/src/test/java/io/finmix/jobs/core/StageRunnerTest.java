package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The one skip-if-unchanged rule, the job group a stage runs in, and where results go. */
class StageRunnerTest extends SparkTestBase {

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final StageRunner runner = new StageRunner(SPARK, config("run_id=stage-runner-test"),
      new PrintStream(printed, true, StandardCharsets.UTF_8));
  private final List<String> ran = new ArrayList<>();
  private final AtomicReference<String> input = new AtomicReference<>("in-1");
  private final AtomicReference<String> output = new AtomicReference<>("out-1");
  private final AtomicReference<String> groupWhileRunning = new AtomicReference<>();

  private Stage stage(String name) {
    return Stage.of(name, "a detail", input::get, output::get, () -> {
      ran.add(name);
      groupWhileRunning.set(SPARK.sparkContext().getLocalProperty("spark.jobGroup.id"));
      return out -> out.println(name + " result");
    });
  }

  @Test
  void aStageRunsOnceThenOnlyWhenItsInputsOrOutputsChangedOrItIsForced() {
    Stage s = stage("unit-a");
    runner.forget("unit-a");
    assertThat(runner.run(s, false, "test").status()).isEqualTo(StageRunner.Status.RAN);
    assertThat(runner.run(s, false, "test").status()).isEqualTo(StageRunner.Status.UNCHANGED);
    input.set("in-2");
    assertThat(runner.run(s, false, "test").status()).isEqualTo(StageRunner.Status.RAN);
    output.set("out-2 (another command rewrote the table)");
    assertThat(runner.run(s, false, "test").status()).isEqualTo(StageRunner.Status.RAN);
    assertThat(runner.run(s, false, "test").status()).isEqualTo(StageRunner.Status.UNCHANGED);
    assertThat(runner.run(s, true, "test").status()).isEqualTo(StageRunner.Status.RAN);
    assertThat(ran).hasSize(4);
    assertThat(printed.toString(StandardCharsets.UTF_8).lines().toList())
        .containsOnly("unit-a result").hasSize(4);
    assertThat(runner.lastInputs("unit-a")).contains("in-2");
  }

  @Test
  void aStageThatFailsIsNotRecordedSoItRunsAgain() {
    runner.forget("unit-b");
    Stage failing = Stage.of("unit-b", "", input::get, output::get, () -> {
      throw new IllegalStateException("boom");
    });
    try {
      runner.run(failing, false, "test");
    } catch (IllegalStateException expected) {
      // the state file is not written
    }
    assertThat(runner.unchanged("unit-b", input.get(), output::get)).isFalse();
    assertThat(runner.run(stage("unit-b"), false, "test").status())
        .isEqualTo(StageRunner.Status.RAN);
  }

  @Test
  void aStageRunsInItsOwnJobGroupAndTheCallersIsRestored() {
    runner.forget("unit-c");
    SPARK.sparkContext().setJobGroup("caller", "the caller's jobs", false);
    runner.run(stage("unit-c"), false, "test");
    assertThat(groupWhileRunning.get()).isEqualTo("finmix-unit-c");
    assertThat(SPARK.sparkContext().getLocalProperty("spark.jobGroup.id")).isEqualTo("caller");
    SPARK.sparkContext().clearJobGroup();
  }
}
