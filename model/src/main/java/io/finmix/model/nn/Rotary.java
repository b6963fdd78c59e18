package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary positions (Llama's rotate-half form): in each head, element {@code j} of the first
 * half and element {@code j} of the second rotate together by the angle {@code p * theta^(-2j /
 * d)} of the token's position {@code p}. Applied in place to queries and keys; its backward is
 * the opposite rotation. Angles are computed in double, as the PyTorch reference does.
 */
final class Rotary {

  private final int half;
  private final double theta;
  private final DataType type;
  private float[] cos = new float[0];
  private float[] sin = new float[0];
  private int[] positions;
  private int n;
  private Mat cosRows;
  private Mat sinRows;

  Rotary(int headDim, double theta, DataType type) {
    this.half = headDim / 2;
    this.theta = theta;
    this.type = type;
  }

  /** Sets the positions of the rows the next calls rotate (row i is at {@code positions[i]}). */
  void prepare(int[] positions, int n, Buffers buffers) {
    this.positions = positions;
    this.n = n;
    int longest = 0;
    for (int i = 0; i < n; i++) {
      if (positions[i] < 0) {
        throw new IllegalArgumentException("position " + positions[i] + " is negative");
      }
      longest = Math.max(longest, positions[i] + 1);
    }
    if (Kernels.host(type)) {
      grow(longest);
      return;
    }
    cosRows = buffers.mat("rope.cos", n, half);
    sinRows = buffers.mat("rope.sin", n, half);
    double[][] c = new double[n][half];
    double[][] s = new double[n][half];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < half; j++) {
        double angle = positions[i] * inverseFrequency(j);
        c[i][j] = Math.cos(angle);
        s[i][j] = Math.sin(angle);
      }
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      cosRows.nd().assign(Nd4j.createFromArray(c).castTo(type));
      sinRows.nd().assign(Nd4j.createFromArray(s).castTo(type));
    }
  }

  private double inverseFrequency(int j) {
    return 1.0 / Math.pow(theta, 2.0 * j / (2 * half));
  }

  private void grow(int longest) {
    if (cos.length >= longest * half) {
      return;
    }
    int size = Math.max(longest, cos.length / Math.max(1, half) * 2);
    cos = new float[size * half];
    sin = new float[size * half];
    for (int p = 0; p < size; p++) {
      for (int j = 0; j < half; j++) {
        double angle = p * inverseFrequency(j);
        cos[p * half + j] = (float) Math.cos(angle);
        sin[p * half + j] = (float) Math.sin(angle);
      }
    }
  }

  /** Rotates each of the {@code heads} heads of {@code x} [n, heads * 2 half] in place. */
  void forward(Mat x, int heads) {
    rotate(x, heads, 1);
  }

  /** The gradient through the rotation: {@code dx} rotated back, in place. */
  void backward(Mat dx, int heads) {
    rotate(dx, heads, -1);
  }

  private void rotate(Mat x, int heads, int sign) {
    if (x.rows() != n) {
      throw new IllegalStateException("prepared for " + n + " rows, given " + x.rows());
    }
    int hd = 2 * half;
    if (Kernels.host(x)) {
      FloatBuffer b = x.floats();
      float[] c = cos;
      float[] s = sin;
      Kernels.rows(n, (from, to) -> {
        for (int i = from; i < to; i++) {
          int t = positions[i] * half;
          for (int h = 0; h < heads; h++) {
            int a = x.at(i, h * hd);
            for (int j = 0; j < half; j++) {
              float x1 = b.get(a + j);
              float x2 = b.get(a + half + j);
              float cj = c[t + j];
              float sj = sign * s[t + j];
              b.put(a + j, x1 * cj - x2 * sj);
              b.put(a + half + j, x2 * cj + x1 * sj);
            }
          }
        }
      });
      return;
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      INDArray c = cosRows.nd();
      INDArray s = sign > 0 ? sinRows.nd() : sinRows.nd().neg();
      for (int h = 0; h < heads; h++) {
        INDArray x1 = x.cols(h * hd, h * hd + half).nd();
        INDArray x2 = x.cols(h * hd + half, (h + 1) * hd).nd();
        INDArray first = x1.mul(c).subi(x2.mul(s));
        INDArray second = x2.mul(c).addi(x1.mul(s));
        x1.assign(first);
        x2.assign(second);
      }
    }
  }
}
