package io.finmix.jobs.ingest;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.substring;

import com.typesafe.config.Config;
import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.HadoopConf;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.schemas.TableSchemas;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The ingest stage: reads every declared source in its native format and writes the unified
 * {@code finmix.corpus.records}; every raw row it cannot accept goes to {@code
 * finmix.corpus.quarantine} with a reason. Re-running a run id replaces that run's rows.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
        "Reads the corpora of a sources file into finmix.corpus.records.",
        "Rows that cannot be read go to finmix.corpus.quarantine with a reason code."
    })
public final class IngestJob extends StageCommand {

  @ConfigKey("ingest.sources")
  @Option(names = "--sources", paramLabel = "FILE",
      description = "Sources file: a path, or a name under conf/ (default: ingest.sources, "
          + "sources/public.conf).")
  String sources;

  @ConfigKey("ingest.only")
  @Option(names = "--only", paramLabel = "SOURCE", split = ",",
      description = "Ingest only these sources (comma-separated); other sources' rows stay.")
  List<String> only;

  @ConfigKey("ingest.data_root")
  @Option(names = "--data-root", paramLabel = "DIR",
      description = "Root of the raw files, overriding the sources file's data_root.")
  String dataRoot;

  public static void main(String[] args) {
    Commands.main(new IngestJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = ingest(session(config, "ingest"), config);
    result.print(System.out);
    return 0;
  }

  /** What an ingest run did: per-source counts, and where its report is. */
  public record Result(Map<String, IngestStats> sources, IngestStats total, String report)
      implements StageResult {

    /** The per-source table users see at the end of the stage. */
    public void print(PrintStream out) {
      out.printf("%-22s %6s %10s %10s %11s  %s%n", "source", "files", "raw rows", "records",
          "quarantined", "reasons");
      sources.forEach((name, s) -> line(out, name, s));
      line(out, "total", total);
      out.println("report: " + report);
      out.flush();
    }

    private static void line(PrintStream out, String name, IngestStats s) {
      out.printf("%-22s %6d %10d %10d %11d  %s%n", name, s.files, s.rawRows, s.records,
          s.quarantinedTotal(), RunReport.counts(s.quarantined));
    }
  }

  /** The root the config's sources are read from (the sources file's, or ingest.data_root). */
  public static String dataRoot(FinmixConfig config) {
    return IngestSettings.of(config).sources().get(0).dataRoot();
  }

  /** Runs the stage: read, map, check keys, write both tables, report. */
  public static Result ingest(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "ingest", steps -> ingest(spark, config, steps));
  }

