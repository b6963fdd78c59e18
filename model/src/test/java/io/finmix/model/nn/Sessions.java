package io.finmix.model.nn;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.ArrayCacheMemoryMgr;

/**
 * Keeps the memory of SameDiff's execution sessions bounded. SameDiff (1.0.0-M2.1) runs a graph
 * in a session per calling thread, kept in the graph for good, and each session caches the
 * arrays its ops released for reuse, up to a quarter of JavaCPP's max bytes (1 GB under the
 * launcher's 4g): a model used by one Spark task thread after another collected a session, and
 * a cache, per thread it ever ran on, and a training driver's resident memory swung between 6
 * and 12.5 GB for a 3.5M-parameter model. Here every session caches at most {@link
 * #CACHE_BYTES}, and a model keeps only the session of the thread using it (a {@link Decoder}
 * serves one thread at a time).
 */
final class Sessions {

  /** A session's array cache: {@code -Dfinmix.samediff.cache_mb}, default 256. */
  static final long CACHE_BYTES = Long.getLong("finmix.samediff.cache_mb", 256L) << 20;

  private Sessions() {}

  /** Makes SameDiff create every session with a capped cache (Decoder's class init, once). */
  static void install() {
    SameDiff.bindInferenceFactory(sd -> {
      InferenceSession session = new InferenceSession(sd);
      session.setMmgr(new ArrayCacheMemoryMgr(cacheFraction(), 1024, 2.0));
      return session;
    });
  }

  /** The cache as the fraction of JavaCPP's max bytes that ArrayCacheMemoryMgr takes. */
  static double cacheFraction() {
    double fraction = (double) CACHE_BYTES / Math.max(1L, Pointer.maxBytes());
    return Math.max(1e-6, Math.min(0.25, fraction));
  }

  /** Drops the sessions of threads other than the caller's (their caches go with them). */
  static void keepCurrentThreadOnly(SameDiff graph) {
    if (graph == null) {
      return;
    }
    long me = Thread.currentThread().getId();
    graph.getSessions().keySet().removeIf(thread -> thread != me);
  }
}
