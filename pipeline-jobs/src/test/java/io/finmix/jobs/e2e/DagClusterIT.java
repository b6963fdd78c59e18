package io.finmix.jobs.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.Launcher;
import io.finmix.jobs.LoopbackCluster;
import io.finmix.jobs.sql.ThriftServerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Airflow DAG end to end on a Spark standalone cluster on loopback (a Master and two Workers
 * from {@code bin/finmix cluster start}): dags/testing/run_dag.py runs every task's command
 * line with {@code bin/spark-submit --master spark://127.0.0.1:PORT}, on the generated sample
 * corpus and a small sweep; the leaderboard is read over JDBC from the Thrift server; a second
 * run of the same date leaves every table's rows of its run id as the first run left them.
 */
@Tag("e2e")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DagClusterIT {

  private static final String DS = "2026-11-22";
  private static final String RUN = "d20261122";
  private static final List<String> RECIPES = List.of("target-only-fpb", "finance");
  private static final List<String> TRAIN_RUNS = List.of("target-only-fpb-tiny-s1",
      "finance-tiny-s1");
  /** The Spark applications of one DAG run (plan prints its grid without one), by name. */
  private static final Map<String, Integer> APPS = new LinkedHashMap<>();
  /** Columns that hold wall-clock time, or ids Iceberg draws anew for every commit. */
  private static final Set<String> NOT_DETERMINISTIC = Set.of("started_at", "updated_at",
      "seconds", "tokens_per_second", "elapsed_seconds", "sequences_snapshot");

  static {
    // the pretrain task starts no application: sweep.init = scratch here (--if-sweep-base)
    for (String task : List.of("ingest", "dedup", "decontaminate", "mix", "train_tokenizer",
        "mix_tokens", "tokenize", "aggregate")) {
      APPS.put("finmix-" + task + "-" + RUN, 1);
    }
    APPS.put("finmix-train-" + RUN, TRAIN_RUNS.size());
    APPS.put("finmix-evaluate-" + RUN, TRAIN_RUNS.size());
  }

  private static Path work;
  private static Path warehouse;
  private static Path conf;
  private static LoopbackCluster cluster;
  private static int thriftPort;
  private static Map<String, List<String>> firstRun;

  @BeforeAll
  static void startTheClusterAndWriteTheStudy() throws Exception {
    Path target = Path.of("target").toAbsolutePath();
    Files.createDirectories(target);
    work = Files.createTempDirectory(target, "dag-cluster-it-");
    warehouse = work.resolve("warehouse");
    cluster = LoopbackCluster.start(warehouse.toString());

    Path data = work.resolve("sample-data");
    Launcher.Result sample = Launcher.run(ThriftServerFixture.env(warehouse), "sample-data",
        "--out", data.toString());
    assertThat(sample.exitCode()).as(sample.err()).isZero();
    // The study: the sample corpus, FPB's target-only recipe and the finance cocktail (so
    // eval.comparisons and eval.cocktail_effect get rows) x the tiny model x one seed, a few
    // steps each: 12 Spark applications per DAG run, about 13 minutes on two cores.
    conf = Files.writeString(work.resolve("study.conf"), String.join("\n",
        "ingest { sources = \"sources/sample.conf\", data_root = \"" + data + "\" }",
        "mix.only = [target-only-fpb, finance]",
        "train_tokenizer { recipe = finance, vocab_size = 1024 }",
        "tokenize { seq_len = 128, only = [target-only-fpb, finance] }",
        "train { steps = 16, batch_per_worker = 4, workers = 2, averaging_frequency = 4,",
        "  checkpoint_every = 8, warmup_steps = 4, lr = 1e-2 }",
        "evaluate.max_rows = 8",
        "aggregate.resamples = 200",
        "sweep { recipes = [target-only-fpb, finance], models = [tiny], seeds = [1],",
        "  lora = [off], init = scratch }",
        ""));
  }

  @AfterAll
  static void stopEverything() throws Exception {
    if (thriftPort != 0) {
      ThriftServerFixture.stop(warehouse);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  record DagRun(int exitCode, String err, long seconds) {}

  /** run_dag.py for the date with bin/spark-submit on the cluster, as Airflow would run it. */
  private static DagRun runDag(String name) throws Exception {
    List<String> command = List.of("python3", "dags/testing/run_dag.py", "--ds", DS,
        "--spark-binary", "bin/spark-submit", "--master", cluster.master(),
        "--var", "finmix_jar=" + Launcher.HOME.resolve("pipeline-jobs/target/finmix-jobs.jar"),
        "--var", "finmix_conf_file=" + conf,
        "--var", "finmix_warehouse=" + warehouse,
        // a few thousand rows: two shuffle partitions, not conf/spark-defaults.conf's eight
        "--var", "finmix_spark_conf={\"spark.executor.memory\": \"1g\", "
            + "\"spark.sql.shuffle.partitions\": \"2\"}");
    Path log = work.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(Launcher.HOME.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("FINMIX_"));
    pb.environment().put("FINMIX_DRIVER_MEMORY", "2g");
    long started = System.nanoTime();
    Process p = pb.start();
    // 12 Spark applications, each about a minute on two cores (half of it starting up)
    if (!p.waitFor(45, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);  // the spark-submit running
      p.destroyForcibly();
      throw new AssertionError("run_dag.py did not finish in 45 minutes; log: " + log);
    }
    return new DagRun(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8),
        (System.nanoTime() - started) / 1_000_000_000L);
  }

  /** Every table's rows of the run id (all of eval.reference_scores), deterministic columns. */
  private static Map<String, List<String>> tables() throws Exception {
    List<String> names = List.of(Files.readString(Launcher.HOME.resolve(
        "data-schemas/src/main/resources/finmix-schemas/tables.txt")).strip().split("\\s+"));
    Map<String, List<String>> tables = new LinkedHashMap<>();
    for (String table : names) {
      List<String> columns = new ArrayList<>();
      for (List<String> c : ThriftServerFixture.query(thriftPort, "DESCRIBE finmix." + table)) {
        if (c.get(0).isBlank() || c.get(0).startsWith("#")) {
          break;  // the partitioning section follows
        }
        if (!NOT_DETERMINISTIC.contains(c.get(0))) {
          columns.add(c.get(0));
        }
      }
      String where = columns.contains("run_id") ? " WHERE run_id = '" + RUN + "'" : "";
      List<String> rows = new ArrayList<>();
      for (List<String> row : ThriftServerFixture.query(thriftPort, "SELECT "
          + String.join(", ", columns) + " FROM finmix." + table + where)) {
        rows.add(String.join("\t", row.stream().map(String::valueOf).toList()));
      }
      rows.sort(null);
      tables.put(table + " (" + String.join(", ", columns) + ")", rows);
    }
    return tables;
  }

  @Test
  @Order(1)
  void theDagRunsEveryStageAsASparkApplicationOnTheCluster() throws Exception {
    DagRun run = runDag("first-run");
    System.out.printf("DagClusterIT: first run of the DAG: %d s%n", run.seconds());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.err()).contains("DAG finmix for " + DS + ": 14 tasks succeeded",
        "finmix plan: 2 training runs: " + String.join(", ", TRAIN_RUNS));
    for (String trainRun : TRAIN_RUNS) {
      assertThat(run.err()).contains("--stage train --only " + trainRun + " --run-id " + RUN,
          "--stage evaluate --only " + trainRun + " --run-id " + RUN);
    }
    assertThat(cluster.applicationsByName()).as("the applications the Master ran")
        .isEqualTo(APPS);
  }

  @Test
  @Order(2)
  void theLeaderboardIsReadOverJdbc() throws Exception {
    thriftPort = ThriftServerFixture.freePort();
    ThriftServerFixture.start(warehouse, thriftPort);
    List<List<String>> board = ThriftServerFixture.query(thriftPort, "SELECT model, recipe, "
        + "seeds, benchmark, mode, test_value, test_ci_low, test_ci_high, test_n FROM "
        + "finmix.eval.leaderboard WHERE run_id = '" + RUN + "' AND recipe NOT LIKE "
        + "'baseline-%'");
    assertThat(board).isNotEmpty();
    // beside them, the majority and random baselines every benchmark group shows
    assertThat(ThriftServerFixture.query(thriftPort, "SELECT DISTINCT recipe FROM "
        + "finmix.eval.leaderboard WHERE run_id = '" + RUN + "' AND recipe LIKE 'baseline-%'"))
        .extracting(r -> r.get(0)).contains("baseline-majority", "baseline-random");
    assertThat(board).extracting(r -> r.get(0)).containsOnly("tiny");
    assertThat(board).extracting(r -> r.get(1)).containsOnlyElementsOf(RECIPES)
        .containsAll(RECIPES);
    assertThat(board).extracting(r -> r.get(2)).containsOnly("1");
    for (List<String> r : board) {
      assertThat(Long.parseLong(r.get(8))).as("test rows of %s", r).isPositive();
      if (r.get(5) != null) {
        assertThat(Double.parseDouble(r.get(5))).as("%s", r).isBetween(0.0, 1.0);
        assertThat(Double.parseDouble(r.get(6))).as("%s", r)
            .isLessThanOrEqualTo(Double.parseDouble(r.get(7)));
      }
    }
    List<List<String>> runs = ThriftServerFixture.query(thriftPort, "SELECT train_run, status, "
        + "steps FROM finmix.train.runs WHERE run_id = '" + RUN + "' ORDER BY train_run");
    assertThat(runs).extracting(r -> r.get(0))
        .containsExactlyInAnyOrderElementsOf(TRAIN_RUNS);
    assertThat(runs).allSatisfy(r -> assertThat(r.subList(1, 3)).containsExactly("finished",
        "16"));
    firstRun = tables();
    // every table has rows to compare
    firstRun.forEach((table, rows) -> assertThat(rows).as(table).isNotEmpty());
  }

  @Test
  @Order(3)
  void aSecondRunOfTheDateLeavesEveryTableAsTheFirstLeftIt() throws Exception {
    assertThat(firstRun).as("the first run's tables (test 2)").isNotNull();
    DagRun run = runDag("second-run");
    System.out.printf("DagClusterIT: second run of the DAG: %d s%n", run.seconds());
    assertThat(run.exitCode()).as(run.err()).isZero();
    Map<String, List<String>> second = tables();
    assertThat(second.keySet()).containsExactlyElementsOf(firstRun.keySet());
    for (String table : firstRun.keySet()) {
      assertThat(second.get(table)).as(table).hasSameSizeAs(firstRun.get(table))
          .isEqualTo(firstRun.get(table));
    }
  }
}
