package io.finmix.jobs.task;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.text.Shingles;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Per-task prompt templates ({@code conf/prompts.conf}): paraphrased instruction variants, a
 * prompt layout and an answer layout, with {@code {field}} placeholders filled from the record.
 * Each row gets one variant, picked by a hash of the recipe seed and its record_id, so the
 * same row reads the same way in every run. A source may have its own template (the file's
 * {@code sources} block), as each dataset has its own instruction in PIXIU's and FinGPT's
 * training data: datasets of one task can label by different conventions (FiQA-SA's
 * thresholded scores leave few texts neutral; FPB and TFNS label most of theirs neutral), and
 * a model can only learn both when its prompt says which dataset a text is from.
 */
public final class PromptTemplates implements Serializable {

  /** The placeholders a template may use. */
  public static final Set<String> FIELDS = Set.of("instruction", "input", "output", "label",
      "choices", "source", "task");
  private static final Set<String> KEYS = Set.of("instructions", "prompt", "answer");

  /** One task's template. */
  public record Template(String task, List<String> instructions, String prompt, String answer)
      implements Serializable {}

  /** A rendered example: its prompt, its answer and the instruction variant used. */
  public record Rendered(String prompt, String answer, int variant) {}

  private final Map<String, Template> byTask;
  private final Map<String, String> bySource;
  private final String description;

  private PromptTemplates(Map<String, Template> byTask, Map<String, String> bySource,
      String description) {
    this.byTask = byTask;
    this.bySource = bySource;
    this.description = description;
  }

  /** Loads a prompts file (a path, or a name under conf/); it must have a {@code default}. */
  public static PromptTemplates load(String nameOrPath) {
    ConfFiles.ConfFile file = ConfFiles.find(nameOrPath);
    try {
      Map<String, Template> out = new TreeMap<>();
      for (ConfFiles.Entry e : file.entries("templates", "template",
          "templates { task { prompt = ..., answer = ... } }")) {
        Config t = e.config();
        String where = e.where();
        String task = e.name();
        ConfFiles.checkKeys(t.root().keySet(), KEYS, where);
        List<String> instructions = t.hasPath("instructions")
            ? t.getStringList("instructions") : List.of("{instruction}");
        if (instructions.isEmpty()) {
          throw new UserError(where + ": instructions: at least one variant is required");
        }
        if (!t.hasPath("prompt") || !t.hasPath("answer")) {
          throw new UserError(where + ": prompt and answer are required");
        }
        Template template = new Template(task, List.copyOf(instructions), t.getString("prompt"),
            t.getString("answer"));
        for (String text : instructions) {
          check(text, where + ": instructions");
        }
        check(template.prompt(), where + ": prompt");
        check(template.answer(), where + ": answer");
        out.put(task, template);
      }
      if (!out.containsKey("default")) {
        throw new UserError(file.description() + ": a `default` template is required (tasks "
            + "without their own template use it)");
      }
      return new PromptTemplates(out, sources(file, out), file.description());
    } catch (ConfigException e) {
      throw new UserError("invalid prompts file " + file.description() + ": " + e.getMessage(),
          e);
    }
  }

  /** The {@code sources { source = template }} block: each name checked against the file's. */
  private static Map<String, String> sources(ConfFiles.ConfFile file,
      Map<String, Template> templates) {
    Config root = file.config().resolve();
    Map<String, String> out = new TreeMap<>();
    if (!root.hasPath("sources")) {
      return out;
    }
    Config sources = root.getConfig("sources");
    for (String source : new TreeSet<>(sources.root().keySet())) {
      String name = sources.getString("\"" + source + "\"");
      if (!templates.containsKey(name)) {
        throw new UserError(file.description() + ": sources." + source + ": template '" + name
            + "' is not declared (templates: " + templates.keySet() + ")");
      }
      out.put(source, name);
    }
    return out;
  }

  /**
   * The template a record is rendered with: {@code name} when it is set (a recipe component's
   * or a benchmark's), else its source's ({@code sources} block), else its task's.
   */
  public Template of(String name, String source, String task) {
    if (name != null && !name.isEmpty()) {
      return of(name);
    }
    String own = bySource.get(source);
    return own != null ? byTask.get(own) : of(task);
  }

