package io.finmix.jobs.train;

import static org.apache.spark.sql.functions.col;

import io.finmix.jobs.core.TableWriter;
import io.finmix.schemas.TableSchemas;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A learnable packed recipe for training tests, written straight into train.sequences (recipe
 * {@code progressions}, tokenizer {@code bytes}): arithmetic progressions of byte ids, 6 to 15
 * tokens each, packed into sequences, the loss on every token. After two tokens of an example
 * the rest is determined, so the loss falls fast.
 */
final class ProgressionSequences {

  static final String RECIPE = "progressions";
  static final int SPAN = 40;

  private ProgressionSequences() {}

  static int term(int start, int stride, int t) {
    return 1 + (start + t * stride) % SPAN;
  }

  static void write(SparkSession spark, String runId, int sequences, int seqLen) {
    Random r = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < sequences; i++) {
      Integer[] ids = new Integer[seqLen];
      Integer[] mask = new Integer[seqLen];
      Integer[] seg = new Integer[seqLen];
      Integer[] pos = new Integer[seqLen];
      List<String> records = new ArrayList<>();
      List<Long> positions = new ArrayList<>();
      int k = 0;
      int segment = 1;
      while (seqLen - k >= 6) {
        int len = Math.min(seqLen - k, 6 + r.nextInt(10));
        int start = r.nextInt(SPAN);
        int stride = 1 + r.nextInt(3);
        for (int t = 0; t < len; t++, k++) {
          ids[k] = term(start, stride, t);
          mask[k] = 1;
          seg[k] = segment;
          pos[k] = t;
        }
        records.add("p-" + i + "-" + segment);
        positions.add((long) i * 10 + segment);
        segment++;
      }
      int tokens = k;
      for (; k < seqLen; k++) {
        ids[k] = 256;
        mask[k] = 0;
        seg[k] = 0;
        pos[k] = 0;
      }
      rows.add(RowFactory.create(RECIPE, "bytes", seqLen, (long) i, ids, mask, seg, pos,
          records.toArray(new String[0]), positions.toArray(new Long[0]), tokens, runId));
    }
    TableWriter.overwrite(spark, "train.sequences", spark.createDataFrame(rows,
        TableSchemas.load("train.sequences").schema()), col("run_id").equalTo(runId));
  }
}
