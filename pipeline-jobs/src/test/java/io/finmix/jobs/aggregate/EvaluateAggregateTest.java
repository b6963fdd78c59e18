package io.finmix.jobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.eval.EvaluateJob;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.tokenize.TokenizeJob;
import io.finmix.jobs.train.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * evaluate + aggregate end to end on tiny models trained here: a learnable two-class
 * "sentiment" source (the word up or down decides) and a numeric source, mixed into a
 * target-only recipe and a cocktail, each trained with two seeds, packed with bytes.
 */
class EvaluateAggregateTest extends SparkTestBase {

  private static final String RUN = "eval-test";
  private static Path benchmarks;
  private static List<String> common;

  @BeforeAll
  static void trainFourRuns() throws Exception {
    ToyCorpus.Paths files = ToyCorpus.write(RUN);
    benchmarks = files.benchmarks();
    Path recipes = files.recipes();
    common = List.of("--warehouse", WAREHOUSE, "--run-id", RUN, "--set",
        "tokenize.tokenizer=bytes", "--set", "tokenize.seq_len=256", "--set",
        "mix.recipes=" + recipes, "--set", "evaluate.benchmarks=" + benchmarks, "--set",
        "aggregate.resamples=200");
    assertThat(run(new MixJob()).exitCode()).isZero();
    assertThat(run(new TokenizeJob()).exitCode()).isZero();
    for (String recipe : List.of("target-only-toy", "toy+num")) {
      for (String seed : List.of("1", "2")) {
        CliRunner r = run(new TrainJob(), "--recipe", recipe, "--seed", seed, "--model", "tiny",
            "--steps", "40", "--checkpoint-every", "40", "--workers", "2",
            "--batch-per-worker", "4", "--lr", "1e-2", "--averaging-frequency", "4", "--set",
            "train.warmup_steps=4");
        assertThat(r.exitCode()).as(r.err()).isZero();
      }
    }
  }

  private static CliRunner run(Object command, String... more) {
    List<String> args = new ArrayList<>(common);
    args.addAll(List.of(more));
    return CliRunner.run(command, args.toArray(new String[0]));
  }

