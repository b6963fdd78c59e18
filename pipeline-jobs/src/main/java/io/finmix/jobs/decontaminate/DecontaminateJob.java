package io.finmix.jobs.decontaminate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.task.Benchmarks;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The decontaminate stage: every training row of {@code finmix.corpus.deduped} checked against
 * every benchmark's eval rows; the rows that overlap leave ({@code finmix.corpus.clean} holds the
 * rest), and every match is listed in {@code finmix.corpus.contamination}.
 */
@Command(
    name = "decontaminate",
    mixinStandardHelpOptions = true,
    description = {
        "Removes training rows that overlap a benchmark's eval rows (n-grams, exact and near short "
            + "texts). Output: finmix.corpus.clean; every match: finmix.corpus.contamination."
    })
public final class DecontaminateJob extends StageCommand {

  @ConfigKey("decontaminate.benchmarks")
  @Option(names = "--benchmarks", paramLabel = "FILE",
      description = "Benchmarks file: a path or a name under conf/ (decontaminate.benchmarks).")
  String benchmarks;

  public static void main(String[] args) {
    Commands.main(new DecontaminateJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = decontaminate(session(config, "decontaminate"), config);
    result.print(System.out);
    return 0;
  }

  /** Distinct training rows matched, per benchmark and training source. */
  public record Result(Map<String, Map<String, Long>> byBenchmark, long removed, String report)
      implements StageResult {

    public void print(PrintStream out) {
      out.printf("%-18s %-22s %9s%n", "benchmark", "training source", "rows");
      byBenchmark.forEach((b, sources) -> sources.forEach((source, n) ->
          out.printf("%-18s %-22s %9d%n", b, source, n)));
      out.println("training rows removed: " + removed);
      out.println("report: " + report);
      out.flush();
    }
  }

  /** Removes (or flags) the run's training rows that overlap a benchmark's eval rows. */
  public static Result decontaminate(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "decontaminate", steps -> decontaminate(spark, config, steps));
  }

  private static Result decontaminate(SparkSession spark, FinmixConfig config, Steps steps) {
    DecontaminationSettings s = DecontaminationSettings.of(config);
    String runId = config.runId();
    Dataset<Row> rows = TableWriter.runRows(spark, "corpus.deduped", runId);
    Set<String> sources = new HashSet<>();
    for (Row r : rows.select("source").distinct().collectAsList()) {
      sources.add(r.getString(0));
    }
    if (sources.isEmpty()) {
      throw new UserError("no rows for run " + runId + " in finmix.corpus.deduped: run "
          + "`finmix dedup --run-id " + runId + "` first");
    }
    List<Benchmarks.Benchmark> benchmarks = new ArrayList<>();
    for (Benchmarks.Benchmark b : Benchmarks.load(config.config()
        .getString("decontaminate.benchmarks"))) {
      if (sources.contains(b.source())) {
        benchmarks.add(b);
      } else {
        steps.progress("benchmark {} skipped: source {} is not in this run",
            b.name(), b.source());
      }
    }
    if (benchmarks.isEmpty()) {
      throw new UserError("none of the benchmarks in " + config.config()
          .getString("decontaminate.benchmarks") + " has its source in run " + runId
          + " (sources: " + new TreeSet<>(sources) + ")");
    }
    steps.progress("run {}, {} benchmarks, n-grams {} ({} for texts under {} words)",
        runId, benchmarks.size(), s.ngram(), s.shortNgram(), s.shortMaxTokens());

    steps.next("match training rows to eval rows");
    Dataset<Row> train = rows.where(col("split").equalTo("train"));
    Dataset<Row> eval = Contamination.evalRows(rows, benchmarks);
    Dataset<Row> matches = Contamination.matches(train, eval, s)
        .withColumn("action", lit(s.remove() ? "removed" : "flagged"))
        .withColumn("run_id", lit(runId))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> contaminated = matches.select("record_id").distinct();
      Dataset<Row> clean = s.remove()
          ? rows.join(contaminated, rows.col("record_id").equalTo(contaminated.col("record_id")),
              "left_anti")
          : rows;
      try (TableWriter.Together tables = TableWriter.together(spark, "decontaminate", runId)) {
        steps.next("write finmix.corpus.contamination");
        tables.overwrite("corpus.contamination",
            TableWriter.inDeclaredOrder(matches, "corpus.contamination"),
            col("run_id").equalTo(runId));
        steps.next("write finmix.corpus.clean");
        tables.overwrite("corpus.clean", clean, col("run_id").equalTo(runId));
        tables.publish();
      }

      Map<String, Map<String, Long>> byBenchmark = new TreeMap<>();
      for (Row r : spark.sql("SELECT benchmark, source, count(DISTINCT record_id) FROM "
          + "finmix.corpus.contamination WHERE run_id = '" + runId + "' GROUP BY 1, 2")
          .collectAsList()) {
        byBenchmark.computeIfAbsent(r.getString(0), k -> new TreeMap<>())
            .put(r.getString(1), r.getLong(2));
      }
      long removed = s.remove() ? spark.sql("SELECT count(DISTINCT record_id) FROM "
          + "finmix.corpus.contamination WHERE run_id = '" + runId + "'").first().getLong(0) : 0;
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "decontaminate");
      report.put("run_id", runId);
      report.put("seconds", steps.elapsed());
      report.put("benchmarks", benchmarks.stream().map(Benchmarks.Benchmark::name).toList());
      report.put("matched_training_rows_by_benchmark_and_source", byBenchmark);
      report.put("removed_training_rows", removed);
      String path = RunReport.write(config, spark.sparkContext().hadoopConfiguration(),
          "decontaminate", report).toString();
      steps.progress("{} training rows removed in {} s", removed, steps.seconds());
      return new Result(byBenchmark, removed, path);
    } finally {
      matches.unpersist(false);
    }
  }
}
