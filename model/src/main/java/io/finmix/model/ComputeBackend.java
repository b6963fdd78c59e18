package io.finmix.model;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * Which ND4J backend this JVM runs on (CPU or CUDA), as reported to logs and run tables.
 *
 * <p>The backend is chosen by the jars on the classpath ({@code nd4j-native} by default, {@code
 * nd4j-cuda-*} with the {@code cuda} build profile), so a mis-built executor shows up here first.
 */
public record ComputeBackend(String name, boolean gpu, int devices, String blas) {

  /** Loads ND4J (first call initialises the native libraries) and describes the backend. */
  public static ComputeBackend current() {
    Nd4jBackend backend = Nd4j.getBackend();
    String name = backend.getClass().getSimpleName();
    boolean gpu = name.toLowerCase(java.util.Locale.ROOT).contains("cuda")
        || name.toLowerCase(java.util.Locale.ROOT).contains("jcublas");
    int devices = Nd4j.getAffinityManager().getNumberOfDevices();
    String blas = String.valueOf(Nd4j.factory().blas().getBlasVendor());
    return new ComputeBackend(name, gpu, devices, blas);
  }

  @Override
  public String toString() {
    return name + (gpu ? " (GPU, " + devices + " device(s))" : " (CPU, BLAS " + blas + ")");
  }
}
