package io.finmix.jobs.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The experiment grid of the {@code sweep} section: every recipe x model preset x seed x LoRA
 * setting is one training run, named {@code <recipe>-<model>-s<seed>} (with {@code -lora}, or
 * {@code -lora-r<rank>} when the grid has several LoRA settings), in grid order, each starting
 * from {@code sweep.init}: the run's pretrained base, random weights, or a given model.
 */
public final class SweepGrid {

  private static final Set<String> LORA_KEYS = Set.of("rank", "alpha", "dropout", "targets");

  /** {@code sweep.init}: fine-tune from the run's pretrained base. */
  public static final String BASE = "base";
  /** {@code sweep.init}: train from random weights. */
  public static final String SCRATCH = "scratch";

  /**
   * One training run of the grid and the train.* keys that make it; {@code init} the directory
   * it starts from (empty: random weights).
   */
  public record Point(String trainRun, String recipe, String model, long seed,
      Map<String, Object> lora, String init) {

    /** The config keys this run sets over the sweep's own config. */
    public Map<String, Object> overrides() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("train.recipe", recipe);
      m.put("train.model", model);
      m.put("train.init", init);
      m.put("train.seed", seed);
      m.put("train.name", trainRun);
      m.put("train.lora.enabled", lora != null);
      if (lora != null) {
        lora.forEach((k, v) -> m.put("train.lora." + k, v));
      }
      return m;
    }

    /** The LoRA setting as train.runs spells it in the plan ("rank=8 alpha=16 ..."), or null. */
    public String loraText() {
      if (lora == null) {
        return null;
      }
      StringBuilder b = new StringBuilder();
      new TreeMap<>(lora).forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k)
          .append('=').append(v instanceof List<?> l ? String.join(",", l.stream()
              .map(String::valueOf).toList()) : v));
      return b.toString();
    }
  }

  private SweepGrid() {}

  /** The grid's runs in order: recipes, then models, then seeds, then LoRA settings. */
  public static List<Point> plan(FinmixConfig config) {
    Config c = config.config().getConfig("sweep");
    List<String> recipes = nonEmpty(c, "recipes");
    List<String> models = nonEmpty(c, "models");
    List<Long> seeds;
    try {
      seeds = c.getLongList("seeds");
    } catch (ConfigException.WrongType e) {
      throw new UserError("sweep.seeds (" + config.originOf("sweep.seeds") + "): a list of "
          + "integers, got " + c.getValue("seeds").render());
    }
    if (seeds.isEmpty()) {
      throw new UserError("sweep.seeds (" + config.originOf("sweep.seeds") + ") is empty");
    }
    List<Map<String, Object>> loras = loraSettings(config, c);
    String init = init(config, models);
    long enabled = loras.stream().filter(l -> l != null).count();
    List<Point> points = new ArrayList<>();
    Map<String, Point> byName = new LinkedHashMap<>();
    for (String recipe : recipes) {
      for (String model : models) {
        for (long seed : seeds) {
          for (Map<String, Object> lora : loras) {
            String name = recipe + "-" + model + "-s" + seed + (lora == null ? ""
                : enabled == 1 ? "-lora" : "-lora-r" + lora.getOrDefault("rank",
                    config.config().getInt("train.lora.rank")));
            Point p = new Point(name, recipe, model, seed, lora, init);
            Point clash = byName.put(name, p);
            if (clash != null) {
              throw new UserError("sweep: two runs of the grid would both be named '" + name
                  + "' (" + config.originOf("sweep.lora") + "): give LoRA settings distinct "
                  + "ranks, and list each recipe, model and seed once");
            }
            points.add(p);
          }
        }
      }
    }
    return points;
  }

  /**
   * The directory every run starts from: the run's base (its preset must be the one model of
   * the grid), none (scratch), or the directory sweep.init names.
   */
  static String init(FinmixConfig config, List<String> models) {
    String init = config.config().getString("sweep.init").trim();
    if (init.equals(SCRATCH)) {
      return "";
    }
    if (init.equals(BASE)) {
      String preset = config.config().getString("pretrain.model");
      if (!models.equals(List.of(preset))) {
        throw new UserError("sweep.init = base (" + config.originOf("sweep.init") + "): the "
            + "runs fine-tune the base, a " + preset + " (pretrain.model), so sweep.models must "
            + "be [" + preset + "], not " + models);
      }
      return io.finmix.jobs.train.PretrainJob.baseDir(config).toString();
    }
    if (init.isEmpty()) {
      throw new UserError("sweep.init (" + config.originOf("sweep.init") + ") is empty: base, "
          + "scratch or a directory");
    }
    return init;
  }

  private static List<String> nonEmpty(Config c, String key) {
    List<String> values;
    try {
      values = c.getStringList(key);
    } catch (ConfigException.WrongType e) {
      throw new UserError("sweep." + key + ": a list of names, got " + c.getValue(key).render());
    }
    if (values.isEmpty() || values.stream().anyMatch(v -> v.isBlank())) {
      throw new UserError("sweep." + key + " must list at least one name, and no empty ones");
    }
    return values;
  }

  /** {@code off} (full fine-tuning) or an object of train.lora keys (adapters on). */
  private static List<Map<String, Object>> loraSettings(FinmixConfig config, Config c) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ConfigValue v : c.getList("lora")) {
      if (v.valueType() == ConfigValueType.STRING && v.unwrapped().equals("off")) {
        out.add(null);
      } else if (v.valueType() == ConfigValueType.OBJECT) {
        Map<String, Object> m = new TreeMap<>(((ConfigObject) v).unwrapped());
        for (String k : m.keySet()) {
          if (!LORA_KEYS.contains(k)) {
            throw new UserError("sweep.lora (" + config.originOf("sweep.lora") + "): unknown "
                + "key '" + k + "' (LoRA settings take " + new java.util.TreeSet<>(LORA_KEYS) + ")");
          }
        }
        out.add(m);
      } else {
        throw new UserError("sweep.lora (" + config.originOf("sweep.lora") + "): each entry is "
            + "off or an object of LoRA settings ({ rank = 8 }), got " + v.render());
      }
    }
    if (out.isEmpty()) {
      throw new UserError("sweep.lora (" + config.originOf("sweep.lora") + ") is empty: use "
          + "[off] for full fine-tuning");
    }
    return out;
  }
}
