package io.finmix.jobs.aggregate;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;

/** PNG charts for the evaluation report, drawn with plain Java2D so they render headless. */
public final class ReportCharts {

  static {
    // Reports are built on servers without a display; AWT must not go looking for one.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Okabe-Ito colours: told apart under the common colour-vision deficiencies. */
  private static final Color[] PALETTE = {
    new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xD55E00),
    new Color(0xCC79A7), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000)
  };
  // Ends of the ColorBrewer RdBu scale, which stays readable for red-green colour blindness.
  private static final Color NEGATIVE = new Color(0x2166AC);
  private static final Color POSITIVE = new Color(0xB2182B);
  private static final Color MISSING = new Color(0xD9D9D9);
  private static final Color GRID = new Color(0xE4E4E4);
  private static final Color INK = new Color(0x222222);
  private static final Color MUTED = new Color(0x707070);
  // A logical font, so every run resolves it to the same installed face.
  private static final Font TEXT = new Font("SansSerif", Font.PLAIN, 12);
  private static final Font BOLD = TEXT.deriveFont(Font.BOLD);
  private static final Font TITLE = new Font("SansSerif", Font.BOLD, 16);
  // Measures labels before the image exists, with the same hints the drawing uses.
  private static final FontRenderContext FRC = new FontRenderContext(null, true, false);
  private static final int MAX_LABEL = 24;
  private static final int MIN_WIDTH = 640;
  private static final int MIN_HEIGHT = 400;
  private static final int MARGIN = 20;
  private static final int TOP = 56;
  private static final int LEGEND_ROW = 20;

  private ReportCharts() {}

  /**
   * One bar: a group on the x axis (a benchmark), a series within it (a recipe), its value and CI.
   */
  public record Bar(String group, String series, double value, double low, double high) {}

  /**
   * One heatmap cell: a row (a recipe), a column (a benchmark), a value (a delta vs the baseline),
   * and whether it is significant (drawn with a bold border and an asterisk). NaN value: a grey
   * "n/a" cell.
   */
  public record Cell(String row, String column, double value, boolean significant) {}

  /**
   * One line: a name (a training run) and its points (x = step, y = loss); NaN y values are gaps.
   */
  public record Curve(String name, double[] x, double[] y) {}

  /**
   * Grouped bars with CI whiskers (low..high; NaN bounds: no whisker), one colour per series, a
   * legend, y axis from 0 to max(1, highest high) with gridlines and tick labels, group labels
   * under the x axis. A NaN value draws no bar.
   */
  public static void bars(Path png, String title, String yLabel, List<Bar> bars)
      throws IOException {
    if (bars.isEmpty()) {
      noData(png, title);
      return;
    }
    List<String> groups = distinct(bars, Bar::group);
    List<String> series = distinct(bars, Bar::series);
    Map<List<String>, Bar> byKey = new HashMap<>();
    double lo = 0;
    double hi = 1;
    for (Bar b : bars) {
      byKey.put(List.of(String.valueOf(b.group()), String.valueOf(b.series())), b);
      for (double v : new double[] {b.value(), b.low(), b.high()}) {
        if (Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    double[] ticks = ticks(lo, hi, 5);
    int left = yAxisWidth(ticks, yLabel);
    int minGroupW = series.size() * 14 + 24;
    for (String group : groups) {
      minGroupW = Math.max(minGroupW, width(TEXT, truncate(group)) + 16);
    }
    int legendSpace = MARGIN + legendWidth(series) + MARGIN;
    int plotW = Math.max(groups.size() * minGroupW, minWidth(title) - left - legendSpace);
    int width = left + plotW + legendSpace;
    int height = Math.max(MIN_HEIGHT + 20, TOP + series.size() * LEGEND_ROW + 44);
    Rectangle plot = new Rectangle(left, TOP, plotW, height - TOP - 44);

    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    title(g, width, title);
    yAxis(g, plot, ticks, yLabel);
    double groupW = (double) plot.width / groups.size();
    double barW = Math.min(40, (groupW - 24) / series.size());
    double zero = yPixel(plot, ticks, 0);
    for (int gi = 0; gi < groups.size(); gi++) {
      double groupX = plot.x + gi * groupW;
      double firstX = groupX + (groupW - barW * series.size()) / 2;
      for (int si = 0; si < series.size(); si++) {
        Bar b = byKey.get(List.of(groups.get(gi), series.get(si)));
        if (b == null || !Double.isFinite(b.value())) {
          continue;
        }
        double x = firstX + si * barW;
        double y = yPixel(plot, ticks, b.value());
        g.setColor(colour(si));
        g.fill(new Rectangle2D.Double(x + 1, Math.min(y, zero), barW - 2, Math.abs(zero - y)));
        if (Double.isFinite(b.low()) && Double.isFinite(b.high())) {
          whisker(g, x + barW / 2, yPixel(plot, ticks, b.low()), yPixel(plot, ticks, b.high()),
              Math.max(3, barW / 4));
        }
      }
      g.setColor(INK);
      text(g, TEXT, truncate(groups.get(gi)), groupX + groupW / 2, plot.getMaxY() + 6, 0.5, 0);
    }
    g.setColor(INK);
    g.draw(new Line2D.Double(plot.x, zero, plot.getMaxX(), zero));
    legend(g, plot.x + plot.width + MARGIN, plot.y, series, false);
    g.dispose();
    save(png, img);
  }

  /**
   * A diverging colour scale (blue negative, white 0, red positive), symmetric around 0 at the
   * largest |value|, each cell labelled with its value, row labels left, column labels on top, a
   * colour-bar legend. Significant cells get a bold border and an asterisk; NaN cells are grey.
   */
  public static void heatmap(Path png, String title, List<Cell> cells) throws IOException {
    if (cells.isEmpty()) {
      noData(png, title);
      return;
    }
    List<String> rows = distinct(cells, Cell::row);
    List<String> columns = distinct(cells, Cell::column);
    Map<List<String>, Cell> byKey = new HashMap<>();
    double maxAbs = 0;
    for (Cell c : cells) {
      byKey.put(List.of(String.valueOf(c.row()), String.valueOf(c.column())), c);
      if (Double.isFinite(c.value())) {
        maxAbs = Math.max(maxAbs, Math.abs(c.value()));
      }
    }
    // All zeros (or all n/a) would divide by zero; any scale shows them white.
    double scale = maxAbs > 0 ? maxAbs : 1;
    int cellW = 72;
    for (String column : columns) {
      cellW = Math.max(cellW, width(TEXT, truncate(column)) + 12);
    }
    int cellH = 28;
    int rowLabelW = 0;
    for (String row : rows) {
      rowLabelW = Math.max(rowLabelW, width(TEXT, truncate(row)));
    }
    String[] scaleLabels = {signed(scale), "0", signed(-scale)};
    int scaleLabelW = 0;
    for (String label : scaleLabels) {
      scaleLabelW = Math.max(scaleLabelW, width(TEXT, label));
    }
    int left = MARGIN + rowLabelW + 10;
    int top = TOP + 22;
    int gridW = columns.size() * cellW;
    int gridH = rows.size() * cellH;
    int barH = Math.max(gridH, 160);
    int legendSpace = 24 + 16 + 6 + scaleLabelW + MARGIN;
    int width = Math.max(left + gridW + legendSpace, minWidth(title));
    int height = Math.max(MIN_HEIGHT, top + Math.max(gridH + 30, barH) + MARGIN);

    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    title(g, width, title);
    for (int c = 0; c < columns.size(); c++) {
      g.setColor(INK);
      text(g, TEXT, truncate(columns.get(c)), left + (c + 0.5) * cellW, top - 6, 0.5, 1);
    }
    for (int r = 0; r < rows.size(); r++) {
      g.setColor(INK);
      text(g, TEXT, truncate(rows.get(r)), left - 10, top + (r + 0.5) * cellH, 1, 0.5);
      for (int c = 0; c < columns.size(); c++) {
        Cell cell = byKey.get(List.of(rows.get(r), columns.get(c)));
        Rectangle box = new Rectangle(left + c * cellW, top + r * cellH, cellW, cellH);
        boolean known = cell != null && Double.isFinite(cell.value());
        double t = known ? cell.value() / scale : 0;
        g.setColor(known ? diverging(t) : MISSING);
        g.fill(box);
        g.setColor(Color.WHITE);
        g.draw(box);
        boolean marked = known && cell.significant();
        if (marked) {
          g.setColor(INK);
          g.setStroke(new BasicStroke(2.5f));
          g.draw(new Rectangle2D.Double(box.x + 2, box.y + 2, box.width - 4, box.height - 4));
          g.setStroke(new BasicStroke(1f));
        }
        // White text only where the fill is dark enough for black to get lost.
        g.setColor(!known ? MUTED : Math.abs(t) > 0.6 ? Color.WHITE : INK);
        String label = !known ? "n/a" : signed(cell.value()) + (marked ? "*" : "");
        text(g, marked ? BOLD : TEXT, label, box.getCenterX(), box.getCenterY(), 0.5, 0.5);
      }
    }
    g.setColor(MUTED);
    text(g, TEXT, "* bold border: significant (Holm-adjusted p)", left, top + gridH + 8, 0, 0);
    colourBar(g, new Rectangle(left + gridW + 24, top, 16, barH), scaleLabels);
    g.dispose();
    save(png, img);
  }

  /** Line chart of several curves with axes, ticks, a legend; y range from the finite data. */
  public static void lines(
      Path png, String title, String xLabel, String yLabel, List<Curve> curves)
      throws IOException {
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    List<String> names = new ArrayList<>();
    for (Curve c : curves) {
      if (c.x() == null || c.y() == null || c.x().length != c.y().length) {
        throw new IllegalArgumentException("curve " + c.name() + ": x and y differ in length");
      }
      names.add(c.name());
      for (int i = 0; i < c.x().length; i++) {
        if (finite(c, i)) {
          x0 = Math.min(x0, c.x()[i]);
          x1 = Math.max(x1, c.x()[i]);
          y0 = Math.min(y0, c.y()[i]);
          y1 = Math.max(y1, c.y()[i]);
        }
      }
    }
    if (x0 > x1) {
      noData(png, title);
      return;
    }
    // A single step or a flat curve still needs a range to map onto.
    if (x0 == x1) {
      x0 -= 1;
      x1 += 1;
    }
    if (y0 == y1) {
      double pad = y0 == 0 ? 1 : Math.abs(y0) * 0.1;
      y0 -= pad;
      y1 += pad;
    }
    double[] yTicks = ticks(y0, y1, 6);
    int left = yAxisWidth(yTicks, yLabel);
    int legendSpace = MARGIN + legendWidth(names) + MARGIN;
    int width = Math.max(left + 620 + legendSpace, minWidth(title));
    int height = Math.max(MIN_HEIGHT + 40, TOP + names.size() * LEGEND_ROW + 64);
    Rectangle plot = new Rectangle(left, TOP, width - left - legendSpace, height - TOP - 64);
    double[] xTicks = ticks(x0, x1, Math.max(2, plot.width / 100));

    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    title(g, width, title);
    yAxis(g, plot, yTicks, yLabel);
    xAxis(g, plot, xTicks, xLabel);
    Graphics2D clipped = (Graphics2D) g.create();
    // A little slack, so points on the axis limits keep their whole stroke or dot.
    clipped.clip(new Rectangle(plot.x - 4, plot.y - 4, plot.width + 8, plot.height + 8));
    clipped.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    for (int ci = 0; ci < curves.size(); ci++) {
      Curve c = curves.get(ci);
      clipped.setColor(colour(ci));
      Path2D.Double path = new Path2D.Double();
      int run = 0;
      double px = 0;
      double py = 0;
      // One pass past the end closes the last run; a run of one point is drawn as a dot.
      for (int i = 0; i <= c.x().length; i++) {
        if (i < c.x().length && finite(c, i)) {
          px = scale(c.x()[i], xTicks[0], xTicks[xTicks.length - 1], plot.x, plot.getMaxX());
          py = yPixel(plot, yTicks, c.y()[i]);
          if (run++ == 0) {
            path.moveTo(px, py);
          } else {
            path.lineTo(px, py);
          }
        } else {
          if (run == 1) {
            clipped.fill(new Ellipse2D.Double(px - 3, py - 3, 6, 6));
          }
          run = 0;
        }
      }
      clipped.draw(path);
    }
    clipped.dispose();
    g.setColor(INK);
    g.draw(plot);
    legend(g, plot.x + plot.width + MARGIN, plot.y, names, true);
    g.dispose();
    save(png, img);
  }

  private static boolean finite(Curve c, int i) {
    return Double.isFinite(c.x()[i]) && Double.isFinite(c.y()[i]);
  }

  private static void noData(Path png, String title) throws IOException {
    int width = minWidth(title);
    BufferedImage img = new BufferedImage(width, MIN_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    title(g, width, title);
    g.setColor(MUTED);
    text(g, TITLE, "no data", width / 2.0, MIN_HEIGHT / 2.0, 0.5, 0.5);
    g.dispose();
    save(png, img);
  }

  private static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    // Greyscale text antialiasing: LCD modes would depend on the (absent) screen.
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_OFF);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    return g;
  }

  private static void save(Path png, BufferedImage img) throws IOException {
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream out = Files.newOutputStream(png)) {
      if (!ImageIO.write(img, "png", out)) {
        throw new IOException("no PNG writer in this JVM");
      }
    }
  }

  private static void title(Graphics2D g, int width, String title) {
    g.setColor(INK);
    text(g, TITLE, title == null ? "" : title, width / 2.0, 18, 0.5, 0);
  }

  /** Horizontal gridlines with tick labels left of the plot, and the label turned upright. */
  private static void yAxis(Graphics2D g, Rectangle plot, double[] ticks, String label) {
    double step = ticks[1] - ticks[0];
    for (double t : ticks) {
      double y = yPixel(plot, ticks, t);
      g.setColor(GRID);
      g.draw(new Line2D.Double(plot.x, y, plot.getMaxX(), y));
      g.setColor(INK);
      text(g, TEXT, tick(t, step), plot.x - 6, y, 1, 0.5);
    }
    g.draw(new Line2D.Double(plot.x, plot.y, plot.x, plot.getMaxY()));
    if (label != null && !label.isEmpty()) {
      Graphics2D turned = (Graphics2D) g.create();
      turned.translate(MARGIN, plot.getCenterY());
      turned.rotate(-Math.PI / 2);
      text(turned, TEXT, label, 0, 0, 0.5, 0);
      turned.dispose();
    }
  }

  /** Vertical gridlines with tick labels under the plot, and the label under those. */
  private static void xAxis(Graphics2D g, Rectangle plot, double[] ticks, String label) {
    double step = ticks[1] - ticks[0];
    for (double t : ticks) {
      double x = scale(t, ticks[0], ticks[ticks.length - 1], plot.x, plot.getMaxX());
      g.setColor(GRID);
      g.draw(new Line2D.Double(x, plot.y, x, plot.getMaxY()));
      g.setColor(INK);
      text(g, TEXT, tick(t, step), x, plot.getMaxY() + 6, 0.5, 0);
    }
    if (label != null) {
      text(g, TEXT, label, plot.getCenterX(), plot.getMaxY() + 28, 0.5, 0);
    }
  }

  /** Room left of a plot for the upright axis label and the widest tick label. */
  private static int yAxisWidth(double[] ticks, String label) {
    int widest = 0;
    for (double t : ticks) {
      widest = Math.max(widest, width(TEXT, tick(t, ticks[1] - ticks[0])));
    }
    int labelRoom = label == null || label.isEmpty() ? 0 : 22;
    return MARGIN + labelRoom + widest + 8;
  }

  private static void legend(Graphics2D g, int x, int y, List<String> names, boolean lines) {
    for (int i = 0; i < names.size(); i++) {
      double mid = y + (i + 0.5) * LEGEND_ROW;
      g.setColor(colour(i));
      if (lines) {
        g.setStroke(new BasicStroke(2.5f));
        g.draw(new Line2D.Double(x, mid, x + 14, mid));
        g.setStroke(new BasicStroke(1f));
      } else {
        g.fill(new Rectangle2D.Double(x, mid - 6, 14, 12));
      }
      g.setColor(INK);
      text(g, TEXT, truncate(names.get(i)), x + 20, mid, 0, 0.5);
    }
  }

  private static int legendWidth(List<String> names) {
    int widest = 0;
    for (String name : names) {
      widest = Math.max(widest, width(TEXT, truncate(name)));
    }
    return 20 + widest;
  }

  /** A CI whisker: a vertical line from low to high with caps at both ends. */
  private static void whisker(Graphics2D g, double x, double low, double high, double cap) {
    g.setColor(INK);
    g.setStroke(new BasicStroke(1.5f));
    g.draw(new Line2D.Double(x, low, x, high));
    g.draw(new Line2D.Double(x - cap, low, x + cap, low));
    g.draw(new Line2D.Double(x - cap, high, x + cap, high));
    g.setStroke(new BasicStroke(1f));
  }

  /** The diverging scale drawn row by row, +max at the top, with labels top, middle and bottom. */
  private static void colourBar(Graphics2D g, Rectangle bar, String[] labels) {
    for (int i = 0; i < bar.height; i++) {
      g.setColor(diverging(1 - 2.0 * i / (bar.height - 1)));
      g.fillRect(bar.x, bar.y + i, bar.width, 1);
    }
    g.setColor(INK);
    g.draw(bar);
    for (int i = 0; i < labels.length; i++) {
      double y = bar.y + bar.height * i / (labels.length - 1.0);
      text(g, TEXT, labels[i], bar.getMaxX() + 6, y, 0, 0.5);
    }
  }

  /** White at 0, shading linearly to blue at -1 and red at +1. */
  private static Color diverging(double t) {
    double u = Math.min(1, Math.abs(t));
    Color end = t < 0 ? NEGATIVE : POSITIVE;
    return new Color(
        (int) Math.round(255 + (end.getRed() - 255) * u),
        (int) Math.round(255 + (end.getGreen() - 255) * u),
        (int) Math.round(255 + (end.getBlue() - 255) * u));
  }

  private static Color colour(int index) {
    return PALETTE[index % PALETTE.length];
  }

  /**
   * Draws text anchored at (x, y): hAlign 0 puts its left edge there, 0.5 its centre, 1 its right
   * edge; vAlign does the same for its top, middle and bottom.
   */
  private static void text(
      Graphics2D g, Font font, String s, double x, double y, double hAlign, double vAlign) {
    g.setFont(font);
    FontMetrics fm = g.getFontMetrics();
    double left = x - hAlign * fm.stringWidth(s);
    double baseline = y - vAlign * (fm.getAscent() + fm.getDescent()) + fm.getAscent();
    g.drawString(s, (float) left, (float) baseline);
  }

  private static int width(Font font, String s) {
    return (int) Math.ceil(font.getStringBounds(s, FRC).getWidth());
  }

  private static int minWidth(String title) {
    return Math.max(MIN_WIDTH, width(TITLE, title == null ? "" : title) + 2 * MARGIN);
  }

  private static String truncate(String s) {
    if (s == null) {
      return "";
    }
    // U+2026 is the ellipsis; one character keeps the label within MAX_LABEL.
    return s.length() > MAX_LABEL ? s.substring(0, MAX_LABEL - 1) + "\u2026" : s;
  }

  private static <T> List<String> distinct(List<T> items, Function<T, String> key) {
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    for (T item : items) {
      seen.add(String.valueOf(key.apply(item)));
    }
    return new ArrayList<>(seen);
  }

  /** Round ticks (1, 2 or 5 times a power of ten apart) covering lo..hi, about target of them. */
  private static double[] ticks(double lo, double hi, int target) {
    double raw = (hi - lo) / Math.max(1, target);
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double norm = raw / magnitude;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
    double start = Math.floor(lo / step + 1e-9) * step;
    int n = Math.max(1, (int) Math.ceil((hi - start) / step - 1e-9));
    double[] ticks = new double[n + 1];
    for (int i = 0; i <= n; i++) {
      ticks[i] = start + i * step;
    }
    return ticks;
  }

  /** A tick label with as many decimals as the step needs, and no "-0". */
  private static String tick(double value, double step) {
    int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
    double v = Math.abs(value) < step * 1e-6 ? 0 : value;
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String signed(double value) {
    return String.format(Locale.ROOT, "%+.3f", value);
  }

  private static double yPixel(Rectangle plot, double[] ticks, double v) {
    return scale(v, ticks[0], ticks[ticks.length - 1], plot.getMaxY(), plot.y);
  }

  private static double scale(double v, double d0, double d1, double p0, double p1) {
    return p0 + (v - d0) / (d1 - d0) * (p1 - p0);
  }
}
