package io.finmix.jobs.ingest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.io.File;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.hadoop.fs.Path;

/**
 * Reads a sources file ({@code conf/sources/public.conf}) and the adapter presets ({@code
 * conf/adapters.conf}) into {@link SourceSpec}s. Every mistake is a {@link UserError} that names
 * the source, the key and the file.
 */
public final class SourcesFile {

  private static final Set<String> KEYS = Set.of("adapter", "format", "encoding", "files", "csv",
      "lines", "json", "explode", "fields", "input_join", "prompt", "choices", "labels",
      "label_index", "label_pattern", "label_format", "score_label", "attributes",
      "file_attributes", "key", "required", "allow_empty_input", "task", "domain", "split",
      "license", "priority", "max_chars");
  private static final Set<String> FIELD_KEYS =
      Set.of("instruction", "input", "output", "label", "choices");
  private static final List<String> DEFAULT_KEY = List.of("$file", "$offset", "$item");

  private SourcesFile() {}

  /**
   * Loads the sources of a file.
   *
   * @param nameOrPath a path, or a name under conf/ such as {@code sources/public.conf}
   * @param dataRootOverride replaces the file's data_root when not empty
   * @param only keep just these sources (empty: all)
   * @param defaultMaxChars the max_chars of sources that do not set one
   */
  public static List<SourceSpec> load(String nameOrPath, String dataRootOverride,
      List<String> only, int defaultMaxChars) {
    ConfFiles.ConfFile file = ConfFiles.find(nameOrPath);
    Config root;
    try {
      root = file.config().resolve();
    } catch (ConfigException e) {
      throw new UserError("invalid sources file " + file.description() + ": " + e.getMessage(), e);
    }
    String where = file.description();
    if (!root.hasPath("sources") || root.getValue("sources").valueType() != ConfigValueType.OBJECT) {
      throw new UserError(where + ": expected a `sources { name { adapter = ... } }` block");
    }
    String dataRoot = !dataRootOverride.isEmpty() ? dataRootOverride
        : root.hasPath("data_root") ? root.getString("data_root") : "";
    if (dataRoot.isEmpty()) {
      throw new UserError(where + ": data_root is not set (set it in the file, or ingest.data_root)");
    }
    dataRoot = absolute(dataRoot);
    Config adapters = ConfFiles.shipped("adapters.conf").config().resolve().getConfig("adapters");

    ConfigObject sources = root.getObject("sources");
    Set<String> names = new TreeSet<>(sources.keySet());
    for (String o : only) {
      if (!names.contains(o)) {
        throw new UserError("unknown source '" + o + "' in ingest.only; " + where + " declares "
            + names);
      }
    }
    List<SourceSpec> specs = new ArrayList<>();
    for (String name : names) {
      if (only.isEmpty() || only.contains(name)) {
        specs.add(parse(name, root.getConfig("sources").getConfig(quote(name)), adapters,
            where, dataRoot, defaultMaxChars));
      }
    }
    if (specs.isEmpty()) {
      throw new UserError(where + ": no sources declared");
    }
    return specs;
  }

