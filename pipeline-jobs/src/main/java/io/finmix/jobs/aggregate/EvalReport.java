package io.finmix.jobs.aggregate;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * The evaluation report: {@code report.html} with PNG charts beside it (test-row scores with
 * their intervals per benchmark and recipe, the heatmap of cocktail-minus-target deltas, the
 * training loss curves) and the tables behind them, each number labelled with its split.
 */
final class EvalReport {

  private EvalReport() {}

  /** Writes the report under {@code dir} (a local path) and returns the HTML file's path. */
  static String write(FinmixConfig config, String dir, Tables tables, List<Row> scores,
      List<Row> references, List<Row> losses) {
    Path out = Path.of(dir.startsWith("file:") ? java.net.URI.create(dir).getPath() : dir);
    try {
      Files.createDirectories(out);
      StringBuilder html = new StringBuilder();
      html.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>finmix evaluation")
          .append(" — run ").append(esc(config.runId())).append("</title>\n<style>")
          .append("body{font-family:sans-serif;margin:2em;max-width:1200px}")
          .append("table{border-collapse:collapse;margin:1em 0}")
          .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
          .append("td.l,th.l{text-align:left}img{max-width:100%;border:1px solid #eee}")
          .append("</style></head><body>\n<h1>finmix evaluation — run ")
          .append(esc(config.runId())).append("</h1>\n<p>Checkpoints and recipe ranks are chosen ")
          .append("on <b>valid</b> rows; the numbers reported are on <b>test</b> rows. Intervals")
          .append(" are seeded bootstrap percentile intervals over the eval rows; a recipe's ")
          .append("value is the mean over its seeds. The cocktail effect also shows an interval ")
          .append("that resamples seeds, then rows (seed-to-seed variance included); its ")
          .append("<i>significant</i> is the Holm-adjusted p-value, over all of the run's ")
          .append("cocktail-effect rows, at most 1 - confidence.</p>\n");
      leaderboardSection(out, tables.leaderboard(), html);
      effectSection(out, tables.cocktailEffect(), html);
      lossSection(out, losses, html);
      referenceSection(references, html);
      selectedScores(scores, html);
      html.append("</body></html>\n");
      Path file = out.resolve("report.html");
      Files.writeString(file, html.toString(), StandardCharsets.UTF_8);
      return file.toString();
    } catch (IOException e) {
      throw new UserError("cannot write the report under " + out + ": " + e.getMessage(), e);
    }
  }

  private static void leaderboardSection(Path out, List<Row> board, StringBuilder html)
      throws IOException {
    html.append("<h2>Leaderboard (test rows)</h2>\n");
    Map<String, List<ReportCharts.Bar>> charts = new LinkedHashMap<>();
    for (Row r : board) {
      if (!r.isNullAt(10)) {
        charts.computeIfAbsent(r.getString(1) + " · " + r.getString(3), k -> new ArrayList<>())
            .add(new ReportCharts.Bar(r.getString(2), r.getString(5), r.getDouble(10),
                nan(r, 11), nan(r, 12)));
      }
    }
    int i = 0;
    for (Map.Entry<String, List<ReportCharts.Bar>> e : charts.entrySet()) {
      String png = "scores-" + (++i) + ".png";
      ReportCharts.bars(out.resolve(png), "Test score by benchmark and recipe — " + e.getKey(),
          "primary metric (test rows)", e.getValue());
      image(html, png, "test scores, " + e.getKey());
    }
    table(html, List.of("model", "benchmark", "mode", "metric", "recipe", "seeds",
        "rank on valid", "valid", "test", "test CI low", "test CI high", "sd over seeds",
        "test rows"), board, new int[] {1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14});
  }

