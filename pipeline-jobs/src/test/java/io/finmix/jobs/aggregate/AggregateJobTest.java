package io.finmix.jobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.SparkTestBase;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * aggregate on hand-made predictions: checkpoints chosen on valid rows even when test rows
 * would choose otherwise, a clear cocktail effect found significant, a null one not.
 */
class AggregateJobTest extends SparkTestBase {

  private static final String RUN = "aggregate-test";

  @BeforeAll
  static void predictions() {
    EvalFixtures f = new EvalFixtures(RUN);
    for (long seed : List.of(1L, 2L)) {
      String target = "target-only-fpb-s" + seed;
      String cocktail = "finance-s" + seed;
      f.run(target, "target-only-fpb", seed).run(cocktail, "finance", seed);
      // step 10 is better on valid rows, step 20 on test rows: valid must choose 10
      f.predictions(target, 10, "valid", 60, i -> i % 2 == 0)
          .predictions(target, 20, "valid", 60, i -> i % 3 == 0)
          .predictions(target, 10, "test", 90, i -> i % 2 == 0)
          .predictions(target, 20, "test", 90, i -> true)
          // the cocktail: 90% right where the target is 50% right, on the same rows
          .predictions(cocktail, 10, "valid", 60, i -> i % 10 != 0)
          .predictions(cocktail, 20, "valid", 60, i -> i % 2 == 0)
          .predictions(cocktail, 10, "test", 90, i -> i % 10 != 0)
          .predictions(cocktail, 20, "test", 90, i -> i % 2 == 0);
    }
    // the training labels: neutral the majority
    f.trainRows("neutral", 7).trainRows("positive", 5).trainRows("negative", 2);
    f.write(SPARK);
  }