  private static SourceSpec parse(String name, Config src, Config adapters, String file,
      String dataRoot, int defaultMaxChars) {
    String origin = file + (src.origin().lineNumber() > 0 ? ":" + src.origin().lineNumber() : "");
    Ctx ctx = new Ctx(name, origin);
    if (!src.hasPath("adapter")) {
      throw ctx.error("adapter", "is required (one of " + new TreeSet<>(adapters.root().keySet())
          + ")");
    }
    String adapter = src.getString("adapter");
    if (!adapters.hasPath(quote(adapter))) {
      throw ctx.error("adapter", "unknown adapter '" + adapter + "' (known: "
          + new TreeSet<>(adapters.root().keySet()) + ")");
    }
    for (String key : src.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw ctx.error(key, "unknown key (known: " + new TreeSet<>(KEYS) + ")");
      }
    }
    // A key the source sets replaces the preset's key whole (its own labels, not a merge).
    Config preset = adapters.getConfig(quote(adapter));
    for (String key : src.root().keySet()) {
      preset = preset.withoutPath(quote(key));
    }
    Config c = src.withFallback(preset);
    try {
      return build(name, adapter, origin, c, ctx, dataRoot, defaultMaxChars);
    } catch (ConfigException e) {
      throw new UserError("source '" + name + "' (" + origin + "): " + e.getMessage(), e);
    }
  }

  private static SourceSpec build(String name, String adapter, String origin, Config c, Ctx ctx,
      String dataRoot, int defaultMaxChars) {
    Format format = Format.parse(ctx.require(c, "format"));
    if (format == null) {
      throw ctx.error("format", "unknown format '" + c.getString("format") + "' (known: "
          + Format.names() + ")");
    }
    String encoding = c.hasPath("encoding") ? c.getString("encoding") : "UTF-8";
    if (!Charset.isSupported(encoding)) {
      throw ctx.error("encoding", "unknown charset '" + encoding + "'");
    }
    if ((format == Format.JSON || format == Format.PARQUET)
        && !Charset.forName(encoding).name().equals("UTF-8")) {
      throw ctx.error("encoding", format.name().toLowerCase() + " files must be UTF-8");
    }
    if (!asciiCompatible(Charset.forName(encoding))) {
      throw ctx.error("encoding", encoding + " is not ASCII-compatible (line breaks, commas and "
          + "quotes must be single ASCII bytes); convert the files to UTF-8");
    }
    ctx.checkKeys(c, "csv", Set.of("header", "columns", "delimiter", "quote"));
    ctx.checkKeys(c, "lines", Set.of("separator", "columns"));
    ctx.checkKeys(c, "json", Set.of("records", "path"));
    ctx.checkKeys(c, "prompt", Set.of("path", "pattern"));
    ctx.checkKeys(c, "score_label", Set.of("path", "below", "above", "labels"));

    SourceSpec.CsvOptions csv = null;
    if (format == Format.CSV) {
      boolean header = !c.hasPath("csv.header") || c.getBoolean("csv.header");
      List<String> columns = c.hasPath("csv.columns") ? c.getStringList("csv.columns") : List.of();
      if (!header && columns.isEmpty()) {
        throw ctx.error("csv.columns", "is required when csv.header = false");
      }
      csv = new SourceSpec.CsvOptions(header, columns, singleByte(c, "csv.delimiter", ",", ctx),
          singleByte(c, "csv.quote", "\"", ctx));
    }
    SourceSpec.LinesOptions lines = null;
    if (format == Format.LINES) {
      String separator = c.hasPath("lines.separator") ? c.getString("lines.separator") : "";
      List<String> columns = c.hasPath("lines.columns") ? c.getStringList("lines.columns")
          : List.of("text");
      if (columns.size() != (separator.isEmpty() ? 1 : 2)) {
        throw ctx.error("lines.columns", "needs 2 names with a separator, 1 without");
      }
      lines = new SourceSpec.LinesOptions(separator, columns);
    }
    SourceSpec.JsonOptions json = null;
    if (format == Format.JSON) {
      String records = c.hasPath("json.records") ? c.getString("json.records") : "array";
      if (!records.equals("array") && !records.equals("values")) {
        throw ctx.error("json.records", "expected array or values, got '" + records + "'");
      }
      String path = c.hasPath("json.path") ? c.getString("json.path") : "";
      json = new SourceSpec.JsonOptions(records.equals("values"),
          path.isEmpty() ? List.of() : List.of(path.split("\\.")));
    }

    List<SourceSpec.FileEntry> files = files(c, ctx);
    SourceSpec.Mapping mapping = mapping(c, ctx);
    SplitRule split = split(c, ctx, files);
    String task = ctx.require(c, "task");
    String domain = ctx.require(c, "domain");
    if (!Set.of("finance", "general", "math").contains(domain)) {
      throw ctx.error("domain", "expected finance, general or math, got '" + domain + "'");
    }
    String license = c.hasPath("license") ? c.getString("license") : "unknown";
    int priority = c.hasPath("priority") ? c.getInt("priority") : 0;
    int maxChars = c.hasPath("max_chars") ? c.getInt("max_chars") : defaultMaxChars;
    if (maxChars <= 0) {
      throw ctx.error("max_chars", "must be positive");
    }
    return new SourceSpec(name, adapter, origin, format, Charset.forName(encoding).name(),
        dataRoot, files, csv, lines, json, ctx.path(c, "explode"), mapping, task, domain, split,
        license, priority, maxChars);
  }

  private static List<SourceSpec.FileEntry> files(Config c, Ctx ctx) {
    if (!c.hasPath("files")) {
      throw ctx.error("files", "is required: a list of paths or globs under data_root");
    }
    List<SourceSpec.FileEntry> files = new ArrayList<>();
    for (ConfigValue v : c.getList("files")) {
      if (v.valueType() == ConfigValueType.STRING) {
        files.add(new SourceSpec.FileEntry((String) v.unwrapped(), null, Map.of()));
      } else if (v.valueType() == ConfigValueType.OBJECT) {
        Config f = ((ConfigObject) v).toConfig();
        ctx.checkKeys(f, "", Set.of("path", "split", "attributes"), "files entry");
        if (!f.hasPath("path")) {
          throw ctx.error("files", "an entry without `path`");
        }
        String split = f.hasPath("split") ? f.getString("split") : null;
        if (split != null && !SplitRule.NAMES.contains(split)) {
          throw ctx.error("files", "split '" + split + "' of " + f.getString("path")
              + " is not one of " + new TreeSet<>(SplitRule.NAMES));
        }
        files.add(new SourceSpec.FileEntry(f.getString("path"), split,
            f.hasPath("attributes") ? strings(f.getConfig("attributes")) : Map.of()));
      } else {
        throw ctx.error("files", "entries are paths or {path, split, attributes} objects");
      }
    }
    if (files.isEmpty()) {
      throw ctx.error("files", "is empty");
    }
    return files;
  }

  private static SourceSpec.Mapping mapping(Config c, Ctx ctx) {
    Config fields = c.hasPath("fields") ? c.getConfig("fields") : ConfigFactory.empty();
    for (String k : fields.root().keySet()) {
      if (!FIELD_KEYS.contains(k)) {
        throw ctx.error("fields." + k, "unknown field (known: " + new TreeSet<>(FIELD_KEYS) + ")");
      }
    }
    List<FieldPath> input = new ArrayList<>();
    if (fields.hasPath("input")) {
      if (fields.getValue("input").valueType() == ConfigValueType.LIST) {
        for (String p : fields.getStringList("input")) {
          input.add(ctx.parsePath("fields.input", p));
        }
      } else {
        input.add(ctx.parsePath("fields.input", fields.getString("input")));
      }
    }
    SourceSpec.PromptRule prompt = null;
    if (c.hasPath("prompt")) {
      Pattern pattern = ctx.regex("prompt.pattern", ctx.require(c, "prompt.pattern"));
      if (!pattern.pattern().contains("(?<instruction>") || !pattern.pattern().contains("(?<input>")) {
        throw ctx.error("prompt.pattern", "needs named groups (?<instruction>...) and (?<input>...)");
      }
      prompt = new SourceSpec.PromptRule(ctx.path(c, "prompt.path"), pattern);
    }
    if (input.isEmpty() && prompt == null && !bool(c, "allow_empty_input")) {
      throw ctx.error("fields.input", "is required (or a prompt rule, or allow_empty_input)");
    }
    SourceSpec.ScoreRule score = null;
    if (c.hasPath("score_label")) {
      List<String> labels = c.getStringList("score_label.labels");
      if (labels.size() != 3) {
        throw ctx.error("score_label.labels", "needs 3 labels: low, middle, high");
      }
      double below = c.getDouble("score_label.below");
      double above = c.getDouble("score_label.above");
      if (below > above) {
        throw ctx.error("score_label", "below must not exceed above");
      }
      score = new SourceSpec.ScoreRule(ctx.path(c, "score_label.path"), below, above, labels);
    }
    String labelFormat = c.hasPath("label_format") ? c.getString("label_format") : "text";
    if (!labelFormat.equals("text") && !labelFormat.equals("number")) {
      throw ctx.error("label_format", "expected text or number, got '" + labelFormat + "'");
    }
    Map<String, SourceSpec.AttributeRule> attributes = new TreeMap<>();
    if (c.hasPath("attributes")) {
      Config ac = c.getConfig("attributes");
      for (Map.Entry<String, ConfigValue> e : new TreeMap<>(ac.root()).entrySet()) {
        String key = "attributes." + e.getKey();
        if (e.getValue() instanceof com.typesafe.config.ConfigObject o) {
          Config one = o.toConfig();
          ctx.checkKeys(one, "", Set.of("path", "pattern"), key);
          attributes.put(e.getKey(), new SourceSpec.AttributeRule(
              ctx.parsePath(key + ".path", ctx.require(one, "path")),
              one.hasPath("pattern") ? ctx.regex(key + ".pattern", one.getString("pattern"))
                  : null));
        } else {
          attributes.put(e.getKey(), new SourceSpec.AttributeRule(
              ctx.parsePath(key, String.valueOf(e.getValue().unwrapped())), null));
        }
      }
    }
    Map<String, SourceSpec.FileAttribute> fileAttributes = new TreeMap<>();
    if (c.hasPath("file_attributes")) {
      Config fa = c.getConfig("file_attributes");
      for (String attr : fa.root().keySet()) {
        Config one = fa.getConfig(quote(attr));
        String key = "file_attributes." + attr;
        ctx.checkKeys(one, "", Set.of("pattern", "values"), key);
        fileAttributes.put(attr, new SourceSpec.FileAttribute(
            ctx.regex(key + ".pattern", ctx.require(one, "pattern")),
            one.hasPath("values") ? strings(one.getConfig("values")) : Map.of()));
      }
    }
    List<String> keyPaths = c.hasPath("key") ? c.getStringList("key") : DEFAULT_KEY;
    List<FieldPath> key = new ArrayList<>();
    for (String k : keyPaths) {
      key.add(ctx.parsePath("key", k));
    }
    List<FieldPath> required = new ArrayList<>();
    if (c.hasPath("required")) {
      for (String r : c.getStringList("required")) {
        required.add(ctx.parsePath("required", r));
      }
    }
    Map<String, String> labels = c.hasPath("labels") ? strings(c.getConfig("labels")) : Map.of();
    List<String> choices = c.hasPath("choices") ? c.getStringList("choices") : List.of();
    for (String canonical : labels.values()) {
      if (!choices.isEmpty() && !choices.contains(canonical)) {
        throw ctx.error("labels", "maps to '" + canonical + "', which is not in choices " + choices);
      }
    }
    return new SourceSpec.Mapping(
        ctx.path(fields, "instruction"),
        input,
        c.hasPath("input_join") ? c.getString("input_join") : " ",
        ctx.path(fields, "output"),
        ctx.path(fields, "label"),
        ctx.path(fields, "choices"),
        prompt,
        choices,
        labels,
        ctx.path(c, "label_index"),
        labelPattern(c, ctx),
        labelFormat.equals("number"),
        score,
        attributes,
        fileAttributes,
        key,
        required,
        bool(c, "allow_empty_input"));
  }

  private static Pattern labelPattern(Config c, Ctx ctx) {
    if (!c.hasPath("label_pattern")) {
      return null;
    }
    Pattern p = ctx.regex("label_pattern", c.getString("label_pattern"));
    if (p.matcher("").groupCount() < 1) {
      throw ctx.error("label_pattern", "needs a group: group 1 is the label");
    }
    return p;
  }

  /** Whether line breaks, commas, quotes and '@' are the single ASCII bytes the readers split on. */
  private static boolean asciiCompatible(Charset charset) {
    String probe = "\n\r,\"@{}[]:";
    return charset.canEncode()
        && java.util.Arrays.equals(probe.getBytes(charset),
            probe.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  private static SplitRule split(Config c, Ctx ctx, List<SourceSpec.FileEntry> files) {
    if (!c.hasPath("split")) {
      if (files.stream().allMatch(f -> f.split() != null)) {
        return null; // every file names its split
      }
      throw ctx.error("split", "is required (train/valid/test, {field = ...} or {hash {...}}) "
          + "unless every file entry names its split");
    }
    ConfigValue v = c.getValue("split");
    if (v.valueType() == ConfigValueType.STRING) {
      String s = c.getString("split");
      if (!SplitRule.NAMES.contains(s)) {
        throw ctx.error("split", "'" + s + "' is not one of " + new TreeSet<>(SplitRule.NAMES));
      }
      return new SplitRule.Fixed(s);
    }
    Config s = c.getConfig("split");
    ctx.checkKeys(c, "split", Set.of("field", "values", "hash", "seed", "by"));
    if (s.hasPath("field")) {
      Map<String, String> values = s.hasPath("values") ? strings(s.getConfig("values")) : Map.of();
      return new SplitRule.Field(ctx.path(s, "field"), values);
    }
    if (s.hasPath("hash")) {
      TreeMap<String, Double> fractions = new TreeMap<>();
      double sum = 0;
      for (String split : s.getConfig("hash").root().keySet()) {
        if (!SplitRule.NAMES.contains(split)) {
          throw ctx.error("split.hash", "'" + split + "' is not one of "
              + new TreeSet<>(SplitRule.NAMES));
        }
        double f = s.getDouble("hash." + split);
        if (f < 0) {
          throw ctx.error("split.hash." + split, "must not be negative");
        }
        fractions.put(split, f);
        sum += f;
      }
      if (Math.abs(sum - 1.0) > 1e-9) {
        throw ctx.error("split.hash", "fractions sum to " + sum + ", not 1");
      }
      String by = s.hasPath("by") ? s.getString("by") : "text";
      SplitRule.By hashed;
      try {
        hashed = SplitRule.By.valueOf(by.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw ctx.error("split.by", "expected text, input or key, got '" + by + "'");
      }
      return new SplitRule.Hash(fractions, s.hasPath("seed") ? s.getLong("seed") : 0L, hashed);
    }
    throw ctx.error("split", "expected a split name, {field = path} or {hash {train = 0.8, ...}}");
  }

  private static byte singleByte(Config c, String key, String dflt, Ctx ctx) {
    String s = c.hasPath(key) ? c.getString(key) : dflt;
    if (s.length() != 1 || s.charAt(0) > 127) {
      throw ctx.error(key, "must be one ASCII character");
    }
    return (byte) s.charAt(0);
  }

  /** A flat object of scalars, keys as written (a quoted "a.b" stays one key). */
  private static Map<String, String> strings(Config c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : new TreeMap<>(c.root()).entrySet()) {
      out.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  private static boolean bool(Config c, String key) {
    return c.hasPath(key) && c.getBoolean(key);
  }

  private static String quote(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }

  private static String absolute(String dir) {
    return new Path(dir).toUri().getScheme() == null
        ? new File(dir).getAbsoluteFile().toPath().normalize().toString() : dir;
  }

  /** Error helpers that name the source and where it is declared. */
  private record Ctx(String source, String origin) {

    UserError error(String key, String problem) {
      return new UserError("source '" + source + "' (" + origin + "): " + key + ": " + problem);
    }

    String require(Config c, String key) {
      if (!c.hasPath(key) || c.getString(key).isEmpty()) {
        throw error(key, "is required");
      }
      return c.getString(key);
    }

    FieldPath path(Config c, String key) {
      return c.hasPath(key) ? parsePath(key, c.getString(key)) : null;
    }

    FieldPath parsePath(String key, String text) {
      try {
        return FieldPath.parse(text);
      } catch (IllegalArgumentException e) {
        throw error(key, e.getMessage());
      }
    }

    /** Unknown keys inside an object-valued key are mistakes too (csv { delimeter }). */
    void checkKeys(Config c, String key, Set<String> known) {
      checkKeys(c, key, known, key);
    }

    void checkKeys(Config c, String key, Set<String> known, String name) {
      if (!key.isEmpty() && (!c.hasPath(key) || c.getValue(key).valueType() != ConfigValueType.OBJECT)) {
        return;
      }
      Config inner = key.isEmpty() ? c : c.getConfig(key);
      for (String k : inner.root().keySet()) {
        if (!known.contains(k)) {
          throw error(name + "." + k, "unknown key (known: " + new TreeSet<>(known) + ")");
        }
      }
    }

    Pattern regex(String key, String regex) {
      try {
        return Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw error(key, "invalid regex: " + e.getDescription());
      }
    }
  }
}
