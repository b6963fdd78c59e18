package io.finmix.jobs.task;

import com.typesafe.config.Config;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The benchmarks of {@code conf/benchmarks.conf}: which rows of the catalog each one's eval rows
 * are (a source and its splits), what shape of task it is, how it is prompted and scored. A
 * {@code defaults} block fills what a benchmark leaves out. decontaminate reads the rows part;
 * evaluate and aggregate the rest.
 */
public final class Benchmarks {

  private static final Set<String> KEYS = Set.of("source", "splits", "kind", "template",
      "instruction_variant", "choices", "modes", "metrics", "primary_metric", "target_recipe",
      "k_shot", "shot_seed", "max_new_tokens", "stop", "max_rows", "group_by");
  private static final List<String> SPLITS = List.of("train", "valid", "test");

  /** The shapes of task evaluate knows how to score. */
  public enum Kind {
    /** One label of a fixed set: rank classification and/or generation + first valid label. */
    CLASSIFICATION(List.of("rank", "generate"), List.of(Metric.ACCURACY, Metric.MACRO_F1,
        Metric.WEIGHTED_F1, Metric.AVG_F1, Metric.MCC, Metric.MISSING_RATE), Metric.WEIGHTED_F1),
    /** A number: generation + the final number parsed. */
    NUMERIC(List.of("generate"), List.of(Metric.EXACT_MATCH, Metric.MISSING_RATE),
        Metric.EXACT_MATCH),
    /** Named entities ("text, TYPE" lines): generation + the entity set parsed. */
    ENTITIES(List.of("generate"), List.of(Metric.ENTITY_F1, Metric.EXACT_MATCH,
        Metric.MISSING_RATE), Metric.ENTITY_F1);

    final List<String> modes;
    final List<Metric> metrics;
    final Metric primary;

