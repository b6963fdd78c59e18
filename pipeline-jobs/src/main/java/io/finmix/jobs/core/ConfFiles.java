package io.finmix.jobs.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.File;

/**
 * Finds and parses HOCON files: the user's own paths, and the files under {@code conf/}.
 *
 * <p>{@code conf/} is the checkout's folder when {@code FINMIX_CONF_DIR} is set (bin/finmix sets
 * it), and otherwise the copy inside the application jar ({@code finmix-conf/}), so a cluster's
 * {@code spark-submit} needs nothing but the jar.
 */
public final class ConfFiles {

  /** Environment variable naming the conf directory; set by bin/finmix. */
  public static final String CONF_DIR_ENV = "FINMIX_CONF_DIR";
  private static final String JAR_DIR = "finmix-conf/";

  /** A parsed file with where it came from, for error messages. */
  public record ConfFile(Config config, String description) {

    /**
     * The file's {@code defaults} block (empty when it has none), its keys checked against
     * {@code known}: what every entry of the file falls back to.
     */
    public Config defaults(java.util.Set<String> known) {
      Config root = config.resolve();
      Config defaults = root.hasPath("defaults") ? root.getConfig("defaults")
          : ConfigFactory.empty();
      checkKeys(defaults.root().keySet(), known, "defaults (" + description + ")");
      return defaults;
    }

    /**
     * The named entries of the top-level object {@code block} ({@code recipes { a { ... } }}),
     * in name order, each with a "kind 'name' (file:line)" description for messages; a
     * missing block is an error showing {@code expected}. The file is resolved first.
     */
    public java.util.List<Entry> entries(String block, String kind, String expected) {
      Config root = config.resolve();
      if (!root.hasPath(block) || root.getValue(block).valueType()
          != com.typesafe.config.ConfigValueType.OBJECT) {
        throw new UserError(description + ": expected a `" + expected + "` block");
      }
      java.util.List<Entry> out = new java.util.ArrayList<>();
      for (String name : new java.util.TreeSet<>(root.getObject(block).keySet())) {
        Config c = root.getConfig(block).getConfig("\"" + name + "\"");
        out.add(new Entry(name, c, kind + " '" + name + "' (" + description + ":"
            + c.origin().lineNumber() + ")"));
      }
      return out;
    }
  }

  /** Turns one entry of a conf file into a value. */
  @FunctionalInterface
  public interface EntryParser<T> {
    T parse(String name, Config config, String where);
  }

  /**
   * Every entry of {@code block} ({@link ConfFile#entries}), its keys checked against {@code
   * known}, over the file's defaults, parsed; a malformed file is a user error naming it.
   */
  public static <T> java.util.List<T> parseEntries(ConfFile file, String block, String kind,
      String expected, java.util.Set<String> known, EntryParser<T> parser) {
    try {
      Config defaults = file.defaults(known);
      java.util.List<T> out = new java.util.ArrayList<>();
      for (Entry e : file.entries(block, kind, expected)) {
        checkKeys(e.config().root().keySet(), known, e.where());
        out.add(parser.parse(e.name(), e.config().withFallback(defaults), e.where()));
      }
      return out;
    } catch (com.typesafe.config.ConfigException e) {
      throw new UserError("invalid " + block + " file " + file.description() + ": "
          + e.getMessage(), e);
    }
  }

  /** One named entry of a block, with its description for messages. */
  public record Entry(String name, Config config, String where) {}

  /** An unknown key is a mistake: names it, where it is, and the known keys. */
  public static void checkKeys(java.util.Set<String> keys, java.util.Set<String> known,
      String where) {
    for (String key : keys) {
      if (!known.contains(key)) {
        throw new UserError(where + ": unknown key '" + key + "' (known: "
            + new java.util.TreeSet<>(known) + ")");
      }
    }
  }

  private ConfFiles() {}

