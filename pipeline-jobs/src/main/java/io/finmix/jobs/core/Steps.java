package io.finmix.jobs.core;

import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of one stage as the user and the Spark UI see them, kept in one place: {@link #next}
 * names the Spark jobs that follow (their description in the UI, "dedup: near duplicates"),
 * {@link #progress} logs a progress line headed by the stage, {@link #seconds} is the time since
 * the stage began, and closing restores the description the caller had. The job group is the
 * {@link StageRunner}'s; a stage runs its work with its steps:
 *
 * <pre>{@code
 * return Steps.run(spark, "dedup", steps -> {
 *   steps.next("exact duplicates and label conflicts");
 *   ...
 *   steps.progress("exact pass done at {} s", steps.seconds());
 * });
 * }</pre>
 */
public final class Steps implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Steps.class);

  private final SparkContext sc;
  private final String stage;
  private final String callersDescription;
  private final long started = System.nanoTime();

  private Steps(SparkContext sc, String stage) {
    this.sc = sc;
    this.stage = stage;
    this.callersDescription = sc.getLocalProperty("spark.job.description");
  }

  /** The steps of {@code stage} ("dedup", "train finance-mini-s1"), its clock started now. */
  public static Steps of(SparkSession spark, String stage) {
    return new Steps(spark.sparkContext(), stage);
  }

  /** Runs {@code work} with the steps of {@code stage}, closed when it returns or fails. */
  public static <T> T run(SparkSession spark, String stage, Function<Steps, T> work) {
    try (Steps steps = of(spark, stage)) {
      return work.apply(steps);
    }
  }

  /** Names the Spark jobs started from now on "{@code stage}: {@code what}". */
  public void next(String what) {
    sc.setJobDescription(stage + ": " + what);
  }

  /** Logs "{@code stage}: " and the message ({@code {}} placeholders filled from {@code args}). */
  public void progress(String message, Object... args) {
    if (LOG.isInfoEnabled()) {
      LOG.info(stage + ": " + message, args);
    }
  }

  /** Seconds since the steps began, one decimal ("12.3"). */
  public String seconds() {
    return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9);
  }

  /** Seconds since the steps began. */
  public double elapsed() {
    return (System.nanoTime() - started) / 1e9;
  }

  /** Restores the job description the caller had. */
  @Override
  public void close() {
    sc.setJobDescription(callersDescription);
  }
}
