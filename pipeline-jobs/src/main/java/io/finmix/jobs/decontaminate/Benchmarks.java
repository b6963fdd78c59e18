package io.finmix.jobs.decontaminate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
      List<Benchmark> out = new ArrayList<>();
      for (ConfFiles.Entry e : file.entries("benchmarks", "benchmark",
          "benchmarks { name { source = ..., splits = [...] } }")) {
        Config b = e.config();
        String where = e.where();
        String name = e.name();
        ConfFiles.checkKeys(b.root().keySet(), KEYS, where);
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
