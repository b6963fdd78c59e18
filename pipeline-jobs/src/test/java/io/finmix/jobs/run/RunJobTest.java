package io.finmix.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SmallRun;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.RunReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.finmix.jobs.dedup.DedupJob;
import java.util.ArrayList;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunJobTest extends SparkTestBase {

  private static final List<String> TABLES = List.of("corpus.records", "corpus.deduped",
      "corpus.clean", "corpus.mixtures", "train.sequences", "train.runs", "eval.predictions",
      "eval.leaderboard");
  private static Path sample;

  /**
   * run on the sample corpus, the embedded default sized down (SmallRun.learning): the models
   * still learn, and every stage runs.
   */
  private static CliRunner run(String... more) {
    List<String> args = new ArrayList<>(List.of("--warehouse", WAREHOUSE, "--run-id",
        "run-test", "--set", "run.sample_data_dir=" + sample));
    args.addAll(SmallRun.learning());
    args.addAll(List.of(more));
    return CliRunner.run(new RunJob(), args.toArray(new String[0]));
  }

  private static Map<String, Long> snapshots() {
    Map<String, Long> m = new TreeMap<>();
    for (String t : TABLES) {
      SPARK.sql("REFRESH TABLE finmix." + t);
      m.put(t, sql("SELECT snapshot_id FROM finmix.%s.snapshots ORDER BY committed_at DESC "
          + "LIMIT 1", t).get(0).getLong(0));
    }
    return m;
  }

  @Test
  @Order(1)
  void runWritesTheSampleDataAndRunsEveryStage() throws Exception {
    sample = Files.createTempDirectory(Path.of(WAREHOUSE), "run-sample-");
    CliRunner r = run();
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(sample.resolve("fpb/all-data.csv")).exists();
    assertThat(count("SELECT count(DISTINCT source) FROM finmix.corpus.records "
        + "WHERE run_id = 'run-test'")).isEqualTo(13);
    assertThat(count("SELECT count(*) FROM finmix.corpus.quarantine WHERE run_id = 'run-test'"))
        .isGreaterThanOrEqualTo(10);
    Map<String, Object> report = RunReport.read(config("run_id=run-test"), new Configuration(),
        "ingest");
    assertThat(report).containsEntry("sources_file", "sources/sample.conf")
        .containsEntry("data_root", sample.toString());
    // dedup and decontaminate ran after ingest, each on the output of the one before
    long records = count("SELECT count(*) FROM finmix.corpus.records WHERE run_id = 'run-test'");
    long deduped = count("SELECT count(*) FROM finmix.corpus.deduped WHERE run_id = 'run-test'");
    long clean = count("SELECT count(*) FROM finmix.corpus.clean WHERE run_id = 'run-test'");
    assertThat(deduped).isLessThan(records).isGreaterThan(records / 2);
    assertThat(clean).isLessThan(deduped).isGreaterThan(deduped / 2);
    assertThat(RunReport.read(config("run_id=run-test"), new Configuration(), "decontaminate"))
        .containsKey("matched_training_rows_by_benchmark_and_source");
    // and mix drew every built-in recipe from the clean rows: the sample corpus has every task
    List<String> recipes = sql("SELECT DISTINCT recipe FROM finmix.corpus.mixtures WHERE run_id "
        + "= 'run-test' ORDER BY 1").stream().map(row -> row.getString(0)).toList();
    assertThat(recipes).containsExactlyInAnyOrder("balanced", "finance", "finance+general",
        "finance+general+math",
        "finance+math", "pretrain", "target-only-fiqa_sa", "target-only-fpb",
        "target-only-headline", "target-only-nwgi", "target-only-numeric_qa",
        "target-only-sentiment", "target-only-tfns");
    // target-only: the task's training rows, each once
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures WHERE run_id = 'run-test' "
        + "AND recipe = 'target-only-fpb'")).isEqualTo(count("SELECT count(*) FROM "
        + "finmix.corpus.clean WHERE run_id = 'run-test' AND source = 'fpb' AND split = 'train'"));
    // the pretraining mixture: every domain's training text, no labels, the loss on all of it
    assertThat(count("SELECT count(*) FROM finmix.corpus.mixtures WHERE run_id = 'run-test' "
        + "AND recipe = 'pretrain' AND prompt = '' AND (answer LIKE '%%Answer:%%' OR answer IN "
        + "('positive', 'negative', 'neutral'))")).isZero();
    assertThat(count("SELECT count(DISTINCT component) FROM finmix.corpus.mixtures WHERE "
        + "run_id = 'run-test' AND recipe = 'pretrain'")).isEqualTo(3);
    // then the base pretrained, and the sweep grid fine-tuned from it, evaluated, aggregated
    assertThat(sql("SELECT train_run, status, steps, init FROM finmix.train.runs WHERE run_id = "
        + "'run-test' ORDER BY 1")).extracting(t -> t.getString(0) + "," + t.getString(1) + ","
            + t.getLong(2) + "," + (t.getString(3).equals("scratch") ? "scratch" : "base"))
        .containsExactly("finance+general+math-mini-s1,finished,120,base",
            "pretrain-mini-s1,finished,100,scratch", "target-only-fpb-mini-s1,finished,120,base");
    assertThat(count("SELECT count(DISTINCT train_run) FROM finmix.eval.predictions WHERE run_id "
        + "= 'run-test'")).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM finmix.eval.cocktail_effect WHERE run_id = "
        + "'run-test' AND benchmark = 'fpb' AND recipe = 'finance+general+math'"))
        .isGreaterThan(0);
    // the models learned: on every test row of FPB both beat the majority class (the lower end
    // of their interval above it), and so does the cocktail on TFNS's
    Map<String, Row> board = new TreeMap<>();
    sql("SELECT benchmark, recipe, test_value, test_ci_low FROM finmix.eval.leaderboard WHERE "
        + "run_id = 'run-test' AND mode = 'rank_raw'").forEach(b -> board.put(b.getString(0)
            + " " + b.getString(1), b));
    for (String model : List.of("fpb target-only-fpb", "fpb finance+general+math",
        "tfns finance+general+math")) {
      String benchmark = model.substring(0, model.indexOf(' '));
      double majority = board.get(benchmark + " baseline-majority").getDouble(2);
      assertThat(board.get(model).getDouble(3)).as("%s: %s against the majority's %s", model,
          board.get(model), majority).isGreaterThan(majority);
    }
    assertThat(Path.of(WAREHOUSE, "runs", "run-test", "report", "eval", "report.html"))
        .exists();
  }

  @Test
  @Order(2)
  void aSecondRunSkipsEveryStage() {
    Map<String, Long> before = snapshots();
    CliRunner r = run();
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(snapshots()).isEqualTo(before);
  }

  @Test
  @Order(3)
  void aStageRunAloneIsRedoneWithWhatFollowsIt() {
    Map<String, Long> before = snapshots();
    // dedup alone, with another setting: its output is not what run left
    CliRunner alone = CliRunner.run(new DedupJob(), "--warehouse", WAREHOUSE, "--run-id",
        "run-test", "--set", "dedup.near.enabled=false");
    assertThat(alone.exitCode()).as(alone.err()).isZero();
    CliRunner r = run("--stage", "ingest,dedup,decontaminate");
    assertThat(r.exitCode()).as(r.err()).isZero();
    Map<String, Long> after = snapshots();
    assertThat(after.get("corpus.records")).isEqualTo(before.get("corpus.records"));
    assertThat(after.get("corpus.deduped")).isNotEqualTo(before.get("corpus.deduped"));
    assertThat(after.get("corpus.clean")).isNotEqualTo(before.get("corpus.clean"));
    // stages not named were neither run nor checked
    assertThat(after.get("corpus.mixtures")).isEqualTo(before.get("corpus.mixtures"));
    // dedup ran with run's own settings again: near duplicates removed
    assertThat(count("SELECT count(*) FROM finmix.corpus.duplicate_clusters WHERE run_id = "
        + "'run-test' AND reason = 'near_duplicate'")).isGreaterThan(0);
  }
}
