package io.finmix.jobs.run;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StableHash;
import io.finmix.jobs.core.StageCommand;
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
import java.util.function.Supplier;
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
        "Stages, in order: sample-data (to run.sample_data_dir), ingest (run.sources), dedup,",
        "decontaminate, mix (every recipe of mix.recipes; with run.tokenizer = trained, then",
        "train-tokenizer and mix again counting its tokens), tokenize (and pack), pretrain",
        "(the base the sweep fine-tunes, with sweep.init = base), train (the sweep grid,",
        "run.train_steps each), evaluate (run.eval_max_rows), aggregate.",
        "A stage whose inputs (config, conf files, the tables it reads) and outputs are as it",
        "left them is skipped; --force runs it anyway."
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
  private SparkSession spark;
  private Configuration hadoop;
  private boolean upstreamRan;

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
    spark = session(config, "run");
    hadoop = spark.sparkContext().hadoopConfiguration();
    String runId = config.runId();

    stage(sample ? stages : List.of(), "sample-data", dir,
        () -> StageState.of(StageState.config(config, "sample_data"), dir),
        () -> StageState.files(hadoop, dir),
        () -> SampleDataJob.generate(config, dir));
    stage(stages, "ingest", config.config().getString("ingest.sources"),
        () -> StageState.of(StageState.config(config, "ingest"),
            StageState.confFiles(config, "ingest.sources"),
            StageState.files(hadoop, sample ? dir : IngestJob.dataRoot(config))),
        () -> StageState.tables(spark, runId, "corpus.records", "corpus.quarantine"),
        () -> IngestJob.ingest(spark, config).print(System.out));
    stage(stages, "dedup", "",
        () -> StageState.of(StageState.config(config, "dedup", "normalize"),
            StageState.tables(spark, runId, "corpus.records")),
        () -> StageState.tables(spark, runId, "corpus.deduped", "corpus.duplicate_clusters"),
        () -> DedupJob.dedup(spark, config).print(System.out));
    stage(stages, "decontaminate", "",
        () -> StageState.of(StageState.config(config, "decontaminate", "normalize"),
            StageState.confFiles(config, "decontaminate.benchmarks"),
            StageState.tables(spark, runId, "corpus.deduped")),
        () -> StageState.tables(spark, runId, "corpus.clean", "corpus.contamination"),
        () -> DecontaminateJob.decontaminate(spark, config).print(System.out));

    boolean trained = config.config().getString("run.tokenizer").equals("trained");
    String tokenizer = trained
        ? TrainTokenizerJob.outputDir(config).resolve("tokenizer.json").toString()
        : config.config().getString("run.tokenizer");
    FinmixConfig before = config;
    stage(stages, "mix", config.config().getString("mix.recipes")
            + (trained ? ", then train-tokenizer and mix again" : ""),
        () -> StageState.of(StageState.config(before, "mix", "run.tokenizer", "train_tokenizer"),
            StageState.confFiles(before, "mix.recipes", "mix.prompts"),
            StageState.tables(spark, runId, "corpus.clean")),
        () -> StageState.of(StageState.tables(spark, runId, "corpus.mixtures"),
            fileHash(trained ? tokenizer : "")),
        () -> mix(trained));
    config = config.with("finmix run", Map.of("tokenize.tokenizer", tokenizer));
    stage(stages, "tokenize", tokenizer + ", seq_len " + config.config().getInt("tokenize.seq_len"),
        () -> StageState.of(StageState.config(config, "tokenize"), fileHash(tokenizer),
            StageState.tables(spark, runId, "corpus.mixtures")),
        () -> StageState.tables(spark, runId, "train.sequences"),
        () -> TokenizeJob.tokenize(spark, config).print(System.out));

    // the base the sweep fine-tunes (sweep.init = base), pretrained on the run's own text
    boolean base = config.config().getString("sweep.init").trim().equals(SweepGrid.BASE);
    FinmixConfig packed = config;
    stage(base ? stages : List.of(), "pretrain", PretrainJob.runName(config) + ", "
            + config.config().getLong("pretrain.steps") + " steps",
        () -> StageState.of(StageState.config(packed, "pretrain", "train", "tokenize"),
            StageState.confFiles(packed, "train.models"), fileHash(tokenizer),
            StageState.tableVersion(spark, "train.sequences", runId, Map.of("recipe",
                packed.config().getString("pretrain.recipe")), null)),
        () -> StageState.tableVersion(spark, "train.runs", runId, Map.of("train_run",
            PretrainJob.runName(packed)), null),
        () -> {
          PretrainJob.Result r = PretrainJob.pretrain(spark, packed);
          r.print(System.out);
          if (r.base() == null) {
            throw new IllegalStateException("the base did not finish pretraining: "
                + r.train().message());
          }
        });

    config = config.with("finmix run", sized(config));
    Sweep sweep = new Sweep(spark, config);
    List<SweepGrid.Point> points = SweepGrid.plan(config);
    Sweep.Result last = null;
    for (Sweep.Stage s : List.of(Sweep.Stage.TRAIN, Sweep.Stage.EVALUATE, Sweep.Stage.AGGREGATE)) {
      String name = s.name().toLowerCase(Locale.ROOT);
      if (!stages.contains(name)) {
        continue;
      }
      int n = STAGES.indexOf(name) + 1;
      LOG.info("run {}: stage {}/{} {} ({} training runs: {})", runId, n, STAGES.size(), name,
          points.size(), config.config().getList("sweep.recipes").unwrapped());
      long t0 = System.nanoTime();
      if (force && s == Sweep.Stage.AGGREGATE) {
        StageState.clear(config, hadoop, "aggregate");
      }
      Sweep.Result r = sweep.run(points, s);
      last = r;
      String what = s == Sweep.Stage.AGGREGATE ? r.aggregate().toString() : summary(r, s);
      done.add(new Done(name, what, (System.nanoTime() - t0) / 1e9));
      LOG.info("run {}: stage {}/{} {}: {}", runId, n, STAGES.size(), name, what);
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

  private static String summary(Sweep.Result r, Sweep.Stage s) {
    Map<Sweep.Step, Integer> counts = new LinkedHashMap<>();
    for (Sweep.Outcome o : r.runs()) {
      counts.merge(s == Sweep.Stage.TRAIN ? o.train() : o.evaluate(), 1, Integer::sum);
    }
    return counts.toString().replaceAll("[{}]", "");
  }

  private void mix(boolean trained) {
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
    mixed.print(System.out);
  }

  /**
   * Runs one stage unless it is unchanged: the inputs it last ran on are the inputs now, its
   * outputs are as it left them, and no stage before it ran in this run.
   */
  private void stage(List<String> stages, String name, String detail, Supplier<String> inputs,
      Supplier<String> outputs, Runnable body) {
    if (!stages.contains(name)) {
      return;
    }
    int n = STAGES.indexOf(name) + 1;
    String prefix = "run " + config.runId() + ": stage " + n + "/" + STAGES.size() + " " + name;
    long t0 = System.nanoTime();
    String in = inputs.get();
    var was = StageState.read(config, hadoop, name);
    if (!force && !upstreamRan && was.isPresent() && was.get().inputs().equals(in)
        && was.get().outputs().equals(outputs.get())) {
      LOG.info("{}: unchanged since it last ran, skipped", prefix);
      done.add(new Done(name, "skipped (unchanged)", (System.nanoTime() - t0) / 1e9));
      return;
    }
    LOG.info("{}{}", prefix, detail.isEmpty() ? "" : " (" + detail + ")");
    StageState.clear(config, hadoop, name);
    body.run();
    StageState.write(config, hadoop, name, new StageState.State(inputs.get(), outputs.get()));
    upstreamRan = true;
    done.add(new Done(name, "ran", (System.nanoTime() - t0) / 1e9));
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
