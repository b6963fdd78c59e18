package io.finmix.jobs.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's report: one JSON file per stage under {@code <warehouse>/runs/<run_id>/report/}, with
 * the stage's counts in and out by reason. Re-running a stage replaces its file.
 */
public final class RunReport {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private RunReport() {}

  /** Counts as "a=1, b=2" (in the map's order), for the stage summaries users see. */
  public static String counts(Map<String, Long> counts) {
    StringBuilder out = new StringBuilder();
    counts.forEach((k, v) -> out.append(out.length() == 0 ? "" : ", ").append(k).append('=')
        .append(v));
    return out.toString();
  }

  /** The path of a stage's report file. */
  public static Path path(FinmixConfig config, String stage) {
    return new Path(config.runDir() + "/report/" + stage + ".json");
  }

  /** Writes (replaces) the stage's report and returns its path. */
  public static Path write(FinmixConfig config, Configuration hadoop, String stage,
      Map<String, ?> content) {
    Path path = path(config, stage);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
      try (OutputStream out = fs.create(tmp, true)) {
        JSON.writeValue(out, content);
      }
      fs.delete(path, false);
      if (!fs.rename(tmp, path)) {
        throw new IOException("cannot rename " + tmp + " to " + path);
      }
      return path;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the run report " + path, e);
    }
  }

  /** Reads a stage's report back (tests, the run summary). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> read(FinmixConfig config, Configuration hadoop, String stage) {
    Path path = path(config, stage);
    try (InputStream in = path.getFileSystem(hadoop).open(path)) {
      return JSON.readValue(in, Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the run report " + path, e);
    }
  }
}
