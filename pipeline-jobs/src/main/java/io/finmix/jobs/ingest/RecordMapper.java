package io.finmix.jobs.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.finmix.jobs.core.StableHash;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one native row into unified records (one per exploded element) or quarantine entries,
 * following a source's {@link SourceSpec.Mapping}. Pure Java: no Spark, no I/O.
 */
public final class RecordMapper {

  private static final Pattern NUMBER_NOISE = Pattern.compile("[,$€£\\s]");

  private final SourceSpec spec;
  private final SourceSpec.Mapping m;
  private final int rawChars;
  /** A key without the row's position can repeat (two rows with one id); ingest checks. */
  private final boolean keyMayCollide;

  public RecordMapper(SourceSpec spec, int rawChars) {
    this.spec = spec;
    this.m = spec.mapping();
    this.rawChars = rawChars;
    List<String> key = m.key().stream().map(FieldPath::toString).toList();
    this.keyMayCollide = !(key.contains("$file") && key.contains("$offset")
        && (spec.explode() == null || key.contains("$item")));
  }

  /** Where a row comes from: its file (URI and path under the data root) and per-file rules. */
  public record FileContext(String uri, String relPath, String split,
      Map<String, String> attributes) {}

  /** A unit could not become a record. */
  static final class Reject extends Exception {
    private static final long serialVersionUID = 1L;
    final QuarantineReason reason;

    Reject(QuarantineReason reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
    }
  }

  /** All outcomes of one raw row, in item order. */
  public List<IngestOutcome> map(FileContext file, NativeRow row) {
    List<IngestOutcome> out = new ArrayList<>(1);
    if (row.error != null) {
      out.add(quarantine(true, file, row, 0, row.error, row.detail));
      return out;
    }
    if (spec.explode() == null) {
      out.add(mapUnit(true, file, row, null, 0));
      return out;
    }
    JsonNode items = spec.explode().get(row.node);
    if (items == null || !items.isArray() || items.isEmpty()) {
      String what = items == null ? "is missing" : !items.isArray() ? "is not an array" : "is empty";
      out.add(quarantine(true, file, row, 0,
          items == null || items.isArray() ? QuarantineReason.MISSING_FIELD
              : QuarantineReason.BAD_VALUE,
          "field '" + spec.explode() + "' " + what));
      return out;
    }
    for (int i = 0; i < items.size(); i++) {
      out.add(mapUnit(i == 0, file, row, items.get(i), i));
    }
    return out;
  }

  private IngestOutcome mapUnit(boolean first, FileContext file, NativeRow row, JsonNode item,
      int index) {
    Unit u = new Unit(file, row, item, index);
    try {
      return u.toRecord(first);
    } catch (Reject r) {
      return quarantine(first, file, row, index, r.reason, r.getMessage());
    }
  }

  private IngestOutcome quarantine(boolean first, FileContext file, NativeRow row, int item,
      QuarantineReason reason, String detail) {
    return IngestOutcome.quarantine(first, spec.name(), file.uri(), row.offset, item, reason,
        detail, row.raw(rawChars));
  }

  /** One record-to-be: the row, and the exploded element when there is one. */
  private final class Unit {
    final FileContext file;
    final NativeRow row;
    final JsonNode item;
    final int index;

    Unit(FileContext file, NativeRow row, JsonNode item, int index) {
      this.file = file;
      this.row = row;
      this.item = item;
      this.index = index;
    }

    IngestOutcome toRecord(boolean first) throws Reject {
      for (FieldPath p : m.required()) {
        text(p, true);
      }
      String instruction = null;
      String input = null;
      if (m.prompt() != null) {
        String prompt = text(m.prompt().path(), true);
        Matcher matcher = m.prompt().pattern().matcher(prompt);
        if (!matcher.matches()) {
          throw new Reject(QuarantineReason.BAD_VALUE, "field '" + m.prompt().path()
              + "' does not match the prompt pattern");
        }
        instruction = matcher.group("instruction");
        input = matcher.group("input");
      }
      if (m.instruction() != null) {
        instruction = text(m.instruction(), false);
      }
      if (!m.input().isEmpty()) {
        List<String> parts = new ArrayList<>();
        for (FieldPath p : m.input()) {
          String part = text(p, false);
          if (part == null) {
            throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + p + "' is missing");
          }
          parts.add(part);
        }
        input = String.join(m.inputJoin(), parts);
      }
      if (input == null) {
        input = "";
      }
      if (input.isBlank() && (!m.allowEmptyInput() || instruction == null || instruction.isBlank())) {
        throw new Reject(QuarantineReason.EMPTY_TEXT, "the input text"
            + (m.input().isEmpty() ? "" : " (" + m.input().get(0) + ")") + " is empty");
      }

