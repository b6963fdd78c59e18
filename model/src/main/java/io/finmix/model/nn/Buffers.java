package io.finmix.model.nn;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model's activations, gradients and scratch, by name, kept from call to call: a buffer is
 * allocated the first time its name is asked for, reallocated (the old one freed at once) only
 * when a larger shape is asked for, and otherwise handed out again, so a training loop of one
 * batch shape allocates nothing after its first step. Not thread-safe.
 */
final class Buffers implements AutoCloseable {

  private final DataType type;
  private final Map<String, Mat.Storage> arrays = new HashMap<>();

  Buffers(DataType type) {
    this.type = type;
  }

  /** The first {@code rows} rows of buffer {@code name}, {@code cols} wide; contents as left. */
  Mat mat(String name, int rows, int cols) {
    Mat.Storage s = arrays.get(name);
    INDArray a = s == null ? null : s.array;
    if (a == null || a.size(0) < rows || a.size(1) != cols) {
      long capacity = a == null || a.size(1) != cols ? rows : Math.max(rows, a.size(0) * 5 / 4);
      if (a != null) {
        a.close();
      }
      s = new Mat.Storage(allocate(type, Math.max(1, capacity), cols));
      arrays.put(name, s);
    }
    return new Mat(s, 0, rows, cols, cols);
  }

  /** A zero-filled array outside any workspace: it lives until closed. */
  static INDArray allocate(DataType type, long... shape) {
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.create(type, shape);
    }
  }

  /**
   * An array outside any workspace whose contents are whatever the memory held: for buffers
   * every reader reads only after writing (a key/value cache), so untouched pages cost nothing.
   */
  static INDArray allocateUninitialized(DataType type, long... shape) {
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.createUninitialized(type, shape);
    }
  }

  /** Bytes held. */
  long bytes() {
    long n = 0;
    for (Mat.Storage s : arrays.values()) {
      n += s.array.length() * s.array.dataType().width();
    }
    return n;
  }

  @Override
  public void close() {
    arrays.values().forEach(s -> s.array.close());
    arrays.clear();
  }
}