  /**
   * Parses {@code nameOrPath}: a file path (relative to the working directory), else a name under
   * conf/ ({@code sources/public.conf}).
   */
  public static ConfFile find(String nameOrPath) {
    Located file = locate(nameOrPath, true);
    if (file == null) {
      throw notFound("config file", nameOrPath);
    }
    return parse(file);
  }

  /** A non-HOCON file's text (a CSV), with where it came from, for error messages. */
  public record Text(String content, String description) {}

  /** The text of {@code nameOrPath}: a file path, else a name under conf/, as {@link #find}. */
  public static Text text(String nameOrPath) {
    Located file = locate(nameOrPath, true);
    if (file == null) {
      throw notFound("file", nameOrPath);
    }
    try {
      if (file.file() != null) {
        return new Text(java.nio.file.Files.readString(file.file().toPath()), file.description());
      }
      try (java.io.InputStream in = ConfFiles.class.getClassLoader()
          .getResourceAsStream(file.resource())) {
        return new Text(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
            file.description());
      }
    } catch (java.io.IOException e) {
      throw new UserError("cannot read " + file.description() + ": " + e.getMessage(), e);
    }
  }

  /** Parses a file that ships in conf/, such as {@code finmix.conf}; it must exist. */
  public static ConfFile shipped(String name) {
    Located file = locate(name, false);
    if (file == null) {
      throw new UserError("conf/" + name + " not found under " + confDirDescription());
    }
    return parse(file);
  }

  /** Parses a user-given file path, naming it in every error. */
  public static ConfFile parseFile(File file) {
    if (!file.isFile()) {
      throw new UserError("config file not found: " + file);
    }
    try {
      return new ConfFile(ConfigFactory.parseFile(file, options()), file.getPath());
    } catch (ConfigException e) {
      throw new UserError("invalid config in " + file + ": " + e.getMessage(), e);
    }
  }

  /** A file found by {@link #locate}: a file on disk, or a resource of the jar. */
  private record Located(File file, String resource) {

    String description() {
      return file != null ? file.getPath() : "jar:" + resource;
    }
  }

  /**
   * Where {@code name} is: with {@code paths}, first as a path (relative to the working
   * directory); then, unless it is absolute, under the conf dir ({@code FINMIX_CONF_DIR}), or
   * when that is not set, in the jar's {@code finmix-conf/}. Null when it is nowhere.
   */
  private static Located locate(String name, boolean paths) {
    File file = new File(name);
    if (paths && file.isFile()) {
      return new Located(file, null);
    }
    if (paths && file.isAbsolute()) {
      return null;
    }
    String dir = System.getenv(CONF_DIR_ENV);
    if (dir != null && !dir.isEmpty()) {
      File under = new File(dir, name);
      return under.isFile() ? new Located(under, null) : null;
    }
    String resource = JAR_DIR + name;
    return ConfFiles.class.getClassLoader().getResource(resource) == null ? null
        : new Located(null, resource);
  }

  private static ConfFile parse(Located file) {
    if (file.file() != null) {
      return parseFile(file.file());
    }
    try {
      return new ConfFile(ConfigFactory.parseResources(ConfFiles.class.getClassLoader(),
          file.resource(), options()), file.description());
    } catch (ConfigException e) {
      throw new UserError("invalid config in " + file.description() + ": " + e.getMessage(), e);
    }
  }

  private static UserError notFound(String kind, String nameOrPath) {
    return new UserError(kind + " not found: " + nameOrPath + " (looked at that path"
        + (new File(nameOrPath).isAbsolute() ? "" : ", under " + confDirDescription()) + ")");
  }

  private static String confDirDescription() {
    String dir = System.getenv(CONF_DIR_ENV);
    return dir != null && !dir.isEmpty() ? dir + " (" + CONF_DIR_ENV + ")" : "the jar's " + JAR_DIR;
  }

  private static ConfigParseOptions options() {
    return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
  }
}
