package io.finmix.jobs.dedup;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.text.MinHasher;
import io.finmix.jobs.text.TextNormalizer;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@code dedup} section of finmix.conf, checked. */
public record DedupSettings(
    TextNormalizer normalizer,
    boolean promptText,
    Map<String, Boolean> promptTextByTask,
    List<String> keepApart,
    List<String> splitRank,
    boolean dropAllConflicts,
    boolean nearEnabled,
    int shingle,
    int numPerm,
    double threshold,
    int bands,
    int rows,
    long seed,
    boolean verify,
    boolean sameLabel,
    double representativeThreshold,
    int maxComponentSize,
    int maxIterations,
    long driverMaxEdges)
    implements Serializable {

  public static DedupSettings of(FinmixConfig config) {
    Config c = config.config();
    boolean promptText = isPromptText(config, "dedup.text", c.getString("dedup.text"));
    Map<String, Boolean> byTask = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getConfig("dedup.text_by_task").root().entrySet()) {
      byTask.put(e.getKey(), isPromptText(config, "dedup.text_by_task." + e.getKey(),
          e.getValue().unwrapped()));
    }
    String conflicts = c.getString("dedup.label_conflicts");
    if (!conflicts.equals("majority") && !conflicts.equals("drop_all")) {
      throw bad(config, "dedup.label_conflicts", "expected majority or drop_all, got '"
          + conflicts + "'");
    }
    List<String> rank = c.getStringList("dedup.split_rank");
    if (!rank.containsAll(List.of("train", "valid", "test")) || rank.size() != 3) {
      throw bad(config, "dedup.split_rank", "must list train, valid and test once each");
    }
    int numPerm = c.getInt("dedup.near.num_perm");
    double threshold = c.getDouble("dedup.near.threshold");
    if (numPerm < 1 || numPerm > 1024) {
      throw bad(config, "dedup.near.num_perm", "must be between 1 and 1024");
    }
    if (threshold <= 0 || threshold > 1) {
      throw bad(config, "dedup.near.threshold", "must be in (0, 1]");
    }
    int bands = c.getInt("dedup.near.bands");
    int rows = c.getInt("dedup.near.rows");
    if (bands == 0 && rows == 0) {
      int[] br = MinHasher.bandsAndRows(numPerm, threshold);
      bands = br[0];
      rows = br[1];
    } else if (bands < 1 || rows < 1 || bands * rows > numPerm) {
      throw bad(config, "dedup.near.bands", "bands x rows (" + bands + " x " + rows
          + ") must be positive and at most num_perm " + numPerm + " (or both 0)");
    }
    int shingle = c.getInt("dedup.near.shingle");
    if (shingle < 1) {
      throw bad(config, "dedup.near.shingle", "must be at least 1");
    }
    List<String> keepApart = c.getStringList("dedup.keep_apart");
    long driverMaxEdges = c.getLong("dedup.near.driver_max_edges");
    if (driverMaxEdges < 0) {
      throw bad(config, "dedup.near.driver_max_edges", "must be 0 or more");
    }
    return new DedupSettings(TextNormalizer.of(c), promptText, Map.copyOf(byTask),
        List.copyOf(keepApart),
        List.copyOf(rank),
        conflicts.equals("drop_all"), c.getBoolean("dedup.near.enabled"), shingle, numPerm,
        threshold, bands, rows, c.getLong("dedup.near.seed"), c.getBoolean("dedup.near.verify"),
        c.getBoolean("dedup.near.same_label"), c.getDouble("dedup.near.representative_threshold"),
        c.getInt("dedup.near.max_component_size"), c.getInt("dedup.near.max_iterations"),
        driverMaxEdges);
  }

  /** The rank of a split: higher wins (test 2, valid 1, train 0 by default). */
  public int rankOf(String split) {
    return splitRank.size() - 1 - splitRank.indexOf(split);
  }

  /**
   * The text a record of {@code task} is compared by: normalised prompt (instruction + input)
   * or input, as {@code dedup.text_by_task} or else {@code dedup.text} says.
   */
  public String text(String task, String instruction, String input) {
    String raw = promptTextByTask.getOrDefault(task == null ? "" : task, promptText)
        ? (instruction == null ? "" : instruction) + "\n" + input
        : (input.isEmpty() && instruction != null ? instruction : input);
    return normalizer.normalize(raw);
  }

  /** A text setting's value: true for prompt, false for input, else a user error. */
  private static boolean isPromptText(FinmixConfig config, String key, Object value) {
    if (!"prompt".equals(value) && !"input".equals(value)) {
      throw bad(config, key, "expected prompt or input, got '" + value + "'");
    }
    return "prompt".equals(value);
  }

  /** The name of a text setting, as the config spells it. */
  static String textName(boolean promptText) {
    return promptText ? "prompt" : "input";
  }

  private static UserError bad(FinmixConfig config, String key, String problem) {
    return new UserError("invalid config key " + key + " (" + config.originOf(key) + "): "
        + problem);
  }
}