      List<String> choices = m.choices().isEmpty() ? null : m.choices();
      if (m.choicesPath() != null) {
        choices = stringList(m.choicesPath());
      }
      String label = label(choices);
      String output = m.output() != null ? text(m.output(), false) : label;
      if (output == null) {
        throw new Reject(QuarantineReason.MISSING_FIELD, m.output() != null
            ? "field '" + m.output() + "' is missing" : "no output: neither fields.output nor a label");
      }
      if (output.isBlank()) {
        throw new Reject(QuarantineReason.EMPTY_TEXT, "the output is empty");
      }
      int length = input.length() + output.length() + (instruction == null ? 0 : instruction.length());
      if (length > spec.maxChars()) {
        throw new Reject(QuarantineReason.TOO_LONG, length + " characters, over max_chars "
            + spec.maxChars());
      }

      Map<String, String> attributes = new TreeMap<>(file.attributes());
      for (Map.Entry<String, SourceSpec.AttributeRule> a : m.attributes().entrySet()) {
        String v = text(a.getValue().path(), false);
        if (v != null && a.getValue().pattern() != null) {
          Matcher found = a.getValue().pattern().matcher(v);
          v = found.find() ? found.group(found.groupCount() == 0 ? 0 : 1) : null;
        }
        if (v != null) {
          attributes.put(a.getKey(), v);
        }
      }
      if (rawLabel != null && !rawLabel.equals(label)) {
        attributes.put("raw_label", rawLabel);
      }

      List<String> keyParts = new ArrayList<>();
      for (FieldPath k : m.key()) {
        String v = text(k, false);
        if (v == null) {
          throw new Reject(QuarantineReason.MISSING_FIELD, "key field '" + k + "' is missing");
        }
        keyParts.add(v);
      }
      String recordId = StableHash.hex128(spec.name(), String.join("\u0000", keyParts));
      String text = StableHash.normalize((instruction == null ? "" : instruction) + "\n" + input);
      String textHash = StableHash.hex128(text);
      String split = split(text, input, keyParts);
      return IngestOutcome.record(first, spec, file.uri(), row.offset, index, recordId, split,
          instruction, input, output, choices, label, attributes, textHash, keyMayCollide);
    }

    private String rawLabel;

