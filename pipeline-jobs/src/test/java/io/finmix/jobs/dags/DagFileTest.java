package io.finmix.jobs.dags;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finmix.jobs.Launcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * dags/finmix.py without Airflow (which cannot be installed here): it compiles, and the harness
 * dags/testing/run_dag.py renders it for one logical date into the spark-submit command lines
 * Airflow's SparkSubmitOperator would run, in the order it would run them.
 */
class DagFileTest {

  private static final String JOBS = "io.finmix.jobs.";
  private static final String SWEEP = JOBS + "sweep.SweepJob";
  private static final String WAREHOUSE = "/data/finmix";
  private static final String RUN = "d20261122";
  private static final String TOKENIZER = WAREHOUSE + "/runs/" + RUN + "/tokenizer";
  private static final String MASTER = "spark://spark-master:7077";
  private static final String BINARY = "/opt/finmix/bin/spark-submit";

  /** Task id -> job class, in the order the DAG runs them (null: a Python task). */
  private static final Map<String, String> TASKS = new LinkedHashMap<>();

  static {
    TASKS.put("ingest", JOBS + "ingest.IngestJob");
    TASKS.put("dedup", JOBS + "dedup.DedupJob");
    TASKS.put("decontaminate", JOBS + "decontaminate.DecontaminateJob");
    TASKS.put("mix", JOBS + "mix.MixJob");
    TASKS.put("train_tokenizer", JOBS + "tokenize.TrainTokenizerJob");
    TASKS.put("mix_tokens", JOBS + "mix.MixJob");
    TASKS.put("tokenize", JOBS + "tokenize.TokenizeJob");
    TASKS.put("pretrain", JOBS + "train.PretrainJob");
    TASKS.put("plan", null);
    TASKS.put("train_args", null);
    TASKS.put("train", SWEEP);
    TASKS.put("evaluate_args", null);
    TASKS.put("evaluate", SWEEP);
    TASKS.put("aggregate", SWEEP);
  }

  private static Path scratch;

  record Result(int exitCode, String out, String err) {}

  @BeforeAll
  static void scratchDir() throws Exception {
    Path target = Path.of("target").toAbsolutePath();
    Files.createDirectories(target);
    scratch = Files.createTempDirectory(target, "dag-file-test-");
  }

