package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finmix.jobs.train.ParameterAveraging.Round;
import io.finmix.jobs.train.ParameterAveraging.WorkerResult;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.io.Safetensors.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ParameterAveraging#average}, the driver's half of a round, on hand-made states. */
class ParameterAveragingTest {

  private static Checkpoint state(float[] w, float[] m) {
    return new Checkpoint(4, null, "bytes", Map.of("w", new Tensor(new long[] {2}, w)),
        Map.of("w.m", new Tensor(new long[] {2}, m)), Map.of("tokens", "0"));
  }

  private static WorkerResult worker(int i, Checkpoint state, double[] loss, long[] tokens,
      double setup, double compute) {
    return new WorkerResult(i, state, loss, new double[] {1.0, 3.0}, tokens, setup, compute,
        null);
  }

  @Test
  void theMeanOfParametersMomentsAndLossesTheSumOfTokens() {
    Round r = ParameterAveraging.average(List.of(
        worker(0, state(new float[] {1, 2}, new float[] {0, 4}), new double[] {1, 2},
            new long[] {10, 20}, 0.5, 2.0),
        worker(1, state(new float[] {3, 6}, new float[] {2, 0}), new double[] {3, 4},
            new long[] {30, 40}, 0.7, 1.5)).iterator(), null, 2);
    assertThat(r.failure()).isNull();
    assertThat(r.state().parameters().get("w").data()).containsExactly(2f, 4f);
    assertThat(r.state().optimizer().get("w.m").data()).containsExactly(1f, 2f);
    assertThat(r.state().parameters().get("w").shape()).containsExactly(2L);
    assertThat(r.state().step()).isEqualTo(4);
    assertThat(r.loss()).containsExactly(2.0, 3.0);
    assertThat(r.gradNorm()).containsExactly(1.0, 3.0);
    assertThat(r.tokens()).containsExactly(40L, 60L);
    // the slowest worker sets a round's setup and compute time
    assertThat(r.setupSeconds()).isCloseTo(0.7, within(1e-12));
    assertThat(r.computeSeconds()).isCloseTo(2.0, within(1e-12));
  }

  @Test
  void theWorkersStatesAreNotChanged() {
    float[] w0 = {1, 2};
    ParameterAveraging.average(List.of(
        worker(0, state(w0, new float[] {0, 0}), new double[] {1}, new long[] {1}, 0, 0),
        worker(1, state(new float[] {3, 4}, new float[] {0, 0}), new double[] {1},
            new long[] {1}, 0, 0)).iterator(), null, 1);
    assertThat(w0).containsExactly(1f, 2f);
  }

  @Test
  void aFailedWorkerFailsTheRoundWithItsMessage() {
    Round r = ParameterAveraging.average(List.of(
        worker(0, state(new float[] {1, 2}, new float[] {0, 4}), new double[] {1},
            new long[] {1}, 0, 0),
        new WorkerResult(1, null, null, null, null, 0, 0, "worker 1: out of memory"))
        .iterator(), null, 1);
    assertThat(r.failure()).isEqualTo("worker 1: out of memory");
    assertThat(r.state()).isNull();
  }

  @Test
  void workersWithDifferentTensorsAreAnError() {
    Checkpoint other = new Checkpoint(4, null, "bytes",
        Map.of("v", new Tensor(new long[] {2}, new float[] {1, 2})),
        Map.of("w.m", new Tensor(new long[] {2}, new float[] {0, 0})), Map.of());
    assertThatThrownBy(() -> ParameterAveraging.average(List.of(
        worker(0, state(new float[] {1, 2}, new float[] {0, 0}), new double[] {1},
            new long[] {1}, 0, 0),
        worker(1, other, new double[] {1}, new long[] {1}, 0, 0)).iterator(), null, 1))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("different tensors");
  }
}
