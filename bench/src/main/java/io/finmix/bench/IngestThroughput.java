package io.finmix.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.from_json;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.ingest.SourceSpec;
import io.finmix.jobs.ingest.SourcesFile;
import io.finmix.jobs.sample.SampleCorpus;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Ingest throughput on a generated corpus of at least a million raw rows: finmix's ingest
 * (native readers, validation, mapping, both Iceberg tables) against Spark's own readers on the
 * same files writing plain Parquet, side by side in one JVM. Prints raw rows/s per core and the
 * ratio. Not a test: run it with bench/ingest-throughput/run.
 */
public final class IngestThroughput {

  private IngestThroughput() {}

  public static void main(String[] args) throws Exception {
    long wanted = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    File work = new File(args.length > 2 ? args[2] : "bench/target/ingest-bench").getAbsoluteFile();
    // "both" (the default) runs the two side by side; "finmix" or "spark" runs one, so whole
    // processes can also be timed from outside.
    String side = args.length > 3 ? args[3] : "both";
    String data = new File(work, "raw").getPath();
    FinmixConfig config = FinmixConfig.load(null, List.of(
        "warehouse=" + new File(work, "warehouse").getPath(), "run_id=bench",
        "ingest.sources=sources/sample.conf", "ingest.data_root=" + data), null);

    long raw = corpus(data, wanted);
    boolean runFinmix = !side.equals("spark");
    boolean runSpark = !side.equals("finmix");
    long bytes = du(new File(data));

    SparkSession spark = SparkSessions.getOrCreate(config, "finmix ingest bench");
    spark.sparkContext().setLogLevel("WARN");
    int cores = spark.sparkContext().defaultParallelism();
    List<SourceSpec> specs = SourcesFile.load("sources/sample.conf", data, List.of(), 100_000);

    double bestFinmix = Double.MAX_VALUE;
    double bestSpark = Double.MAX_VALUE;
    long records = 0;
    long sparkRows = 0;
    for (int round = 1; round <= rounds; round++) {
      long t0 = System.nanoTime();
      if (runFinmix) {
        IngestJob.Result result = IngestJob.ingest(spark, config);
        records = result.total().records;
        if (result.total().rawRows != raw) {
          throw new IllegalStateException("ingest read " + result.total().rawRows
              + " raw rows, the generator wrote " + raw);
        }
      }
      double finmix = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      if (runSpark) {
        sparkRows = sparkNative(spark, specs, new File(work, "spark-native").getPath());
      }
      double sparkSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "round %d: finmix ingest %.1f s, spark readers %.1f s%n",
          round, finmix, sparkSeconds);
      bestFinmix = Math.min(bestFinmix, finmix);
      bestSpark = Math.min(bestSpark, sparkSeconds);
    }

