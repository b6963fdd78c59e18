import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import io.finmix.model.config.ModelConfig;
import io.finmix.model.nn.Batch;
import io.finmix.model.nn.Decoder;
import io.finmix.model.tokenizer.ExampleEncoder;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The single-process side of bench/spark-training: the same preset, sequences and optimizer
 * settings as `finmix train`, trained by one Trainer in one JVM with no Spark in the loop
 * (Spark only reads the sequences first). Prints "single: <seconds> s, <tok/s> tok/s".
 *
 * Args: warehouse run-id recipe tokenizer.json seq-len preset batch steps
 */
public class SingleProcess {
  public static void main(String[] a) {
    String warehouse = a[0], runId = a[1], recipe = a[2], tokenizer = a[3];
    int seqLen = Integer.parseInt(a[4]);
    String preset = a[5];
    int batch = Integer.parseInt(a[6]);
    int steps = Integer.parseInt(a[7]);
    FinmixConfig config = FinmixConfig.load(null, List.of(),
        FinmixConfig.flags("bench", Map.of("warehouse", warehouse)));
    SparkSession spark = SparkSessions.getOrCreate(config, "bench single-process reader");
    ExampleEncoder encoder = ExampleEncoder.load(ExampleEncoder.Spec.plain(tokenizer));
    List<Row> rows = spark.table("finmix.train.sequences")
        .where(String.format("run_id = '%s' AND recipe = '%s' AND tokenizer_id = '%s' AND "
            + "seq_len = %d", runId, recipe, encoder.id(), seqLen))
        .orderBy("sequence_index").limit(batch * steps)
        .select("input_ids", "loss_mask", "segment_ids", "positions").collectAsList();
    spark.stop();
    if (rows.size() < batch * steps) {
      throw new IllegalStateException("only " + rows.size() + " sequences");
    }
    ModelConfig c = ModelConfig.preset(Path.of("conf/models.conf"), preset)
        .withVocabSize(encoder.tokenizer().vocabSize());
    Trainer trainer = new Trainer(new Decoder(c, null, 1), new TrainConfig(1e-3, 0.1, 20,
        steps, 0.1, 0.9, 0.95, 1e-8, 1.0, 1));
    long tokens = 0;
    long t0 = System.nanoTime();
    for (int s = 0; s < steps; s++) {
      int[][][] arrays = new int[4][batch][];
      for (int r = 0; r < batch; r++) {
        Row row = rows.get(s * batch + r);
        for (int k = 0; k < 4; k++) {
          List<Integer> v = row.getList(k);
          arrays[k][r] = v.stream().mapToInt(Integer::intValue).toArray();
        }
      }
      Trainer.Step st = trainer.step(Batch.ofSequences(arrays[0], arrays[1], arrays[2],
          arrays[3]));
      tokens += st.tokens();
      System.err.printf("single: step %d/%d loss %.4f%n", s + 1, steps, st.loss());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(java.util.Locale.ROOT, "single: %.1f s, %.0f tok/s%n", seconds,
        tokens / seconds);
  }
}
