package io.finmix.jobs.core;

import io.finmix.model.io.Safetensors.Tensor;
import io.finmix.model.nn.Decoder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.broadcast.Broadcast;

/**
 * The models an executor JVM keeps between tasks (training rounds, evaluation partitions): a
 * model's parameters and its activation buffers (grown to the largest batch it has seen) cost
 * more to allocate again than its weights cost to set, so each task borrows an idle model of its
 * key (a training run, an architecture) and gives it back. A model serves one task at a time (a
 * Decoder is not thread-safe); a JVM running two tasks at once holds two. Models of another key
 * are closed (their buffers freed at once) and dropped.
 */
public final class WorkerModels {

  private static String key;
  private static final Deque<Decoder> IDLE = new ArrayDeque<>();
  private static String frozenKey;
  private static Map<String, Tensor> frozen;

  private WorkerModels() {}

  /** An idle model of run {@code runKey}, or a new one from {@code create}. */
  public static Decoder borrow(String runKey, Supplier<Decoder> create) {
    synchronized (IDLE) {
      if (!runKey.equals(key)) {
        IDLE.forEach(Decoder::close);
        IDLE.clear();
        key = runKey;
      }
      Decoder idle = IDLE.poll();
      if (idle != null) {
        return idle;
      }
    }
    return create.get();
  }

  /** The run's frozen parameters, deserialised once per JVM. */
  public static Map<String, Tensor> frozen(String runKey, Broadcast<byte[]> bytes) {
    synchronized (IDLE) {
      if (!runKey.equals(frozenKey)) {
        frozen = JavaBytes.read(bytes.value());
        frozenKey = runKey;
      }
      return frozen;
    }
  }

  /** Gives a borrowed model back for the next task of the same run. */
  public static void giveBack(String runKey, Decoder model) {
    synchronized (IDLE) {
      if (runKey.equals(key)) {
        IDLE.push(model);
      }
    }
  }
}
