package io.finmix.model.nn;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the model's kernels run, and what they share. Every operation has two paths: the host
 * path, Java loops over the arrays' host memory (fused, no temporaries) with matrix products
 * in ND4J's own BLAS, taken for {@code float} on ND4J's CPU backend; and the ND4J path, ND4J
 * operations whose temporaries live in a workspace that every call reuses, taken on the CUDA
 * backend (so a GPU executor never copies activations to the host), for {@code double} (the
 * gradient checks) and when {@code -Dfinmix.kernels=nd4j} asks for it ({@code host} forces
 * the host path where it can run; {@code auto}, the default, chooses).
 *
 * <p>Host kernels split their work over {@link #threads()} threads in fixed pieces whose
 * results do not depend on how many threads ran them, so every result is the same at one
 * thread and at many.
 */
public final class Kernels {

  /** The property that picks the path: auto (default), host or nd4j. */
  static final String PROPERTY = "finmix.kernels";

  private static final boolean CPU = !Nd4j.getBackend().getClass().getSimpleName()
      .toLowerCase(Locale.ROOT).matches(".*(cuda|jcublas).*");
  private static final String CHOICE = System.getProperty(PROPERTY, "auto")
      .toLowerCase(Locale.ROOT);
  private static final int THREADS = Math.max(1, Integer.getInteger("finmix.threads",
      Nd4j.getEnvironment().maxThreads()));
  private static final ExecutorService POOL = THREADS == 1 || !CPU ? null
      : Executors.newFixedThreadPool(THREADS - 1, new ThreadFactory() {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
          Thread t = new Thread(r, "finmix-kernel-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        }
      });
  private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

  private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
      .initialSize(0)
      .policyAllocation(AllocationPolicy.OVERALLOCATE)
      .overallocationLimit(0.25)
      .policyLearning(LearningPolicy.FIRST_LOOP)
      .policyReset(ResetPolicy.BLOCK_LEFT)
      .policySpill(SpillPolicy.REALLOCATE)
      .build();

  static {
    if (CPU && THREADS > 1 && !CHOICE.equals("nd4j")) {
      // host kernels split BLAS calls over their own threads; OpenBLAS's threads, spinning
      // between calls, would fight them for the cores
      Nd4j.factory().blas().setMaxThreads(1);
    }
    if (!CHOICE.equals("auto") && !CHOICE.equals("host") && !CHOICE.equals("nd4j")) {
      throw new IllegalArgumentException("-D" + PROPERTY + "=" + CHOICE
          + " is not one of auto, host, nd4j");
    }
  }

  private Kernels() {}

  private static volatile boolean nd4jOnly;

  /** Whether arrays of {@code type} take the host path. */
  public static boolean host(DataType type) {
    return type == DataType.FLOAT && CPU && !CHOICE.equals("nd4j") && !nd4jOnly;
  }

  /**
   * Sends every kernel down the ND4J path until the returned scope closes (tests comparing the
   * two paths in one JVM).
   */
  public static AutoCloseable nd4jPath() {
    boolean before = nd4jOnly;
    nd4jOnly = true;
    return () -> nd4jOnly = before;
  }

  static boolean host(Mat m) {
    return host(m.dataType());
  }

  /** Threads of the host kernels: {@code -Dfinmix.threads}, else ND4J's (OMP_NUM_THREADS). */
  public static int threads() {
    return THREADS;
  }

  /**
   * Runs {@code task.accept(i)} for every i in {@code [0, tasks)}: the calling thread and the
   * kernel threads take tasks in turn until none is left. Tasks must write disjoint outputs.
   * Called from inside a task, it runs the tasks in order on the calling thread.
   */
  public static void parallel(int tasks, IntConsumer task) {
    if (POOL == null || tasks <= 1 || INSIDE.get()) {
      for (int i = 0; i < tasks; i++) {
        task.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // counts tasks, not threads: a helper that starts after every task was taken (its thread
    // busy with another caller's work) is not waited for
    CountDownLatch done = new CountDownLatch(tasks);
    Runnable worker = () -> {
      INSIDE.set(true);
      try {
        for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
          try {
            if (failure.get() == null) {
              task.accept(i);
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          } finally {
            done.countDown();
          }
        }
      } finally {
        INSIDE.set(false);
      }
    };
    for (int h = Math.min(THREADS, tasks) - 1; h > 0; h--) {
      POOL.execute(worker);
    }
    worker.run();
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while kernels ran", e);
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  /** Whether the calling thread runs a task of {@link #parallel} (which then runs inline). */
  static boolean insideParallel() {
    return INSIDE.get();
  }

  private static final AtomicLong FLOPS = new AtomicLong();

  /** Floating-point operations of every matrix product so far, in this JVM (benchmarks). */
  public static long matmulFlops() {
    return FLOPS.get();
  }

  static void countFlops(long flops) {
    FLOPS.addAndGet(flops);
  }

  /** Rows per piece of a host kernel's work (a fixed size: pieces never depend on threads). */
  static final int ROWS = 64;

  /** The pieces of {@code n} rows: {@code ceil(n / ROWS)}. */
  static int pieces(int n) {
    return (n + ROWS - 1) / ROWS;
  }

  /** Runs {@code rows.accept(from, to)} over {@code [0, n)} in pieces of {@link #ROWS}. */
  static void rows(int n, RowRange rows) {
    parallel(pieces(n), p -> rows.accept(p * ROWS, Math.min(n, (p + 1) * ROWS)));
  }

  /** A piece of rows {@code [from, to)}. */
  interface RowRange {
    void accept(int from, int to);
  }

  /**
   * A scope for the ND4J path's temporaries: arrays created inside are carved from one
   * workspace that every call reuses, and are invalid once it closes; results are assigned
   * into buffers created outside it.
   */
  public static MemoryWorkspace scope() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "finmix-kernels");
  }

  /**
   * e^x in float, within 2 ulp: x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor polynomial
   * to r^6, 2^n by the exponent bits. Three times as fast as {@link Math#exp} here, and exact
   * enough that softmaxes agree with PyTorch's to 1e-6.
   */
  static float exp(float x) {
    if (x < -87f) {
      return 0f;
    }
    if (x > 88f) {
      return Float.POSITIVE_INFINITY;
    }
    float t = x * LOG2E + ROUND;
    int n = Float.floatToRawIntBits(t) - ROUND_BITS;
    float nf = t - ROUND;
    return taylor(x - nf * LN2_HIGH - nf * LN2_LOW) * Float.intBitsToFloat((n + 127) << 23);
  }

  /**
   * {@code x[i] = e^x[i]} for i in {@code [from, to)}, as {@link #exp(float)} but in two passes
   * the JIT turns into vector code (the polynomial, then the exponent bits), five times as fast
   * as one pass; inputs below -87 give e^-87 rather than 0. {@code tmp} is scratch as long.
   */
  public static void exp(float[] x, int from, int to, float[] tmp) {
    for (int i = from; i < to; i++) {
      float v = Math.min(Math.max(x[i], -87f), 88f);
      float t = v * LOG2E + ROUND;
      float nf = t - ROUND;
      x[i] = taylor(v - nf * LN2_HIGH - nf * LN2_LOW);
      tmp[i] = t;
    }
    for (int i = from; i < to; i++) {
      x[i] *= Float.intBitsToFloat((Float.floatToRawIntBits(tmp[i]) - ROUND_BITS + 127) << 23);
    }
  }

  private static final float LOG2E = 1.44269504f;
  /** Adding 1.5 * 2^23 rounds a float to an integer, kept in its low mantissa bits. */
  private static final float ROUND = 12582912f;
  private static final int ROUND_BITS = 0x4B400000;
  private static final float LN2_HIGH = 0.693145751953125f;
  private static final float LN2_LOW = 1.428606765330187e-06f;

  private static float taylor(float r) {
    return 1f + r * (1f + r * (0.5f + r * (0.16666667f + r * (0.041666668f
        + r * (0.008333334f + r * 0.0013888889f)))));
  }

  /** The sum of {@code x[from, to)}, in double, four running sums (independent additions). */
  public static double sum(float[] x, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    for (; i < to; i++) {
      s0 += x[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The largest of {@code x[from, to)} (negative infinity when empty). */
  public static float max(float[] x, int from, int to) {
    float m0 = Float.NEGATIVE_INFINITY;
    float m1 = Float.NEGATIVE_INFINITY;
    float m2 = Float.NEGATIVE_INFINITY;
    float m3 = Float.NEGATIVE_INFINITY;
    int i = from;
    for (; i + 3 < to; i += 4) {
      m0 = Math.max(m0, x[i]);
      m1 = Math.max(m1, x[i + 1]);
      m2 = Math.max(m2, x[i + 2]);
      m3 = Math.max(m3, x[i + 3]);
    }
    for (; i < to; i++) {
      m0 = Math.max(m0, x[i]);
    }
    return Math.max(Math.max(m0, m1), Math.max(m2, m3));
  }

  private static final ThreadLocal<float[][]> ROWS_SCRATCH = ThreadLocal.withInitial(
      () -> new float[6][0]);

  /**
   * Scratch row {@code which} (0 to 5) of the calling thread, at least {@code size} long: host
   * kernels copy rows into these to compute on Java arrays, which the JIT vectorises.
   */
  public static float[] row(int which, int size) {
    float[][] rows = ROWS_SCRATCH.get();
    if (rows[which].length < size) {
      rows[which] = new float[Math.max(size, rows[which].length * 5 / 4)];
    }
    return rows[which];
  }
}
