package io.finmix.jobs.sweep;

import io.finmix.jobs.aggregate.AggregateJob;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.Stage;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.StageRunner;
import io.finmix.jobs.core.StageState;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.eval.EvaluateJob;
import io.finmix.jobs.sweep.SweepGrid.Point;
import io.finmix.jobs.train.PretrainJob;
import io.finmix.jobs.train.RunStatus;
import io.finmix.jobs.train.TrainJob;
import io.finmix.model.io.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a grid of training runs in one Spark application: each run is trained (skipped when it
 * finished before on the same inputs; resumed from its last checkpoint when an earlier attempt
 * stopped; retried when an attempt fails), then evaluated (skipped likewise), with at most
 * {@code sweep.concurrency} runs at once; then the run id is aggregated. All that a sweep knows
 * lives in the tables and the run directory's state files, so a sweep stopped at any point
 * (killed, or asked to stop with {@code finmix sweep --stop}) goes on where it was when run
 * again.
 */
public final class Sweep {

  private static final Logger LOG = LoggerFactory.getLogger(Sweep.class);

  /** What a sweep does: train, evaluate, aggregate, or all three. */
  public enum Scope {
    ALL, TRAIN, EVALUATE, AGGREGATE;

    boolean trains() {
      return this == ALL || this == TRAIN;
    }

    boolean evaluates() {
      return this == ALL || this == EVALUATE;
    }

    boolean aggregates() {
      return this == ALL || this == AGGREGATE;
    }
  }

  /** What became of one step (train, evaluate, aggregate) of a run in this sweep. */
  public enum Step {
    NOT_ASKED("not asked"),
    STOPPED("stopped"),
    SKIPPED("skipped"),
    TRAINED("trained"),
    RESUMED("resumed"),
    NOT_TRAINED("not trained"),
    EVALUATED("evaluated"),
    UNCHANGED("skipped (unchanged)"),
    DONE("done"),
    FAILED("failed");

    private final String label;