  private static Result python(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3"));
    command.addAll(List.of(args));
    Path out = scratch.resolve("out.txt");
    Path err = scratch.resolve("err.txt");
    Process p = new ProcessBuilder(command).directory(Launcher.HOME.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("python3 %s finishes", command).isTrue();
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static Result runDag(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("dags/testing/run_dag.py", "--ds",
        "2026-11-22", "--master", MASTER, "--var", "finmix_warehouse=" + WAREHOUSE));
    command.addAll(List.of(args));
    return python(command.toArray(new String[0]));
  }

  private static Map<String, JsonNode> tasks(JsonNode dag) {
    Map<String, JsonNode> byId = new LinkedHashMap<>();
    dag.get("tasks").forEach(t -> byId.put(t.get("task_id").asText(), t));
    return byId;
  }

  private static List<String> strings(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private static List<List<String>> commands(JsonNode task) {
    return StreamSupport.stream(task.get("commands").spliterator(), false)
        .map(DagFileTest::strings).toList();
  }

  private static JsonNode dryRun(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--dry-run", "--spark-binary", BINARY));
    all.addAll(List.of(args));
    Result r = runDag(all.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  void theDagFileCompiles() throws Exception {
    Result r = python("-m", "py_compile", "dags/finmix.py");
    assertThat(r.exitCode()).as(r.err()).isZero();
    Result harness = python("-m", "py_compile", "dags/testing/run_dag.py");
    assertThat(harness.exitCode()).as(harness.err()).isZero();
  }

  @Test
  void everyStageOnceWithItsJobClassRunIdRetriesAndPool() throws Exception {
    JsonNode dag = dryRun("--xcom", "plan=[\"r-a\", \"r-b\"]");
    assertThat(dag.get("dag_id").asText()).isEqualTo("finmix");
    assertThat(dag.get("max_active_runs").asInt()).isEqualTo(1);
    assertThat(dag.get("catchup").asBoolean(true)).isFalse();
    Map<String, JsonNode> tasks = tasks(dag);
    assertThat(tasks.keySet()).containsExactlyElementsOf(TASKS.keySet());

    for (Map.Entry<String, String> expected : TASKS.entrySet()) {
      JsonNode task = tasks.get(expected.getKey());
      assertThat(task.get("retries").asInt()).as(expected.getKey()).isEqualTo(2);
      assertThat(task.get("pool").asText()).as(expected.getKey()).isEqualTo("finmix");
      if (expected.getValue() == null) {
        assertThat(task.get("operator").asText()).isEqualTo("@task");
        continue;
      }
      assertThat(task.get("java_class").asText()).as(expected.getKey())
          .isEqualTo(expected.getValue());
      for (List<String> c : commands(task)) {
        // the provider's order: binary, --master, ..., --class, application, application args
        assertThat(c.subList(0, 3)).isEqualTo(List.of(BINARY, "--master", MASTER));
        int jar = c.indexOf("/opt/finmix/pipeline-jobs/target/finmix-jobs.jar");
        assertThat(c.subList(jar - 2, jar)).as(expected.getKey())
            .isEqualTo(List.of("--class", expected.getValue()));
        assertThat(String.join(" ", c.subList(jar + 1, c.size()))).as(expected.getKey())
            .contains("--run-id " + RUN + " --conf-file /opt/finmix/conf/finmix.conf "
                + "--warehouse " + WAREHOUSE);
      }
    }
    // the stages in a chain, the sweep after tokenize
    List<String> ids = new ArrayList<>(TASKS.keySet());
    for (int i = 1; i <= 8; i++) {
      assertThat(strings(tasks.get(ids.get(i)).get("upstream"))).as(ids.get(i))
          .containsExactly(ids.get(i - 1));
    }
    assertThat(strings(tasks.get("evaluate").get("upstream"))).contains("train");
    assertThat(strings(tasks.get("aggregate").get("upstream"))).containsExactly("evaluate");
  }

  @Test
  void mixCountsBytesThenTheTrainedTokenizerWhichEveryLaterStageUses() throws Exception {
    Map<String, JsonNode> tasks = tasks(dryRun("--xcom", "plan=[\"r-a\"]"));
    assertThat(commands(tasks.get("mix")).get(0)).containsSequence("--set", "mix.tokenizer=bytes");
    assertThat(commands(tasks.get("train_tokenizer")).get(0)).containsSequence("--out", TOKENIZER);
    String json = TOKENIZER + "/tokenizer.json";
    assertThat(commands(tasks.get("mix_tokens")).get(0))
        .containsSequence("--set", "mix.tokenizer=" + json);
    assertThat(commands(tasks.get("tokenize")).get(0)).containsSequence("--tokenizer", json);
    assertThat(commands(tasks.get("pretrain")).get(0)).contains("--if-sweep-base");
    for (String sweep : List.of("pretrain", "train", "evaluate", "aggregate")) {
      assertThat(commands(tasks.get(sweep)).get(0)).as(sweep)
          .containsSequence("--set", "tokenize.tokenizer=" + json);
    }
  }

  @Test
  void trainAndEvaluateAreMappedOnePerPlannedRun() throws Exception {
    Map<String, JsonNode> tasks = tasks(dryRun("--xcom", "plan=[\"r-a\", \"r-b\"]"));
    for (String stage : List.of("train", "evaluate")) {
      JsonNode task = tasks.get(stage);
      assertThat(task.get("mapped").asBoolean()).as(stage).isTrue();
      assertThat(task.get("expand").get("application_args").asText()).isEqualTo(stage + "_args");
      List<List<String>> c = commands(task);
      assertThat(c).hasSize(2);
      assertThat(c.get(0)).containsSequence("--stage", stage, "--only", "r-a");
      assertThat(c.get(1)).containsSequence("--stage", stage, "--only", "r-b");
    }
    assertThat(tasks.get("aggregate").get("mapped").asBoolean()).isFalse();
    assertThat(commands(tasks.get("aggregate")).get(0)).containsSequence("--stage", "aggregate");

    // without the plan's result, a dry run knows the mapped tasks but not their commands
    Map<String, JsonNode> unplanned = tasks(dryRun());
    assertThat(unplanned.get("plan").get("ran").asBoolean()).isFalse();
    assertThat(unplanned.get("train").get("commands").isNull()).isTrue();
  }

  @Test
  void variablesSetThePoolRetriesSparkConfAndJar() throws Exception {
    Map<String, JsonNode> tasks = tasks(dryRun("--xcom", "plan=[\"r-a\"]", "--var",
        "finmix_pool=gpu", "--var", "finmix_retries=5", "--var",
        "finmix_spark_conf={\"spark.executor.memory\": \"3g\"}", "--var", "finmix_jar=/j.jar"));
    for (JsonNode task : tasks.values()) {
      assertThat(task.get("pool").asText()).isEqualTo("gpu");
      assertThat(task.get("retries").asInt()).isEqualTo(5);
    }
    List<String> ingest = commands(tasks.get("ingest")).get(0);
    assertThat(ingest).containsSequence("--conf", "spark.executor.memory=3g")
        .containsSequence(JOBS + "ingest.IngestJob", "/j.jar");
  }

  /**
   * Runs the DAG with a stand-in spark-submit that records its arguments, prints a plan of two
   * training runs for {@code --plan}, and fails for one job class.
   */
  private static Result runWithFakeSparkSubmit(Path log, String failingClass) throws Exception {
    Path fake = scratch.resolve("fake-spark-submit-" + System.nanoTime());
    Files.writeString(fake, String.join("\n",
        "#!/usr/bin/env bash",
        "printf '%s\\n' \"$*\" >> '" + log + "'",
        "case \" $* \" in *' --plan --json '*) echo '[{\"train_run\": \"r-a\", \"seed\": 1},"
            + " {\"train_run\": \"r-b\", \"seed\": 2}]' ;; esac",
        "case \" $* \" in *' --class " + failingClass + " '*) echo failing >&2; exit 3 ;; esac",
        ""));
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    return runDag("--spark-binary", fake.toString());
  }

  @Test
  void aRunSubmitsEveryStageInOrderAndThePlanThroughTheSameSparkSubmit() throws Exception {
    Path log = scratch.resolve("submits-all.log");
    Result r = runWithFakeSparkSubmit(log, "none");
    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> submits = Files.readAllLines(log);
    List<String> classes = submits.stream()
        .map(s -> s.replaceAll(".* --class (\\S+) .*", "$1")).toList();
    assertThat(classes).containsExactly(JOBS + "ingest.IngestJob", JOBS + "dedup.DedupJob",
        JOBS + "decontaminate.DecontaminateJob", JOBS + "mix.MixJob",
        JOBS + "tokenize.TrainTokenizerJob", JOBS + "mix.MixJob", JOBS + "tokenize.TokenizeJob",
        JOBS + "train.PretrainJob", SWEEP, SWEEP, SWEEP, SWEEP, SWEEP, SWEEP);
    assertThat(submits).allMatch(s -> s.startsWith("--master " + MASTER + " "));
    assertThat(submits.get(8)).contains("--plan --json --run-id " + RUN + " --conf-file ");
    assertThat(submits.subList(9, 14)).extracting(s -> s.replaceAll(".* --stage (\\S+)"
        + "( --only (\\S+))? .*", "$1 $3").strip())
        .containsExactly("train r-a", "train r-b", "evaluate r-a", "evaluate r-b", "aggregate");
  }

  @Test
  void aFailingTaskIsNamedAndNothingAfterItRuns() throws Exception {
    Path log = scratch.resolve("submits-failing.log");
    Result r = runWithFakeSparkSubmit(log, JOBS + "decontaminate.DecontaminateJob");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("task decontaminate failed", "exited with 3");
    assertThat(Files.readAllLines(log)).hasSize(3);
  }
}
