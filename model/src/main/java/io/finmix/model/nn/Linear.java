package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A projection {@code y = x W^T + b} (weights [out, in], as Hugging Face stores them), with
 * optional low-rank adapters: {@code y += scale * (dropout(x) A^T) B^T}, A [rank, in], B [out,
 * rank]. Backward: {@code dx = dy W (+ scale dy B A, through the dropout mask)}, {@code dW = dy^T
 * x}, {@code db = sum_rows dy}, {@code dB = scale dy^T u} and {@code dA = scale (dy B)^T
 * dropout(x)}, where {@code u = dropout(x) A^T} is kept from the forward pass. Gradients of
 * frozen parameters (null) are not computed.
 *
 * <p>Adapter dropout keeps element (i, j) of the input where a hash of (seed, this adapter,
 * i, j) falls under the keep probability: the same mask on both paths and on a resumed run,
 * recomputed in the backward pass rather than stored.
 */
final class Linear {

  /** Low-rank adapters on a projection; {@code id} tells its dropout stream from others'. */
  record Adapter(Mat a, Mat b, Mat da, Mat db, double scale, double dropout, int id) {}

  final String name;
  private final String saved;
  private final Mat w;
  private final Mat b;
  private final Mat dw;
  private final Mat db;
  private final Adapter lora;
  private final ColumnSums dbSums = new ColumnSums();

  /** {@code b}, {@code lora} null: none; {@code dw}, {@code db} null: frozen. */
  Linear(String name, Mat w, Mat b, Mat dw, Mat db, Adapter lora) {
    this.name = name;
    this.saved = name + ".lora_u";
    this.w = w;
    this.b = b;
    this.dw = dw;
    this.db = db;
    this.lora = lora;
  }

  int in() {
    return w.cols();
  }

  int out() {
    return w.rows();
  }

  /** {@code y = x W^T + b + adapters}, or that added to {@code y} where {@code accumulate}. */
  void forward(Mat x, Mat y, boolean accumulate, Pass pass) {
    Gemm.abt(x, w, y, accumulate ? 1 : 0);
    if (b != null) {
      Ops.addRow(y, b);
    }
    if (lora != null) {
      Mat u = pass.buffers().mat(saved, x.rows(), lora.a.rows());
      Gemm.abt(dropped(x, pass), lora.a, u, 0);
      Gemm.mm(u, false, lora.b, true, y, lora.scale, 1);
    }
  }

  /**
   * The gradients from {@code dy}: the input's into {@code dx} (added where {@code
   * accumulate}), the trainable parameters' set.
   */
  void backward(Mat x, Mat dy, Mat dx, boolean accumulate, Pass pass) {
    Gemm.mm(dy, false, w, false, dx, 1, accumulate ? 1 : 0);
    if (dw != null) {
      Gemm.mm(dy, true, x, false, dw, 1, 0);
    }
    if (db != null) {
      Ops.columnSums(dy, db, dbSums);
    }
    if (lora == null) {
      return;
    }
    int rank = lora.a.rows();
    Mat u = pass.buffers().mat(saved, x.rows(), rank);
    Mat du = pass.buffers().mat("lora.du", x.rows(), rank);
    Gemm.mm(dy, true, u, false, lora.db, lora.scale, 0);
    Gemm.mm(dy, false, lora.b, false, du, lora.scale, 0);
    Gemm.mm(du, true, dropped(x, pass), false, lora.da, 1, 0);
    if (!dropping(pass)) {
      Gemm.mm(du, false, lora.a, false, dx, 1, 1);
      return;
    }
    Mat dxd = pass.buffers().mat("lora.dx", x.rows(), in());
    Gemm.mm(du, false, lora.a, false, dxd, 1, 0);
    mask(dxd, dxd, pass.dropoutSeed());
    Ops.add(dxd, dx);
  }

  private boolean dropping(Pass pass) {
    return lora.dropout > 0 && pass.dropoutSeed() != null;
  }

  /** {@code x} through the adapter's dropout (x itself when there is none). */
  private Mat dropped(Mat x, Pass pass) {
    if (!dropping(pass)) {
      return x;
    }
    Mat out = pass.buffers().mat("lora.x", x.rows(), x.cols());
    mask(x, out, pass.dropoutSeed());
    return out;
  }

  /** {@code out = x * mask / keep}. */
  private void mask(Mat x, Mat out, long seed) {
    double keep = 1 - lora.dropout;
    float scale = (float) (1 / keep);
    long threshold = (long) (keep * (1L << 24));
    int cols = x.cols();
    if (Kernels.host(x)) {
      FloatBuffer xs = x.floats();
      FloatBuffer os = out.floats();
      Kernels.rows(x.rows(), (from, to) -> {
        for (int i = from; i < to; i++) {
          int a = x.at(i, 0);
          int o = out.at(i, 0);
          for (int j = 0; j < cols; j++) {
            boolean kept = draw(seed, lora.id, (long) i * cols + j) < threshold;
            os.put(o + j, kept ? xs.get(a + j) * scale : 0f);
          }
        }
      });
      return;
    }
    float[][] m = new float[x.rows()][cols];
    for (int i = 0; i < x.rows(); i++) {
      for (int j = 0; j < cols; j++) {
        m[i][j] = draw(seed, lora.id, (long) i * cols + j) < threshold ? scale : 0f;
      }
    }
    try (MemoryWorkspace ignored = Kernels.scope()) {
      out.nd().assign(x.nd().mul(Nd4j.createFromArray(m).castTo(x.dataType())));
    }
  }

  /** 24 uniform bits from (seed, stream, index): SplitMix64's finaliser. */
  static long draw(long seed, int stream, long index) {
    long z = seed + stream * 0x9E3779B97F4A7C15L + index * 0xD1B54A32D192ED03L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return z >>> 40;
  }
}