  /** The template of a task ({@code default} when it has none). */
  public Template of(String task) {
    return byTask.getOrDefault(task, byTask.get("default"));
  }

  /** Whether the file declares a template of this name. */
  public boolean has(String name) {
    return byTask.containsKey(name);
  }

  public String description() {
    return description;
  }

  /**
   * Renders one record with its source's or task's template. {@code {instruction}} in a
   * variant is the record's own instruction; in the prompt, the chosen variant. Blank lines
   * left by empty fields are folded.
   */
  public Rendered render(String recordId, long seed, Map<String, String> fields) {
    return render(of(null, fields.get("source"), fields.get("task")), recordId, seed, fields);
  }

  /** Renders one record with template {@code t}, the instruction variant by the record. */
  public Rendered render(Template t, String recordId, long seed, Map<String, String> fields) {
    int variant = (int) Math.floorMod(Shingles.mix(seed ^ Shingles.hash64(recordId)),
        (long) t.instructions().size());
    return render(t, variant, fields);
  }

  /**
   * Renders one record with template {@code t} and its instruction variant {@code variant}
   * (the last one when there are fewer): evaluation prompts a benchmark the same way each time.
   */
  public Rendered render(Template t, int variant, Map<String, String> fields) {
    variant = Math.min(variant, t.instructions().size() - 1);
    Map<String, String> values = new TreeMap<>(fields);
    String instruction = fill(t.instructions().get(variant), values).strip();
    values.put("instruction", instruction);
    String prompt = fill(t.prompt(), values).strip().replaceAll("\n{3,}", "\n\n");
    String answer = fill(t.answer(), values);
    if (prompt.isEmpty()) {
      // no prompt: plain text (a base's pretraining corpus), folded as a prompt is
      answer = answer.strip().replaceAll("\n{3,}", "\n\n");
    }
    return new Rendered(prompt, answer, variant);
  }

  /**
   * The placeholders' values for a record's columns, as every stage fills them ({@code choices}
   * comma-separated; null text columns empty).
   */
  public static Map<String, String> fields(String source, String task, String label,
      String instruction, String input, String output, List<String> choices) {
    Map<String, String> fields = new TreeMap<>();
    fields.put("source", source);
    fields.put("task", task);
    fields.put("label", label);
    fields.put("instruction", instruction == null ? "" : instruction);
    fields.put("input", input == null ? "" : input);
    fields.put("output", output == null ? "" : output);
    fields.put("choices", choices == null ? "" : String.join(", ", choices));
    return fields;
  }

  /** {@code text} with each {@code {field}} replaced; {@code {{} and {@code }}} are braces. */
  static String fill(String text, Map<String, String> values) {
    StringBuilder out = new StringBuilder(text.length() + 64);
    for (Piece p : pieces(text)) {
      if (p.field() == null) {
        out.append(p.literal());
      } else {
        String v = values.get(p.field());
        out.append(v == null ? "" : v);
      }
    }
    return out.toString();
  }

  private static void check(String text, String where) {
    for (Piece p : pieces(text)) {
      if (p.field() != null && !FIELDS.contains(p.field())) {
        throw new UserError(where + ": unknown field {" + p.field() + "} in \"" + text
            + "\" (known: " + new TreeSet<>(FIELDS) + ")");
      }
    }
  }

  private record Piece(String literal, String field) {}

  private static List<Piece> pieces(String text) {
    List<Piece> out = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c == '{' || c == '}') && i + 1 < text.length() && text.charAt(i + 1) == c) {
        lit.append(c);
        i++;
      } else if (c == '{') {
        int end = text.indexOf('}', i);
        if (end < 0) {
          throw new UserError("unclosed { in template text \"" + text + "\"");
        }
        out.add(new Piece(lit.toString(), null));
        lit.setLength(0);
        out.add(new Piece(null, text.substring(i + 1, end).strip()));
        i = end;
      } else {
        lit.append(c);
      }
    }
    out.add(new Piece(lit.toString(), null));
    return out;
  }
}