  private static Result ingest(SparkSession spark, FinmixConfig config, Steps steps) {
    String runId = config.runId();
    IngestSettings settings = IngestSettings.of(config);
    int rawChars = settings.quarantineRawChars();
    List<String> only = settings.only();
    List<SourceSpec> specs = settings.sources();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    IngestPlan plan = IngestPlan.plan(jsc.hadoopConfiguration(), specs, settings.splitBytes());
    long files = plan.filesAndBytes().values().stream().mapToLong(v -> v[0]).sum();
    long bytes = plan.filesAndBytes().values().stream().mapToLong(v -> v[1]).sum();
    steps.progress("{} sources, {} files, {} MB from {} (run {})", specs.size(), files,
        String.format("%.1f", bytes / 1e6), specs.get(0).dataRoot(), runId);

    // One pass: every raw row is read, validated, mapped and keyed once, and the records are
    // written as they come; the tally takes the counts and the (few) quarantined rows.
    IngestTally tally = new IngestTally(QUARANTINE_HELD_PER_TASK, QUARANTINE_HELD);
    spark.sparkContext().register(tally, "ingest tally");
    String records = "corpus.records";
    Dataset<Row> pass = spark.createDataFrame(read(spark, jsc, specs, plan, rawChars, null)
        .mapPartitions(it -> recordRows(it, tally, runId)), TableSchemas.load(records).schema());

    Column thisRun = col("run_id").equalTo(runId);
    if (!only.isEmpty()) {
      thisRun = thisRun.and(col("source").isin(only.toArray()));
    }
    // both tables or neither: readers see the previous attempt's until both are written
    try (TableWriter.Together tables = TableWriter.together(spark, "ingest", runId)) {
      steps.next("read, validate and write " + files + " raw files to finmix.corpus.records (run "
          + runId + ")");
      tables.overwrite(records, pass, thisRun);
      IngestTally.Value seen = tally.value();
      Map<String, TreeMap<String, Long>> counts = seen.sortedCounts();
      List<Row> held = seen.quarantined.stream().map(o -> o.toQuarantineRow(runId))
          .toList();
      Set<String> overflowed = new TreeSet<>(seen.overflowed);
      Set<String> mayCollide = new TreeSet<>(seen.mayCollide);
      steps.progress("read {} raw rows and wrote their records in {} s", counts.values().stream()
          .mapToLong(c -> c.getOrDefault(IngestTally.RAW, 0L)).sum(), steps.seconds());

      StructType quarantined = TableSchemas.load("corpus.quarantine").schema();
      Dataset<Row> quarantine = spark.createDataFrame(held, quarantined);
      if (!overflowed.isEmpty()) {
        // too many to hold on the driver: read these sources again for their quarantine only
        steps.progress("many quarantined rows in {}: reading them again", overflowed);
        quarantine = quarantine.union(spark.createDataFrame(
            read(spark, jsc, specs, plan, rawChars, overflowed).filter(o -> !o.isRecord)
                .map(o -> o.toQuarantineRow(runId)), quarantined));
      }

      Map<String, Long> duplicateCounts = new HashMap<>();
      if (!mayCollide.isEmpty()) {
        steps.next("find records whose natural key repeats");
        Column colliding = thisRun.and(col("source").isin(mayCollide.toArray()));
        Dataset<Row> written = tables.branchRows(records).where(colliding);
        // Repeats are rare: their rows come to the driver, unless there are many; then they
        // are checkpointed (not cached: rewriting the records would drop a cache of them).
        List<Row> repeats = duplicateKeys(written, rawChars).limit(QUARANTINE_HELD + 1)
            .collectAsList();
        Dataset<Row> duplicates;
        if (repeats.size() <= QUARANTINE_HELD) {
          duplicates = spark.createDataFrame(repeats, quarantined);
          repeats.forEach(r -> duplicateCounts.merge(r.getString(0), 1L, Long::sum));
        } else {
          duplicates = duplicateKeys(written, rawChars).localCheckpoint();
          for (Row r : duplicates.groupBy("source").count().collectAsList()) {
            duplicateCounts.put(r.getString(0), r.getLong(1));
          }
        }
        steps.progress("checked natural keys ({} repeated) at {} s",
            duplicateCounts.values().stream().mapToLong(Long::longValue).sum(), steps.seconds());
        if (!duplicateCounts.isEmpty()) {
          // rare: the sources with repeats are written again without them
          Column repeating = thisRun.and(col("source").isin(duplicateCounts.keySet().toArray()));
          tables.overwrite(records, () -> withoutRows(tables.branchRows(records).where(repeating),
              duplicates), repeating);
          quarantine = quarantine.unionByName(duplicates);
        }
      }

      steps.next("write finmix.corpus.quarantine (run " + runId + ")");
      tables.overwrite("corpus.quarantine", quarantine, thisRun);
      steps.progress("wrote finmix.corpus.quarantine at {} s", steps.seconds());
      tables.publish();

      Map<String, IngestStats> stats = stats(specs, plan, counts, duplicateCounts);
      IngestStats total = new IngestStats();
      stats.values().forEach(total::add);
      String report = writeReport(config, jsc, specs, stats, total, steps.elapsed());
      steps.progress("{} records and {} quarantined rows in {} s", total.records,
          total.quarantinedTotal(), steps.seconds());
      return new Result(stats, total, report);
    }
  }

  /** How many quarantined rows of a source one task keeps for the driver, and all tasks. */
  static final int QUARANTINE_HELD_PER_TASK = 2_000;
  static final int QUARANTINE_HELD = 50_000;

  /** Tallies every outcome and passes on the records, as rows of corpus.records. */
  private static Iterator<Row> recordRows(Iterator<IngestOutcome> outcomes, IngestTally tally,
      String runId) {
    return new Iterator<>() {
      private IngestOutcome next;

      @Override
      public boolean hasNext() {
        while (next == null && outcomes.hasNext()) {
          IngestOutcome o = outcomes.next();
          tally.add(o);
          if (o.isRecord) {
            next = o;
          }
        }
        return next != null;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        IngestOutcome o = next;
        next = null;
        return o.toRecordRow(runId);
      }
    };
  }

  /** {@code records} without the rows {@code removed} names by source, file, offset, item. */
  static Dataset<Row> withoutRows(Dataset<Row> records, Dataset<Row> removed) {
    Dataset<Row> taken = broadcast(removed.select(col("source").as("dup_source"),
        col("source_file").as("dup_file"), col("source_offset").as("dup_offset"),
        col("source_item").as("dup_item")));
    return records.join(taken, col("source").equalTo(col("dup_source"))
        .and(col("source_file").equalTo(col("dup_file")))
        .and(col("source_offset").equalTo(col("dup_offset")))
        .and(col("source_item").equalTo(col("dup_item"))), "left_anti");
  }

