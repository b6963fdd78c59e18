package io.finmix.jobs.run;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StableHash;
import io.finmix.jobs.core.Stage;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.StageRunner;
import io.finmix.jobs.core.StageState;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.decontaminate.DecontaminateJob;
import io.finmix.jobs.dedup.DedupJob;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.sweep.Sweep;
import io.finmix.jobs.sweep.SweepGrid;
import io.finmix.jobs.tokenize.TokenizeJob;
import io.finmix.jobs.tokenize.TrainTokenizerJob;
import io.finmix.jobs.train.PretrainJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on the embedded default: generated sample data, local Spark, every stage
 * in order, each skipped when its inputs and outputs are as it last left them.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
        "The whole pipeline on the embedded default (generated sample data, local Spark).",
        "Stages, in order: sample-data (to run.sample_data_dir), ingest (run.sources), dedup, "
            + "decontaminate, mix (every recipe of mix.recipes; with run.tokenizer = trained, then "
            + "train-tokenizer and mix again counting its tokens), tokenize (and pack), pretrain "
            + "(the base the sweep fine-tunes, with sweep.init = base), train (the sweep grid, "
            + "run.train_steps each), evaluate (run.eval_max_rows), aggregate.",
        "A stage whose inputs (config, conf files, the tables it reads) and outputs are as it left "
            + "them is skipped; --force runs it anyway."
    })
