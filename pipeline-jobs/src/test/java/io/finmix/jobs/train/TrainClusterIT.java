package io.finmix.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.Launcher;
import io.finmix.jobs.LoopbackCluster;
import io.finmix.jobs.SparkTestBase;
import io.finmix.model.io.Checkpoint;
import io.finmix.model.nn.Decoder;
import io.finmix.model.train.TrainConfig;
import io.finmix.model.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code finmix train} on a real Spark standalone cluster on loopback (a Master and two Workers
 * started by {@code bin/finmix cluster start}), submitted through SparkSubmit as users do: it
 * trains, resumes after its driver is killed, and survives a Worker killed mid-run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainClusterIT extends SparkTestBase {

  private static final String RUN = "cluster-it";
  private static LoopbackCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    ProgressionSequences.write(SPARK, RUN, 240, 64);
    cluster = LoopbackCluster.start(WAREHOUSE);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String[] command(String name, String... more) {
    List<String> c = new ArrayList<>(List.of("train", "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipe", ProgressionSequences.RECIPE, "--model", "tiny", "--name", name, "--workers",
        "2", "--batch-per-worker", "4", "--averaging-frequency", "4", "--lr", "1e-2", "--steps",
        "48", "--checkpoint-every", "8", "--set", "tokenize.tokenizer=bytes", "--set",
        "tokenize.seq_len=64", "--set", "train.warmup_steps=4"));
    c.addAll(List.of(more));
    return c.toArray(new String[0]);
  }

  private static Launcher.Result train(String name, String... more) throws Exception {
    return cluster.submit(command(name, more));
  }

  private static Path checkpoints(String name) {
    return Path.of(WAREHOUSE, "runs", RUN, "train", name, "checkpoints");
  }

  private static List<Row> metrics(String name) {
    SPARK.sql("REFRESH TABLE finmix.train.metrics");
    return sql("SELECT step, loss FROM finmix.train.metrics WHERE run_id = '%s' AND train_run = "
        + "'%s' ORDER BY step", RUN, name);
  }

  private static Row run(String name) {
    SPARK.sql("REFRESH TABLE finmix.train.runs");
    return sql("SELECT status, steps, resumes, checkpoint, workers FROM finmix.train.runs WHERE "
        + "run_id = '%s' AND train_run = '%s'", RUN, name).get(0);
  }

  /** Starts a training run as a process; returns once its checkpoint at {@code step} exists. */
  private static Process startAndWaitForCheckpoint(String name, long step) throws Exception {
    Path log = Path.of(WAREHOUSE, name + ".log");
    Process p = cluster.submitInBackground(log, command(name));
    Launcher.awaitWhileRunning(p, log, "checkpoint " + step + " of " + name, 200,
        () -> Checkpoint.valid(checkpoints(name)).containsKey(step));
    return p;
  }

  @Test
  @Order(1)
  void trainsOnTheClusterAndTheCheckpointScores() throws Exception {
    Launcher.Result r = train("whole");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("train whole finished: 48 steps");
    assertThat(r.err()).contains("train whole: step 48/48 (100%)", "tok/s", "ETA");
    Row run = run("whole");
    assertThat(run.getString(0)).isEqualTo("finished");
    assertThat(run.getLong(1)).isEqualTo(48);
    List<Row> steps = metrics("whole");
    assertThat(steps).hasSize(48);
    double first = steps.get(0).getDouble(1);
    double last = steps.subList(43, 48).stream().mapToDouble(s -> s.getDouble(1)).average()
        .orElseThrow();
    assertThat(last).as("loss falls well below its start").isLessThan(first * 0.6);

    Checkpoint ck = Checkpoint.read(Path.of(run.getString(3)));
    Decoder model = Trainer.resume(ck, TrainConfig.of(1e-3, 0, 1, 1)).model();
    assertThat(ProgressionSequences.rankedFirst(model, 64, 3, 1, 11)).as("true next terms ranked first, of 20").isGreaterThanOrEqualTo(16);
  }

  @Test
  @Order(2)
  void aKilledDriverResumesFromItsCheckpointWithTheSameSteps() throws Exception {
    Process p = startAndWaitForCheckpoint("killed", 16);
    p.destroyForcibly().waitFor();
    assertThat(run("killed").getString(0)).isEqualTo("running");
    Launcher.Result resumed = train("killed", "--resume");
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.err()).contains("resuming from");
    Row run = run("killed");
    assertThat(run.getString(0)).isEqualTo("finished");
    assertThat(run.getLong(1)).isEqualTo(48);
    assertThat(run.getInt(2)).isEqualTo(1);
    // the same settings as "whole": the same data order, the same losses step by step
    assertThat(metrics("killed")).hasSize(48).isEqualTo(metrics("whole"));
  }

  /** Last: the cluster has one Worker after it. */
  @Test
  @Order(3)
  void aKilledWorkerDoesNotStopTheRun() throws Exception {
    Process p = startAndWaitForCheckpoint("worker-lost", 8);
    ProcessHandle.of(cluster.workerPid(2)).ifPresent(ProcessHandle::destroyForcibly);
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    String log = Files.readString(Path.of(WAREHOUSE, "worker-lost.log"));
    assertThat(p.exitValue()).as(log).isZero();
    Row run = run("worker-lost");
    assertThat(run.getString(0)).isEqualTo("finished");
    assertThat(run.getLong(1)).isEqualTo(48);
    assertThat(metrics("worker-lost")).hasSize(48);
  }
}
