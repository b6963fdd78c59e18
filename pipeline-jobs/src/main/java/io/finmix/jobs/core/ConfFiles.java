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
    File file = new File(nameOrPath);
    if (file.isFile()) {
      return parseFile(file);
    }
    if (!file.isAbsolute()) {
      ConfFile underConf = underConfDir(nameOrPath);
      if (underConf != null) {
        return underConf;
      }
    }
    throw new UserError("config file not found: " + nameOrPath + " (looked at that path"
        + (file.isAbsolute() ? "" : ", under " + confDirDescription()) + ")");
  }

  /**
   * The text of a non-HOCON file (a CSV): {@code nameOrPath} as a path, else under conf/; with
   * where it came from, for error messages.
   */
  public static String[] text(String nameOrPath) {
    try {
      File file = new File(nameOrPath);
      if (file.isFile()) {
        return new String[] {java.nio.file.Files.readString(file.toPath()), file.getPath()};
      }
      String dir = System.getenv(CONF_DIR_ENV);
      if (!file.isAbsolute() && dir != null && !dir.isEmpty()) {
        File under = new File(dir, nameOrPath);
        if (under.isFile()) {
          return new String[] {java.nio.file.Files.readString(under.toPath()), under.getPath()};
        }
      } else if (!file.isAbsolute()) {
        try (java.io.InputStream in = ConfFiles.class.getClassLoader()
            .getResourceAsStream(JAR_DIR + nameOrPath)) {
          if (in != null) {
            return new String[] {new String(in.readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8), "jar:" + JAR_DIR + nameOrPath};
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new UserError("cannot read " + nameOrPath + ": " + e.getMessage(), e);
    }
    throw new UserError("file not found: " + nameOrPath + " (looked at that path"
        + (new File(nameOrPath).isAbsolute() ? "" : ", under " + confDirDescription()) + ")");
  }

  /** Parses a file that ships in conf/, such as {@code finmix.conf}; it must exist. */
  public static ConfFile shipped(String name) {
    ConfFile file = underConfDir(name);
    if (file == null) {
      throw new UserError("conf/" + name + " not found under " + confDirDescription());
    }
    return file;
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

  private static ConfFile underConfDir(String name) {
    String dir = System.getenv(CONF_DIR_ENV);
    if (dir != null && !dir.isEmpty()) {
      File file = new File(dir, name);
      return file.isFile() ? parseFile(file) : null;
    }
    String resource = JAR_DIR + name;
    if (ConfFiles.class.getClassLoader().getResource(resource) == null) {
      return null;
    }
    try {
      return new ConfFile(
          ConfigFactory.parseResources(ConfFiles.class.getClassLoader(), resource, options()),
          "jar:" + resource);
    } catch (ConfigException e) {
      throw new UserError("invalid config in jar:" + resource + ": " + e.getMessage(), e);
    }
  }

  private static String confDirDescription() {
    String dir = System.getenv(CONF_DIR_ENV);
    return dir != null && !dir.isEmpty() ? dir + " (" + CONF_DIR_ENV + ")" : "the jar's " + JAR_DIR;
  }

  private static ConfigParseOptions options() {
    return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
  }
}