public final class RunJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(RunJob.class);

  /** The stages of {@code finmix run}, in order. */
  public static final List<String> STAGES = List.of("sample-data", "ingest", "dedup",
      "decontaminate", "mix", "tokenize", "pretrain", "train", "evaluate", "aggregate");

  @Option(names = "--stage", split = ",", paramLabel = "NAME",
      description = "Only these stages (of: sample-data, ingest, dedup, decontaminate, mix, "
          + "tokenize, pretrain, train, evaluate, aggregate); the others are neither run nor "
          + "checked.")
  List<String> only;

  @Option(names = "--force", description = "Run the stages even when they are unchanged.")
  boolean force;

  public static void main(String[] args) {
    Commands.main(new RunJob(), args);
  }

  /** What happened to a stage in this run. */
  record Done(String stage, String what, double seconds) {}

  private final List<Done> done = new ArrayList<>();
  private FinmixConfig config;

  @Override
  public int run(FinmixConfig given) {
    long started = System.nanoTime();
    List<String> stages = only == null || only.isEmpty() ? STAGES : only;
    for (String s : stages) {
      if (!STAGES.contains(s)) {
        throw new UserError("--stage: '" + s + "' is not a stage of finmix run " + STAGES);
      }
    }
    boolean sample = given.config().getBoolean("run.sample_data");
    String dir = sample ? SampleDataJob.outputDir(given) : "";
    config = !sample ? given : given.with("finmix run", Map.of(
        "ingest.sources", given.config().getString("run.sources"),
        "ingest.data_root", dir,
        "ingest.only", List.of()));
    SparkSession spark = session(config, "run");
    StageRunner runner = new StageRunner(spark, config, System.out);
    String runId = config.runId();

    // the data stages and the base, each run unless unchanged, and every one after a stage ran
    boolean upstreamRan = false;
    for (Stage s : dataStages(spark, sample, dir)) {
      if (!stages.contains(s.name())) {
        continue;
      }
      StageRunner.Outcome o = runner.run(s, force || upstreamRan, label(s.name()));
      upstreamRan |= o.status() == StageRunner.Status.RAN;
      done.add(new Done(s.name(), o.status().toString(), o.seconds()));
    }

    // train, evaluate and aggregate the sweep grid: each grid point is skipped when unchanged
    config = packed(config);
    config = config.with("finmix run", sized(config));
    Sweep sweep = new Sweep(spark, config);
    List<SweepGrid.Point> points = SweepGrid.plan(config);
    Sweep.Result last = null;
    for (Sweep.Scope s : List.of(Sweep.Scope.TRAIN, Sweep.Scope.EVALUATE, Sweep.Scope.AGGREGATE)) {
      String name = s.name().toLowerCase(Locale.ROOT);
      if (!stages.contains(name)) {
        continue;
      }
      LOG.info("{} ({} training runs: {})", label(name), points.size(),
          config.config().getList("sweep.recipes").unwrapped());
      long t0 = System.nanoTime();
      if (force && s == Sweep.Scope.AGGREGATE) {
        runner.forget("aggregate");
      }
      Sweep.Result r = sweep.run(points, s);
      last = r;
      String what = s == Sweep.Scope.AGGREGATE ? r.aggregate().toString() : summary(r, s);
      done.add(new Done(name, what, (System.nanoTime() - t0) / 1e9));
      LOG.info("{}: {}", label(name), what);
      if (r.failed()) {
        r.print(System.out);
        printSummary(started);
        return Commands.FAILURE;
      }
    }
    if (last != null && last.aggregated() != null) {
      last.aggregated().print(System.out);
    }
    printSummary(started);
    return 0;
  }

  /** "run ID: stage N/10 NAME", the head of a stage's progress lines. */
  private String label(String stage) {
    return "run " + config.runId() + ": stage " + (STAGES.indexOf(stage) + 1) + "/"
        + STAGES.size() + " " + stage;
  }

  /**
   * The stages before the sweep, in order: sample data, ingest, dedup, decontaminate, mix,
   * tokenize and the base. Each names what it reads and writes; the base only when the sweep
   * starts from it.
   */
  private List<Stage> dataStages(SparkSession spark, boolean sample, String dir) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    String runId = config.runId();
    FinmixConfig c = config;
    List<Stage> out = new ArrayList<>();
    if (sample) {
      out.add(Stage.of("sample-data", dir,
          () -> StageState.of(StageState.config(c, "sample_data"), dir),
          () -> StageState.files(hadoop, dir),
          () -> {
            SampleDataJob.generate(c, dir);
            return StageResult.NONE;
          }));
    }
    out.add(Stage.of("ingest", c.config().getString("ingest.sources"),
        () -> StageState.of(StageState.config(c, "ingest"),
            StageState.confFiles(c, "ingest.sources"),
            StageState.files(hadoop, sample ? dir : IngestJob.dataRoot(c))),
        () -> StageState.tables(spark, runId, "corpus.records", "corpus.quarantine"),
        () -> IngestJob.ingest(spark, c)));
    out.add(Stage.of("dedup", "",
        () -> StageState.of(StageState.config(c, "dedup", "normalize"),
            StageState.tables(spark, runId, "corpus.records")),
        () -> StageState.tables(spark, runId, "corpus.deduped", "corpus.duplicate_clusters"),
        () -> DedupJob.dedup(spark, c)));
    out.add(Stage.of("decontaminate", "",
        () -> StageState.of(StageState.config(c, "decontaminate", "normalize"),
            StageState.confFiles(c, "decontaminate.benchmarks"),
            StageState.tables(spark, runId, "corpus.deduped")),
        () -> StageState.tables(spark, runId, "corpus.clean", "corpus.contamination"),
        () -> DecontaminateJob.decontaminate(spark, c)));

    boolean trained = trainedTokenizer(c);
    String tokenizer = tokenizer(c);
    out.add(Stage.of("mix", c.config().getString("mix.recipes")
            + (trained ? ", then train-tokenizer and mix again" : ""),
        () -> StageState.of(StageState.config(c, "mix", "run.tokenizer", "train_tokenizer"),
            StageState.confFiles(c, "mix.recipes", "mix.prompts"),
            StageState.tables(spark, runId, "corpus.clean")),
        () -> StageState.of(StageState.tables(spark, runId, "corpus.mixtures"),
            fileHash(trained ? tokenizer : "")),
        () -> mix(spark, c, trained)));
    FinmixConfig packed = packed(c);
    out.add(Stage.of("tokenize",
        tokenizer + ", seq_len " + packed.config().getInt("tokenize.seq_len"),
        () -> StageState.of(StageState.config(packed, "tokenize"), fileHash(tokenizer),
            StageState.tables(spark, runId, "corpus.mixtures")),
        () -> StageState.tables(spark, runId, "train.sequences"),
        () -> TokenizeJob.tokenize(spark, packed)));
    // the base the sweep fine-tunes (sweep.init = base), pretrained on the run's own text
    if (packed.config().getString("sweep.init").trim().equals(SweepGrid.BASE)) {
      out.add(Stage.of("pretrain", PretrainJob.runName(packed) + ", "
              + packed.config().getLong("pretrain.steps") + " steps",
          () -> StageState.of(StageState.config(packed, "pretrain", "train", "tokenize"),
              StageState.confFiles(packed, "train.models"), fileHash(tokenizer),
              StageState.tableVersion(spark, "train.sequences", runId, Map.of("recipe",
                  packed.config().getString("pretrain.recipe")), null)),
          () -> StageState.tableVersion(spark, "train.runs", runId, Map.of("train_run",
              PretrainJob.runName(packed)), null),
          () -> {
            PretrainJob.Result r = PretrainJob.pretrain(spark, packed);
            if (r.base() == null) {
              r.print(System.out);
              throw new IllegalStateException("the base did not finish pretraining: "
                  + r.train().message());
            }
            return r;
          }));
    }
    return out;
  }

  private static boolean trainedTokenizer(FinmixConfig config) {
    return config.config().getString("run.tokenizer").equals("trained");
  }

  /** The tokenizer the run packs with: the one it trains, or run.tokenizer. */
  private static String tokenizer(FinmixConfig config) {
    return trainedTokenizer(config)
        ? TrainTokenizerJob.outputDir(config).resolve("tokenizer.json").toString()
        : config.config().getString("run.tokenizer");
  }

  /** {@code config} with the run's tokenizer as tokenize.tokenizer: what mix leaves. */
  private static FinmixConfig packed(FinmixConfig config) {
    return config.with("finmix run", Map.of("tokenize.tokenizer", tokenizer(config)));
  }

  /** The training and evaluation size of {@code run} (the run.* keys) over the train section. */
  private static Map<String, Object> sized(FinmixConfig config) {
    Map<String, Object> m = new LinkedHashMap<>();
    long steps = config.config().getLong("run.train_steps");
    if (steps > 0) {
      m.put("train.steps", steps);
    }
    int batch = config.config().getInt("run.batch_per_worker");
    if (batch > 0) {
      m.put("train.batch_per_worker", batch);
    }
    int rows = config.config().getInt("run.eval_max_rows");
    if (rows >= 0) {
      m.put("evaluate.max_rows", rows);
    }
    List<String> benchmarks = config.config().getStringList("run.eval_benchmarks");
    if (!benchmarks.isEmpty()) {
      m.put("evaluate.only", benchmarks);
    }
    return m;
  }

  private static String summary(Sweep.Result r, Sweep.Scope s) {
    Map<Sweep.Step, Integer> counts = new LinkedHashMap<>();
    for (Sweep.Outcome o : r.runs()) {
      counts.merge(s == Sweep.Scope.TRAIN ? o.train() : o.evaluate(), 1, Integer::sum);
    }
    return counts.toString().replaceAll("[{}]", "");
  }

  private static StageResult mix(SparkSession spark, FinmixConfig config, boolean trained) {
    MixJob.Result mixed = MixJob.mix(spark, config);
    if (trained) {
      LOG.info("run {}: train-tokenizer (on {})", config.runId(),
          config.config().getString("train_tokenizer.recipe"));
      TrainTokenizerJob.Result t = TrainTokenizerJob.train(spark, config);
      t.print(System.out);
      // Mixed again, so token-weighted recipes count the tokens they will be packed in.
      LOG.info("run {}: mix again, counting {} tokens", config.runId(), t.tokenizerId());
      mixed = MixJob.mix(spark, config.with("finmix run", Map.of("tokenize.tokenizer",
          t.tokenizerJson().toString())));
    }
    return mixed;
  }

  private static String fileHash(String path) {
    if (path.isEmpty() || !Files.isRegularFile(Path.of(path))) {
      return path.isEmpty() ? "" : "absent";
    }
    try {
      return StableHash.hex128(Files.readString(Path.of(path)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  private void printSummary(long started) {
    System.out.printf("%nfinmix run %s finished in %d s:%n", config.runId(),
        (System.nanoTime() - started) / 1_000_000_000L);
    for (Done d : done) {
      System.out.printf(Locale.ROOT, "  %-14s %-40s %6.1f s%n", d.stage(), d.what(), d.seconds());
    }
    System.out.println("tables:  finmix.corpus.records, .quarantine, .deduped, "
        + ".duplicate_clusters, .clean, .contamination, .mixtures; finmix.train.sequences, "
        + ".runs, .metrics; finmix.eval.predictions, .scores, .comparisons, .leaderboard, "
        + ".cocktail_effect; in " + config.warehouse() + "/catalog");
    System.out.println("reports: " + config.runDir() + "/report/ (the evaluation report: "
        + config.runDir() + "/report/eval/report.html)");
    System.out.println("query:   bin/finmix sql -e \"SELECT benchmark, mode, recipe, test_value, "
        + "test_ci_low, test_ci_high FROM finmix.eval.leaderboard WHERE run_id = '"
        + config.runId() + "'\"");
    System.out.flush();
  }
}