    Kind(List<String> modes, List<Metric> metrics, Metric primary) {
      this.modes = modes;
      this.metrics = metrics;
      this.primary = primary;
    }

    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One benchmark. {@code template}: the prompts.conf template (empty: each row's task);
   * {@code choices}: the label set (empty: each row's own); {@code modes}: rank and/or
   * generate; {@code targetRecipe}: the target-only recipe cocktails are compared against
   * (empty: none); {@code maxRows}: 0 for all, else a fixed hash-chosen subset per split;
   * {@code groupBy}: the record attribute whose values group the rows for avg_f1 (empty: none).
   */
  public record Benchmark(String name, String source, List<String> splits, Kind kind,
      String template, int instructionVariant, List<String> choices, List<String> modes,
      List<Metric> metrics, Metric primaryMetric, String targetRecipe, int kShot, long shotSeed,
      int maxNewTokens, List<String> stop, int maxRows, String groupBy) implements Serializable {

    public boolean ranks() {
      return modes.contains("rank");
    }

    public boolean generates() {
      return modes.contains("generate");
    }

    /** The label set of a row: the benchmark's choices, else the row's own. */
    public List<String> choicesOf(List<String> rowChoices) {
      return !choices.isEmpty() ? choices : rowChoices == null ? List.of() : rowChoices;
    }

    /** The prompts.conf template of a row: the benchmark's template, else the row's task. */
    public String templateOf(String rowTask) {
      return template.isEmpty() ? rowTask : template;
    }

    /** The same benchmark with {@code max_rows} set to {@code rows}. */
    public Benchmark withMaxRows(int rows) {
      return new Benchmark(name, source, splits, kind, template, instructionVariant, choices,
          modes, metrics, primaryMetric, targetRecipe, kShot, shotSeed, maxNewTokens, stop,
          rows, groupBy);
    }
  }

  private Benchmarks() {}

  /** Loads a benchmarks file (a path, or a name under conf/). */
  public static List<Benchmark> load(String nameOrPath) {
    return ConfFiles.parseEntries(ConfFiles.find(nameOrPath), "benchmarks", "benchmark",
        "benchmarks { name { source = ..., splits = [...] } }", KEYS, Benchmarks::parse);
  }

  private static Benchmark parse(String name, Config b, String where) {
    if (!b.hasPath("source")) {
      throw new UserError(where + ": source is required");
    }
    List<String> splits = b.hasPath("splits") ? b.getStringList("splits") : List.of("test");
    for (String split : splits) {
      if (!SPLITS.contains(split)) {
        throw new UserError(where + ": split '" + split + "' is not train, valid or test");
      }
    }
    Kind kind = enumValue(Kind.class, string(b, "kind", "classification"), where + ": kind");
    List<String> modes = b.hasPath("modes") ? b.getStringList("modes") : kind.modes;
    if (modes.isEmpty()) {
      throw new UserError(where + ": modes: at least one of " + kind.modes + " is required");
    }
    for (String m : modes) {
      if (!kind.modes.contains(m)) {
        throw new UserError(where + ": mode '" + m + "' does not fit kind " + kind.key()
            + " (possible: " + kind.modes + ")");
      }
    }
    String groupBy = string(b, "group_by", "");
    List<Metric> metrics = new ArrayList<>();
    for (String m : b.hasPath("metrics") ? b.getStringList("metrics")
        : kind.metrics.stream().filter(m -> m != Metric.AVG_F1 || !groupBy.isEmpty())
            .map(Metric::key).toList()) {
      metrics.add(metric(m, kind, where + ": metrics"));
    }
    if (metrics.contains(Metric.AVG_F1) && groupBy.isEmpty()) {
      throw new UserError(where + ": metric avg_f1 averages over groups: name the record "
          + "attribute that holds them (group_by = question)");
    }
    Metric primary = b.hasPath("primary_metric")
        ? metric(b.getString("primary_metric"), kind, where + ": primary_metric") : kind.primary;
    if (primary == Metric.MISSING_RATE) {
      throw new UserError(where + ": primary_metric missing_rate cannot rank or select (lower is "
          + "better); name a score such as " + kind.primary.key());
    }
    if (!metrics.contains(primary)) {
      throw new UserError(where + ": primary_metric " + primary.key() + " is not among metrics "
          + metrics.stream().map(Metric::key).toList());
    }
    int kShot = b.hasPath("k_shot") ? b.getInt("k_shot") : 0;
    int maxNew = b.hasPath("max_new_tokens") ? b.getInt("max_new_tokens") : 8;
    int maxRows = b.hasPath("max_rows") ? b.getInt("max_rows") : 0;
    int variant = b.hasPath("instruction_variant") ? b.getInt("instruction_variant") : 0;
    if (kShot < 0 || maxNew < 1 || maxRows < 0 || variant < 0) {
      throw new UserError(where + ": k_shot, max_rows and instruction_variant must be >= 0 and "
          + "max_new_tokens >= 1 (got " + kShot + ", " + maxRows + ", " + variant + ", " + maxNew
          + ")");
    }
    return new Benchmark(name, b.getString("source"), List.copyOf(splits), kind,
        string(b, "template", ""), variant,
        b.hasPath("choices") ? List.copyOf(b.getStringList("choices")) : List.of(),
        List.copyOf(modes), List.copyOf(metrics), primary, string(b, "target_recipe", ""), kShot,
        b.hasPath("shot_seed") ? b.getLong("shot_seed") : 1L, maxNew,
        b.hasPath("stop") ? List.copyOf(b.getStringList("stop")) : List.of(),
        maxRows, groupBy);
  }

  private static Metric metric(String key, Kind kind, String where) {
    Metric m;
    try {
      m = Metric.of(key);
    } catch (IllegalArgumentException e) {
      throw new UserError(where + ": " + e.getMessage(), e);
    }
    if (!kind.metrics.contains(m)) {
      throw new UserError(where + ": metric " + key + " does not fit kind " + kind.key()
          + " (possible: " + kind.metrics.stream().map(Metric::key).toList() + ")");
    }
    return m;
  }

  private static String string(Config c, String key, String fallback) {
    return c.hasPath(key) ? c.getString(key) : fallback;
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String where) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    List<String> known = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      known.add(e.name().toLowerCase(java.util.Locale.ROOT));
    }
    throw new UserError(where + ": '" + value + "' is not one of " + known);
  }
}
