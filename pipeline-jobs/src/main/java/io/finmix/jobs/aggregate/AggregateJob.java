package io.finmix.jobs.aggregate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.Config;
import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Benchmarks;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code finmix aggregate}: eval.predictions to scores with bootstrap intervals, the checkpoint
 * of each training run chosen on valid rows, recipes against their target-only baseline (paired
 * bootstrap over rows, averaged over seeds; beside it one over seeds then rows, Holm-adjusted
 * p-values and McNemar's test for right/wrong metrics), the leaderboard (with the majority
 * and random baselines on the same rows) and cocktail-effect tables, the published reference
 * scores, and an HTML report with PNG charts.
 */
@Command(
    name = "aggregate",
    mixinStandardHelpOptions = true,
    description = {
        "Scores the run's predictions (finmix.eval.predictions): every metric with a seeded "
            + "bootstrap interval, checkpoints chosen on valid rows, each recipe against its "
            + "benchmark's target-only recipe over shared seeds, numbers reported on test rows.",
        "Output: finmix.eval.scores, .comparisons, .leaderboard, .cocktail_effect, "
            + ".reference_scores, and report.html with PNG charts (aggregate.report_dir)."
    })
public final class AggregateJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(AggregateJob.class);

  public static void main(String[] args) {
    Commands.main(new AggregateJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    aggregate(session(config, "aggregate"), config).print(System.out);
    return 0;
  }

  /** What aggregate wrote. */
  public record Result(String runId, long scores, long comparisons, List<Row> leaderboard,
      String report, double seconds) implements StageResult {

    public void print(PrintStream out) {
      out.printf(Locale.ROOT, "aggregate %s: %d scores, %d comparisons in %.1f s%n", runId,
          scores, comparisons, seconds);
      out.println("leaderboard (test rows; recipes ranked on valid rows):");
      for (Row r : leaderboard) {
        out.printf(Locale.ROOT, "  %-12s %-14s %-9s %-11s %-24s %s [%s, %s]  seeds %d%n",
            r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
            num(r, 10), num(r, 11), num(r, 12), r.getInt(6));
      }
      out.println("tables: finmix.eval.scores, .comparisons, .leaderboard, .cocktail_effect, "
          + ".reference_scores");
      out.println("report: " + report);
    }

    private static String num(Row r, int i) {
      return r.isNullAt(i) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.getDouble(i));
    }
  }

  /** The bootstrap settings of the aggregate section. */
  record Settings(int resamples, long seed, double confidence, String references,
      String reportDir) {

    static Settings of(FinmixConfig config) {
      Config c = config.config().getConfig("aggregate");
      int resamples = c.getInt("resamples");
      double level = c.getDouble("confidence");
      if (resamples < 1) {
        throw new UserError("aggregate.resamples: " + resamples + " must be at least 1");
      }
      if (!(level > 0 && level < 1)) {
        throw new UserError("aggregate.confidence: " + level + " must be between 0 and 1");
      }
      String dir = c.getString("report_dir").trim();
      dir = dir.isEmpty() ? config.runDir() + "/report/eval" : dir;
      if (dir.contains("://") && !dir.startsWith("file:")) {
        throw new UserError("aggregate.report_dir: '" + dir + "' is not a local path (the "
            + "report is written on the driver; a warehouse on " + dir.substring(0,
            dir.indexOf("://")) + " needs aggregate.report_dir set to a local directory)");
      }
      return new Settings(resamples, c.getLong("seed"), level,
          c.getString("reference_scores").trim(), dir);
    }
  }

  /** Scores the run's predictions into the eval tables and the report. */
  public static Result aggregate(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "aggregate", steps -> aggregate(spark, config, steps));
  }

  private static Result aggregate(SparkSession spark, FinmixConfig config, Steps steps) {
    String runId = config.runId();
    Settings s = Settings.of(config);
    Map<String, Benchmark> benchmarks = new TreeMap<>();
    Benchmarks.load(config.config().getString("evaluate.benchmarks"))
        .forEach(b -> benchmarks.put(b.name(), b));
    Dataset<Row> predictions = TableWriter.runRows(spark, "eval.predictions", runId);
    List<String> present = new ArrayList<>();
    predictions.select("benchmark").distinct().orderBy("benchmark").collectAsList()
        .forEach(r -> present.add(r.getString(0)));
    if (present.isEmpty()) {
      throw new UserError("no rows for run " + runId + " in finmix.eval.predictions: run "
          + "`finmix evaluate --run-id " + runId + "` first");
    }
    for (String b : present) {
      if (!benchmarks.containsKey(b)) {
        LOG.warn("aggregate: benchmark {} of eval.predictions is not in {}: left out", b,
            config.config().getString("evaluate.benchmarks"));
      }
    }
    Dataset<Row> runs = TableWriter.runRows(spark, "train.runs", runId)
        .select(col("train_run"), col("recipe"), baseModel().as("model"),
            col("hyper_parameters").getItem("seed").cast("bigint").as("seed"));
    checkOneRunPerSeed(runs.join(predictions.select("train_run").distinct(), "train_run"));
    Dataset<Row> joined = withGroups(spark, runId, benchmarks,
        predictions.where(col("benchmark").isin(benchmarks.keySet().toArray()))
            .join(runs, "train_run")).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return aggregate(spark, config, s, benchmarks, joined, steps);
    } finally {
      joined.unpersist();
    }
  }

  /**
   * A recipe's seeds are what comparisons average and pair over, so two training runs of the
   * same base model, recipe and seed (a sweep over other settings) cannot both be in one run
   * id's aggregate: which one stands for the seed would be arbitrary.
   */
  static void checkOneRunPerSeed(Dataset<Row> runs) {
    List<Row> clashes = runs.groupBy("model", "recipe", "seed")
        .agg(org.apache.spark.sql.functions.sort_array(collect_list("train_run")).as("runs"))
        .where(org.apache.spark.sql.functions.size(col("runs")).gt(1))
        .orderBy("model", "recipe", "seed").collectAsList();
    if (!clashes.isEmpty()) {
      Row c = clashes.get(0);
      throw new UserError("training runs " + c.getList(3) + " share model " + c.getString(0)
          + ", recipe " + c.getString(1) + " and seed " + c.getLong(2) + ": aggregate pairs "
          + "recipes by seed, so give runs that differ in other settings their own run id "
          + "(--run-id) or different seeds" + (clashes.size() > 1 ? " (" + (clashes.size() - 1)
          + " more such groups)" : ""));
    }
  }

  /**
   * The predictions with {@code group}: for a benchmark with {@code group_by}, that attribute of
   * the eval row in corpus.clean (a headline's question type, for avg_f1); null otherwise.
   */
  static Dataset<Row> withGroups(SparkSession spark, String runId,
      Map<String, Benchmark> benchmarks, Dataset<Row> predictions) {
    Column group = lit(null).cast(DataTypes.StringType);
    boolean any = false;
    for (Benchmark b : benchmarks.values()) {
      if (!b.groupBy().isEmpty()) {
        group = when(col("benchmark").equalTo(b.name()),
            org.apache.spark.sql.functions.element_at(col("g_attributes"), b.groupBy()))
            .otherwise(group);
        any = true;
      }
    }
    if (!any) {
      return predictions.withColumn("group", group);
    }
    Dataset<Row> attributes = TableWriter.runRows(spark, "corpus.clean", runId)
        .select(col("record_id").as("g_record_id"), col("attributes").as("g_attributes"));
    return predictions.join(attributes, predictions.col("record_id")
            .equalTo(attributes.col("g_record_id")), "left")
        .withColumn("group", group).drop("g_record_id", "g_attributes");
  }

  private static Result aggregate(SparkSession spark, FinmixConfig config, Settings s,
      Map<String, Benchmark> benchmarks, Dataset<Row> joined, Steps steps) {
    String runId = config.runId();

    ScoreGroups stats = new ScoreGroups(s.resamples(), s.seed(), s.confidence());
    steps.next("scores with bootstrap intervals");
    List<Row> scored = joined
        .groupBy("train_run", "recipe", "model", "seed", "step", "benchmark", "split", "mode")
        .agg(collect_list(struct("record_id", "gold", "prediction", "correct", "group"))
            .as("p"))
        .flatMap((FlatMapFunction<Row, Row>) g -> scoreRows(g, benchmarks, stats).iterator(),
            Encoders.row(SCORE))
        .collectAsList();
    Selection selection = Selection.of(scored);
    List<Row> scoreRows = selection.scoreRows(runId, scored, s);
    Column thisRun = col("run_id").equalTo(runId);

    steps.next("recipes against target-only recipes");
    Dataset<Row> chosen = spark.createDataFrame(selection.chosenRows(), Selection.CHOSEN);
    List<Row> grouped = joined.join(chosen, joined.col("train_run")
            .equalTo(chosen.col("c_train_run"))
            .and(joined.col("mode").equalTo(chosen.col("c_mode")))
            .and(joined.col("step").equalTo(chosen.col("c_step"))))
        .groupBy("model", "benchmark", "split", "mode")
        .agg(collect_list(struct("recipe", "seed", "train_run", "record_id", "gold",
            "prediction", "correct", "group")).as("p"))
        .flatMap((FlatMapFunction<Row, Row>) g -> compareRows(g, benchmarks, stats).iterator(),
            Encoders.row(COMPARED))
        .collectAsList();
    Tables tables = Tables.of(runId, grouped, s);
    steps.next("majority and random baselines");
    List<Baselines.EvalRow> evalRows = new ArrayList<>();
    joined.select("benchmark", "split", "record_id", "gold", "group").distinct().collectAsList()
        .forEach(r -> evalRows.add(new Baselines.EvalRow(r.getString(0), r.getString(1),
            r.getString(2), r.getString(3), r.getString(4))));
    tables = tables.withLeaderboardRows(Baselines.leaderboardRows(runId, benchmarks,
        Baselines.majorityAnswers(spark, runId, benchmarks), evalRows, tables.leaderboard(),
        stats, s.seed()));
    List<Row> references = ReferenceScores.load(s.references());
    steps.next("write the eval tables");
    // the run's scores, comparisons, leaderboard and cocktail effect change together
    try (TableWriter.Together out = TableWriter.together(spark, "aggregate", runId)) {
      out.overwrite("eval.scores", scoreRows, thisRun)
          .overwrite("eval.comparisons", tables.comparisons(), thisRun)
          .overwrite("eval.leaderboard", tables.leaderboard(), thisRun)
          .overwrite("eval.cocktail_effect", tables.cocktailEffect(), thisRun)
          .overwrite("eval.reference_scores", references, lit(true));
      out.publish();
    }

    steps.next("report");
    List<Row> losses = TableWriter.runRows(spark, "train.metrics", runId)
        .select("train_run", "step", "loss", "validation_loss").orderBy("train_run", "step")
        .collectAsList();
    String report = EvalReport.write(config, s.reportDir(), tables, scoreRows, references,
        losses);
    return new Result(runId, scoreRows.size(), tables.comparisons().size(), tables.leaderboard(),
        report, steps.elapsed());
  }

  /**
   * The base model a run fine-tuned: the preset (or the init checkpoint's name, after @: a
   * training run's Hugging Face export is named by the run), and
   * +lora-r&lt;rank&gt; when only adapters trained: runs compare only against runs of the same base
   * (a sweep over LoRA ranks compares each rank with its own target-only runs).
   */
  static Column baseModel() {
    return concat(col("model"),
        when(col("init").notEqual("scratch"),
            concat(lit("@"), regexp_extract(col("init"), "([^/]+?)(/hf)?/*$", 1), lit("#"),
                substring(sha2(col("init"), 256), 1, 6))).otherwise(""),
        when(col("lora").isNotNull(), concat(lit("+lora-r"),
            regexp_extract(col("lora"), "rank=(\\d+)", 1))).otherwise(""));
  }

  /** A score of one run, checkpoint, benchmark, split, mode and metric (before selection). */
  static final StructType SCORE = new StructType()
      .add("train_run", DataTypes.StringType, false)
      .add("recipe", DataTypes.StringType, false)
      .add("model", DataTypes.StringType, false)
      .add("seed", DataTypes.LongType, false)
      .add("step", DataTypes.LongType, false)
      .add("benchmark", DataTypes.StringType, false)
      .add("split", DataTypes.StringType, false)
      .add("mode", DataTypes.StringType, false)
      .add("metric", DataTypes.StringType, false)
      .add("is_primary", DataTypes.BooleanType, false)
      .add("value", DataTypes.DoubleType, true)
      .add("ci_low", DataTypes.DoubleType, true)
      .add("ci_high", DataTypes.DoubleType, true)
      .add("n", DataTypes.LongType, false);

  private static List<Row> scoreRows(Row g, Map<String, Benchmark> benchmarks,
      ScoreGroups stats) {
    Benchmark b = benchmarks.get(g.getString(5));
    List<ScoreGroups.Prediction> ps = new ArrayList<>();
    for (Row p : g.<Row>getList(8)) {
      ps.add(new ScoreGroups.Prediction(p.getString(0), p.getString(1), p.getString(2),
          p.getBoolean(3), p.getString(4)));
    }
    ps.sort(Comparator.comparing(ScoreGroups.Prediction::recordId));
    List<Row> out = new ArrayList<>();
    for (ScoreGroups.Score sc : stats.scores(b, ps)) {
      out.add(RowFactory.create(g.get(0), g.get(1), g.get(2), g.get(3), g.get(4), g.get(5),
          g.get(6), g.get(7), sc.metric().key(), sc.metric() == b.primaryMetric(),
          finite(sc.value()), finite(sc.low()), finite(sc.high()), sc.n()));
    }
    return out;
  }

  /** One recipe's score (kind recipe) or comparison (kind comparison) in a model's group. */
  static final StructType COMPARED = new StructType()
      .add("kind", DataTypes.StringType, false)
      .add("model", DataTypes.StringType, false)
      .add("benchmark", DataTypes.StringType, false)
      .add("split", DataTypes.StringType, false)
      .add("mode", DataTypes.StringType, false)
      .add("metric", DataTypes.StringType, false)
      .add("is_primary", DataTypes.BooleanType, false)
      .add("recipe", DataTypes.StringType, false)
      .add("baseline_recipe", DataTypes.StringType, true)
      .add("seeds", DataTypes.createArrayType(DataTypes.LongType, false), false)
      .add("train_runs", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("n", DataTypes.LongType, false)
      .add("value", DataTypes.DoubleType, true)
      .add("baseline_value", DataTypes.DoubleType, true)
      .add("low", DataTypes.DoubleType, true)
      .add("high", DataTypes.DoubleType, true)
      .add("seed_sd", DataTypes.DoubleType, true)
      .add("delta", DataTypes.DoubleType, true)
      .add("p_value", DataTypes.DoubleType, true)
      .add("seed_low", DataTypes.DoubleType, true)
      .add("seed_high", DataTypes.DoubleType, true)
      .add("mcnemar_b", DataTypes.LongType, true)
      .add("mcnemar_c", DataTypes.LongType, true)
      .add("mcnemar_p", DataTypes.DoubleType, true);

  private static List<Row> compareRows(Row g, Map<String, Benchmark> benchmarks,
      ScoreGroups stats) {
    Benchmark b = benchmarks.get(g.getString(1));
    Map<String, Map<Long, List<ScoreGroups.Prediction>>> byRecipe = new TreeMap<>();
    Map<String, Map<Long, String>> runs = new TreeMap<>();
    for (Row p : g.<Row>getList(4)) {
      byRecipe.computeIfAbsent(p.getString(0), k -> new TreeMap<>())
          .computeIfAbsent(p.getLong(1), k -> new ArrayList<>())
          .add(new ScoreGroups.Prediction(p.getString(3), p.getString(4), p.getString(5),
              p.getBoolean(6), p.getString(7)));
      runs.computeIfAbsent(p.getString(0), k -> new TreeMap<>()).put(p.getLong(1),
          p.getString(2));
    }
    byRecipe.values().forEach(bySeed -> bySeed.values().forEach(
        l -> l.sort(Comparator.comparing(ScoreGroups.Prediction::recordId))));
    List<ScoreGroups.RecipeScore> scores = new ArrayList<>();
    List<ScoreGroups.Comparison> comparisons = new ArrayList<>();
    stats.compare(b, byRecipe, runs, b.targetRecipe(), scores, comparisons);
    List<Row> out = new ArrayList<>();
    for (ScoreGroups.RecipeScore r : scores) {
      out.add(RowFactory.create("recipe", g.get(0), g.get(1), g.get(2), g.get(3),
          r.metric().key(), r.metric() == b.primaryMetric(), r.recipe(), null,
          r.seeds().toArray(new Long[0]), r.runs().toArray(new String[0]), r.n(),
          finite(r.value()), null, finite(r.low()), finite(r.high()), finite(r.seedSd()), null,
          null, null, null, null, null, null));
    }
    for (ScoreGroups.Comparison c : comparisons) {
      out.add(RowFactory.create("comparison", g.get(0), g.get(1), g.get(2), g.get(3),
          c.metric().key(), c.metric() == b.primaryMetric(), c.recipe(), c.baseline(),
          c.seeds().toArray(new Long[0]), new String[0], c.n(), finite(c.value()),
          finite(c.baselineValue()), finite(c.delta().low()), finite(c.delta().high()), null,
          finite(c.delta().delta()), finite(c.delta().pValue()), finite(c.seedInterval().low()),
          finite(c.seedInterval().high()), c.mcnemar() == null ? null : c.mcnemar().b(),
          c.mcnemar() == null ? null : c.mcnemar().c(),
          c.mcnemar() == null ? null : c.mcnemar().pValue()));
    }
    return out;
  }

  /** NaN (undefined: no rows, no class) as SQL null. */
  static Double finite(double v) {
    return Double.isNaN(v) ? null : v;
  }
}
