package io.finmix.jobs.train;

import static org.apache.spark.sql.functions.col;

import io.finmix.jobs.core.TableWriter;
import io.finmix.model.infer.Scorer;
import io.finmix.model.nn.Decoder;
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
public final class ProgressionSequences {

  public static final String RECIPE = "progressions";
  static final int SPAN = 40;

  private ProgressionSequences() {}

  static int term(int start, int stride, int t) {
    return 1 + (start + t * stride) % SPAN;
  }

  /**
   * Of 20 seeded six-term prompts, how many times {@code model} gives the true next {@code
   * length} terms a higher log-likelihood than those of the progression shifted by {@code shift}.
   */
  static long rankedFirst(Decoder model, int seqLen, long seed, int length, int shift) {
    Random rnd = new Random(seed);
    List<int[]> prompts = new ArrayList<>();
    List<List<int[]>> candidates = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int start = rnd.nextInt(SPAN);
      int stride = 1 + rnd.nextInt(3);
      int[] prompt = new int[6];
      for (int t = 0; t < 6; t++) {
        prompt[t] = term(start, stride, t);
      }
      int[] good = new int[length];
      int[] bad = new int[length];
      for (int t = 0; t < length; t++) {
        good[t] = term(start, stride, 6 + t);
        bad[t] = term(start + shift, stride, 6 + t);
      }
      prompts.add(prompt);
      candidates.add(List.of(good, bad));
    }
    return new Scorer(model, seqLen, 8).score(prompts, candidates).stream()
        .filter(s -> s.get(0).logLikelihood() > s.get(1).logLikelihood()).count();
  }

  public static void write(SparkSession spark, String runId, int sequences, int seqLen) {
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
