package io.finmix.model.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products on {@link Mat}s, {@code C = alpha op(A) op(B) + beta C}: on the host path one
 * call into ND4J's BLAS on the matrices where they lie (strided views included, no copies), on
 * the ND4J path {@link Nd4j#gemm}.
 */
final class Gemm {

  private Gemm() {}

  /** {@code c = alpha * op(a) * op(b) + beta * c}; op transposes where {@code ta}/{@code tb}. */
  static void mm(Mat a, boolean ta, Mat b, boolean tb, Mat c, double alpha, double beta) {
    int m = ta ? a.cols() : a.rows();
    int k = ta ? a.rows() : a.cols();
    int kb = tb ? b.cols() : b.rows();
    int n = tb ? b.rows() : b.cols();
    if (k != kb || c.rows() != m || c.cols() != n) {
      throw new IllegalArgumentException("matrix product of " + a + (ta ? "^T" : "") + " and "
          + b + (tb ? "^T" : "") + " into " + c);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      Ops.scale(c, beta);
      return;
    }
    Kernels.countFlops(2L * m * n * k);
    if (Kernels.host(c)) {
      int parts = Kernels.insideParallel() || (long) m * n * k < SPLIT ? 1
          : Math.min(Kernels.threads(), Math.max(m, n) / 16);
      if (parts <= 1) {
        sgemm(a, ta, b, tb, c, alpha, beta);
      } else if (m >= n) {
        // row blocks of C: the matching rows of op(A), all of op(B)
        int step = (m + parts - 1) / parts;
        Kernels.parallel(parts, p -> {
          int i0 = p * step;
          int i1 = Math.min(m, i0 + step);
          if (i0 < i1) {
            sgemm(ta ? a.cols(i0, i1) : a.rows(i0, i1), ta, b, tb, c.rows(i0, i1), alpha, beta);
          }
        });
      } else {
        int step = (n + parts - 1) / parts;
        Kernels.parallel(parts, p -> {
          int j0 = p * step;
          int j1 = Math.min(n, j0 + step);
          if (j0 < j1) {
            sgemm(a, ta, tb ? b.rows(j0, j1) : b.cols(j0, j1), tb, c.cols(j0, j1), alpha, beta);
          }
        });
      }
    } else {
      Nd4j.gemm(a.nd(), b.nd(), c.nd(), ta, tb, alpha, beta);
    }
  }

  /** Products of at least this many multiply-adds are split over the kernel threads. */
  private static final long SPLIT = 1L << 20;

  /** One single-threaded BLAS call. */
  private static void sgemm(Mat a, boolean ta, Mat b, boolean tb, Mat c, double alpha,
      double beta) {
    blas(ta, tb, c.rows(), c.cols(), ta ? a.rows() : a.cols(), (float) alpha, a.address(0, 0),
        a.ld(), b.address(0, 0), b.ld(), (float) beta, c.address(0, 0), c.ld());
  }

  /**
   * One single-threaded BLAS call on host addresses, row-major ({@code lda} etc. are row
   * strides in floats): for kernels that call BLAS thousands of times a step.
   */
  static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, long a, int lda,
      long b, int ldb, float beta, long c, int ldc) {
    Kernels.countFlops(2L * m * n * k);
    blas(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  private static void blas(boolean ta, boolean tb, int m, int n, int k, float alpha, long a,
      int lda, long b, int ldb, float beta, long c, int ldc) {
    Address[] at = ADDRESSES.get();
    openblas_nolapack.cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
        tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, at[0].aim(a), lda, at[1].aim(b), ldb,
        beta, at[2].aim(c), ldc);
  }

  /** A pointer re-aimed at any address, so a BLAS call needs no new objects. */
  private static final class Address extends FloatPointer {
    Address aim(long byteAddress) {
      address = byteAddress;
      position = 0;
      limit = 0;
      capacity = 0;
      return this;
    }
  }

  private static final ThreadLocal<Address[]> ADDRESSES = ThreadLocal.withInitial(
      () -> new Address[] {new Address(), new Address(), new Address()});

  /** {@code c = a * b^T} (a linear layer's forward product, weights [out, in]). */
  static void abt(Mat a, Mat b, Mat c, double beta) {
    mm(a, false, b, true, c, 1, beta);
  }
}
