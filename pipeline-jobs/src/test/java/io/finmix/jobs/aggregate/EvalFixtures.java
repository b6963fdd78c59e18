package io.finmix.jobs.aggregate;

import io.finmix.jobs.core.TableWriter;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import scala.collection.JavaConverters;

/**
 * Hand-made finished training runs and their eval.predictions (benchmark fpb, generate mode),
 * for aggregate tests that need no training: each run's rows at each checkpoint step and split
 * are correct where a predicate says, else wrong (every fifth wrong row missing).
 */
public final class EvalFixtures {

  static final List<String> LABELS = List.of("negative", "neutral", "positive");

  private final String runId;
  private final List<Row> runs = new ArrayList<>();
  private final List<Row> predictions = new ArrayList<>();
  private final List<Row> clean = new ArrayList<>();

  public EvalFixtures(String runId) {
    this.runId = runId;
  }

  /** A finished run of {@code recipe} on preset small with training seed {@code seed}. */
  public EvalFixtures run(String trainRun, String recipe, long seed) {
    Timestamp t = Timestamp.valueOf("2026-11-21 12:00:00");
    runs.add(RowFactory.create(runId, trainRun, recipe, "small", "scratch", null, 1000L, 1000L,
        JavaConverters.mapAsScalaMap(Map.of("seed", Long.toString(seed))), "bytes", 512, 1L,
        100L, 5L, 2, 20L, 20L, 10000L, 1.0, 1.1, "finished", null, t, t, 60.0, 0,
        "/fixture/" + trainRun + "/checkpoints/step-000000020", null));
    return this;
  }

  /** {@code rows} fpb predictions of a run's checkpoint on a split; row i correct if told. */
  public EvalFixtures predictions(String trainRun, long step, String split, int rows,
      IntPredicate correct) {
    for (int i = 0; i < rows; i++) {
      String gold = LABELS.get(i % 3);
      boolean ok = correct.test(i);
      String predicted = ok ? gold : i % 5 == 0 ? null : LABELS.get((i + 1) % 3);
      predictions.add(RowFactory.create(runId, trainRun, step, "/fixture/" + trainRun, "fpb",
          split, split + "-" + i, "generate", 0, "p" + i, 40, false,
          predicted == null ? "(nothing)" : " " + predicted, predicted, gold, ok, null, null,
          null));
    }
    return this;
  }

  /** {@code count} fpb training rows labelled {@code label} in corpus.clean (the baselines'). */
  public EvalFixtures trainRows(String label, int count) {
    for (int i = 0; i < count; i++) {
      String id = "train-" + label + "-" + i;
      clean.add(RowFactory.create(id, "fpb", "sentiment", "finance", "train", null,
          "sentence " + id, label, LABELS.toArray(new String[0]), label,
          JavaConverters.mapAsScalaMap(Map.<String, String>of()), "fixture", 1, "fixture.csv",
          (long) clean.size(), 0, "hash-" + id, runId));
    }
    return this;
  }

  /** Writes train.runs, eval.predictions and any corpus.clean rows of the run id. */
  public void write(SparkSession spark) {
    if (!clean.isEmpty()) {
      TableWriter.overwrite(spark, "corpus.clean", clean, functions.col("run_id").equalTo(runId));
    }
    TableWriter.overwrite(spark, "train.runs", runs, functions.col("run_id").equalTo(runId));
    TableWriter.overwrite(spark, "eval.predictions", predictions,
        functions.col("run_id").equalTo(runId));
  }
}