    double finmixRate = raw / bestFinmix / cores;
    double sparkRate = raw / bestSpark / cores;
    System.out.println();
    System.out.printf(Locale.ROOT, "corpus: %,d raw rows in %d sources, %.1f MB; %d cores "
        + "(local[*]); best of %d rounds%n", raw, specs.size(), bytes / 1e6, cores, rounds);
    System.out.printf(Locale.ROOT, "%-58s %10s %14s%n", "", "seconds", "raw rows/s/core");
    if (runFinmix) {
      System.out.printf(Locale.ROOT, "%-58s %10.1f %,14.0f%n",
          "finmix ingest (validate, map, 2 Iceberg tables)", bestFinmix, finmixRate);
    }
    if (runSpark) {
      System.out.printf(Locale.ROOT, "%-58s %10.1f %,14.0f%n",
          "Spark built-in readers -> Parquet (no validation)", bestSpark, sparkRate);
    }
    if (runFinmix && runSpark) {
      System.out.printf(Locale.ROOT, "ratio finmix / Spark readers (throughput): %.2f%n",
          finmixRate / sparkRate);
      System.out.printf(Locale.ROOT,
          "(finmix kept %,d records; Spark's readers produced %,d rows)%n", records, sparkRows);
    }
    spark.stop();
    if (runFinmix && runSpark) {
      // Peak memory needs a process of its own for each side: the same JVM options, one cold
      // round each, three times (a JVM's peak varies with when its collector grows the heap).
      System.out.println();
      System.out.println("peak memory, each side in its own JVM (one round; median of 3):");
      long[] finmix = new long[3];
      long[] sparkSide = new long[3];
      for (int i = 0; i < 3; i++) {
        finmix[i] = peakInChild(wanted, work, "finmix");
        sparkSide[i] = peakInChild(wanted, work, "spark");
      }
      System.out.printf(Locale.ROOT, "(finmix %s MiB, Spark's readers %s MiB)%n",
          Arrays.toString(finmix), Arrays.toString(sparkSide));
      Arrays.sort(finmix);
      Arrays.sort(sparkSide);
      long finmixPeak = finmix[1];
      long sparkPeak = sparkSide[1];
      System.out.printf(Locale.ROOT, "%-58s %10d MiB%n", "finmix ingest", finmixPeak);
      System.out.printf(Locale.ROOT, "%-58s %10d MiB%n", "Spark built-in readers", sparkPeak);
      System.out.printf(Locale.ROOT, "ratio finmix / Spark readers (peak memory): %.2f%n",
          finmixPeak / (double) sparkPeak);
    } else {
      System.out.printf(Locale.ROOT, "peak resident memory: %d MiB%n", peakResidentMiB());
    }
  }

  /** This process's peak resident memory (VmHWM), in MiB. */
  private static long peakResidentMiB() throws IOException {
    for (String line : Files.readAllLines(new File("/proc/self/status").toPath())) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  /** Runs one side in a child JVM with this one's options; returns its peak memory in MiB. */
  private static long peakInChild(long wanted, File work, String side) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        IngestThroughput.class.getName(), Long.toString(wanted), "1", work.getPath(), side));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("the " + side + " side failed:\n" + out);
    }
    Matcher m = Pattern.compile("peak resident memory: (\\d+) MiB").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("the " + side + " side printed no peak:\n" + out);
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * Writes the generated corpus with at least {@code wanted} raw rows under {@code data}, or
   * reuses the one an earlier run left there; returns its raw row count.
   */
  private static long corpus(String data, long wanted) throws IOException {
    File marker = new File(data, ".bench-corpus-" + wanted);
    if (marker.isFile()) {
      return Long.parseLong(Files.readString(marker.toPath()).trim());
    }
    Map<String, SampleCorpus.Planted> planted = SampleCorpus.write(data, 1, 1.0,
        new Configuration());
    long perScale = planted.values().stream().mapToLong(p -> p.rawRows).sum();
    double scale = Math.ceil(wanted / (double) perScale * 1.02);
    System.out.printf(Locale.ROOT, "generating the sample corpus at scale %.0f ...%n", scale);
    planted = SampleCorpus.write(data, 1, scale, new Configuration());
    long raw = planted.values().stream().mapToLong(p -> p.rawRows).sum();
    Files.writeString(marker.toPath(), Long.toString(raw));
    return raw;
  }

  /**
   * The peer: each file read with the Spark reader a user would reach for (CSV with multiLine
   * and the encoding, JSON, text, Parquet) and written as Parquet.
   */
  private static long sparkNative(SparkSession spark, List<SourceSpec> specs, String out) {
    long rows = 0;
    for (SourceSpec spec : specs) {
      String[] files = spec.files().stream()
          .map(f -> new File(spec.dataRoot(), f.path()).getPath()).toArray(String[]::new);
      Dataset<Row> df = switch (spec.format()) {
        case CSV -> spark.read().option("header", spec.csv().header())
            .option("multiLine", true).option("encoding", spec.encoding()).csv(files);
        case JSONL -> spark.read().json(files);
        // An object of records (FiQA) would become one column per key: read it as a map.
        case JSON -> spec.json().objectValues()
            ? spark.read().option("wholetext", true).text(files)
                .select(explode(from_json(col("value"), DataTypes.createMapType(
                    DataTypes.StringType, DataTypes.StringType))))
            : spark.read().option("multiLine", true).json(files);
        case LINES -> spark.read().option("encoding", spec.encoding()).text(files);
        case PARQUET -> spark.read().parquet(files);
      };
      df.write().mode("overwrite").parquet(out + "/" + spec.name());
      rows += spark.read().parquet(out + "/" + spec.name()).count();
    }
    return rows;
  }

  private static long du(File f) {
    if (f.isFile()) {
      return f.length();
    }
    long total = 0;
    File[] children = f.listFiles();
    if (children != null) {
      for (File c : children) {
        total += du(c);
      }
    }
    return total;
  }
}
