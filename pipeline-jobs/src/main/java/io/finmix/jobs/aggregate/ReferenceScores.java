package io.finmix.jobs.aggregate;

import io.finmix.jobs.core.ConfFiles;
import io.finmix.jobs.core.UserError;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Published baselines from a CSV ({@code model,benchmark,metric,value,citation,note}, a header
 * row, RFC 4180 quoting on one line per row), as eval.reference_scores rows.
 */
final class ReferenceScores {

  static final List<String> HEADER = List.of("model", "benchmark", "metric", "value", "citation",
      "note");

  private ReferenceScores() {}

  /** The rows of the file ({@code aggregate.reference_scores}); empty name: none. */
  static List<Row> load(String nameOrPath) {
    List<Row> out = new ArrayList<>();
    if (nameOrPath.isEmpty()) {
      return out;
    }
    ConfFiles.Text file = ConfFiles.text(nameOrPath);
    String[] lines = file.content().split("\r?\n");
    if (lines.length == 0 || !fields(lines[0]).equals(HEADER)) {
      throw new UserError(file.description() + ": line 1: the header must be " + String.join(",", HEADER));
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      String where = file.description() + ": line " + (i + 1);
      List<String> f = fields(lines[i]);
      if (f.size() != HEADER.size()) {
        throw new UserError(where + ": " + f.size() + " fields, expected " + HEADER.size());
      }
      double value;
      try {
        value = Double.parseDouble(f.get(3));
      } catch (NumberFormatException e) {
        throw new UserError(where + ": value '" + f.get(3) + "' is not a number", e);
      }
      if (!(value >= 0 && value <= 1)) {
        throw new UserError(where + ": value " + value + " is not on the 0-1 scale");
      }
      out.add(RowFactory.create(f.get(0), f.get(1), f.get(2), value, f.get(4),
          f.get(5).isEmpty() ? null : f.get(5)));
    }
    return out;
  }

  /** The fields of one CSV line: commas split, double quotes quote, "" is a quote. */
  static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cur.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
