package io.finmix.jobs.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.sample.SampleCorpus;
import io.finmix.schemas.TableSchemas;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ingest end to end on the generated sample corpus, through the command line. */
class IngestJobTest extends SparkTestBase {

  private static final String RUN = "ingest-test";
  private static Path sampleDir;
  private static Map<String, SampleCorpus.Planted> planted;

  @BeforeAll
  static void ingestTheSample() throws Exception {
    // A space in the path: URIs, globs and Parquet provenance must all cope.
    sampleDir = Files.createTempDirectory(Path.of(WAREHOUSE), "sample dir-");
    planted = SampleCorpus.write(sampleDir.toString(), 3, 1.0, new Configuration());
    CliRunner r = ingest(RUN, sampleDir);
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  private static CliRunner ingest(String runId, Path dataRoot, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("--warehouse", WAREHOUSE, "--run-id",
        runId, "--sources", "sources/sample.conf", "--data-root", dataRoot.toString()));
    args.addAll(List.of(more));
    return CliRunner.run(new IngestJob(), args.toArray(new String[0]));
  }

  private static Map<String, Long> countBy(String query) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : sql(query)) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  @Test
  void everyGoodRowIsARecordAndEveryPlantedBadRowIsQuarantinedWithItsReason() {
    Map<String, Long> records = countBy("SELECT source, count(*) FROM finmix.corpus.records "
        + "WHERE run_id = '" + RUN + "' GROUP BY source");
    Map<String, Long> expected = new TreeMap<>();
    planted.forEach((source, p) -> expected.put(source, p.records()));
    assertThat(records).isEqualTo(expected);

    Map<String, Long> reasons = countBy("SELECT concat(source, '/', reason), count(*) FROM "
        + "finmix.corpus.quarantine WHERE run_id = '" + RUN + "' GROUP BY 1");
    Map<String, Long> plantedReasons = new TreeMap<>();
    planted.forEach((source, p) -> p.bad.forEach((reason, n) ->
        plantedReasons.put(source + "/" + reason, n)));
    assertThat(reasons).isEqualTo(plantedReasons);
  }

  @Test
  void theNeighboursOfBadRowsLoad() {
    for (Row bad : sql("SELECT source, source_file, source_offset FROM finmix.corpus.quarantine "
        + "WHERE run_id = '%s' AND source IN ('fpb', 'tfns', 'gsm8k') AND reason <> 'malformed_csv'"
        + " OR (run_id = '%s' AND source = 'fpb')", RUN, RUN)) {
      long before = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
          + "source_file = '%s' AND source_offset < %d", RUN, bad.getString(1), bad.getLong(2));
      long after = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
          + "source_file = '%s' AND source_offset > %d", RUN, bad.getString(1), bad.getLong(2));
      assertThat(before).as("rows before %s", bad).isGreaterThan(10);
      assertThat(after).as("rows after %s", bad).isGreaterThan(10);
    }
  }

  @Test
  void bothTablesHaveExactlyTheirDeclaredSchema() {
    for (String table : List.of("corpus.records", "corpus.quarantine")) {
      assertThat(TableWriter.differences(SPARK.table("finmix." + table).schema(),
          TableSchemas.load(table).schema(), true)).as(table).isEmpty();
    }
    assertThat(sql("SELECT partition FROM finmix.corpus.records.partitions").get(0)
        .getStruct(0).schema().fieldNames()).containsExactly("run_id", "source");
  }

  @Test
  void recordsAreWellFormed() {
    assertThat(count("SELECT count(*) - count(DISTINCT record_id) FROM finmix.corpus.records "
        + "WHERE run_id = '%s'", RUN)).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "(choices IS NOT NULL AND NOT array_contains(choices, label))", RUN)).isZero();
    assertThat(count("SELECT count(DISTINCT split) FROM finmix.corpus.records WHERE run_id = '%s' "
        + "AND source = 'fpb'", RUN)).isEqualTo(3);
    Row tfns = sql("SELECT label, attributes['raw_label'], output, split, task, domain, license "
        + "FROM finmix.corpus.records WHERE run_id = '%s' AND source = 'tfns' AND "
        + "attributes['raw_label'] = '1' AND source_file LIKE '%%sent_train.csv' LIMIT 1", RUN)
        .get(0);
    assertThat(tfns.toString()).isEqualTo("[positive,1,positive,train,sentiment,finance,generated]");
    Row nwgi = sql("SELECT count(*), min(split), max(split) FROM finmix.corpus.records "
        + "WHERE run_id = '%s' AND source = 'nwgi'", RUN).get(0);
    assertThat(nwgi.getString(1)).isEqualTo("test");
    assertThat(nwgi.getString(2)).isEqualTo("train");
    Row finqa = sql("SELECT instruction, input, label FROM finmix.corpus.records "
        + "WHERE run_id = '%s' AND source = 'finqa' LIMIT 1", RUN).get(0);
    assertThat(finqa.getString(0)).startsWith("what was the change in revenue");
    assertThat(finqa.getString(1)).contains(" | 2024 | 2025", "\nrevenue | ");
    assertThat(finqa.getString(2)).matches("-?\\d+");
  }

  @Test
  void theRunReportCountsInAndOutBySource() {
    Map<String, Object> report = RunReport.read(config("run_id=" + RUN),
        new Configuration(), "ingest");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> sources = (Map<String, Map<String, Object>>) report.get("sources");
    planted.forEach((source, p) -> {
      assertThat(((Number) sources.get(source).get("raw_rows")).longValue()).as(source)
          .isEqualTo(p.rawRows);
      assertThat(((Number) sources.get(source).get("records")).longValue()).as(source)
          .isEqualTo(p.records());
      assertThat(sources.get(source).get("quarantined_by_reason")).as(source)
          .isEqualTo(new HashMap<>(p.bad).entrySet().stream().collect(
              java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().intValue())));
    });
  }

  @Test
  void reRunningARunIdReplacesItsRowsAndOnlyReplacesTheNamedSources() throws Exception {
    String run = "rerun-test";
    assertThat(ingest(run, sampleDir).exitCode()).isZero();
    long snapshot = sql("SELECT snapshot_id FROM finmix.corpus.records.snapshots "
        + "ORDER BY committed_at DESC LIMIT 1").get(0).getLong(0);
    long total = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s'", run);

    assertThat(ingest(run, sampleDir).exitCode()).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s'", run))
        .isEqualTo(total);
    String columns = "record_id, source, task, domain, split, instruction, input, output, "
        + "choices, label, to_json(attributes), license, priority, source_file, source_offset, "
        + "source_item, text_hash";
    assertThat(count("SELECT count(*) FROM ((SELECT %s FROM finmix.corpus.records WHERE run_id = "
        + "'%s') EXCEPT ALL (SELECT %s FROM finmix.corpus.records VERSION AS OF %d WHERE run_id = "
        + "'%s'))", columns, run, columns, snapshot, run)).as("identical rows").isZero();

    Path smaller = Files.createTempDirectory(Path.of(WAREHOUSE), "sample-small-");
    Map<String, SampleCorpus.Planted> half = SampleCorpus.write(smaller.toString(), 3, 0.5,
        new Configuration());
    assertThat(ingest(run, smaller, "--only", "fpb,nwgi").exitCode()).isZero();
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'fpb'", run)).isEqualTo(half.get("fpb").records());
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s' AND "
        + "source = 'tfns'", run)).isEqualTo(planted.get("tfns").records());
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = '%s'", RUN))
        .as("other runs are untouched").isEqualTo(planted.values().stream()
            .mapToLong(SampleCorpus.Planted::records).sum());
  }

  @Test
  void removingRowsMatchesTheSourceToo() {
    List<Row> rows = sql("SELECT * FROM finmix.corpus.records WHERE run_id = '%s' AND source = "
        + "'fpb' ORDER BY source_offset LIMIT 1", RUN);
    org.apache.spark.sql.Dataset<Row> one = SPARK.createDataFrame(rows,
        TableSchemas.load("corpus.records").schema());
    org.apache.spark.sql.Dataset<Row> twoSources = one.unionByName(
        one.withColumn("source", org.apache.spark.sql.functions.lit("fpb_copy")));
    assertThat(IngestJob.withoutRows(twoSources, one).collectAsList())
        .extracting(r -> r.getString(1)).containsExactly("fpb_copy");
  }

  @Test
  void aMissingFileOrUnknownAdapterStopsWithExitCodeTwo() throws Exception {
    CliRunner missing = ingest("missing-test", Path.of("/nonexistent/corpora"));
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("error:", "no file matches", "/nonexistent/corpora");

    Path bad = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "bad-", ".conf"),
        "data_root = \"" + sampleDir + "\"\nsources {\n  fpb { adapter = fbp_csv, "
            + "files = [fpb/all-data.csv], split = train }\n}\n");
    CliRunner adapter = CliRunner.run(new IngestJob(), "--warehouse", WAREHOUSE, "--run-id",
        "adapter-test", "--sources", bad.toString());
    assertThat(adapter.exitCode()).isEqualTo(2);
    assertThat(adapter.err()).contains("source 'fpb'", bad.getFileName().toString(),
        "unknown adapter 'fbp_csv'");
    CliRunner zero = ingest("zero-test", sampleDir, "--set", "ingest.split_bytes=0");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("ingest.split_bytes", "--set");
    assertThat(count("SELECT count(*) FROM finmix.corpus.records WHERE run_id IN "
        + "('missing-test', 'adapter-test', 'zero-test')")).isZero();
  }
}
