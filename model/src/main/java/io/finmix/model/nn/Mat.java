package io.finmix.model.nn;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A row-major matrix inside an ND4J buffer: {@code rows x cols}, element (i, j) at {@code
 * offset + i * ld + j}. Kernels take Mats so one buffer serves many shapes (the first rows of
 * a buffer sized for the largest batch, one head's columns of a projection) without copies;
 * {@link #nd()} is the same matrix as an ND4J view for the ND4J path, {@link #floats()} and
 * {@link #ptr()} the host memory for the host path.
 */
record Mat(INDArray buf, long offset, int rows, int cols, int ld) {

  /** A whole contiguous array: 2-D as it is, 1-D as one row. */
  static Mat of(INDArray a) {
    if (a.length() > 1 && (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a))) {
      throw new IllegalArgumentException("not a contiguous row-major array: " + a.shapeInfoToString());
    }
    if (a.rank() == 1) {
      return new Mat(a, a.offset(), 1, (int) a.length(), (int) a.length());
    }
    if (a.rank() != 2) {
      throw new IllegalArgumentException("not a matrix: " + a.shapeInfoToString());
    }
    return new Mat(a, a.offset(), (int) a.size(0), (int) a.size(1), (int) a.size(1));
  }

  DataType dataType() {
    return buf.dataType();
  }

  /** Rows {@code [from, to)}. */
  Mat rows(int from, int to) {
    if (from < 0 || to > rows || from > to) {
      throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + rows);
    }
    return new Mat(buf, offset + (long) from * ld, to - from, cols, ld);
  }

  /** Columns {@code [from, to)}. */
  Mat cols(int from, int to) {
    if (from < 0 || to > cols || from > to) {
      throw new IndexOutOfBoundsException("columns " + from + ".." + to + " of " + cols);
    }
    return new Mat(buf, offset + from, rows, to - from, ld);
  }

  /** The same elements as {@code rows * cols / width} rows of {@code width} (contiguous only). */
  Mat reshape(int width) {
    if (ld != cols || (long) rows * cols % width != 0) {
      throw new IllegalArgumentException("cannot view " + rows + "x" + cols + " (ld " + ld
          + ") as rows of " + width);
    }
    return new Mat(buf, offset, (int) ((long) rows * cols / width), width, width);
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
    return buf.data().asNioFloat();
  }

  /** The host address of element (0, 0), for BLAS. */
  FloatPointer ptr() {
    return new FloatPointer(buf.data().pointer()).position(offset);
  }

  /** This matrix as an ND4J view (no copy): writes through it land in the buffer. */
  INDArray nd() {
    return Nd4j.create(buf.data(), new long[] {rows, cols}, new long[] {ld, 1}, offset, 'c',
        buf.dataType());
  }

  /** This matrix as an ND4J view of shape {@code shape} (contiguous only). */
  INDArray nd(long... shape) {
    if (!contiguous()) {
      throw new IllegalArgumentException("a strided matrix has no other shape");
    }
    return Nd4j.create(buf.data(), shape, Nd4j.getStrides(shape, 'c'), offset, 'c',
        buf.dataType());
  }

  @Override
  public String toString() {
    return "Mat[" + rows + "x" + cols + ", ld " + ld + ", offset " + offset + "]";
  }
}
