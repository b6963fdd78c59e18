package io.finmix.jobs.core;

import java.io.PrintStream;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stages the one way finmix runs them: skipped when unchanged (its inputs are the inputs it
 * last finished on and its outputs are as it left them, by its state file), otherwise run under
 * a Spark job group named for it, timed, its state recorded when it finishes, its progress
 * logged and its result printed to one stream. {@code finmix run} runs its stages through one,
 * and a sweep runs each grid point's training, evaluation and the aggregate through one.
 */
public final class StageRunner {

  private static final Logger LOG = LoggerFactory.getLogger(StageRunner.class);

  /** What became of a stage. */
  public enum Status {
    RAN("ran"),
    UNCHANGED("skipped (unchanged)");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** A stage's outcome: what became of it and how long that took. */
  public record Outcome(Status status, double seconds) {}

  private final SparkSession spark;
  private final FinmixConfig config;
  private final Configuration hadoop;
  private final PrintStream out;

  public StageRunner(SparkSession spark, FinmixConfig config, PrintStream out) {
    this.spark = spark;
    this.config = config;
    this.hadoop = spark.sparkContext().hadoopConfiguration();
    this.out = out;
  }

  /**
   * Runs {@code stage} unless it is unchanged ({@code force}: runs it anyway); {@code label}
   * heads its progress lines ("run public-study: stage 3/10 dedup").
   */
  public Outcome run(Stage stage, boolean force, String label) {
    long t0 = System.nanoTime();
    String inputs = stage.inputs();
    if (!force && unchanged(stage.name(), inputs, stage::outputs)) {
      LOG.info("{}: unchanged since it last ran, skipped", label);
      return new Outcome(Status.UNCHANGED, seconds(t0));
    }
    LOG.info("{}{}", label, stage.detail().isEmpty() ? "" : " (" + stage.detail() + ")");
    forget(stage.name());
    StageResult result = inJobGroup(stage.name(), stage.detail(), stage::run);
    // the inputs again: a stage may make what it reads (the sample data), or be told to
    finished(stage.name(), stage.inputs(), stage.outputs());
    result.print(out);
    out.flush();
    return new Outcome(Status.RAN, seconds(t0));
  }

  /**
   * True when the work named {@code key} finished before on {@code inputs} and its outputs are
   * as it left them ({@code outputs} is only asked when the inputs match).
   */
  public boolean unchanged(String key, String inputs, Supplier<String> outputs) {
    Optional<StageState.State> was = StageState.read(config, hadoop, key);
    return was.isPresent() && was.get().inputs().equals(inputs)
        && was.get().outputs().equals(outputs.get());
  }

  /** The inputs the work named {@code key} last finished on, if it did. */
  public Optional<String> lastInputs(String key) {
    return StageState.read(config, hadoop, key).map(StageState.State::inputs);
  }

  /** Records that the work named {@code key} finished on {@code inputs}, left {@code outputs}. */
  public void finished(String key, String inputs, String outputs) {
    StageState.write(config, hadoop, key, new StageState.State(inputs, outputs));
  }

  /** Forgets what {@code key} last ran on, so it runs next time whatever its inputs. */
  public void forget(String key) {
    StageState.clear(config, hadoop, key);
  }

  /**
   * Runs {@code work} with the Spark jobs it starts grouped under {@code finmix-<name>} and
   * described by {@code detail} in the UI, and the caller's group and description restored.
   */
  public <T> T inJobGroup(String name, String detail, Supplier<T> work) {
    SparkContext sc = spark.sparkContext();
    String group = sc.getLocalProperty("spark.jobGroup.id");
    String description = sc.getLocalProperty("spark.job.description");
    sc.setJobGroup("finmix-" + name, "finmix " + name + " (run " + config.runId() + ")"
        + (detail.isEmpty() ? "" : ": " + detail), false);
    try {
      return work.get();
    } finally {
      if (group == null) {
        sc.clearJobGroup();
      } else {
        sc.setJobGroup(group, description == null ? "" : description, false);
      }
    }
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
