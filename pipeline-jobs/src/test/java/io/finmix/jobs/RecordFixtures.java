package io.finmix.jobs;

import io.finmix.jobs.core.TableWriter;
import io.finmix.schemas.TableSchemas;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import scala.collection.JavaConverters;
import scala.collection.immutable.Map$;

/** Hand-made rows of finmix.corpus.records, for stages that start from that table. */
public final class RecordFixtures {

  private final String runId;
  private final List<Row> rows = new ArrayList<>();

  public RecordFixtures(String runId) {
    this.runId = runId;
  }

  /** Adds a record; {@code id} is the record_id, the offset its position. */
  public RecordFixtures add(String id, String source, String split, String instruction,
      String input, String output, String label, int priority) {
    return add(id, source, split, instruction, input, output, label, priority,
        java.util.Map.of());
  }

  /** Adds a record with attributes. */
  public RecordFixtures add(String id, String source, String split, String instruction,
      String input, String output, String label, int priority,
      java.util.Map<String, String> attributes) {
    return add(id, source, "task", split, instruction, input, output, label, priority,
        attributes);
  }

  /** Adds a labelled record of a task, with its own instruction. */
  public RecordFixtures add(String id, String source, String task, String split,
      String instruction, String input, String label) {
    return add(id, source, task, split, instruction, input, label, label, 0, java.util.Map.of());
  }

  private RecordFixtures add(String id, String source, String task, String split,
      String instruction, String input, String output, String label, int priority,
      java.util.Map<String, String> attributes) {
    rows.add(RowFactory.create(id, source, task, "finance", split, instruction, input, output,
        label == null ? null : JavaConverters.asScalaBuffer(List.of("negative", "neutral",
            "positive", label)).toSeq(), label, attributes.isEmpty() ? Map$.MODULE$.empty()
            : JavaConverters.mapAsScalaMap(new java.util.TreeMap<>(attributes)), "test",
        priority, "file:/fixture/" + source, (long) rows.size(), 0, id, runId));
    return this;
  }

  /** A labelled sentence: input = text, output = label. */
  public RecordFixtures add(String id, String source, String split, String text, String label) {
    return add(id, source, split, null, text, label == null ? "x" : label, label, 0);
  }

  /** The rows as a DataFrame with the records schema. */
  public Dataset<Row> frame(SparkSession spark) {
    return spark.createDataFrame(rows, TableSchemas.load("corpus.records").schema());
  }

  /** Writes the rows as this run's finmix.corpus.records. */
  public void writeRecords(SparkSession spark) {
    TableWriter.overwrite(spark, "corpus.records", frame(spark),
        functions.col("run_id").equalTo(runId));
  }
}