  @Test
  void evaluatesAggregatesAndReports() throws Exception {
    CliRunner evaluated = run(new EvaluateJob());
    assertThat(evaluated.exitCode()).as(evaluated.err()).isZero();

    // every run x row x mode (the last checkpoint): toysent 48 rows x 3 modes, toynum 16 x 1
    assertThat(count("SELECT count(*) FROM finmix.eval.predictions WHERE run_id = '%s'", RUN))
        .isEqualTo(4 * (48 * 3 + 16));
    Row rank = sql("SELECT count(*), sum(CAST(correct AS INT)), min(size(choices)), "
        + "min(k_shot), count(DISTINCT record_id, prompt_hash) FROM finmix.eval.predictions "
        + "WHERE run_id = '%s' AND benchmark = 'toysent' AND mode = 'rank_raw' AND step = 40",
        RUN).get(0);
    assertThat(rank.getLong(0)).isEqualTo(4 * 48);
    // the word up or down decides: trained models rank the right label first
    assertThat(rank.getLong(1)).isGreaterThan(4 * 48 * 8 / 10);
    assertThat(rank.getInt(2)).isEqualTo(2);
    assertThat(rank.getInt(3)).isZero();
    assertThat(rank.getLong(4)).isEqualTo(48); // the same prompt for a row in every run
    // generation: an unparsable output is missing (null), never a default class
    assertThat(count("SELECT count(*) FROM finmix.eval.predictions WHERE run_id = '%s' AND mode = "
        + "'generate' AND prediction IS NULL AND correct", RUN)).isZero();
    assertThat(sql("SELECT DISTINCT k_shot, choices IS NULL FROM finmix.eval.predictions WHERE "
        + "run_id = '%s' AND benchmark = 'toynum'", RUN)).containsExactly(RowFactory.create(1,
        true));

    CliRunner aggregated = run(new AggregateJob());
    assertThat(aggregated.exitCode()).as(aggregated.err()).isZero();
    List<Row> scores = sql("SELECT train_run, step, benchmark, split, mode, metric, value, "
        + "ci_low, ci_high, n, selected, selected_by FROM finmix.eval.scores WHERE run_id = '%s'"
        + " ORDER BY train_run, step, benchmark, split, mode, metric", RUN);
    // 4 runs x (toysent: 2 splits x 3 modes x 5 metrics + toynum: 2 x 1 x 2)
    assertThat(scores).hasSize(4 * (2 * 3 * 5 + 2 * 2));
    for (Row s : scores) {
      assertThat(s.getLong(9)).isEqualTo(s.getString(2).equals("toysent") ? 24 : 8);
      if (!s.isNullAt(7)) {
        assertThat(s.getDouble(7)).isLessThanOrEqualTo(s.getDouble(6));
        assertThat(s.getDouble(8)).isGreaterThanOrEqualTo(s.getDouble(6));
      }
      assertThat(s.getString(11)).isEqualTo("valid");
    }
    // one checkpoint per training run and mode, chosen on valid rows (AggregateJobTest: among
    // several)
    assertThat(sql("SELECT train_run, mode, count(DISTINCT step) FROM finmix.eval.scores WHERE "
        + "run_id = '%s' AND selected GROUP BY 1, 2", RUN))
        .hasSize(4 * 3).allSatisfy(r -> assertThat(r.getLong(2)).isEqualTo(1));

    List<Row> comparisons = sql("SELECT benchmark, split, mode, metric, recipe, "
        + "baseline_recipe, size(seeds), n, delta, ci_low, ci_high, p_value FROM "
        + "finmix.eval.comparisons WHERE run_id = '%s'", RUN);
    assertThat(comparisons).isNotEmpty().allSatisfy(c -> {
      assertThat(c.getString(4)).isEqualTo("toy+num");
      assertThat(c.getString(5)).isEqualTo("target-only-toy");
      assertThat(c.getInt(6)).isEqualTo(2);
      if (!c.isNullAt(11)) {
        assertThat(c.getDouble(11)).isBetween(0.0, 1.0);
        assertThat(c.getDouble(9)).isLessThanOrEqualTo(c.getDouble(10));
      }
    });
    List<Row> board = sql("SELECT benchmark, mode, recipe, seeds, valid_rank, test_value, "
        + "test_ci_low, test_ci_high, selected_on, reported_split FROM finmix.eval.leaderboard "
        + "WHERE run_id = '%s' ORDER BY benchmark, mode, valid_rank", RUN);
    List<Row> models = board.stream().filter(b -> !b.isNullAt(4)).toList();
    List<Row> baselines = board.stream().filter(b -> b.isNullAt(4)).toList();
    assertThat(models).hasSize(2 * 4); // 2 recipes x (toysent 3 modes + toynum 1)
    // majority for every benchmark and mode, uniform-random only where there are choices
    assertThat(baselines).extracting(b -> b.getString(0) + "/" + b.getString(1) + "/"
        + b.getString(2)).containsExactlyInAnyOrder(
            "toynum/generate/baseline-majority", "toysent/generate/baseline-majority",
            "toysent/generate/baseline-random", "toysent/rank_norm/baseline-majority",
            "toysent/rank_norm/baseline-random", "toysent/rank_raw/baseline-majority",
            "toysent/rank_raw/baseline-random");
    assertThat(models).allSatisfy(b -> {
      assertThat(b.getInt(3)).isEqualTo(2);
      assertThat(b.getInt(4)).isBetween(1, 2);
      assertThat(b.getString(8)).isEqualTo("valid");
      assertThat(b.getString(9)).isEqualTo("test");
    });
    assertThat(count("SELECT count(*) FROM finmix.eval.cocktail_effect WHERE run_id = '%s'", RUN))
        .isEqualTo(4);
    // Holm over the four cocktail-effect rows: never below the raw p; significant follows it
    assertThat(sql("SELECT p_value, p_adjusted, significant, seed_ci_low, seed_ci_high, delta "
        + "FROM finmix.eval.cocktail_effect WHERE run_id = '%s'", RUN)).allSatisfy(e -> {
          if (!e.isNullAt(0)) {
            assertThat(e.getDouble(1)).isBetween(e.getDouble(0), 1.0);
            assertThat(e.getBoolean(2)).isEqualTo(e.getDouble(1) <= 1 - 0.95);
          }
          if (!e.isNullAt(3)) {
            assertThat(e.getDouble(3)).isLessThanOrEqualTo(e.getDouble(4));
          }
        });
    // McNemar on the right/wrong metrics only, on 2 seeds x the rows
    assertThat(sql("SELECT metric, n, mcnemar_b, mcnemar_c, mcnemar_p FROM "
        + "finmix.eval.comparisons WHERE run_id = '%s'", RUN)).allSatisfy(c -> {
          boolean rightWrong = List.of("accuracy", "exact_match").contains(c.getString(0));
          assertThat(c.isNullAt(4)).isEqualTo(!rightWrong);
          if (rightWrong) {
            assertThat(c.getLong(2) + c.getLong(3)).isLessThanOrEqualTo(2 * c.getLong(1));
            assertThat(c.getDouble(4)).isBetween(0.0, 1.0);
          }
        });
    assertThat(count("SELECT count(*) FROM finmix.eval.reference_scores WHERE citation LIKE "
        + "'%%BloombergGPT%%'")).isGreaterThan(0);

    // the report: PNGs exist, are not empty, and the HTML shows each of them
    Path report = Path.of(WAREHOUSE, "runs", RUN, "report", "eval");
    String html = Files.readString(report.resolve("report.html"));
    Matcher img = Pattern.compile("<img src=\"([^\"]+\\.png)\"").matcher(html);
    List<String> pngs = new ArrayList<>();
    while (img.find()) {
      pngs.add(img.group(1));
    }
    assertThat(pngs).contains("scores-1.png", "cocktail-effect-1.png", "loss.png");
    for (String png : pngs) {
      assertThat(javax.imageio.ImageIO.read(report.resolve(png).toFile()).getWidth())
          .isGreaterThanOrEqualTo(640);
    }
    assertThat(html).contains("toy+num", "target-only-toy", "test rows");

    // the same predictions and seed: the same numbers, to the bit
    List<Row> before = sql("SELECT * FROM finmix.eval.comparisons WHERE run_id = '%s' ORDER BY "
        + "benchmark, split, mode, metric", RUN);
    assertThat(run(new AggregateJob()).exitCode()).isZero();
    assertThat(sql("SELECT * FROM finmix.eval.comparisons WHERE run_id = '%s' ORDER BY "
        + "benchmark, split, mode, metric", RUN)).isEqualTo(before);
  }

