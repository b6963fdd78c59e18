package io.finmix.jobs.e2e;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.finmix.jobs.CliRunner;
import io.finmix.jobs.Launcher;
import io.finmix.jobs.LoopbackCluster;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.e2e.RawFuzzer.Format;
import io.finmix.jobs.e2e.RawFuzzer.Layout;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.sample.SampleCorpus;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.train.ProgressionSequences;
import io.finmix.jobs.train.TrainJob;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.tokenizer.ByteLevelBpeFile;
import io.finmix.schemas.TableSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.util.SnapshotUtil;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Faults on a real Spark standalone cluster on loopback (a Master and two one-core Workers from
 * {@code bin/finmix cluster start}), every stage submitted through bin/finmix as users do, every
 * outcome read back with this JVM's own session on the same warehouse: a driver killed while
 * ingest writes, fuzzed raw rows, a truncated checkpoint, malformed tokenizer files and unknown
 * config keys. Before them, in this JVM, a clean ingest of part of the generated sample corpus
 * (run {@value #RUN}); the killed ingest and its re-run (tests 1 and 2) read a fuzzed copy of
 * the same files.
 *
 * <p>Covered elsewhere, not repeated here: a Worker killed during training ({@code
 * TrainClusterIT#aKilledWorkerDoesNotStopTheRun}), and the Thrift server listening on loopback
 * only by default ({@code ThriftServerIT#listensOnLoopbackOnly}, which starts it with {@code
 * bin/finmix thriftserver start} and no --bind; a cluster changes nothing there).
 */
@Tag("e2e")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsClusterIT extends SparkTestBase {

  private static final String RUN = "faults";

  /** A line-oriented sample file: its source, and how conf/adapters.conf reads it. */
  private record SampleFile(String source, Layout layout) {}

  /**
   * The sample files the fuzz tests corrupt: every file of their sources, one of each layout.
   * Their record ids are positional ($file, $offset), so no row's fate depends on another's.
   */
  private static final Map<String, SampleFile> FUZZED = new TreeMap<>(Map.of(
      "fpb/all-data.csv", new SampleFile("fpb", new Layout(Format.CSV,
          Charset.forName("windows-1252"))),
      "fpb/Sentences_66Agree.txt", new SampleFile("fpb_66agree", new Layout(Format.LINES,
          StandardCharsets.ISO_8859_1)),
      "tfns/sent_train.csv", new SampleFile("tfns", new Layout(Format.CSV,
          StandardCharsets.UTF_8)),
      "tfns/sent_valid.csv", new SampleFile("tfns", new Layout(Format.CSV,
          StandardCharsets.UTF_8)),
      "orca_math/orca_math.csv", new SampleFile("orca_math", new Layout(Format.CSV,
          StandardCharsets.UTF_8)),
      "gsm8k/train.jsonl", new SampleFile("gsm8k", new Layout(Format.JSONL,
          StandardCharsets.UTF_8)),
      "gsm8k/test.jsonl", new SampleFile("gsm8k", new Layout(Format.JSONL,
          StandardCharsets.UTF_8))));
  private static final String SOURCES = String.join(",", new TreeSet<>(FUZZED.values().stream()
      .map(SampleFile::source).toList()));

  private static LoopbackCluster cluster;
  private static Path sample;
  private static Path fuzzed;
  /** The clean ingest's outcomes, by raw file and offset. */
  private static Map<Path, Map<Long, Outcome>> baseline;
  /** Every row of each fuzzed file, by file. */
  private static final Map<Path, List<RawFuzzer.Row>> EXPECTED = new TreeMap<>();

  @BeforeAll
  static void startClusterAndIngest() throws Exception {
    sample = Path.of(WAREHOUSE, "sample-data");
    fuzzed = Path.of(WAREHOUSE, "fuzzed-data");
    // the cluster starts (a few JVMs) while this JVM writes the sample data and the clean run
    CompletableFuture<LoopbackCluster> starting = CompletableFuture.supplyAsync(() -> {
      try {
        return LoopbackCluster.start(WAREHOUSE);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    Map<String, SampleCorpus.Planted> planted;
    try {
      planted = SampleDataJob.generate(config(), sample.toString());
      ProgressionSequences.write(SPARK, RUN, 24, 64);
      // the clean ingest in this JVM (local[2]): the oracle of the fuzz tests, not a fault
      CliRunner r = inThisJvm(new IngestJob(), ingest(sample));
      assertThat(r.exitCode()).as(r.err()).isZero();
    } finally {
      cluster = starting.join();
    }
    List<String> twice = new ArrayList<>();
    baseline = outcomes(twice);
    assertThat(twice).isEmpty();
    // what the generator planted: per source, the raw rows, records and bad rows by reason
    for (String source : SOURCES.split(",")) {
      List<Outcome> rows = FUZZED.entrySet().stream()
          .filter(e -> e.getValue().source().equals(source))
          .flatMap(e -> baseline.get(sample.resolve(e.getKey())).values().stream()).toList();
      SampleCorpus.Planted p = planted.get(source);
      assertThat(rows).as(source).hasSize((int) p.rawRows);
      assertThat(rows.stream().filter(o -> !o.quarantined()).count()).as(source)
          .isEqualTo(p.records());
      Map<String, Long> bad = new TreeMap<>();
      rows.stream().filter(Outcome::quarantined).forEach(o -> bad.merge(o.what()
          .substring("quarantined: ".length()), 1L, Long::sum));
      assertThat(bad).as(source).isEqualTo(p.bad);
    }
    Random rnd = new Random(20261122);
    for (Map.Entry<String, SampleFile> e : FUZZED.entrySet()) {
      Map<Long, Outcome> rows = baseline.get(sample.resolve(e.getKey()));
      List<Long> offsets = new ArrayList<>(rows.keySet());
      Set<Long> mutable = new TreeSet<>();
      offsets.stream().skip(1).filter(o -> !rows.get(o).quarantined()).forEach(mutable::add);
      List<RawFuzzer.Row> rowsOfCopy = new RawFuzzer(e.getValue().layout(), rnd).fuzz(
          sample.resolve(e.getKey()), fuzzed.resolve(e.getKey()), offsets, mutable, 4, 1);
      EXPECTED.put(fuzzed.resolve(e.getKey()), rowsOfCopy);
      System.out.printf("fuzzed %s: %d rows, bad: %s%n", e.getKey(), rowsOfCopy.size(),
          rowsOfCopy.stream().filter(row -> row.reason() != null).map(RawFuzzer.Row::change)
              .toList());
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A stage's arguments on the test warehouse and run. */
  private static String[] stage(String command, String... more) {
    List<String> a = new ArrayList<>(List.of(command, "--warehouse", WAREHOUSE, "--run-id", RUN));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  /** Runs a stage's command line ({@link #stage}) in this JVM, on its local[2] session. */
  private static CliRunner inThisJvm(Object job, String[] stageArgs) {
    return CliRunner.run(job, Arrays.copyOfRange(stageArgs, 1, stageArgs.length));
  }

  /** Ingest of the fuzzed sources' files under {@code dataRoot}. */
  private static String[] ingest(Path dataRoot, String... more) {
    List<String> a = new ArrayList<>(List.of("--sources", "sources/sample.conf", "--data-root",
        dataRoot.toString(), "--only", SOURCES));
    a.addAll(List.of(more));
    return stage("ingest", a.toArray(new String[0]));
  }

  /** Raw rows, records and quarantined rows by source, from ingest's printed table. */
  private static Map<String, long[]> ingestCounts(String out) {
    Map<String, long[]> counts = new TreeMap<>();
    out.lines().map(l -> l.trim().split("\\s+"))
        .filter(f -> f.length >= 5 && f[1].matches("\\d+") && f[2].matches("\\d+"))
        .forEach(f -> counts.put(f[0], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]),
            Long.parseLong(f[4])}));
    return counts;
  }

  /** Two steps of the tiny preset on the progressions of ProgressionSequences. */
  private static String[] train(String name, String... more) {
    List<String> a = new ArrayList<>(List.of("--recipe", ProgressionSequences.RECIPE, "--model",
        "tiny", "--name", name, "--workers", "2", "--batch-per-worker", "2",
        "--averaging-frequency", "2", "--steps", "2", "--checkpoint-every", "2", "--set",
        "tokenize.tokenizer=bytes", "--set", "tokenize.seq_len=64", "--set",
        "train.warmup_steps=1"));
    a.addAll(List.of(more));
    return stage("train", a.toArray(new String[0]));
  }

  /** Exit 2 with one message that names what it must, and no stack trace. */
  private static void assertUserError(Launcher.Result r, String... mentions) {
    assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains(mentions).doesNotContain("\tat ", "Exception in thread");
  }

  /** Each table's main: its current snapshot and its ancestors (what readers see). */
  private static Map<String, List<Long>> snapshots() throws Exception {
    Map<String, List<Long>> out = new TreeMap<>();
    for (String t : TableSchemas.tableNames()) {
      String name = TableSchemas.CATALOG + "." + t;
      List<Long> ids = new ArrayList<>();
      if (SPARK.catalog().tableExists(name)) {
        Table table = Spark3Util.loadIcebergTable(SPARK, name);
        table.refresh();
        ids.addAll(SnapshotUtil.currentAncestorIds(table));
      }
      out.put(t, ids);
    }
    return out;
  }

  /** The table's rows of the run, after REFRESH (other processes write the tables). */
  private static List<Row> runRows(String table, String columns, String runId) {
    SPARK.sql("REFRESH TABLE finmix." + table);
    return sql("SELECT %s FROM finmix.%s WHERE run_id = '%s' ORDER BY %s", columns, table, runId,
        columns);
  }

  /** Whether an ingest attempt's branch of the table has a commit of its own. */
  private static boolean recordsOnABranch(Table table) {
    table.refresh();
    long main = table.refs().get("main").snapshotId();
    return table.refs().entrySet().stream().anyMatch(e -> e.getKey().startsWith("finmix_ingest_")
        && e.getValue().snapshotId() != main);
  }

  private static Set<Path> dataFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet")
          && !f.getFileName().toString().startsWith(".")).collect(Collectors.toSet());
    } catch (IOException | UncheckedIOException e) {
      return Set.of(); // a writer changed the tree under the walk: look again
    }
  }

  /** A raw row's outcome: a record's content, or "quarantined: reason", with detail and raw. */
  private record Outcome(String what, String detail, String raw) {

    boolean quarantined() {
      return what.startsWith("quarantined: ");
    }
  }

  /**
   * Each raw row of the run: by raw file and byte offset. A row found twice (in both tables, or
   * twice in one) is added to {@code twice}.
   */
  private static Map<Path, Map<Long, Outcome>> outcomes(List<String> twice) {
    SPARK.sql("REFRESH TABLE finmix.corpus.records");
    SPARK.sql("REFRESH TABLE finmix.corpus.quarantine");
    List<Row> rows = sql("SELECT source_file, source_offset, to_json(struct(source, task, "
        + "domain, split, instruction, input, output, choices, label, attributes, license, "
        + "priority, source_item, text_hash)), NULL, NULL FROM finmix.corpus.records WHERE "
        + "run_id = '%s' UNION ALL SELECT source_file, source_offset, 'quarantined: ' || "
        + "reason, detail, raw FROM finmix.corpus.quarantine WHERE run_id = '%s'", RUN, RUN);
    Map<Path, Map<Long, Outcome>> out = new TreeMap<>();
    for (Row r : rows) {
      Path file = Path.of(URI.create(r.getString(0)));
      Outcome o = new Outcome(r.getString(2), r.getString(3), r.getString(4));
      if (out.computeIfAbsent(file, f -> new TreeMap<>()).put(r.getLong(1), o) != null) {
        twice.add(file + " at " + r.getLong(1));
      }
    }
    return out;
  }

  /** What became of each row (record content or quarantine reason), of one table only. */
  private static Map<Path, Map<Long, String>> fates(Map<Path, Map<Long, Outcome>> outcomes,
      boolean quarantined) {
    Map<Path, Map<Long, String>> out = new TreeMap<>();
    outcomes.forEach((file, rows) -> rows.forEach((offset, o) -> {
      if (o.quarantined() == quarantined) {
        out.computeIfAbsent(file, f -> new TreeMap<>()).put(offset, o.what());
      }
    }));
    return out;
  }

  /** The fate each row of the fuzzed files must meet: its reason, or its original row's. */
  private static Map<Path, Map<Long, String>> expectedFates() {
    Map<Path, Map<Long, String>> out = new TreeMap<>();
    EXPECTED.forEach((file, rows) -> rows.forEach(row -> out.computeIfAbsent(file,
        f -> new TreeMap<>()).put(row.offset(), row.reason() != null
            ? "quarantined: " + row.reason()
            : baseline.get(sample.resolve(fuzzed.relativize(file))).get(row.originalOffset())
                .what())));
    return out;
  }

  @Test
  @Order(1)
  void anIngestKilledBetweenItsWritesLeavesThePreviousAttemptsTablesBoth() throws Exception {
    Path data = Path.of(WAREHOUSE, "catalog", "corpus", "records", "data");
    Set<Path> filesBefore = dataFiles(data);
    Map<String, List<Long>> before = snapshots();
    Path log = Path.of(WAREHOUSE, "killed-ingest.log");
    Table records = Spark3Util.loadIcebergTable(SPARK, "finmix.corpus.records");
    Process p = cluster.submitInBackground(log, ingest(fuzzed));
    // ingest writes the records first, to its attempt's branch, then the quarantine: kill it
    // once that branch holds the records (the first commit), before the quarantine's
    Launcher.awaitWhileRunning(p, log, "the records on the attempt's branch", 10,
        () -> recordsOnABranch(records));
    p.destroyForcibly(); // SIGKILL to the driver's JVM between its two writes
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isEqualTo(137);
    assertThat(dataFiles(data)).as("data files written before the kill")
        .hasSizeGreaterThan(filesBefore.size());

    // neither main moved, so the next stage and an analyst's query read the clean ingest's
    // tables, both
    assertThat(snapshots().get("corpus.records")).as("records: the killed write not published")
        .isEqualTo(before.get("corpus.records"));
    assertThat(snapshots().get("corpus.quarantine")).as("quarantine: the killed attempt's "
        + "write is not published").isEqualTo(before.get("corpus.quarantine"));
    List<String> twice = new ArrayList<>();
    Map<Path, Map<Long, Outcome>> now = outcomes(twice);
    assertThat(twice).isEmpty();
    assertThat(fates(now, false)).as("the run's records, as the clean ingest left them")
        .isEqualTo(fates(baseline, false));
    assertThat(fates(now, true)).as("the run's quarantine, as the clean ingest left it")
        .isEqualTo(fates(baseline, true));
  }

  @Test
  @Order(2)
  void theRerunOfFuzzedRowsPutsEachInExactlyOnePlace() throws Exception {
    Launcher.Result r = cluster.submit(ingest(fuzzed));
    assertThat(r.exitCode()).as(r.err()).isZero();
    for (String t : List.of("corpus.records", "corpus.quarantine")) {
      SPARK.sql("REFRESH TABLE finmix." + t); // this JVM's catalog caches the table
      assertThat(sql("SELECT name FROM finmix.%s.refs", t)).as("%s: the killed attempt's branch "
          + "dropped by the re-run", t).extracting(row -> row.getString(0)).containsExactly("main");
    }
    List<String> twice = new ArrayList<>();
    Map<Path, Map<Long, Outcome>> got = outcomes(twice);
    assertThat(twice).as("rows in both tables, or twice in one").isEmpty();
    // the run's rows of these sources are the fuzzed files' now, every row in its place
    Map<Path, Map<Long, String>> fates = new TreeMap<>(fates(got, false));
    fates(got, true).forEach((file, rows) -> fates.computeIfAbsent(file, f -> new TreeMap<>())
        .putAll(rows));
    assertThat(fates).isEqualTo(expectedFates());
    long bad = 0;
    for (Map.Entry<Path, List<RawFuzzer.Row>> e : EXPECTED.entrySet()) {
      for (RawFuzzer.Row row : e.getValue()) {
        if (row.reason() != null) {
          bad++;
          Outcome o = got.get(e.getKey()).get(row.offset());
          assertThat(o.detail()).as("%s at %d (%s): detail", e.getKey(), row.offset(),
              row.change()).isNotBlank();
          assertThat(o.raw()).as("%s at %d (%s): raw", e.getKey(), row.offset(), row.change())
              .isNotEmpty();
        }
      }
    }
    assertThat(bad).as("bad rows made").isGreaterThanOrEqualTo(4L * FUZZED.size());
    // ingest's own counts: every raw row read, and each a record or quarantined
    Map<String, Long> rowsIn = new TreeMap<>();
    EXPECTED.forEach((file, rows) -> rowsIn.merge(FUZZED.get(fuzzed.relativize(file).toString())
        .source(), (long) rows.size(), Long::sum));
    Map<String, long[]> counts = ingestCounts(r.out());
    rowsIn.forEach((source, n) -> assertThat(counts.get(source)).as(source)
        .satisfies(c -> assertThat(c[0]).isEqualTo(n), c -> assertThat(c[1] + c[2]).isEqualTo(n)));
  }

  @Test
  @Order(3)
  void aTruncatedCheckpointIsAUserErrorThatWritesNothing() throws Exception {
    // a finished training run, trained in this JVM (the cluster's part is reading it back)
    CliRunner trained = inThisJvm(new TrainJob(), train("trained"));
    assertThat(trained.exitCode()).as(trained.err()).isZero();
    Path checkpoint = Path.of(runRows("train.runs", "train_run, checkpoint", RUN).stream()
        .filter(row -> row.getString(0).equals("trained")).findFirst().orElseThrow()
        .getString(1));
    Path copy = Files.createDirectories(Path.of(WAREHOUSE, "truncated", "step-2"));
    for (String f : List.of("model.safetensors", "optimizer.safetensors", "state.json",
        "manifest.json")) {
      Files.copy(checkpoint.resolve(f), copy.resolve(f));
    }
    truncate(copy.resolve("model.safetensors"));
    // the run's benchmarks need eval rows: the ingested records stand in for corpus.clean
    SPARK.sql("REFRESH TABLE finmix.corpus.records");
    TableWriter.overwrite(SPARK, "corpus.clean", SPARK.table("finmix.corpus.records")
        .where(col("run_id").equalTo(RUN)), col("run_id").equalTo(RUN));
    Map<String, List<Long>> before = snapshots();

    // the run trained again from the truncated copy: refused, the run left as it was
    assertUserError(cluster.submit(train("trained", "--init", copy.toString())),
        "train.init: checkpoint " + copy + ": model.safetensors does not match");
    assertThat(Checkpoint.valid(checkpoint.getParent())).as("the run's checkpoints")
        .containsOnlyKeys(2L);
    // the run's own checkpoint truncated on disk: evaluate refuses it
    truncate(checkpoint.resolve("model.safetensors"));
    assertUserError(cluster.submit(stage("evaluate", "--train-run", "trained", "--benchmark",
        "fpb", "--max-rows", "4", "--set", "tokenize.tokenizer=bytes")),
        "cannot evaluate checkpoint " + checkpoint + ": checkpoint " + checkpoint
            + ": model.safetensors does not match");
    assertThat(snapshots()).as("no table written").isEqualTo(before);
  }

  private static void truncate(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
  }

  /** A tokenizer directory: {@code tokenizer.json} as given, and its tokenizer_config.json. */
  private static Path tokenizer(String name, byte[] json) throws IOException {
    Path dir = Files.createDirectories(Path.of(WAREHOUSE, "tokenizers", name));
    Files.write(dir.resolve("tokenizer.json"), json);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
    return dir.resolve("tokenizer.json");
  }

  @Test
  @Order(4)
  void aMalformedTokenizerJsonIsAUserErrorNamingTheFile() throws Exception {
    Path good = tokenizer("good", new byte[0]);
    ByteLevelBpeFile.write(good, List.of(new String[] {"t", "h"}, new String[] {"th", "e"}),
        List.of("<|endoftext|>"));
    byte[] bytes = Files.readAllBytes(good);
    Path truncated = tokenizer("truncated", Arrays.copyOf(bytes, bytes.length / 2));
    JsonObject noModel = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8))
        .getAsJsonObject();
    noModel.remove("model");
    Path modelless = tokenizer("no-model", noModel.toString().getBytes(StandardCharsets.UTF_8));
    Map<String, List<Long>> before = snapshots();
    List<Row> sequences = runRows("train.sequences", "recipe, sequence_index", RUN);

    for (Path file : List.of(truncated, modelless)) {
      Launcher.Result r = cluster.submit(stage("tokenize", "--tokenizer", file.toString()));
      assertUserError(r, "tokenize.tokenizer: cannot load tokenizer " + file);
      assertThat(r.err()).as("where in the file").containsPattern("line \\d+ column \\d+");
    }
    assertThat(snapshots()).as("no table written").isEqualTo(before);
    assertThat(runRows("train.sequences", "recipe, sequence_index", RUN)).isEqualTo(sequences);
  }

  @Test
  @Order(5)
  void anUnknownConfigKeyStopsTheCommandBeforeItReachesTheCluster() throws Exception {
    Path conf = Path.of(WAREHOUSE, "overrides.conf");
    Files.writeString(conf, "# a user's overrides\ningest {\n  max_chars = 5000\n"
        + "  max_char = 10\n}\n");
    Map<String, List<Long>> before = snapshots();
    long applications = cluster.applications();

    assertUserError(cluster.submit(train("typo", "--set", "train.lr_typo=1")),
        "unknown config key 'train.lr_typo' in --set train.lr_typo");
    assertUserError(cluster.submit(ingest(sample, "--conf-file", conf.toString())),
        "unknown config key 'ingest.max_char' in " + conf + ":4");
    assertThat(cluster.applications()).as("applications the Master registered")
        .isEqualTo(applications);
    assertThat(snapshots()).as("no table written").isEqualTo(before);
  }
}
