package io.finmix.jobs.eval;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.JavaBytes;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Benchmarks;
import io.finmix.jobs.task.PromptTemplates;
import io.finmix.jobs.tokens.ExampleEncoders;
import io.finmix.jobs.train.RunStatus;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.tokenizer.ExampleEncoder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code finmix evaluate}: scores trained checkpoints on the benchmarks' eval rows, distributed
 * over Spark partitions (each loads the model once and scores its rows), into
 * {@code finmix.eval.predictions}.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
        "Scores the run's trained models (finmix.train.runs) on the benchmarks of "
            + "conf/benchmarks.conf: rank classification (choice log-likelihoods, raw and per "
            + "token) and generation + parsing, on the valid and test rows of corpus.clean.",
        "Output: finmix.eval.predictions (one row per eval row, checkpoint and mode)."
    })
public final class EvaluateJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  @ConfigKey("evaluate.only")
  @Option(names = "--benchmark", paramLabel = "NAME", split = ",",
      description = "Only these benchmarks, comma-separated (evaluate.only).")
  List<String> only;

  @ConfigKey("evaluate.train_runs")
  @Option(names = "--train-run", paramLabel = "NAME", split = ",",
      description = "Only these training runs, comma-separated (evaluate.train_runs); default: "
          + "every finished run of the run id.")
  List<String> trainRuns;

  @ConfigKey("evaluate.checkpoints")
  @Option(names = "--checkpoints", paramLabel = "last|all",
      description = "Each run's last checkpoint, or every kept one (evaluate.checkpoints).")
  String checkpoints;

  @ConfigKey("evaluate.max_rows")
  @Option(names = "--max-rows", paramLabel = "N",
      description = "At most N eval rows per benchmark and split; 0: all (evaluate.max_rows).")
  Integer maxRows;

  @ConfigKey("evaluate.batch_size")
  @Option(names = "--batch-size", paramLabel = "N",
      description = "Rows per forward pass or generation batch (evaluate.batch_size).")
  Integer batchSize;

  public static void main(String[] args) {
    Commands.main(new EvaluateJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    evaluate(session(config, "evaluate"), config).print(System.out);
    return 0;
  }

  /** What was scored: rows per training run, checkpoint, benchmark and mode, and accuracy. */
  public record Result(String runId, List<String> lines, double seconds, long rows)
      implements StageResult {

    public void print(PrintStream out) {
      out.printf(Locale.ROOT, "evaluate %s: %d predictions in %.1f s%n", runId, rows, seconds);
      lines.forEach(l -> out.println("  " + l));
      out.println("table: finmix.eval.predictions; next: finmix aggregate --run-id " + runId);
    }
  }

  /** The training run to evaluate: its name, checkpoints to score, and sequence settings. */
  record RunToScore(String trainRun, String tokenizerId, int seqLen, Map<Long, Path> checkpoints) {}

  /** Scores the run's training runs (every checkpoint, or each one's last) on the benchmarks. */
  public static Result evaluate(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "evaluate", steps -> evaluate(spark, config, steps));
  }

  private static Result evaluate(SparkSession spark, FinmixConfig config, Steps steps) {
    String runId = config.runId();
    EvaluateSettings settings = EvaluateSettings.of(config);
    int batch = settings.batchSize();
    List<RunToScore> runs = runsToScore(spark, runId, settings.trainRuns(),
        settings.allCheckpoints());
    Dataset<Row> clean = TableWriter.runRows(spark, "corpus.clean", runId);
    List<Benchmark> benchmarks = benchmarksOfRun(clean, settings);

    ExampleEncoder.Spec spec = ExampleEncoders.spec(config, settings.tokenizer());
    ExampleEncoder encoder = ExampleEncoders.load(spec, "tokenize.tokenizer");
    for (RunToScore r : runs) {
      if (!r.tokenizerId().equals(encoder.id())) {
        throw new UserError("training run '" + r.trainRun() + "' was trained with tokenizer "
            + r.tokenizerId() + ", but tokenize.tokenizer is " + encoder.id() + ": set "
            + "tokenize.tokenizer (and tokenize.format) as the run was trained");
      }
    }
    PromptTemplates templates = PromptTemplates.load(settings.prompts());
    Map<String, Benchmark> byName = new TreeMap<>();
    benchmarks.forEach(b -> byName.put(b.name(), b));
    Map<String, String> demos = demonstrations(clean, benchmarks, templates);

    int workers = settings.workers() > 0 ? settings.workers()
        : spark.sparkContext().defaultParallelism();
    steps.next("select the eval rows");
    Dataset<Row> rows = evalRows(clean, benchmarks)
        .repartition(workers, col("record_id"))
        .sortWithinPartitions("benchmark", "split", "record_id")
        .persist(StorageLevel.MEMORY_AND_DISK());
    List<String> lines = new ArrayList<>();
    long total = 0;
    try {
      long evalRows = rows.count();
      steps.progress("run {}: {} eval rows of {} benchmarks, {} training runs, {} partitions",
          runId, evalRows, benchmarks.size(), runs.size(), workers);
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      int done = 0;
      int toScore = runs.stream().mapToInt(r -> r.checkpoints().size()).sum();
      for (RunToScore r : runs) {
        Dataset<Row> predictions = null;
        List<Dataset<Row>> cached = new ArrayList<>();
        List<Broadcast<byte[]>> broadcasts = new ArrayList<>();
        try {
          for (Map.Entry<Long, Path> ck : r.checkpoints().entrySet()) {
            long t0 = System.nanoTime();
            Checkpoint full = readCheckpoint(ck.getValue());
            Broadcast<byte[]> bytes = jsc.broadcast(JavaBytes.of(new Checkpoint(full.step(),
                full.config(), full.tokenizer(), full.parameters(), Map.of(), full.state())));
            BenchmarkScorer scorer = new BenchmarkScorer(byName, demos, templates, spec,
                r.seqLen(), batch, runId, r.trainRun(), ck.getKey(), ck.getValue().toString(),
                bytes);
            steps.next(r.trainRun() + " step " + ck.getKey());
            Dataset<Row> scored = rows.mapPartitions(
                (MapPartitionsFunction<Row, Row>) scorer::score,
                Encoders.row(BenchmarkScorer.schema())).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(scored);
            broadcasts.add(bytes);
            long n = scored.count();
            done++;
            double s = (System.nanoTime() - t0) / 1e9;
            total += n;
            steps.progress("run {}: {}/{} {} step {}: {} predictions in {} s ({} eval rows/s)",
                runId, done, toScore, r.trainRun(), ck.getKey(), n,
                String.format(Locale.ROOT, "%.1f", s),
                String.format(Locale.ROOT, "%.1f", evalRows / s));
            predictions = predictions == null ? scored : predictions.unionByName(scored);
          }
          steps.next(r.trainRun() + ": write finmix.eval.predictions");
          TableWriter.overwrite(spark, "eval.predictions", predictions,
              col("run_id").equalTo(runId).and(col("train_run").equalTo(r.trainRun()))
                  .and(col("benchmark").isin(byName.keySet().toArray())));
          for (Row s : predictions.groupBy("step", "benchmark", "mode")
              .agg(org.apache.spark.sql.functions.count(lit(1)),
                  org.apache.spark.sql.functions.avg(col("correct").cast("double")),
                  org.apache.spark.sql.functions.avg(col("prediction").isNull().cast("double")))
              .orderBy("step", "benchmark", "mode").collectAsList()) {
            lines.add(String.format(Locale.ROOT, "%s step %d %-14s %-9s n=%-5d correct %.3f "
                + "missing %.3f", r.trainRun(), s.getLong(0), s.getString(1), s.getString(2),
                s.getLong(3), s.getDouble(4), s.getDouble(5)));
          }
        } finally {
          cached.forEach(Dataset::unpersist);
          broadcasts.forEach(Broadcast::destroy);
        }
      }
    } finally {
      rows.unpersist();
    }
    return new Result(runId, lines, steps.elapsed(), total);
  }

  private static Checkpoint readCheckpoint(Path dir) {
    try {
      return Checkpoint.read(dir);
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new UserError("cannot evaluate checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The finished training runs of the run (or the named ones) and their checkpoints. */
  static List<RunToScore> runsToScore(SparkSession spark, String runId, List<String> named,
      boolean all) {
    List<Row> rows = TableWriter.runRows(spark, "train.runs", runId)
        .select("train_run", "status", "checkpoint", "tokenizer_id", "seq_len")
        .orderBy("train_run").collectAsList();
    Map<String, Row> byName = new TreeMap<>();
    rows.forEach(r -> byName.put(r.getString(0), r));
    for (String n : named) {
      if (!byName.containsKey(n)) {
        throw new UserError("evaluate.train_runs: no training run '" + n + "' in run " + runId
            + " (runs: " + byName.keySet() + ")");
      }
    }
    List<RunToScore> out = new ArrayList<>();
    for (Row r : rows) {
      String name = r.getString(0);
      if (!named.isEmpty() && !named.contains(name)) {
        continue;
      }
      if (!RunStatus.FINISHED.is(r.getString(1))) {
        if (!named.isEmpty()) {
          throw new UserError("training run '" + name + "' is " + r.getString(1)
              + ", not finished: finish it (finmix train --resume) before evaluating it");
        }
        LOG.info("evaluate: training run {} skipped: {}", name, r.getString(1));
        continue;
      }
      Path last = Path.of(r.getString(2));
      Map<Long, Path> cks = new TreeMap<>();
      if (all) {
        cks.putAll(Checkpoint.valid(last.getParent()));
      }
      if (cks.isEmpty()) {
        cks.put(readStep(last), last);
      }
      out.add(new RunToScore(name, r.getString(3), r.getInt(4), cks));
    }
    if (out.isEmpty()) {
      throw new UserError("no finished training runs to evaluate in run " + runId
          + (rows.isEmpty() ? " (finmix.train.runs has none: run finmix train first)"
              : " (runs: " + byName.keySet() + ")"));
    }
    return out;
  }

  private static long readStep(Path checkpoint) {
    try {
      return io.finmix.model.io.JsonFiles.read(checkpoint.resolve("state.json")).get("step")
          .getAsLong();
    } catch (RuntimeException e) {
      throw new UserError("cannot evaluate checkpoint " + checkpoint + ": " + e.getMessage(), e);
    }
  }

  /** The configured benchmarks whose source has rows in the run (and in evaluate.only). */
  static List<Benchmark> benchmarksOfRun(Dataset<Row> clean, EvaluateSettings s) {
    String file = s.benchmarksFile();
    List<String> only = s.only();
    int maxRows = s.maxRows();
    List<Benchmark> all = Benchmarks.load(file);
    TreeSet<String> known = new TreeSet<>();
    all.forEach(b -> known.add(b.name()));
    for (String o : only) {
      if (!known.contains(o)) {
        throw new UserError("evaluate.only: no benchmark '" + o + "' in " + file + " (known: "
            + known + ")");
      }
    }
    TreeSet<String> sources = new TreeSet<>();
    clean.where(col("split").isin("valid", "test")).select("source").distinct()
        .collectAsList().forEach(r -> sources.add(r.getString(0)));
    List<Benchmark> out = new ArrayList<>();
    for (Benchmark b : all) {
      if (!only.isEmpty() && !only.contains(b.name())) {
        continue;
      }
      if (!sources.contains(b.source())) {
        LOG.info("evaluate: benchmark {} skipped: source {} has no eval rows in this run",
            b.name(), b.source());
        continue;
      }
      out.add(maxRows < 0 ? b : b.withMaxRows(maxRows));
    }
    if (out.isEmpty()) {
      throw new UserError("none of the benchmarks in " + file + (only.isEmpty() ? ""
          : " named by evaluate.only") + " has eval rows in this run (sources with valid or "
          + "test rows: " + sources + ")");
    }
    return out;
  }

  /**
   * The benchmarks' eval rows ({@link BenchmarkScorer#COLUMNS}); with max_rows, the first rows
   * of each split in the order of a hash of record_id (the same subset in every run). Rows
   * without a gold answer (a label; entities: an output) cannot be scored: they are left out
   * and counted in the log. A classification row without choices, where the benchmark names
   * none, is an error.
   */
  static Dataset<Row> evalRows(Dataset<Row> clean, List<Benchmark> benchmarks) {
    Dataset<Row> out = null;
    for (Benchmark b : benchmarks) {
      Dataset<Row> one = clean.where(col("source").equalTo(b.source())
              .and(col("split").isin(b.splits().toArray())))
          .withColumn("benchmark", lit(b.name()))
          .withColumn("no_gold", (b.kind() == Benchmarks.Kind.ENTITIES ? col("output")
              : col("label")).isNull())
          .withColumn("no_choices", lit(b.kind() == Benchmarks.Kind.CLASSIFICATION
              && b.choices().isEmpty()).and(coalesce(size(col("choices")), lit(0)).equalTo(0)));
      if (b.maxRows() > 0) {
        one = one.withColumn("pick", row_number().over(Window.partitionBy("split", "no_gold")
                .orderBy(sha2(col("record_id"), 256), col("record_id"))))
            .where(col("pick").leq(b.maxRows()).or(col("no_gold")));
      }
      List<String> columns = new ArrayList<>(List.of(BenchmarkScorer.COLUMNS));
      columns.addAll(List.of("no_gold", "no_choices"));
      one = one.select(columns.stream().map(one::col).toArray(Column[]::new));
      out = out == null ? one : out.unionByName(one);
    }
    for (Row r : out.groupBy("benchmark").agg(sum(col("no_gold").cast("long")),
        sum(col("no_choices").cast("long")), min(when(col("no_choices"), col("record_id"))))
        .orderBy("benchmark").collectAsList()) {
      if (r.getLong(2) > 0) {
        throw new UserError("benchmark " + r.getString(0) + ": " + r.getLong(2) + " eval rows "
            + "have no choices (record " + r.getString(3) + "); set choices in the benchmarks "
            + "file");
      }
      if (r.getLong(1) > 0) {
        LOG.warn("evaluate: benchmark {}: {} eval rows without a gold answer left out",
            r.getString(0), r.getLong(1));
      }
    }
    return out.where(not(col("no_gold"))).drop("no_gold", "no_choices");
  }

  /**
   * The k-shot prefix of each benchmark with k_shot > 0: k train rows of its source, first in
   * the order of a hash of shot_seed and record_id, each rendered as prompt and answer.
   */
  static Map<String, String> demonstrations(Dataset<Row> clean, List<Benchmark> benchmarks,
      PromptTemplates templates) {
    Map<String, String> out = new TreeMap<>();
    for (Benchmark b : benchmarks) {
      if (b.kShot() == 0) {
        continue;
      }
      List<Row> shots = clean.where(col("source").equalTo(b.source())
              .and(col("split").equalTo("train")))
          .orderBy(sha2(concat_ws(":", lit(Long.toString(b.shotSeed())), col("record_id")), 256),
              col("record_id"))
          .limit(b.kShot())
          .select("source", "task", "label", "instruction", "input", "output", "choices")
          .collectAsList();
      if (shots.size() < b.kShot()) {
        throw new UserError("benchmark " + b.name() + ": k_shot = " + b.kShot() + " but source "
            + b.source() + " has " + shots.size() + " train rows");
      }
      StringBuilder prefix = new StringBuilder();
      for (Row r : shots) {
        List<String> choices = b.choicesOf(r.isNullAt(6) ? null : r.getList(6));
        String task = b.templateOf(r.getString(1));
        PromptTemplates.Rendered p = templates.render(
            templates.of(b.template(), r.getString(0), r.getString(1)), b.instructionVariant(),
            PromptTemplates.fields(r.getString(0), task, r.getString(2), r.getString(3),
                r.getString(4), r.getString(5), choices));
        prefix.append(p.prompt()).append(p.answer()).append("\n\n");
      }
      out.put(b.name(), prefix.toString());
    }
    return out;
  }
}