  @Test
  void badBenchmarkNamesAreUserErrors() {
    CliRunner r = run(new EvaluateJob(), "--benchmark", "nope");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no benchmark 'nope'", "toysent");
  }

  @Test
  void aTruncatedCheckpointIsAUserErrorNamingTheFile() throws Exception {
    // a copy of a finished run whose checkpoint lost the end of its weights
    Row run = sql("SELECT checkpoint FROM finmix.train.runs WHERE run_id = '%s' AND train_run "
        + "= 'target-only-toy-tiny-s1'", RUN).get(0);
    Path good = Path.of(run.getString(0));
    Path broken = Path.of(WAREHOUSE, "broken-checkpoint", good.getFileName().toString());
    Files.createDirectories(broken);
    try (var files = Files.list(good)) {
      for (Path f : files.toList()) {
        Files.copy(f, broken.resolve(f.getFileName()));
      }
    }
    Path weights = broken.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    SPARK.sql(String.format("INSERT INTO finmix.train.runs SELECT run_id, 'broken', recipe, "
        + "model, init, lora, parameters, trainable_parameters, hyper_parameters, tokenizer_id, "
        + "seq_len, sequences_snapshot, train_sequences, validation_sequences, workers, "
        + "total_steps, steps, tokens, loss, validation_loss, status, message, started_at, "
        + "updated_at, seconds, resumes, '%s', hf_model FROM finmix.train.runs WHERE run_id = "
        + "'%s' AND train_run = 'target-only-toy-tiny-s1'", broken, RUN));
    try {
      CliRunner r = run(new EvaluateJob(), "--train-run", "broken");
      assertThat(r.exitCode()).isEqualTo(2);
      assertThat(r.err()).contains("cannot evaluate checkpoint " + broken,
          "model.safetensors does not match manifest.json");
      assertThat(count("SELECT count(*) FROM finmix.eval.predictions WHERE run_id = '%s' AND "
          + "train_run = 'broken'", RUN)).isZero();
    } finally {
      SPARK.sql(String.format("DELETE FROM finmix.train.runs WHERE run_id = '%s' AND "
          + "train_run = 'broken'", RUN));
    }
  }
}
