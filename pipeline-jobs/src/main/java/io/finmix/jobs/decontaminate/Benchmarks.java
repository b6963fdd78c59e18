package io.finmix.jobs.decontaminate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The benchmarks of {@code conf/benchmarks.conf}: for each, which rows of the catalog are its
 * eval rows (a source and its splits).
 */
public final class Benchmarks {

  private static final Set<String> KEYS = Set.of("source", "splits");

  /** One benchmark's eval rows: {@code source} rows in any of {@code splits}. */
  public record Benchmark(String name, String source, List<String> splits)
      implements Serializable {}

  private Benchmarks() {}

  /** Loads a benchmarks file (a path, or a name under conf/). */
  public static List<Benchmark> load(String nameOrPath) {
    ConfFiles.ConfFile file = ConfFiles.find(nameOrPath);
    try {
      Config root = file.config().resolve();
      if (!root.hasPath("benchmarks")
          || root.getValue("benchmarks").valueType() != ConfigValueType.OBJECT) {
        throw new UserError(file.description() + ": expected a `benchmarks { name { source = "
            + "..., splits = [...] } }` block");
      }
      List<Benchmark> out = new ArrayList<>();
      for (String name : new TreeSet<>(root.getObject("benchmarks").keySet())) {
        Config b = root.getConfig("benchmarks").getConfig("\"" + name + "\"");
        String where = "benchmark '" + name + "' (" + file.description() + ":"
            + b.origin().lineNumber() + ")";
        for (String key : b.root().keySet()) {
          if (!KEYS.contains(key)) {
            throw new UserError(where + ": unknown key '" + key + "' (known: " + KEYS + ")");
          }
        }
        if (!b.hasPath("source")) {
          throw new UserError(where + ": source is required");
        }
        List<String> splits = b.hasPath("splits") ? b.getStringList("splits") : List.of("test");
        for (String split : splits) {
          if (!List.of("train", "valid", "test").contains(split)) {
            throw new UserError(where + ": split '" + split + "' is not train, valid or test");
          }
        }
        out.add(new Benchmark(name, b.getString("source"), List.copyOf(splits)));
      }
      return out;
    } catch (ConfigException e) {
      throw new UserError("invalid benchmarks file " + file.description() + ": "
          + e.getMessage(), e);
    }
  }
}
