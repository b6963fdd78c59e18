package io.finmix.jobs.mix;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A mixture recipe from {@code conf/recipes.conf}: components (a selector over source, task,
 * domain and split, a weight, a repetition cap, optional min/max), a total size in examples or
 * tokens ({@code null}: auto, the largest mixture the caps allow at the exact weights; {@link
 * #POOL_TOTAL}: as large as the pools together), a seed,
 * and optionally a temperature that sets the weights from the pool sizes.
 */
public record Recipe(String name, String description, Unit unit, Double total, long seed,
    Double temperature, List<Component> components) implements Serializable {

  /** What weights, totals and min/max count. */
  public enum Unit { EXAMPLES, TOKENS }

  /**
   * One component: the rows whose column values are in {@code select} (every listed column
   * must match); share {@code weight}; at most {@code maxEpochs} passes over its pool; the
   * bounds {@code min} and {@code max} in the recipe's unit; {@code template}, the prompts.conf
   * template its rows are rendered with (null: each row's task's).
   */
  public record Component(String name, Map<String, List<String>> select, double weight,
      double maxEpochs, double min, double max, String template) implements Serializable {}

  /** {@code total = pool}: the size of the component pools together, once. */
  public static final double POOL_TOTAL = -1;
  /**
   * {@code total = balanced}: every component at its weight's share of the size at which the
   * largest one (relative to its weight) is taken once: with equal weights, every component
   * repeated up to the largest pool's size, within its repetition cap; what a cap cuts is not
   * handed to the others. FinGPT's sentiment training balances its datasets this way.
   */
  public static final double BALANCED_TOTAL = -2;

  static final Set<String> SELECT_KEYS = Set.of("source", "task", "domain", "split");
  private static final Set<String> RECIPE_KEYS = Set.of("description", "unit", "total", "seed",
      "temperature", "max_epochs", "split", "components");
  private static final Set<String> COMPONENT_KEYS = Set.of("name", "select", "weight",
      "max_epochs", "min", "max", "template");

  /** Loads the recipes file (a path, or a name under conf/), in name order. */
  public static List<Recipe> load(String nameOrPath) {
    ConfFiles.ConfFile file = ConfFiles.find(nameOrPath);
    List<Recipe> out = ConfFiles.parseEntries(file, "recipes", "recipe",
        "recipes { name { components = [...] } }", RECIPE_KEYS, Recipe::parse);
    if (out.isEmpty()) {
      throw new UserError(file.description() + ": no recipes declared");
    }
    return out;
  }

  /** The named recipes of {@code all}, or all when {@code only} is empty. */
  public static List<Recipe> select(List<Recipe> all, List<String> only, String file) {
    if (only.isEmpty()) {
      return all;
    }
    Map<String, Recipe> byName = new TreeMap<>();
    all.forEach(r -> byName.put(r.name(), r));
    List<Recipe> out = new ArrayList<>();
    for (String name : only) {
      Recipe r = byName.get(name);
      if (r == null) {
        throw new UserError("unknown recipe '" + name + "' in mix.only; " + file + " declares "
            + byName.keySet());
      }
      out.add(r);
    }
    return out;
  }

  private static Recipe parse(String name, Config r, String where) {
    Unit unit;
    try {
      unit = Unit.valueOf((r.hasPath("unit") ? r.getString("unit") : "examples")
          .toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UserError(where + ": unit: '" + r.getString("unit")
          + "' is not examples or tokens");
    }
    Double total = null;
    if (r.hasPath("total") && r.getString("total").equals("pool")) {
      total = POOL_TOTAL;
    } else if (r.hasPath("total") && r.getString("total").equals("balanced")) {
      total = BALANCED_TOTAL;
    } else if (r.hasPath("total") && !r.getString("total").equals("auto")) {
      try {
        total = r.getDouble("total");
      } catch (ConfigException.WrongType e) {
        throw new UserError(where + ": total: '" + r.getString("total") + "' is not a number, "
            + "auto, pool or balanced");
      }
      if (!(total > 0)) {
        throw new UserError(where + ": total must be more than 0");
      }
    }
    Double temperature = r.hasPath("temperature") ? r.getDouble("temperature") : null;
    if (temperature != null && !(temperature > 0)) {
      throw new UserError(where + ": temperature must be more than 0");
    }
    double maxEpochs = r.hasPath("max_epochs") ? r.getDouble("max_epochs") : 1.0;
    List<String> defaultSplit = r.hasPath("split") ? strings(r, "split") : List.of("train");
    if (!r.hasPath("components") || r.getList("components").isEmpty()) {
      throw new UserError(where + ": components: at least one component is required");
    }
    List<Component> components = new ArrayList<>();
    Set<String> names = new TreeSet<>();
    List<? extends Config> list = r.getConfigList("components");
    for (int i = 0; i < list.size(); i++) {
      Config c = list.get(i);
      String cwhere = where + ": components[" + i + "]";
      ConfFiles.checkKeys(c.root().keySet(), COMPONENT_KEYS, cwhere);
      String cname = require(c, "name", cwhere);
      cwhere = where + ": component '" + cname + "'";
      if (!names.add(cname)) {
        throw new UserError(cwhere + ": two components have this name");
      }
      if (!c.hasPath("select")) {
        throw new UserError(cwhere + ": select is required (source, task, domain, split)");
      }
      Config sel = c.getConfig("select");
      ConfFiles.checkKeys(sel.root().keySet(), SELECT_KEYS, cwhere + ": select");
      Map<String, List<String>> select = new LinkedHashMap<>();
      for (String key : new TreeSet<>(sel.root().keySet())) {
        select.put(key, strings(sel, key));
      }
      select.putIfAbsent("split", defaultSplit);
      if (temperature != null && c.hasPath("weight")) {
        throw new UserError(cwhere + ": weight: a recipe with a temperature takes its weights "
            + "from the pool sizes; remove one of the two");
      }
      double weight = c.hasPath("weight") ? c.getDouble("weight") : 1.0;
      double epochs = c.hasPath("max_epochs") ? c.getDouble("max_epochs") : maxEpochs;
      double min = c.hasPath("min") ? c.getDouble("min") : 0;
      double max = c.hasPath("max") ? c.getDouble("max") : Double.POSITIVE_INFINITY;
      if (weight < 0 || !(epochs > 0) || min < 0 || max < min) {
        throw new UserError(cwhere + ": need weight >= 0, max_epochs > 0 and 0 <= min <= max");
      }
      components.add(new Component(cname, select, weight, epochs, min, max,
          c.hasPath("template") ? c.getString("template") : null));
    }
    if (temperature == null && components.stream().mapToDouble(Component::weight).sum() == 0) {
      throw new UserError(where + ": the component weights add up to 0");
    }
    String description = r.hasPath("description") ? r.getString("description") : "";
    long seed = r.hasPath("seed") ? r.getLong("seed") : 0L;
    return new Recipe(name, description, unit, total, seed, temperature,
        List.copyOf(components));
  }

  private static List<String> strings(Config c, String key) {
    ConfigValue v = c.getValue(key);
    return v.valueType() == ConfigValueType.LIST ? c.getStringList(key)
        : List.of(c.getString(key));
  }

  private static String require(Config c, String key, String where) {
    if (!c.hasPath(key)) {
      throw new UserError(where + ": " + key + " is required");
    }
    return c.getString(key);
  }
}
