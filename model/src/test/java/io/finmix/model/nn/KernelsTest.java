package io.finmix.model.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class KernelsTest {

  @Test
  void parallelRunsEveryTaskOnceAndNestedCallsInline() {
    AtomicIntegerArray runs = new AtomicIntegerArray(100);
    AtomicIntegerArray inner = new AtomicIntegerArray(100 * 3);
    Kernels.parallel(100, i -> {
      runs.incrementAndGet(i);
      assertThat(Kernels.insideParallel()).isTrue();
      Kernels.parallel(3, j -> inner.incrementAndGet(i * 3 + j));
    });
    for (int i = 0; i < 100; i++) {
      assertThat(runs.get(i)).isEqualTo(1);
    }
    for (int i = 0; i < 300; i++) {
      assertThat(inner.get(i)).isEqualTo(1);
    }
    assertThat(Kernels.insideParallel()).isFalse();
  }

  @Test
  void aFailingTaskFailsTheCallAndTheNextCallStillWorks() {
    assertThatThrownBy(() -> Kernels.parallel(50, i -> {
      if (i == 17) {
        throw new IllegalStateException("task 17");
      }
    })).isInstanceOf(IllegalStateException.class).hasMessage("task 17");
    AtomicIntegerArray runs = new AtomicIntegerArray(10);
    Kernels.parallel(10, runs::incrementAndGet);
    for (int i = 0; i < 10; i++) {
      assertThat(runs.get(i)).isEqualTo(1);
    }
  }
}
