package io.finmix.jobs.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a Spark training run's time went, round by round (the counterpart of DL4J's Spark
 * training stats): broadcast of the state, executor setup (deserialising it into the model),
 * the local steps, fetching and averaging the workers' states on the driver, and what is left
 * (scheduling, task serialisation). Written as a self-contained HTML page with a loss chart.
 */
final class TrainingStats {

  static final String FILE = "training-stats.html";

  private record RoundStats(long firstStep, long lastStep, double broadcast, double setup,
      double compute, double average, double wall, long tokens) {}

  private final String trainRun;
  private final TrainSettings settings;
  private final int workers;
  private final long trainable;
  private final List<RoundStats> rounds = new ArrayList<>();

  TrainingStats(String trainRun, TrainSettings settings, int workers, long trainable) {
    this.trainRun = trainRun;
    this.settings = settings;
    this.workers = workers;
    this.trainable = trainable;
  }

  void add(long firstStep, long lastStep, ParameterAveraging.Round r, long tokens) {
    rounds.add(new RoundStats(firstStep, lastStep, r.broadcastSeconds(), r.setupSeconds(),
        r.computeSeconds(), r.averageSeconds(), r.wallSeconds(), tokens));
  }

  /** This session's rounds summed: wall time, its parts (seconds) and tokens. */
  record Totals(double wall, double compute, double broadcast, double setup, double average,
      long tokens) {

    /** What the named parts leave: scheduling, task serialisation, waiting. */
    double other() {
      return wall - compute - broadcast - setup - average;
    }

    double tokensPerSecond() {
      return wall == 0 ? 0 : tokens / wall;
    }

    /** A part's share of the wall time, in percent. */
    double percent(double part) {
      return wall == 0 ? 0 : 100 * part / wall;
    }
  }

  Totals totals() {
    double wall = 0;
    double compute = 0;
    double broadcast = 0;
    double setup = 0;
    double average = 0;
    long tokens = 0;
    for (RoundStats r : rounds) {
      wall += r.wall();
      compute += r.compute();
      broadcast += r.broadcast();
      setup += r.setup();
      average += r.average();
      tokens += r.tokens();
    }
    return new Totals(wall, compute, broadcast, setup, average, tokens);
  }

  /** Writes {@code dir/training-stats.html}: settings, time split, loss curve, rounds. */
  void write(Path dir, List<StepMetric> metrics) {
    Totals t = totals();
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>finmix training stats: ")
        .append(esc(trainRun)).append("</title>\n<style>body{font-family:sans-serif;margin:2em}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
            + "text-align:right}th{background:#eee}</style></head><body>\n");
    h.append("<h1>Training run ").append(esc(trainRun)).append("</h1>\n<p>")
        .append(workers).append(" workers &times; ").append(settings.batchPerWorker())
        .append(" sequences per local step, averaging every ")
        .append(settings.averagingFrequency()).append(" steps; ").append(trainable)
        .append(" trainable parameters (").append(String.format(Locale.ROOT, "%.1f",
            trainable * 3 * 4 / 1e6))
        .append(" MB of parameters and moments broadcast per round, as much back per worker)."
            + "</p>\n");
    h.append("<h2>Where the time went (this session)</h2>\n<table><tr><th>part</th>"
        + "<th>seconds</th><th>share</th></tr>\n");
    String[] names = {"local steps (slowest worker)", "broadcast of the state",
        "executor setup (state into the model)", "fetching and averaging on the driver",
        "scheduling, task serialisation, waiting"};
    double[] values = {t.compute(), t.broadcast(), t.setup(), t.average(), t.other()};
    for (int i = 0; i < names.length; i++) {
      h.append(String.format(Locale.ROOT, "<tr><td style=\"text-align:left\">%s</td><td>%.2f"
          + "</td><td>%.1f%%</td></tr>%n", names[i], values[i], t.percent(values[i])));
    }
    h.append(String.format(Locale.ROOT, "<tr><th style=\"text-align:left\">all rounds</th>"
        + "<th>%.2f</th><th>%.0f tok/s</th></tr></table>%n", t.wall(), t.tokensPerSecond()));
    h.append("<h2>Loss</h2>\n").append(chart(metrics));
    h.append("<h2>Rounds</h2>\n<table><tr><th>steps</th><th>broadcast s</th><th>setup s</th>"
        + "<th>local steps s</th><th>averaging s</th><th>wall s</th><th>tok/s</th></tr>\n");
    for (RoundStats r : rounds) {
      h.append(String.format(Locale.ROOT, "<tr><td>%d-%d</td><td>%.3f</td><td>%.3f</td>"
          + "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.0f</td></tr>%n", r.firstStep(),
          r.lastStep(), r.broadcast(), r.setup(), r.compute(), r.average(), r.wall(),
          r.tokens() / r.wall()));
    }
    h.append("</table>\n</body></html>\n");
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + FILE + ".tmp");
      Files.writeString(tmp, h);
      Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
    }
  }

  /** An inline SVG of training loss (blue) and validation loss (orange dots) by step. */
  private static String chart(List<StepMetric> metrics) {
    if (metrics.isEmpty()) {
      return "<p>no steps yet</p>\n";
    }
    double maxStep = metrics.get(metrics.size() - 1).step();
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (StepMetric m : metrics) {
      lo = Math.min(lo, m.loss());
      hi = Math.max(hi, m.loss());
      if (m.validationLoss() != null) {
        lo = Math.min(lo, m.validationLoss());
        hi = Math.max(hi, m.validationLoss());
      }
    }
    double span = Math.max(hi - lo, 1e-9);
    int w = 640;
    int hgt = 240;
    StringBuilder line = new StringBuilder();
    StringBuilder dots = new StringBuilder();
    for (StepMetric m : metrics) {
      double x = 40 + (w - 50) * m.step() / Math.max(1, maxStep);
      line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x,
          10 + (hgt - 40) * (hi - m.loss()) / span));
      if (m.validationLoss() != null) {
        dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
            + "fill=\"#e67e22\"/>", x, 10 + (hgt - 40) * (hi - m.validationLoss()) / span));
      }
    }
    return String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" "
        + "xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"100%%\" height=\"100%%\" "
        + "fill=\"#fff\" stroke=\"#ccc\"/><text x=\"2\" y=\"16\" font-size=\"11\">%.3f</text>"
        + "<text x=\"2\" y=\"%d\" font-size=\"11\">%.3f</text><text x=\"%d\" y=\"%d\" "
        + "font-size=\"11\">step %d</text><polyline fill=\"none\" stroke=\"#2e86de\" "
        + "stroke-width=\"1.5\" points=\"%s\"/>%s</svg>%n<p>blue: training loss; orange: "
        + "validation loss</p>%n", w, hgt, hi, hgt - 30, lo, w - 80, hgt - 8, (long) maxStep,
        line.toString().trim(), dots);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
