package io.finmix.jobs.core;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;

/**
 * A finmix command: parses the common options into a {@link FinmixConfig} and runs. Each
 * command is also a {@code main} class for a cluster's {@code spark-submit --class}.
 */
public abstract class StageCommand implements Callable<Integer> {

  @Mixin
  protected CommonOptions common = new CommonOptions();

  /**
   * The command's options as config keys: every {@link ConfigKey} field of the command, with
   * its value (null, an option not given, sets nothing).
   */
  final Map<String, Object> flags() {
    Map<String, Object> flags = new LinkedHashMap<>();
    for (Class<?> c = getClass(); c != StageCommand.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        ConfigKey key = field.getAnnotation(ConfigKey.class);
        if (key == null) {
          continue;
        }
        try {
          field.setAccessible(true);
          flags.put(key.value(), field.get(this));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException("option field " + field + " is not readable", e);
        }
      }
    }
    return flags;
  }

  @Override
  public final Integer call() {
    return run(common.load(flags()));
  }

  /** Runs with a loaded config; returns the exit code. */
  public abstract int run(FinmixConfig config);

  /** The Spark session for a stage, with the stage named in the UI. */
  protected static SparkSession session(FinmixConfig config, String stage) {
    SparkSession spark = SparkSessions.getOrCreate(config, "finmix " + stage);
    spark.sparkContext().setJobGroup("finmix-" + stage, "finmix " + stage + " (run "
        + config.runId() + ")", false);
    return spark;
  }
}
