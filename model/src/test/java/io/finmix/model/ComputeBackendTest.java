package io.finmix.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ComputeBackendTest {

  @Test
  void theLinuxCpuBackendLoadsAndComputes() {
    ComputeBackend backend = ComputeBackend.current();
    assertThat(backend.gpu()).isFalse();
    assertThat(backend.name()).isEqualTo("CpuBackend");
    assertThat(backend.toString()).contains("CPU");

    INDArray a = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
    INDArray b = Nd4j.createFromArray(new float[][] {{5, 6}, {7, 8}});
    assertThat(a.mmul(b).toFloatMatrix()).isEqualTo(new float[][] {{19, 22}, {43, 50}});
  }
}