  private static void effectSection(Path out, List<Row> effects, StringBuilder html)
      throws IOException {
    html.append("<h2>Cocktail effect (test rows): recipe minus target-only</h2>\n");
    if (effects.isEmpty()) {
      html.append("<p>No comparisons: no benchmark has its target-only recipe "
          + "(benchmarks.conf target_recipe) trained with a seed another recipe shares.</p>\n");
      return;
    }
    Map<String, List<ReportCharts.Cell>> maps = new LinkedHashMap<>();
    for (Row r : effects) {
      maps.computeIfAbsent(r.getString(1) + " · " + r.getString(3), k -> new ArrayList<>())
          .add(new ReportCharts.Cell(r.getString(5), r.getString(2), nan(r, 11),
              !r.isNullAt(15) && r.getBoolean(15)));
    }
    int i = 0;
    for (Map.Entry<String, List<ReportCharts.Cell>> e : maps.entrySet()) {
      String png = "cocktail-effect-" + (++i) + ".png";
      ReportCharts.heatmap(out.resolve(png), "Delta vs target-only (test rows) — " + e.getKey(),
          e.getValue());
      image(html, png, "cocktail effect, " + e.getKey());
    }
    table(html, List.of("model", "benchmark", "mode", "metric", "recipe", "baseline", "seeds",
        "test rows", "value", "baseline", "delta", "CI low", "CI high", "CI low (seeds)",
        "CI high (seeds)", "p", "p (Holm)", "significant", "McNemar p", "delta on valid"),
        effects, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 18, 19, 14, 20, 15, 23,
        16});
  }

  private static void lossSection(Path out, List<Row> losses, StringBuilder html)
      throws IOException {
    html.append("<h2>Training loss</h2>\n");
    Map<String, List<double[]>> byRun = new TreeMap<>();
    for (Row r : losses) {
      byRun.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
          .add(new double[] {r.getLong(1), r.getDouble(2), r.isNullAt(3) ? Double.NaN
              : r.getDouble(3)});
    }
    List<ReportCharts.Curve> curves = new ArrayList<>();
    byRun.forEach((run, points) -> {
      double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
      curves.add(new ReportCharts.Curve(run, x, points.stream().mapToDouble(p -> p[1])
          .toArray()));
      double[] v = points.stream().mapToDouble(p -> p[2]).toArray();
      if (java.util.Arrays.stream(v).anyMatch(d -> !Double.isNaN(d))) {
        curves.add(new ReportCharts.Curve(run + " val", x, v));
      }
    });
    ReportCharts.lines(out.resolve("loss.png"), "Training loss by step", "step", "loss",
        curves);
    image(html, "loss.png", "training loss curves");
  }

  private static void referenceSection(List<Row> references, StringBuilder html) {
    html.append("<h2>Published reference scores</h2>\n<p>Other models in other settings "
        + "(shots, prompts, splits): context, not a like-for-like comparison.</p>\n");
    table(html, List.of("model", "benchmark", "metric", "value", "citation", "note"), references,
        new int[] {0, 1, 2, 3, 4, 5});
  }

  private static void selectedScores(List<Row> scores, StringBuilder html) {
    html.append("<h2>Scores of the selected checkpoints (every metric, both splits)</h2>\n");
    List<Row> selected = scores.stream().filter(r -> r.getBoolean(15)).toList();
    table(html, List.of("training run", "recipe", "model", "seed", "step", "benchmark", "split",
        "mode", "metric", "value", "CI low", "CI high", "rows", "chosen by"), selected,
        new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 16});
  }

  private static void image(StringBuilder html, String png, String alt) {
    html.append("<p><img src=\"").append(png).append("\" alt=\"").append(esc(alt))
        .append("\"></p>\n");
  }

  private static void table(StringBuilder html, List<String> header, List<Row> rows,
      int[] columns) {
    html.append("<table><tr>");
    header.forEach(h -> html.append("<th class=\"l\">").append(esc(h)).append("</th>"));
    html.append("</tr>\n");
    for (Row r : rows) {
      html.append("<tr>");
      for (int c : columns) {
        Object v = r.get(c);
        boolean text = v instanceof String;
        html.append(text ? "<td class=\"l\">" : "<td>").append(esc(cell(v))).append("</td>");
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  private static String cell(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.4f", d);
    }
    if (v instanceof scala.collection.Seq<?> s) {
      return s.mkString(", ");
    }
    return v.toString();
  }

  private static double nan(Row r, int i) {
    return r.isNullAt(i) ? Double.NaN : r.getDouble(i);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
