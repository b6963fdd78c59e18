package io.finmix.jobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.aggregate.ReportCharts.Bar;
import io.finmix.jobs.aggregate.ReportCharts.Cell;
import io.finmix.jobs.aggregate.ReportCharts.Curve;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportChartsTest {

  private static final double NAN = Double.NaN;

  @TempDir
  Path dir;

  private static List<Bar> someBars() {
    return List.of(
        new Bar("fpb", "baseline", 0.71, 0.68, 0.74),
        new Bar("fpb", "mix-a", 0.75, 0.72, 0.78),
        new Bar("fiqa-sa", "baseline", 0.55, 0.50, 0.60),
        new Bar("fiqa-sa", "mix-a", 0.62, NAN, NAN),
        new Bar("a benchmark with a very long name indeed", "mix-a", NAN, 0.1, 0.2));
  }

  private static List<Cell> someCells() {
    return List.of(
        new Cell("mix-a", "fpb", 0.034, true),
        new Cell("mix-a", "fiqa-sa", -0.012, false),
        new Cell("mix-b", "fpb", -0.051, true),
        new Cell("mix-b", "fiqa-sa", NAN, false));
  }

  private static List<Curve> someCurves() {
    return List.of(
        new Curve("run-1", new double[] {0, 100, 200, 300, 400}, new double[] {2.4, 1.9, NAN, 1.5,
            1.4}),
        new Curve("run-2", new double[] {0, 100, 200}, new double[] {2.5, 2.0, 1.7}));
  }

  /** Reads the PNG back and checks its size and that it shows more than a flat fill. */
  private static BufferedImage readChart(Path png, int minWidth, int minHeight) throws IOException {
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).as("a PNG ImageIO can read").isNotNull();
    assertThat(img.getWidth()).isGreaterThanOrEqualTo(minWidth);
    assertThat(img.getHeight()).isGreaterThanOrEqualTo(minHeight);
    assertThat(distinctColours(img)).isGreaterThan(10);
    return img;
  }

  private static int distinctColours(BufferedImage img) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        colours.add(img.getRGB(x, y));
      }
    }
    return colours.size();
  }

  @Test
  void barsDrawAReadableChartIntoNewDirectories() throws IOException {
    Path png = dir.resolve("nested/deeper/bars.png");
    ReportCharts.bars(png, "Accuracy by benchmark", "accuracy", someBars());
    readChart(png, 640, 400);
  }

  @Test
  void barsGrowWiderWithMoreGroups() throws IOException {
    List<Bar> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(new Bar("benchmark-" + i, "baseline", 0.5, 0.4, 0.6));
      many.add(new Bar("benchmark-" + i, "mix-a", 0.6, 0.5, 0.7));
    }
    Path png = dir.resolve("many.png");
    ReportCharts.bars(png, "Many", "accuracy", many);
    assertThat(readChart(png, 640, 400).getWidth()).isGreaterThan(1000);
  }

  @Test
  void heatmapDrawsAReadableChart() throws IOException {
    Path png = dir.resolve("heatmap.png");
    ReportCharts.heatmap(png, "Delta vs baseline", someCells());
    readChart(png, 640, 400);
  }

  @Test
  void linesDrawAReadableChart() throws IOException {
    Path png = dir.resolve("lines.png");
    ReportCharts.lines(png, "Training loss", "step", "loss", someCurves());
    readChart(png, 640, 400);
  }

  @Test
  void theSameInputGivesByteIdenticalFiles() throws IOException {
    ReportCharts.bars(dir.resolve("b1.png"), "t", "y", someBars());
    ReportCharts.bars(dir.resolve("b2.png"), "t", "y", someBars());
    ReportCharts.heatmap(dir.resolve("h1.png"), "t", someCells());
    ReportCharts.heatmap(dir.resolve("h2.png"), "t", someCells());
    ReportCharts.lines(dir.resolve("l1.png"), "t", "x", "y", someCurves());
    ReportCharts.lines(dir.resolve("l2.png"), "t", "x", "y", someCurves());
    for (String kind : List.of("b", "h", "l")) {
      assertThat(Files.readAllBytes(dir.resolve(kind + "2.png")))
          .as(kind)
          .isEqualTo(Files.readAllBytes(dir.resolve(kind + "1.png")));
    }
  }

  @Test
  void emptyInputsWriteTheSameNoDataImage() throws IOException {
    Path bars = dir.resolve("bars.png");
    Path heatmap = dir.resolve("heatmap.png");
    Path lines = dir.resolve("lines.png");
    Path nanLines = dir.resolve("nan-lines.png");
    ReportCharts.bars(bars, "Empty", "y", List.of());
    ReportCharts.heatmap(heatmap, "Empty", List.of());
    ReportCharts.lines(lines, "Empty", "x", "y", List.of());
    ReportCharts.lines(nanLines, "Empty", "x", "y",
        List.of(new Curve("all-nan", new double[] {1, 2}, new double[] {NAN, NAN})));
    BufferedImage img = readChart(bars, 640, 400);
    // "no data" is written across the middle of an otherwise blank plot area.
    int inkInMiddle = 0;
    for (int x = 0; x < img.getWidth(); x++) {
      if (img.getRGB(x, img.getHeight() / 2) != 0xFFFFFFFF) {
        inkInMiddle++;
      }
    }
    assertThat(inkInMiddle).isGreaterThan(0);
    // One placeholder for every kind of chart: the same title gives the same bytes.
    byte[] expected = Files.readAllBytes(bars);
    assertThat(Files.readAllBytes(heatmap)).isEqualTo(expected);
    assertThat(Files.readAllBytes(lines)).isEqualTo(expected);
    assertThat(Files.readAllBytes(nanLines)).isEqualTo(expected);
    // A chart with data looks different from the placeholder.
    ReportCharts.bars(bars, "Empty", "y", someBars());
    assertThat(Files.readAllBytes(bars)).isNotEqualTo(expected);
  }

  @Test
  void nanValuesAreGapsNotErrors() throws IOException {
    ReportCharts.bars(dir.resolve("bars.png"), "NaN", "y",
        List.of(new Bar("g", "s", NAN, NAN, NAN), new Bar("g", "t", 0.5, NAN, 0.7)));
    ReportCharts.heatmap(dir.resolve("heatmap.png"), "NaN",
        List.of(new Cell("r", "c", NAN, true), new Cell("r", "d", NAN, false)));
    ReportCharts.lines(dir.resolve("lines.png"), "NaN", "x", "y", List.of(
        new Curve("gappy", new double[] {1, 2, 3, 4, 5}, new double[] {NAN, 1, NAN, 2, NAN}),
        new Curve("one point", new double[] {3}, new double[] {1.5}),
        new Curve("empty", new double[0], new double[0])));
    readChart(dir.resolve("bars.png"), 640, 400);
    readChart(dir.resolve("heatmap.png"), 640, 400);
    readChart(dir.resolve("lines.png"), 640, 400);
  }

  @Test
  void mismatchedCurveArraysThrow() {
    Path png = dir.resolve("bad.png");
    assertThatThrownBy(() -> ReportCharts.lines(png, "t", "x", "y",
            List.of(new Curve("bad", new double[] {1, 2, 3}, new double[] {1, 2}))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad");
    assertThat(png).doesNotExist();
  }
}
