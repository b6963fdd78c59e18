package io.finmix.model.train;

import io.finmix.model.nn.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A learnable synthetic task for training tests. */
public final class Progressions {

  private Progressions() {}

  /**
   * A learnable task: arithmetic progressions mod {@code span} (start and stride random, stride
   * in 1..3), several packed per row. After two tokens the rest is determined.
   */
  public static Batch batch(Random r, int rows, int seqLen, int span) {
    return batch(r, rows, seqLen, span, 1);
  }

  /** Progressions with strides {@code minStride} .. {@code minStride + 2}. */
  public static Batch batch(Random r, int rows, int seqLen, int span, int minStride) {
    List<List<int[]>> packed = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      List<int[]> row = new ArrayList<>();
      int used = 0;
      while (used < seqLen) {
        int len = Math.min(seqLen - used, 6 + r.nextInt(10));
        int start = r.nextInt(span);
        int stride = minStride + r.nextInt(3);
        int[] e = new int[len];
        for (int k = 0; k < len; k++) {
          e[k] = term(start, stride, k, span);
        }
        row.add(e);
        used += len;
      }
      packed.add(row);
    }
    return Batch.ofPackedExamples(packed, seqLen);
  }

  /** Token {@code k} of the progression (start, stride): 1 + (start + k * stride) mod span. */
  public static int term(int start, int stride, int k, int span) {
    return 1 + (start + k * stride) % span;
  }
}
