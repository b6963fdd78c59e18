package io.finmix.jobs.dedup;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * The dedup stage: {@code finmix.corpus.records} of a run, without exact and near duplicates
 * and label conflicts, into {@code finmix.corpus.deduped}; every member of every duplicate
 * group, kept or removed, with the reason and the row it lost to, into {@code
 * finmix.corpus.duplicate_clusters}.
 */
@Command(
    name = "dedup",
    mixinStandardHelpOptions = true,
    description = {
        "Removes exact and near duplicates and label conflicts from finmix.corpus.records.",
        "Survivors: finmix.corpus.deduped; every group found: finmix.corpus.duplicate_clusters."
    })
public final class DedupJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(DedupJob.class);

  public static void main(String[] args) {
    Commands.main(new DedupJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = dedup(session(config, "dedup"), config);
    result.print(System.out);
    return 0;
  }

  /** Counts of the stage: per source, rows in, kept, and removed by reason. */
  public record Result(Map<String, Map<String, Long>> bySource, String report)
      implements StageResult {

    public void print(PrintStream out) {
      out.printf("%-22s %9s %9s  %s%n", "source", "records", "deduped", "removed");
      bySource.forEach((source, counts) -> {
        Map<String, Long> removed = new TreeMap<>(counts);
        removed.keySet().removeAll(List.of("records", "deduped"));
        out.printf("%-22s %9d %9d  %s%n", source, counts.getOrDefault("records", 0L),
            counts.getOrDefault("deduped", 0L), RunReport.counts(removed));
      });
      out.println("report: " + report);
      out.flush();
    }
  }

  /** Runs the stage on the run's records. */
  public static Result dedup(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "dedup", steps -> dedup(spark, config, steps));
  }

  private static Result dedup(SparkSession spark, FinmixConfig config, Steps steps) {
    DedupSettings settings = DedupSettings.of(config);
    String runId = config.runId();
    Dataset<Row> records = TableWriter.runRows(spark, "corpus.records", runId);
    if (records.isEmpty()) {
      throw new UserError("no records for run " + runId + " in finmix.corpus.records: run "
          + "`finmix ingest --run-id " + runId + "` first");
    }
    // Connected components checkpoints its rounds here; the directory goes at the end.
    String checkpoints = config.runDir() + "/checkpoints/dedup-" + System.nanoTime();
    spark.sparkContext().setCheckpointDir(checkpoints);
    steps.progress("run {}, near duplicates {} (shingle {}, {} permutations, {} bands x {} "
        + "rows, threshold {})", runId, settings.nearEnabled() ? "on" : "off", settings.shingle(),
        settings.numPerm(), settings.bands(), settings.rows(), settings.threshold());

    steps.next("exact duplicates and label conflicts");
    Dataset<Row> exact = ExactDuplicates.mark(ExactDuplicates.withText(records, settings),
        settings.dropAllConflicts()).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> near = null;
    try {
      Dataset<Row> clusters = TableWriter.inDeclaredOrder(exact.where(col("cluster_size").gt(1)),
          "corpus.duplicate_clusters");
      Dataset<Row> removed = exact.where(col("action").equalTo("removed")).select("record_id");
      steps.progress("exact pass done at {} s", steps.seconds());
      if (settings.nearEnabled()) {
        steps.next("near duplicates (MinHash LSH)");
        near = NearDuplicates.find(exact.where(col("action").equalTo("kept")), settings)
            .withColumn("run_id", lit(runId));
        clusters = clusters.unionByName(TableWriter.inDeclaredOrder(near,
            "corpus.duplicate_clusters"));
        removed = removed.unionByName(near.where(col("action").equalTo("removed"))
            .select("record_id"));
        steps.progress("near pass done at {} s", steps.seconds());
      }
      Dataset<Row> deduped = records.join(removed.distinct(), records.col("record_id")
          .equalTo(removed.col("record_id")), "left_anti");

      try (TableWriter.Together tables = TableWriter.together(spark, "dedup", runId)) {
        steps.next("write finmix.corpus.duplicate_clusters");
        tables.overwrite("corpus.duplicate_clusters", clusters, col("run_id").equalTo(runId));
        steps.next("write finmix.corpus.deduped");
        tables.overwrite("corpus.deduped", deduped, col("run_id").equalTo(runId));
        tables.publish();
      }

      Map<String, Map<String, Long>> bySource = counts(spark, runId);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "dedup");
      report.put("run_id", runId);
      report.put("seconds", steps.elapsed());
      Map<String, String> byTask = new TreeMap<>();
      settings.promptTextByTask().forEach((t, p) -> byTask.put(t, DedupSettings.textName(p)));
      report.put("settings", Map.of("text", DedupSettings.textName(settings.promptText()),
          "text_by_task", byTask,
          "label_conflicts", settings.dropAllConflicts() ? "drop_all" : "majority",
          "near", settings.nearEnabled(), "shingle", settings.shingle(),
          "num_perm", settings.numPerm(), "bands", settings.bands(), "rows", settings.rows(),
          "threshold", settings.threshold()));
      report.put("sources", bySource);
      report.put("clusters", clusterCounts(spark, runId));
      String path = RunReport.write(config, spark.sparkContext().hadoopConfiguration(), "dedup",
          report).toString();
      steps.progress("done in {} s", steps.seconds());
      return new Result(bySource, path);
    } finally {
      exact.unpersist(false);
      if (near != null) {
        near.unpersist(false);
      }
      deleteQuietly(spark, checkpoints);
    }
  }

  /** Per source: records in, deduped out, and removed rows by reason (from the tables). */
  private static Map<String, Map<String, Long>> counts(SparkSession spark, String runId) {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (Row r : spark.sql("SELECT source, 'records', count(*) FROM finmix.corpus.records "
        + "WHERE run_id = '" + runId + "' GROUP BY source UNION ALL SELECT source, 'deduped', "
        + "count(*) FROM finmix.corpus.deduped WHERE run_id = '" + runId + "' GROUP BY source "
        + "UNION ALL SELECT source, reason, count(DISTINCT record_id) FROM "
        + "finmix.corpus.duplicate_clusters WHERE run_id = '" + runId + "' AND action = "
        + "'removed' GROUP BY source, reason").collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
    }
    return out;
  }

  private static Map<String, Long> clusterCounts(SparkSession spark, String runId) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : spark.sql("SELECT split(cluster_id, ':')[0], count(DISTINCT cluster_id) FROM "
        + "finmix.corpus.duplicate_clusters WHERE run_id = '" + runId + "' GROUP BY 1 UNION ALL "
        + "SELECT reason, count(*) FROM finmix.corpus.duplicate_clusters WHERE run_id = '"
        + runId + "' AND reason IN ('chain_cut', 'component_over_cap') GROUP BY 1")
        .collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  private static void deleteQuietly(SparkSession spark, String dir) {
    try {
      Path p = new Path(dir);
      p.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(p, true);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.getMessage());
    }
  }

}