    /** The canonical label, or null for free-form tasks. */
    private String label(List<String> choices) throws Reject {
      String raw = null;
      if (m.scoreLabel() != null) {
        String score = text(m.scoreLabel().path(), true);
        double v;
        try {
          v = Double.parseDouble(score.trim());
        } catch (NumberFormatException e) {
          throw new Reject(QuarantineReason.BAD_VALUE, "field '" + m.scoreLabel().path()
              + "' is not a number: '" + score + "'");
        }
        if (Double.isNaN(v)) {
          throw new Reject(QuarantineReason.BAD_VALUE, "field '" + m.scoreLabel().path() + "' is NaN");
        }
        List<String> l = m.scoreLabel().labels();
        return v < m.scoreLabel().below() ? l.get(0) : v > m.scoreLabel().above() ? l.get(2) : l.get(1);
      } else if (m.labelIndex() != null) {
        JsonNode idx = value(m.labelIndex());
        if (idx == null) {
          throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + m.labelIndex() + "' is missing");
        }
        int index = index(idx);
        if (choices == null || index < 0 || index >= choices.size()) {
          throw new Reject(QuarantineReason.BAD_VALUE, "field '" + m.labelIndex() + "' = " + idx
              + " is not an index into the choices " + choices);
        }
        raw = choices.get(index);
      } else if (m.label() != null) {
        raw = text(m.label(), false);
        if (raw == null) {
          throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + m.label() + "' is missing");
        }
      } else {
        return null;
      }
      if (m.labelPattern() != null) {
        Matcher matcher = m.labelPattern().matcher(raw);
        if (!matcher.find()) {
          throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + m.label()
              + "' has no label matching " + m.labelPattern().pattern());
        }
        raw = matcher.group(1);
        if (raw == null) {
          throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + m.label()
              + "' matched " + m.labelPattern().pattern() + " without a label in group 1");
        }
      }
      raw = raw.trim();
      rawLabel = raw;
      String label = raw;
      if (m.labelIsNumber()) {
        label = number(raw);
      }
      if (!m.labels().isEmpty()) {
        label = m.labels().get(raw);
        if (label == null) {
          throw new Reject(QuarantineReason.UNKNOWN_LABEL, "label '" + raw + "' is not one of "
              + m.labels().keySet());
        }
      }
      if (choices != null && !choices.contains(label)) {
        throw new Reject(QuarantineReason.UNKNOWN_LABEL, "label '" + label + "' is not one of the "
            + "choices " + choices);
      }
      if (label.isEmpty()) {
        throw new Reject(QuarantineReason.EMPTY_TEXT, "the label is empty");
      }
      return label;
    }

    /** An integer index from a JSON number or a text of digits (CSV); -1 for anything else. */
    private int index(JsonNode idx) {
      if (idx.isIntegralNumber() && idx.canConvertToInt()) {
        return idx.intValue();
      }
      if (idx.isTextual() && idx.textValue().trim().matches("\\d{1,9}")) {
        return Integer.parseInt(idx.textValue().trim());
      }
      return -1;
    }

    private String number(String raw) throws Reject {
      String cleaned = NUMBER_NOISE.matcher(raw).replaceAll("");
      try {
        BigDecimal d = new BigDecimal(cleaned);
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
      } catch (NumberFormatException e) {
        throw new Reject(QuarantineReason.BAD_VALUE, "label '" + raw + "' is not a number");
      }
    }

    /** The record's split; a hash split hashes what its rule says ({@link SplitRule.By}). */
    private String split(String normalizedText, String input, List<String> keyParts)
        throws Reject {
      if (file.split() != null) {
        return file.split();
      }
      SplitRule rule = spec.split();
      if (rule instanceof SplitRule.Fixed f) {
        return f.split();
      }
      if (rule instanceof SplitRule.Field f) {
        String v = text(f.path(), true);
        String split = f.values().getOrDefault(v, v);
        if (!SplitRule.NAMES.contains(split)) {
          throw new Reject(QuarantineReason.BAD_VALUE, "split '" + v + "' in field '" + f.path()
              + "' is not train, valid or test (map it with split.values)");
        }
        return split;
      }
      SplitRule.Hash h = (SplitRule.Hash) rule;
      return h.pick(switch (h.by()) {
        case TEXT -> normalizedText;
        case INPUT -> StableHash.normalize(input);
        case KEY -> String.join("\u0000", keyParts);
      });
    }

    /** The value at a path: $-names, the exploded element, or the row. */
    private JsonNode value(FieldPath p) {
      return spec.explode() != null && item != null && p.startsWith(spec.explode())
          ? p.getFrom(item, spec.explode().length())
          : p.get(row.node);
    }

    /**
     * A path's value as text: scalars as written, arrays joined by newlines (table rows by " | "),
     * objects as JSON. Null when absent; with {@code required}, absent or blank is a Reject.
     */
    private String text(FieldPath p, boolean required) throws Reject {
      String name = p.toString();
      String v;
      switch (name) {
        case "$key" -> v = row.key;
        case "$item" -> v = Integer.toString(index);
        case "$file" -> v = file.relPath();
        case "$offset" -> v = Long.toString(row.offset);
        default -> v = render(value(p));
      }
      if (required && v == null) {
        throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + p + "' is missing");
      }
      if (required && v.isBlank()) {
        throw new Reject(QuarantineReason.EMPTY_TEXT, "field '" + p + "' is empty");
      }
      return v;
    }

    private List<String> stringList(FieldPath p) throws Reject {
      JsonNode n = value(p);
      if (n == null) {
        throw new Reject(QuarantineReason.MISSING_FIELD, "field '" + p + "' is missing");
      }
      if (!n.isArray() || n.isEmpty()) {
        throw new Reject(QuarantineReason.BAD_VALUE, "field '" + p + "' is not a list of labels");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : n) {
        out.add(render(e));
      }
      return out;
    }
  }

  private static String render(JsonNode n) {
    if (n == null) {
      return null;
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isArray()) {
      List<String> parts = new ArrayList<>();
      for (JsonNode e : n) {
        parts.add(e.isArray() ? joinRow(e) : render(e));
      }
      return String.join("\n", parts);
    }
    return n.isValueNode() ? n.asText() : n.toString();
  }

  private static String joinRow(JsonNode row) {
    List<String> cells = new ArrayList<>();
    for (JsonNode c : row) {
      cells.add(render(c));
    }
    return String.join(" | ", cells);
  }
}