    Step(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** How one run of the grid went in this sweep. */
  public record Outcome(String trainRun, Step train, Step evaluate, int attempts,
      double seconds, String message) {

    boolean failed() {
      return train == Step.FAILED || evaluate == Step.FAILED;
    }
  }

  /** What the sweep did. */
  public record Result(List<Outcome> runs, Step aggregate, boolean stopped, double seconds,
      AggregateJob.Result aggregated) {

    public boolean failed() {
      return runs.stream().anyMatch(Outcome::failed) || aggregate == Step.FAILED;
    }

    public void print(PrintStream out) {
      out.printf(Locale.ROOT, "%nsweep: %d runs in %.0f s%s%n", runs.size(), seconds,
          stopped ? " (stopped: run `finmix sweep` again to go on)" : "");
      out.printf("  %-44s %-10s %-10s %s%n", "training run", "train", "evaluate", "attempts");
      for (Outcome o : runs) {
        out.printf(Locale.ROOT, "  %-44s %-10s %-10s %d%s%n", o.trainRun(), o.train(),
            o.evaluate(), o.attempts(), o.message() == null ? "" : "  " + o.message());
      }
      out.println("  aggregate: " + aggregate);
      if (aggregated != null) {
        aggregated.print(out);
      }
      out.flush();
    }
  }

  private final SparkSession spark;
  private final FinmixConfig config;
  private final Configuration hadoop;
  private final int retries;
  private final StageRunner runner;

  public Sweep(SparkSession spark, FinmixConfig config) {
    this.spark = spark;
    this.config = config;
    this.hadoop = spark.sparkContext().hadoopConfiguration();
    this.runner = new StageRunner(spark, config, System.out);
    this.retries = config.config().getInt("sweep.retries");
    if (retries < 0) {
      throw new UserError("sweep.retries = " + retries + " must be at least 0");
    }
  }

  /** The stop request file: a sweep that finds it starts no further run. */
  public static org.apache.hadoop.fs.Path stopFile(FinmixConfig config) {
    return new org.apache.hadoop.fs.Path(config.runDir() + "/state/sweep.stop");
  }

  /** Asks the sweep of this run id that is running to finish its runs in flight and stop. */
  public static void requestStop(FinmixConfig config, Configuration hadoop) {
    try {
      org.apache.hadoop.fs.Path stop = stopFile(config);
      stop.getFileSystem(hadoop).create(stop, true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stopFile(config), e);
    }
  }

  private boolean stopRequested() {
    try {
      org.apache.hadoop.fs.Path stop = stopFile(config);
      return stop.getFileSystem(hadoop).exists(stop);
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs the points (all of the grid, or the ones picked) with bounded concurrency. */
  public Result run(List<Point> points, Scope stage) {
    long started = System.nanoTime();
    int concurrency = config.config().getInt("sweep.concurrency");
    if (concurrency < 1) {
      throw new UserError("sweep.concurrency = " + concurrency + " must be at least 1");
    }
    try {
      org.apache.hadoop.fs.Path stop = stopFile(config);
      FileSystem fs = stop.getFileSystem(hadoop);
      if (fs.exists(stop)) {
        LOG.info("sweep {}: an earlier stop request is cleared", config.runId());
        fs.delete(stop, false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + stopFile(config), e);
    }
    List<Outcome> outcomes = new ArrayList<>();
    boolean stopped = false;
    if (stage.trains() || stage.evaluates()) {
      ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
        Thread t = new Thread(r, "finmix-sweep");
        t.setDaemon(true);
        return t;
      });
      AtomicInteger begun = new AtomicInteger();
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Point p : points) {
        futures.add(pool.submit(() -> {
          if (stopRequested()) {
            return new Outcome(p.trainRun(), Step.STOPPED, Step.STOPPED, 0, 0, null);
          }
          int n = begun.incrementAndGet();
          LOG.info("sweep {}: run {}/{} {}", config.runId(), n, points.size(), p.trainRun());
          return runOne(p, stage);
        }));
      }
      pool.shutdown();
      for (Future<Outcome> f : futures) {
        try {
          Outcome o = f.get();
          outcomes.add(o);
          stopped |= o.train() == Step.STOPPED;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("sweep interrupted", e);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException r ? r
              : new IllegalStateException(e.getCause());
        }
      }
    }
    Step aggregate = Step.NOT_ASKED;
    AggregateJob.Result aggregated = null;
    if (stage.aggregates() && !stopped) {
      try {
        AggregateJob.Result[] result = new AggregateJob.Result[1];
        Stage aggregation = Stage.of("aggregate", "",
            () -> StageState.of(StageState.tables(spark, config.runId(), "eval.predictions",
                "train.runs"), StageState.config(config, "aggregate", "evaluate.benchmarks"),
                StageState.confFiles(config, "evaluate.benchmarks", "aggregate.reference_scores")),
            this::aggregateOutputs,
            () -> {
              // printed with the sweep's summary
              result[0] = AggregateJob.aggregate(spark, config);
              return StageResult.NONE;
            });
        StageRunner.Outcome o = runner.run(aggregation, false, "sweep " + config.runId()
            + ": aggregate");
        aggregate = o.status() == StageRunner.Status.RAN ? Step.DONE : Step.UNCHANGED;
        aggregated = result[0];
      } catch (UserError e) {
        LOG.error("sweep {}: aggregate failed: {}", config.runId(), e.getMessage());
        aggregate = Step.FAILED;
      }
    }
    return new Result(outcomes, aggregate, stopped,
        (System.nanoTime() - started) / 1e9, aggregated);
  }

  private String aggregateOutputs() {
    return StageState.tables(spark, config.runId(), "eval.scores", "eval.comparisons",
        "eval.leaderboard", "eval.cocktail_effect");
  }

  private Outcome runOne(Point p, Scope stage) {
    long t0 = System.nanoTime();
    FinmixConfig pc = config.with("sweep run " + p.trainRun(), p.overrides());
    Step train = Step.NOT_ASKED;
    int attempts = 0;
    String message = null;
    if (stage.trains()) {
      Trained t = train(p, pc);
      train = t.status();
      attempts = t.attempts();
      message = t.message();
    }
    Step evaluate = Step.NOT_ASKED;
    if (stage.evaluates() && train != Step.FAILED) {
      try {
        evaluate = evaluate(p, pc);
      } catch (RuntimeException e) {
        LOG.error("sweep {}: evaluate {} failed", config.runId(), p.trainRun(), e);
        evaluate = Step.FAILED;
        message = e.getMessage();
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    LOG.info("sweep {}: {} train {}, evaluate {} in {} s; driver memory: {}", config.runId(),
        p.trainRun(), train, evaluate, String.format(Locale.ROOT, "%.0f", seconds),
        memory());
    return new Outcome(p.trainRun(), train, evaluate, attempts, seconds, message);
  }

  /**
   * The driver JVM's memory: heap in use and the process's resident set (ND4J's buffers are
   * outside JavaCPP's own count, Pointer.totalBytes(), which stays 0 while they grow).
   */
  static String memory() {
    Runtime rt = Runtime.getRuntime();
    return String.format(Locale.ROOT, "heap %.2f GB, resident %.2f GB",
        (rt.totalMemory() - rt.freeMemory()) / 1e9, Pointer.physicalBytes() / 1e9);
  }

  private record Trained(Step status, int attempts, String message) {}

  private String trainKey(Point p) {
    return "train/" + p.trainRun();
  }

  private String trainInputs(Point p, FinmixConfig pc) {
    return StageState.of(StageState.config(pc, "train", "tokenize"),
        StageState.confFiles(pc, "train.models"),
        StageState.tableVersion(spark, "train.sequences", config.runId(),
            Map.of("recipe", p.recipe()), null), initVersion(p));
  }

  /**
   * What a run starts from, as a fingerprint: the base's pretraining run as train.runs holds it
   * (a new base retrains every run), a given directory's files, or nothing (scratch).
   */
  private String initVersion(Point p) {
    if (p.init().isEmpty()) {
      return "scratch";
    }
    if (p.init().equals(PretrainJob.baseDir(config).toString())) {
      return StageState.tableVersion(spark, "train.runs", config.runId(),
          Map.of("train_run", PretrainJob.runName(config)), null);
    }
    return StageState.files(hadoop, p.init());
  }

  private String trainOutputs(Point p) {
    return StageState.tableVersion(spark, "train.runs", config.runId(),
        Map.of("train_run", p.trainRun()), null);
  }

  private Trained train(Point p, FinmixConfig pc) {
    String key = trainKey(p);
    String inputs = trainInputs(p, pc);
    if (runner.unchanged(key, inputs, () -> trainOutputs(p)) && finished(p)) {
      LOG.info("sweep {}: {} finished before on the same inputs: skipped", config.runId(),
          p.trainRun());
      return new Trained(Step.SKIPPED, 0, null);
    }
    // an attempt that began on these inputs and stopped goes on from its checkpoint
    String startedKey = key + ".started";
    boolean resume = runner.lastInputs(startedKey).map(inputs::equals).orElse(false)
        && hasCheckpoint(pc, p);
    runner.forget(key);
    if (!resume) {
      runner.finished(startedKey, inputs, "");
    }
    String message = null;
    int attempts = 0;
    boolean resumedOnce = resume;
    while (attempts <= retries) {
      attempts++;
      try {
        LOG.info("sweep {}: train {} (attempt {}{})", config.runId(), p.trainRun(), attempts,
            resume ? ", resuming from its last checkpoint" : "");
        boolean resuming = resume;
        TrainJob.Result r = runner.inJobGroup(key, "", () -> TrainJob.train(spark, pc, resuming));
        if (r.status() == RunStatus.FINISHED) {
          runner.finished(key, inputs, trainOutputs(p));
          return new Trained(resumedOnce ? Step.RESUMED : Step.TRAINED, attempts, null);
        }
        message = r.message();
        LOG.warn("sweep {}: train {} attempt {} failed: {}", config.runId(), p.trainRun(),
            attempts, message);
      } catch (UserError e) {
        // the config or the data is wrong: another attempt would fail the same way
        LOG.error("sweep {}: train {}: {}", config.runId(), p.trainRun(), e.getMessage());
        return new Trained(Step.FAILED, attempts, e.getMessage());
      } catch (RuntimeException e) {
        message = e.getMessage();
        LOG.warn("sweep {}: train {} attempt {} failed", config.runId(), p.trainRun(),
            attempts, e);
      }
      resume = hasCheckpoint(pc, p);
      resumedOnce |= resume;
    }
    return new Trained(Step.FAILED, attempts, message);
  }

  private boolean finished(Point p) {
    List<Row> rows = TableWriter.runRows(spark, "train.runs", config.runId())
        .where(org.apache.spark.sql.functions.col("train_run").equalTo(p.trainRun()))
        .select("status", "checkpoint").collectAsList();
    return rows.size() == 1 && RunStatus.FINISHED.is(rows.get(0).getString(0))
        && !rows.get(0).isNullAt(1) && new java.io.File(rows.get(0).getString(1)).isDirectory();
  }

  private boolean hasCheckpoint(FinmixConfig pc, Point p) {
    Path dir = TrainJob.runDir(pc).resolve("checkpoints");
    return !Checkpoint.valid(dir).isEmpty();
  }

  private Step evaluate(Point p, FinmixConfig pc) {
    if (!finished(p)) {
      LOG.warn("sweep {}: {} is not a finished training run: not evaluated", config.runId(),
          p.trainRun());
      return Step.NOT_TRAINED;
    }
    Stage evaluation = Stage.of("evaluate/" + p.trainRun(), "",
        () -> StageState.of(trainOutputs(p), StageState.config(pc, "evaluate", "tokenize",
            "mix.prompts"), StageState.confFiles(pc, "evaluate.benchmarks", "mix.prompts"),
            StageState.tables(spark, config.runId(), "corpus.clean")),
        () -> StageState.tableVersion(spark, "eval.predictions", config.runId(),
            Map.of("train_run", p.trainRun()), null),
        () -> {
          EvaluateJob.Result r = EvaluateJob.evaluate(spark, pc.with("sweep evaluate "
              + p.trainRun(), Map.of("evaluate.train_runs", List.of(p.trainRun()))));
          r.lines().forEach(l -> LOG.info("sweep {}: {}", config.runId(), l));
          return StageResult.NONE;
        });
    StageRunner.Outcome o = runner.run(evaluation, false, "sweep " + config.runId()
        + ": evaluate " + p.trainRun());
    return o.status() == StageRunner.Status.RAN ? Step.EVALUATED : Step.SKIPPED;
  }
}
