package io.finmix.jobs.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finmix.schemas.TableSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.SparkSession;

/**
 * What a unit of work (a stage of {@code finmix run}, one training run of a sweep) last ran on
 * and what it wrote, kept as {@code <run dir>/state/<key>.json}, so work whose inputs and
 * outputs are both as it left them is skipped rather than redone.
 *
 * <p>Inputs and outputs are fingerprints: of config sections, of the conf files they name, of a
 * table's rows of this run id (the data files Iceberg holds for them: any rewrite, by this stage
 * or by a stage run alone, gives new files) and of generated files. A stage re-run alone with
 * other settings therefore changes its outputs, so the next {@code finmix run} redoes it and
 * everything after it.
 */
public final class StageState {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fingerprints recorded when the work last finished. */
  public record State(String inputs, String outputs) {}

  private StageState() {}

  public static Path path(FinmixConfig config, String key) {
    return new Path(config.runDir() + "/state/" + key + ".json");
  }

  /** The recorded state of {@code key}, if the work finished before. */
  public static Optional<State> read(FinmixConfig config, Configuration hadoop, String key) {
    Path path = path(config, key);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      if (!fs.exists(path)) {
        return Optional.empty();
      }
      try (InputStream in = fs.open(path)) {
        Map<?, ?> m = JSON.readValue(in, Map.class);
        return Optional.of(new State(String.valueOf(m.get("inputs")),
            String.valueOf(m.get("outputs"))));
      }
    } catch (IOException e) {
      // a state that cannot be read is no state: the work is redone
      return Optional.empty();
    }
  }

  /** Records that {@code key} finished on {@code state.inputs()}, writing {@code outputs()}. */
  public static void write(FinmixConfig config, Configuration hadoop, String key, State state) {
    Path path = path(config, key);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
      Map<String, String> m = new LinkedHashMap<>();
      m.put("inputs", state.inputs());
      m.put("outputs", state.outputs());
      try (OutputStream out = fs.create(tmp, true)) {
        JSON.writeValue(out, m);
      }
      fs.delete(path, false);
      if (!fs.rename(tmp, path)) {
        throw new IOException("cannot rename " + tmp + " to " + path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the stage state " + path, e);
    }
  }

  /** Forgets {@code key}: the work is redone next time. */
  public static void clear(FinmixConfig config, Configuration hadoop, String key) {
    Path path = path(config, key);
    try {
      path.getFileSystem(hadoop).delete(path, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the stage state " + path, e);
    }
  }

  /** One fingerprint of several. */
  public static String of(String... parts) {
    return StableHash.hex128(parts);
  }

  /** The keys and values of config sections (e.g. "train", "tokenize.seq_len"), sorted. */
  public static String config(FinmixConfig config, String... paths) {
    Map<String, String> m = new TreeMap<>();
    for (String p : paths) {
      if (!config.config().hasPathOrNull(p)) {
        continue;
      }
      if (config.config().getValue(p).valueType() == com.typesafe.config.ConfigValueType.OBJECT) {
        config.config().getConfig(p).entrySet().forEach(e -> m.put(p + "." + e.getKey(),
            String.valueOf(e.getValue().unwrapped())));
      } else {
        m.put(p, String.valueOf(config.config().getValue(p).unwrapped()));
      }
    }
    return m.toString();
  }

  /** The content of conf files named by config keys (a recipes file, a benchmarks file). */
  public static String confFiles(FinmixConfig config, String... keys) {
    List<String> parts = new ArrayList<>();
    for (String k : keys) {
      String name = config.config().getString(k).trim();
      parts.add(k + "=" + (name.isEmpty() ? "" : StableHash.hex128(ConfFiles.text(name)
          .content())));
    }
    return String.join(",", parts);
  }

  /**
   * The version of a table's rows of one run id (and more partition values), as of a snapshot
   * (null: the current one): a fingerprint of the data and delete files that hold them. "absent"
   * when the table does not exist, "empty" when no file holds such rows.
   */
  public static String tableVersion(SparkSession spark, String table, String runId,
      Map<String, String> partition, Long snapshot) {
    String name = TableSchemas.CATALOG + "." + table;
    Table t;
    try {
      if (!spark.catalog().tableExists(name)) {
        return "absent";
      }
      t = Spark3Util.loadIcebergTable(spark, name);
    } catch (org.apache.spark.sql.catalyst.parser.ParseException
        | org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
      return "absent";
    }
    t.refresh();
    if (t.currentSnapshot() == null) {
      return "empty";
    }
    Expression filter = Expressions.equal("run_id", runId);
    for (Map.Entry<String, String> e : partition.entrySet()) {
      filter = Expressions.and(filter, Expressions.equal(e.getKey(), e.getValue()));
    }
    TableScan scan = t.newScan().filter(filter);
    if (snapshot != null) {
      scan = scan.useSnapshot(snapshot);
    }
    List<String> files = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = scan.planFiles()) {
      for (FileScanTask task : tasks) {
        files.add(task.file().location());
        task.deletes().forEach(d -> files.add(d.location()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the files of " + name, e);
    }
    if (files.isEmpty()) {
      return "empty";
    }
    Collections.sort(files);
    return StableHash.hex128(files.toArray(new String[0]));
  }

  /** {@link #tableVersion} of the current rows of several tables of one run id. */
  public static String tables(SparkSession spark, String runId, String... tables) {
    List<String> parts = new ArrayList<>();
    for (String table : tables) {
      parts.add(table + "=" + tableVersion(spark, table, runId, Map.of(), null));
    }
    return String.join(",", parts);
  }

  /**
   * The files under a directory (relative path and size, sorted): generated data, a tokenizer.
   * "absent" when there is no such directory or file.
   */
  public static String files(Configuration hadoop, String dir) {
    Path root = new Path(dir);
    try {
      FileSystem fs = root.getFileSystem(hadoop);
      if (!fs.exists(root)) {
        return "absent";
      }
      FileStatus top = fs.getFileStatus(root);
      String prefix = top.getPath().toUri().getPath();
      List<String> entries = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String rel = f.getPath().toUri().getPath().substring(prefix.length());
        entries.add(rel + ":" + f.getLen());
      }
      Collections.sort(entries);
      return StableHash.hex128(entries.toArray(new String[0]));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
