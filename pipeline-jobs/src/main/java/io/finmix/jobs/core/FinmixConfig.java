package io.finmix.jobs.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;

/**
 * The resolved finmix configuration: {@code conf/finmix.conf}, then {@code --conf-file}, then
 * {@code FINMIX_WAREHOUSE}, then {@code --set}, then command flags ({@code --warehouse}, {@code
 * --run-id}, {@code --sources}, ...), each layer over the one before.
 *
 * <p>Every key a layer sets must be declared in finmix.conf (open maps excepted) and have the
 * declared type; otherwise loading fails with a {@link UserError} naming the key and the file.
 */
public final class FinmixConfig {

  /** Environment variable overriding {@code warehouse}. */
  public static final String WAREHOUSE_ENV = "FINMIX_WAREHOUSE";
  /** Keys below these paths are free-form maps passed through to other systems. */
  private static final List<String> OPEN_MAPS = List.of("catalog.properties", "tokenize.chat_vars");
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}");

  private final Config config;

  private FinmixConfig(Config config) {
    this.config = config;
  }

  /** A layer of overrides, with the name errors should use for it. */
  public record Layer(Config config, String description) {}

  /** Builds a layer from flag values; null values are left out. */
  public static Layer flags(String description, Map<String, Object> values) {
    Config c = ConfigFactory.empty(description);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (e.getValue() != null) {
        c = c.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue(), description));
      }
    }
    return new Layer(c, description);
  }

  /**
   * The shipped defaults with {@code --set}-style overrides ("train.lr=1e-3"), validated as a
   * command's config is: for code and tests that build a config without a command line.
   */
  public static FinmixConfig defaultsWith(String... sets) {
    return load(null, List.of(sets), flags("defaults", Map.of()));
  }

  /**
   * Loads and validates the configuration.
   *
   * @param confFile the {@code --conf-file} path, or null
   * @param sets the {@code --set key=value} strings
   * @param commandFlags the command's own flags as a layer (may be empty)
   */
  public static FinmixConfig load(String confFile, List<String> sets, Layer commandFlags) {
    ConfFiles.ConfFile base = ConfFiles.shipped("finmix.conf");
    Config reference = base.config();
    List<Layer> layers = new ArrayList<>();
    if (confFile != null) {
      ConfFiles.ConfFile file = ConfFiles.parseFile(new File(confFile));
      layers.add(new Layer(file.config(), file.description()));
    }
    String envWarehouse = System.getenv(WAREHOUSE_ENV);
    if (envWarehouse != null && !envWarehouse.isEmpty()) {
      layers.add(flags("env " + WAREHOUSE_ENV, Map.of("warehouse", envWarehouse)));
    }
    for (String set : sets) {
      layers.add(parseSet(set));
    }
    if (commandFlags != null) {
      layers.add(commandFlags);
    }
    Config merged = reference;
    for (Layer layer : layers) {
      checkKeysDeclared(layer, reference, base.description());
      merged = layer.config().withFallback(merged);
    }
    try {
      merged = merged.resolve();
      merged.checkValid(reference.resolve());
      checkTypes(merged, reference.resolve());
    } catch (ConfigException e) {
      throw new UserError("invalid config: " + e.getMessage(), e);
    }
    FinmixConfig result = new FinmixConfig(merged);
    result.validate();
    return result;
  }

  /** Defaults only: conf/finmix.conf with no overrides. */
  public static FinmixConfig defaults() {
    return load(null, List.of(), null);
  }

  private static Layer parseSet(String set) {
    int eq = set.indexOf('=');
    if (eq <= 0) {
      throw new UserError("--set expects key=value, got '" + set + "'");
    }
    String key = set.substring(0, eq).trim();
    String value = set.substring(eq + 1).trim();
    String description = "--set " + key;
    ConfigOrigin origin = ConfigOriginFactory.newSimple(description);
    try {
      ConfigValue parsed;
      if (value.startsWith("[") || value.startsWith("{") || value.startsWith("\"")) {
        parsed = ConfigFactory.parseString("v = " + value,
            ConfigParseOptions.defaults().setOriginDescription(description)).getValue("v");
      } else {
        // Plain text stays a string ("hdfs://nn/x" must not lose its "//..." to HOCON comments);
        // typed getters still read "10" as a number and "true" as a boolean.
        parsed = ConfigValueFactory.fromAnyRef(value, description);
      }
      Config c = ConfigFactory.empty(description).withValue(key, parsed.withOrigin(origin));
      return new Layer(c, description);
    } catch (ConfigException e) {
      throw new UserError("invalid value in --set " + set + ": " + e.getMessage(), e);
    }
  }

  private static void checkKeysDeclared(Layer layer, Config reference, String referenceName) {
    for (Map.Entry<String, ConfigValue> e : layer.config().entrySet()) {
      String key = e.getKey();
      boolean open = OPEN_MAPS.stream().anyMatch(p -> key.startsWith(p + "."));
      if (!open && !reference.hasPathOrNull(key)) {
        ConfigOrigin origin = e.getValue().origin();
        String where = origin.lineNumber() > 0
            ? layer.description() + ":" + origin.lineNumber()
            : layer.description();
        throw new UserError("unknown config key '" + key + "' in " + where
            + " (not declared in " + referenceName + ")");
      }
    }
  }

  /** Reads every declared key with its declared type, so "lots" for a number fails now. */
  private static void checkTypes(Config merged, Config reference) {
    for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
      String key = e.getKey();
      switch (e.getValue().valueType()) {
        case NUMBER -> merged.getNumber(key);
        case BOOLEAN -> merged.getBoolean(key);
        case LIST -> merged.getList(key);
        case OBJECT -> merged.getObject(key);
        default -> merged.getString(key);
      }
    }
  }

  private void validate() {
    String runId = runId();
    if (!RUN_ID.matcher(runId).matches()) {
      throw new UserError("invalid config key run_id = '" + runId + "' (" + originOf("run_id")
          + "): use letters, digits and _ . : + - (at most 128)");
    }
    if (warehouse().isEmpty()) {
      throw new UserError("invalid config key warehouse (" + originOf("warehouse")
          + "): must not be empty");
    }
    String type = config.getString("catalog.type");
    if (!List.of("hadoop", "hive", "rest").contains(type)) {
      throw new UserError("invalid config key catalog.type = '" + type + "' ("
          + originOf("catalog.type") + "): expected hadoop, hive or rest");
    }
    if (!type.equals("hadoop") && config.getString("catalog.uri").isEmpty()) {
      throw new UserError("config key catalog.uri must be set for catalog.type = " + type
          + " (" + originOf("catalog.uri") + ")");
    }
  }

  /** This config with some keys replaced (a stage run by another, e.g. from `finmix run`). */
  public FinmixConfig with(String description, Map<String, Object> overrides) {
    Layer layer = flags(description, overrides);
    checkKeysDeclared(layer, config, "finmix.conf");
    FinmixConfig result = new FinmixConfig(layer.config().withFallback(config).resolve());
    result.validate();
    return result;
  }

  /** Where a key's value came from, for error messages. */
  public String originOf(String key) {
    ConfigOrigin origin = config.getValue(key).origin();
    return origin.lineNumber() > 0
        ? origin.description().replaceFirst(": \\d+$", "") + ":" + origin.lineNumber()
        : origin.description();
  }

  /** The raw merged config, for the stage sections. */
  public Config config() {
    return config;
  }

  /** The warehouse as an absolute path or URI (a relative path is taken from the working dir). */
  public String warehouse() {
    String w = config.getString("warehouse").trim();
    if (w.isEmpty()) {
      return w;
    }
    return new Path(w).toUri().getScheme() == null
        ? new File(w).getAbsoluteFile().toPath().normalize().toString() : w;
  }

  public String runId() {
    return config.getString("run_id");
  }

  /** This run's directory: reports, generated data, checkpoints. */
  public String runDir() {
    return warehouse() + "/runs/" + runId();
  }
}