  @Test
  void choosesOnValidRowsAndFindsTheCocktailEffect() {
    CliRunner r = CliRunner.run(new AggregateJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--set", "aggregate.resamples=500");
    assertThat(r.exitCode()).as(r.err()).isZero();

    assertThat(sql("SELECT DISTINCT train_run, step, selected_by FROM finmix.eval.scores WHERE "
        + "run_id = '%s' AND selected ORDER BY 1", RUN)).extracting(Row::toString)
        .containsExactly("[finance-s1,10,valid]", "[finance-s2,10,valid]",
            "[target-only-fpb-s1,10,valid]", "[target-only-fpb-s2,10,valid]");
    Row acc = sql("SELECT value, ci_low, ci_high, n FROM finmix.eval.scores WHERE run_id = '%s'"
        + " AND train_run = 'finance-s1' AND step = 10 AND split = 'test' AND metric = "
        + "'accuracy'", RUN).get(0);
    assertThat(acc.getDouble(0)).isEqualTo(81.0 / 90);
    assertThat(acc.getDouble(1)).isLessThan(acc.getDouble(0));
    assertThat(acc.getDouble(2)).isGreaterThan(acc.getDouble(0));
    assertThat(acc.getLong(3)).isEqualTo(90);
    // missing predictions are counted, never mapped to a class
    Row missing = sql("SELECT value FROM finmix.eval.scores WHERE run_id = '%s' AND train_run ="
        + " 'target-only-fpb-s1' AND step = 10 AND split = 'test' AND metric = 'missing_rate'",
        RUN).get(0);
    assertThat(missing.getDouble(0)).isEqualTo(9.0 / 90);

    Row effect = sql("SELECT recipe, baseline_recipe, seeds, test_n, value, baseline_value, "
        + "delta, ci_low, ci_high, p_value, significant, metric FROM finmix.eval.cocktail_effect "
        + "WHERE run_id = '%s'", RUN).get(0);
    assertThat(effect.getString(0)).isEqualTo("finance");
    assertThat(effect.getString(1)).isEqualTo("target-only-fpb");
    assertThat(effect.getInt(2)).isEqualTo(2);
    assertThat(effect.getLong(3)).isEqualTo(90);
    assertThat(effect.getDouble(6)).isGreaterThan(0.3);
    assertThat(effect.getDouble(7)).isGreaterThan(0);
    assertThat(effect.getDouble(9)).isLessThan(0.01);
    assertThat(effect.getBoolean(10)).isTrue();
    assertThat(effect.getString(11)).isEqualTo("weighted_f1");
    // one cocktail-effect comparison in the run: Holm's family of one leaves p as it is; the
    // two seeds predict alike, so drawing seeds changes nothing: the same interval as the rows'
    Row more = sql("SELECT p_value, p_adjusted, ci_low, ci_high, seed_ci_low, seed_ci_high, "
        + "mcnemar_b FROM finmix.eval.cocktail_effect WHERE run_id = '%s'", RUN).get(0);
    assertThat(more.getDouble(1)).isEqualTo(more.getDouble(0));
    assertThat(more.getDouble(4)).isEqualTo(more.getDouble(2));
    assertThat(more.getDouble(5)).isEqualTo(more.getDouble(3));
    assertThat(more.isNullAt(6)).isTrue(); // weighted F1: no McNemar

    List<Row> board = sql("SELECT recipe, valid_rank, test_value, seeds FROM "
        + "finmix.eval.leaderboard WHERE run_id = '%s' AND valid_rank IS NOT NULL ORDER BY "
        + "valid_rank", RUN);
    assertThat(board).extracting(b -> b.getString(0) + "#" + b.getInt(1) + "#" + b.getInt(3))
        .containsExactly("finance#1#2", "target-only-fpb#2#2");
    // the baselines on the same 90 test rows (gold cycles negative, neutral, positive):
    // all-neutral is right on a third, weighted F1 = 1/3 * (2 * 1/3 * 1 / (1/3 + 1)) = 1/6
    List<Row> baselines = sql("SELECT recipe, valid_rank, seeds, test_value, test_ci_low, "
        + "test_ci_high, test_n FROM finmix.eval.leaderboard WHERE run_id = '%s' AND "
        + "valid_rank IS NULL ORDER BY recipe", RUN);
    assertThat(baselines).extracting(b -> b.getString(0))
        .containsExactly("baseline-majority", "baseline-random");
    Row majority = baselines.get(0);
    assertThat(majority.getInt(2)).isZero();
    assertThat(majority.getDouble(3)).isCloseTo(1.0 / 6, org.assertj.core.data.Offset.offset(
        1e-12));
    assertThat(majority.getDouble(4)).isLessThanOrEqualTo(majority.getDouble(3));
    assertThat(majority.getDouble(5)).isGreaterThanOrEqualTo(majority.getDouble(3));
    assertThat(majority.getLong(6)).isEqualTo(90);
    // uniform random: about a third right, well under the cocktail's 0.9
    assertThat(baselines.get(1).getDouble(3)).isBetween(0.15, 0.5);

    // the accuracy comparison on test rows: 0.9 vs 0.5 on the same rows, both seeds
    Row accuracy = sql("SELECT value, baseline_value, delta FROM finmix.eval.comparisons WHERE "
        + "run_id = '%s' AND split = 'test' AND metric = 'accuracy'", RUN).get(0);
    assertThat(accuracy.getDouble(0)).isEqualTo(81.0 / 90);
    assertThat(accuracy.getDouble(1)).isEqualTo(45.0 / 90);
    // McNemar over the 2 seeds x 90 rows: per seed the cocktail alone is right on the odd rows
    // (45; i % 10 == 0 is even), the target alone on 0, 10, ..., 80 (9): b = 90, c = 18, and
    // b - c = 180 x 0.4. p = 2 P(X <= 18), X ~ Binomial(108, 1/2), exactly (Python):
    //   float(2 * Fraction(sum(comb(108, i) for i in range(19)), 2**108))
    Row mcnemar = sql("SELECT mcnemar_b, mcnemar_c, mcnemar_p, p_adjusted FROM "
        + "finmix.eval.comparisons WHERE run_id = '%s' AND split = 'test' AND metric = "
        + "'accuracy'", RUN).get(0);
    assertThat(mcnemar.getLong(0)).isEqualTo(90);
    assertThat(mcnemar.getLong(1)).isEqualTo(18);
    assertThat(mcnemar.getDouble(2)).isCloseTo(1.0657835390692563e-12,
        org.assertj.core.data.Percentage.withPercentage(1e-9));
    assertThat(mcnemar.isNullAt(3)).isTrue(); // not the primary metric: not in Holm's family
  }

  @Test
  void twoRunsOfOneRecipeAndSeedAreRefused() {
    String run = "aggregate-clash";
    new EvalFixtures(run).run("finance-lr1", "finance", 1).run("finance-lr2", "finance", 1)
        .predictions("finance-lr1", 10, "test", 6, i -> true)
        .predictions("finance-lr2", 10, "test", 6, i -> false).write(SPARK);
    CliRunner r = CliRunner.run(new AggregateJob(), "--warehouse", WAREHOUSE, "--run-id", run);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("[finance-lr1, finance-lr2]", "recipe finance", "seed 1");
  }

  @Test
  void noPredictionsIsAUserError() {
    CliRunner r = CliRunner.run(new AggregateJob(), "--warehouse", WAREHOUSE, "--run-id",
        "never-evaluated");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("no rows for run never-evaluated in finmix.eval.predictions",
        "finmix evaluate");
  }
}