  /** Reads every slice with finmix's readers and every Parquet source with Spark. */
  static JavaRDD<IngestOutcome> read(SparkSession spark, JavaSparkContext jsc,
      List<SourceSpec> specs, IngestPlan plan, int rawChars, Set<String> sources) {
    Map<String, SourceSpec> byName = new HashMap<>();
    specs.forEach(s -> byName.put(s.name(), s));
    HadoopConf hadoop = new HadoopConf(jsc.hadoopConfiguration());
    List<IngestPlan.FileSlice> slices = plan.slices().stream()
        .filter(f -> sources == null || sources.contains(f.source())).toList();
    JavaRDD<IngestOutcome> all = jsc.parallelize(slices, Math.max(1, slices.size()))
        .flatMap(slice -> SourceReader.outcomes(slice, byName.get(slice.source()), hadoop.get(),
            rawChars));
    for (Map.Entry<String, List<IngestPlan.FileSlice>> e : plan.parquet().entrySet()) {
      if (sources != null && !sources.contains(e.getKey())) {
        continue;
      }
      all = all.union(ParquetRows.outcomes(spark, byName.get(e.getKey()), e.getValue(), rawChars));
    }
    return all;
  }

  /**
   * Records whose record_id an earlier row (by file, offset, item) already has, as quarantine
   * rows that name the row that kept the id.
   */
  public static Dataset<Row> duplicateKeys(Dataset<Row> records, int rawChars) {
    // Repeats are rare: shuffle only the ids to find them, then rank just those records.
    Dataset<Row> repeated = records.groupBy("record_id").count().where(col("count").gt(1))
        .select("record_id");
    records = records.join(broadcast(repeated), "record_id")
        .select(Arrays.stream(records.columns()).map(c -> col(c)).toArray(Column[]::new));
    WindowSpec byId = Window.partitionBy("record_id")
        .orderBy("source_file", "source_offset", "source_item");
    WindowSpec whole = byId.rowsBetween(Window.unboundedPreceding(), Window.unboundedFollowing());
    return records
        .withColumn("rank", row_number().over(byId))
        .withColumn("kept_file", first("source_file").over(whole))
        .withColumn("kept_offset", first("source_offset").over(whole))
        .where(col("rank").gt(1))
        .select(
            col("source"),
            col("source_file"),
            col("source_offset"),
            col("source_item"),
            lit(QuarantineReason.DUPLICATE_KEY.code()).as("reason"),
            coalesce(concat(lit("record_id "), col("record_id"), lit(" (the natural key) is "
                + "already taken by the row at byte "), col("kept_offset").cast("string"),
                lit(" of "), col("kept_file")), lit("duplicate record_id")).as("detail"),
            substring(concat_ws("\t", col("instruction"), col("input"), col("output")), 1,
                rawChars).as("raw"),
            col("run_id"));
  }

  private static Map<String, IngestStats> stats(List<SourceSpec> specs, IngestPlan plan,
      Map<String, TreeMap<String, Long>> counts, Map<String, Long> duplicates) {
    Map<String, IngestStats> stats = new LinkedHashMap<>();
    for (SourceSpec spec : specs) {
      IngestStats s = new IngestStats();
      long[] fb = plan.filesAndBytes().get(spec.name());
      s.files = fb[0];
      s.bytes = fb[1];
      stats.put(spec.name(), s);
    }
    counts.forEach((source, bySort) -> bySort.forEach((kind, n) -> {
      IngestStats s = stats.get(source);
      if (kind.equals(IngestTally.RAW)) {
        s.rawRows += n;
      } else if (kind.equals(IngestTally.RECORDS)) {
        s.records += n;
      } else {
        s.quarantined.merge(kind, n, Long::sum);
      }
    }));
    duplicates.forEach((source, n) -> {
      IngestStats s = stats.get(source);
      s.records -= n;
      s.quarantined.merge(QuarantineReason.DUPLICATE_KEY.code(), n, Long::sum);
    });
    return stats;
  }

  private static String writeReport(FinmixConfig config, JavaSparkContext jsc,
      List<SourceSpec> specs, Map<String, IngestStats> stats, IngestStats total, double seconds) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "ingest");
    report.put("run_id", config.runId());
    report.put("sources_file", config.config().getString("ingest.sources"));
    report.put("data_root", specs.get(0).dataRoot());
    report.put("seconds", seconds);
    Map<String, Object> perSource = new LinkedHashMap<>();
    stats.forEach((k, v) -> perSource.put(k, v.toMap()));
    report.put("sources", perSource);
    report.put("total", total.toMap());
    report.put("tables", List.of("finmix.corpus.records", "finmix.corpus.quarantine"));
    return RunReport.write(config, jsc.hadoopConfiguration(), "ingest", report).toString();
  }
}
