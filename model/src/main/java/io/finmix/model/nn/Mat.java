package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A row-major matrix inside an ND4J buffer: {@code rows x cols}, element (i, j) at {@code
 * offset + i * ld + j}. Kernels take Mats so one buffer serves many shapes (the first rows of
 * a buffer sized for the largest batch, one head's columns of a projection) without copies;
 * {@link #nd()} is the same matrix as an ND4J view for the ND4J path, {@link #floats()} and
 * {@link #address(int, int)} its host memory for the host path.
 */
record Mat(Storage storage, long offset, int rows, int cols, int ld) {

  /** An array and its host memory, looked up once (a step makes no garbage per kernel). */
  static final class Storage {
    final INDArray array;
    private FloatBuffer floats;
    private long address = -1;

    Storage(INDArray array) {
      if (array.data().offset() != 0) {
        throw new IllegalArgumentException("an array sharing its buffer at an offset");
      }
      this.array = array;
    }

    FloatBuffer floats() {
      if (floats == null) {
        floats = array.data().asNioFloat();
      }
      return floats;
    }

    long address() {
      if (address < 0) {
        address = array.data().pointer().address();
      }
      return address;
    }
  }

  /** A whole contiguous array: 2-D as it is, 1-D as one row. */
  static Mat of(INDArray a) {
    if (a.length() > 1 && (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a))) {
      throw new IllegalArgumentException("not a contiguous row-major array: "
          + a.shapeInfoToString());
    }
    Storage s = new Storage(a);
    if (a.rank() == 1) {
      return new Mat(s, a.offset(), 1, (int) a.length(), (int) a.length());
    }
    if (a.rank() != 2) {
      throw new IllegalArgumentException("not a matrix: " + a.shapeInfoToString());
    }
    return new Mat(s, a.offset(), (int) a.size(0), (int) a.size(1), (int) a.size(1));
  }

  INDArray buf() {
    return storage.array;
  }

  DataType dataType() {
    return storage.array.dataType();
  }

  /** Rows {@code [from, to)}. */
  Mat rows(int from, int to) {
    if (from < 0 || to > rows || from > to) {
      throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + rows);
    }
    return new Mat(storage, offset + (long) from * ld, to - from, cols, ld);
  }

  /** Columns {@code [from, to)}. */
  Mat cols(int from, int to) {
    if (from < 0 || to > cols || from > to) {
      throw new IndexOutOfBoundsException("columns " + from + ".." + to + " of " + cols);
    }
    return new Mat(storage, offset + from, rows, to - from, ld);
  }

  /** A {@code rows x cols} matrix of row stride {@code ld} from this one's first element. */
  Mat view(int rows, int cols, int ld) {
    return new Mat(storage, offset, rows, cols, ld);
  }

  /** The same elements as {@code rows * cols / width} rows of {@code width} (contiguous only). */
  Mat reshape(int width) {
    if (ld != cols || (long) rows * cols % width != 0) {
      throw new IllegalArgumentException("cannot view " + rows + "x" + cols + " (ld " + ld
          + ") as rows of " + width);
    }
    return new Mat(storage, offset, (int) ((long) rows * cols / width), width, width);
  }

  boolean contiguous() {
    return ld == cols || rows <= 1;
  }

  /** Flat index of element (i, j) in {@link #floats()}. */
  int at(int i, int j) {
    return (int) (offset + (long) i * ld + j);
  }

  /** The host memory of the whole buffer (index with {@link #at}). */
  FloatBuffer floats() {
    return storage.floats();
  }

  /** The host address of element (i, j) of a float matrix, for BLAS. */
  long address(int i, int j) {
    return storage.address() + 4 * (offset + (long) i * ld + j);
  }

  /** This matrix as an ND4J view (no copy): writes through it land in the buffer. */
  INDArray nd() {
    return Nd4j.create(storage.array.data(), new long[] {rows, cols}, new long[] {ld, 1}, offset,
        'c', dataType());
  }

  @Override
  public String toString() {
    return "Mat[" + rows + "x" + cols + ", ld " + ld + ", offset " + offset + "]";
  }
}
