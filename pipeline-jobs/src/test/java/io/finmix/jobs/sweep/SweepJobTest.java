package io.finmix.jobs.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.aggregate.ToyCorpus;
import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.StageState;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.tokenize.TokenizeJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code finmix sweep} on tiny models: a 2 recipes x 2 seeds grid is stopped after its first
 * run and resumed, a second sweep skips everything, a run marked failed resumes from its
 * checkpoint, and a run that cannot train fails alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SweepJobTest extends SparkTestBase {

  private static final String RUN = "sweep-test";
  private static final List<String> NAMES = List.of("target-only-toy-tiny-s1",
      "target-only-toy-tiny-s2", "toy+num-tiny-s1", "toy+num-tiny-s2");
  private static List<String> common;

  @BeforeAll
  static void corpus() throws Exception {
    ToyCorpus.Paths files = ToyCorpus.write(RUN);
    common = List.of("--warehouse", WAREHOUSE, "--run-id", RUN, "--set",
        "tokenize.tokenizer=bytes", "--set", "tokenize.seq_len=256", "--set",
        "mix.recipes=" + files.recipes(), "--set", "evaluate.benchmarks=" + files.benchmarks(),
        "--set", "aggregate.resamples=50", "--set", "evaluate.max_rows=6", "--set",
        "sweep.recipes=[target-only-toy, \"toy+num\"]", "--set", "sweep.models=[tiny]",
        "--set", "sweep.seeds=[1, 2]", "--set", "sweep.init=scratch", "--set", "train.steps=8",
        "--set",
        "train.checkpoint_every=4", "--set", "train.workers=2", "--set",
        "train.batch_per_worker=4", "--set", "train.lr=1e-2", "--set", "train.warmup_steps=2",
        "--set", "train.export_hf=false");
    assertThat(run(new MixJob()).exitCode()).isZero();
    assertThat(run(new TokenizeJob()).exitCode()).isZero();
  }

  private static CliRunner run(Object command, String... more) {
    List<String> args = new ArrayList<>(common);
    args.addAll(List.of(more));
    return CliRunner.run(command, args.toArray(new String[0]));
  }

  private static List<String> sets(String... more) {
    List<String> s = new ArrayList<>();
    for (int i = 0; i + 1 < common.size(); i++) {
      if (common.get(i).equals("--set")) {
        s.add(common.get(i + 1));
      }
    }
    s.add("run_id=" + RUN);
    s.addAll(List.of(more));
    return s;
  }

  private static long finished() {
    TableWriter.ensureTable(SPARK, "train.runs");
    SPARK.sql("REFRESH TABLE finmix.train.runs");
    return count("SELECT count(*) FROM finmix.train.runs WHERE run_id = '%s' AND status = "
        + "'finished'", RUN);
  }

  private static long snapshot(String table) {
    SPARK.sql("REFRESH TABLE finmix." + table);
    return sql("SELECT snapshot_id FROM finmix.%s.snapshots ORDER BY committed_at DESC LIMIT 1",
        table).get(0).getLong(0);
  }

  @Test
  @Order(1)
  void theGridIsEveryRecipeModelSeedAndLoraSettingInOrder() throws Exception {
    List<SweepGrid.Point> points = SweepGrid.plan(config(sets().toArray(new String[0])));
    assertThat(points).extracting(SweepGrid.Point::trainRun).containsExactlyElementsOf(NAMES);
    List<Map<String, Object>> json = new ObjectMapper().readValue(SweepJob.planJson(points),
        new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {});
    assertThat(json).hasSize(4);
    assertThat(json.get(2)).containsEntry("train_run", "toy+num-tiny-s1")
        .containsEntry("recipe", "toy+num").containsEntry("model", "tiny")
        .containsEntry("seed", 1).containsEntry("lora", null);

    List<SweepGrid.Point> lora = SweepGrid.plan(config(sets("sweep.seeds=[7]",
        "sweep.recipes=[a]", "sweep.lora=[off, {rank = 4}, {rank = 8, alpha = 32}]")
        .toArray(new String[0])));
    assertThat(lora).extracting(SweepGrid.Point::trainRun)
        .containsExactly("a-tiny-s7", "a-tiny-s7-lora-r4", "a-tiny-s7-lora-r8");
    assertThat(lora.get(2).overrides()).containsEntry("train.lora.enabled", true)
        .containsEntry("train.lora.rank", 8).containsEntry("train.lora.alpha", 32)
        .containsEntry("train.name", "a-tiny-s7-lora-r8");
    assertThat(lora.get(0).overrides()).containsEntry("train.lora.enabled", false);

    // from the run's pretrained base: every run starts from pretrain's export, whose preset
    // must be the grid's one model
    List<SweepGrid.Point> base = SweepGrid.plan(config(sets("sweep.init=base",
        "pretrain.model=tiny").toArray(new String[0])));
    assertThat(base).extracting(p -> p.overrides().get("train.init")).containsOnly(
        io.finmix.jobs.train.PretrainJob.baseDir(config(sets("pretrain.model=tiny")
            .toArray(new String[0]))).toString());
    assertThat(points).extracting(p -> p.overrides().get("train.init")).containsOnly("");
    CliRunner otherModel = run(new SweepJob(), "--plan", "--set", "sweep.init=base", "--set",
        "pretrain.model=mini");
    assertThat(otherModel.exitCode()).isEqualTo(2);
    assertThat(otherModel.err()).contains("sweep.models must be [mini]");

    CliRunner clash = run(new SweepJob(), "--plan", "--set",
        "sweep.lora=[{rank = 4}, {rank = 4, alpha = 8}]");
    assertThat(clash.exitCode()).isEqualTo(2);
    assertThat(clash.err()).contains("sweep.lora", "-lora-r4");
    CliRunner unknown = run(new SweepJob(), "--plan", "--only", "nope");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("'nope'", "target-only-toy-tiny-s1");
    CliRunner badKey = run(new SweepJob(), "--plan", "--set", "sweep.lora=[{rank = 4, rnak = 2}]");
    assertThat(badKey.exitCode()).isEqualTo(2);
    assertThat(badKey.err()).contains("sweep.lora", "'rnak'");
  }

  @Test
  @Order(2)
  void aStoppedSweepGoesOnWhereItWas() throws Exception {
    CompletableFuture<CliRunner> first = CompletableFuture.supplyAsync(() ->
        run(new SweepJob()));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (finished() < 1 && !first.isDone()) {
      assertThat(System.nanoTime()).as("a first finished run").isLessThan(deadline);
      Thread.sleep(200);
    }
    Sweep.requestStop(config(sets().toArray(new String[0])), new Configuration());
    CliRunner stopped = first.get(10, TimeUnit.MINUTES);
    assertThat(stopped.exitCode()).as(stopped.err()).isZero();
    long before = finished();
    assertThat(before).as("stopped before the grid's end").isBetween(1L, 3L);
    // stopped before aggregate
    TableWriter.ensureTable(SPARK, "eval.leaderboard");
    assertThat(count("SELECT count(*) FROM finmix.eval.leaderboard WHERE run_id = '%s'", RUN))
        .isZero();
    List<Row> firstRun = sql("SELECT train_run, updated_at FROM finmix.train.runs WHERE run_id "
        + "= '%s' AND train_run = '%s'", RUN, NAMES.get(0));

    CliRunner resumed = run(new SweepJob());
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(finished()).isEqualTo(4);
    // the run finished before was not trained again
    assertThat(sql("SELECT train_run, updated_at FROM finmix.train.runs WHERE run_id = '%s' "
        + "AND train_run = '%s'", RUN, NAMES.get(0))).isEqualTo(firstRun);
    SPARK.sql("REFRESH TABLE finmix.eval.predictions");
    assertThat(sql("SELECT DISTINCT train_run FROM finmix.eval.predictions WHERE run_id = '%s' "
        + "ORDER BY 1", RUN)).extracting(r -> r.getString(0)).containsExactlyElementsOf(NAMES);
    SPARK.sql("REFRESH TABLE finmix.eval.comparisons");
    assertThat(count("SELECT count(DISTINCT recipe) FROM finmix.eval.comparisons WHERE run_id "
        + "= '%s' AND recipe = 'toy+num' AND size(seeds) = 2", RUN)).isEqualTo(1);
    assertThat(StageState.read(config(sets().toArray(new String[0])), new Configuration(),
        "aggregate")).isPresent();
  }

  @Test
  @Order(3)
  void anUnchangedSweepSkipsEveryRunAndTheAggregate() {
    long runs = snapshot("train.runs");
    long predictions = snapshot("eval.predictions");
    long leaderboard = snapshot("eval.leaderboard");
    CliRunner again = run(new SweepJob());
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(snapshot("train.runs")).isEqualTo(runs);
    assertThat(snapshot("eval.predictions")).isEqualTo(predictions);
    assertThat(snapshot("eval.leaderboard")).isEqualTo(leaderboard);
  }

  @Test
  @Order(4)
  void aFailedRunResumesFromItsCheckpoint() {
    SPARK.sql(String.format("UPDATE finmix.train.runs SET status = 'failed', message = 'lost' "
        + "WHERE run_id = '%s' AND train_run = '%s'", RUN, NAMES.get(3)));
    CliRunner r = run(new SweepJob(), "--stage", "train");
    assertThat(r.exitCode()).as(r.err()).isZero();
    Row row = sql("SELECT status, resumes, steps FROM finmix.train.runs WHERE run_id = '%s' AND "
        + "train_run = '%s'", RUN, NAMES.get(3)).get(0);
    assertThat(row.getString(0)).isEqualTo("finished");
    assertThat(row.getInt(1)).isEqualTo(1);
    assertThat(row.getLong(2)).isEqualTo(8);
  }

  @Test
  @Order(5)
  void aRunThatCannotTrainFailsAlone() {
    long runs = finished();
    CliRunner r = run(new SweepJob(), "--stage", "train", "--recipes",
        "target-only-toy,no-such-recipe", "--retries", "3");
    assertThat(r.exitCode()).isEqualTo(Commands.FAILURE);
    assertThat(finished()).isEqualTo(runs);
    assertThat(count("SELECT count(*) FROM finmix.train.runs WHERE run_id = '%s' AND train_run "
        + "LIKE 'no-such-recipe%%'", RUN)).isZero();
  }
}
