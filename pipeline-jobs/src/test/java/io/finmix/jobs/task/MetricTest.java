package io.finmix.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricTest {

  private static final double EPS = 1e-12;

  /** Outcomes of a classification task where correct means predicted equals gold. */
  private static Outcomes labels(List<String> classes, String[] gold, String[] predicted) {
    boolean[] correct = new boolean[gold.length];
    for (int i = 0; i < gold.length; i++) {
      correct[i] = gold[i].equals(predicted[i]);
    }
    return new Outcomes(gold, predicted, correct, classes);
  }

  @Test
  void threeClassExampleMatchesHandComputation() {
    // Confusion (rows gold, columns predicted):
    //          pos neu neg | gold
    //   pos     3   1   0  |  4
    //   neu     1   2   0  |  3
    //   neg     0   1   2  |  3
    //   pred    4   4   2  | 10
    // accuracy = 7/10.
    // F1 = 2tp / (pred + gold): pos 6/8 = 3/4, neu 4/7, neg 4/5.
    // macro = (3/4 + 4/7 + 4/5) / 3 = (297/140) / 3 = 99/140 = 0.70714...
    // weighted = (4 * 3/4 + 3 * 4/7 + 3 * 4/5) / 10 = (249/35) / 10 = 249/350 = 0.71143...
    // MCC (sklearn): s = 10, c = 7, t = (4, 3, 3), p = (4, 4, 2);
    //   cov(y, yhat) = c*s - t.p = 70 - (16 + 12 + 6) = 36
    //   s^2 - p.p = 100 - 36 = 64, s^2 - t.t = 100 - 34 = 66
    //   MCC = 36 / sqrt(64 * 66) = 4.5 / sqrt(66) = 0.55391...
    Outcomes o = labels(List.of("neg", "neu", "pos"),
        new String[] {"pos", "pos", "pos", "pos", "neu", "neu", "neu", "neg", "neg", "neg"},
        new String[] {"pos", "pos", "pos", "neu", "neu", "neu", "pos", "neg", "neg", "neu"});
    assertThat(Metric.ACCURACY.compute(o)).isCloseTo(0.7, within(EPS));
    assertThat(Metric.EXACT_MATCH.compute(o)).isCloseTo(0.7, within(EPS));
    assertThat(Metric.MACRO_F1.compute(o)).isCloseTo(99.0 / 140, within(EPS));
    assertThat(Metric.WEIGHTED_F1.compute(o)).isCloseTo(249.0 / 350, within(EPS));
    assertThat(Metric.MCC.compute(o)).isCloseTo(4.5 / Math.sqrt(66), within(EPS));
    assertThat(Metric.MISSING_RATE.compute(o)).isZero();
  }

  @Test
  void averageF1IsTheMeanOverGroupsOfEachGroupsWeightedF1() {
    // Group up (4 rows): gold Y Y N N, predicted Y N N N.
    //   Y: tp 1, pred 1, gold 2 -> 2/3; N: tp 2, pred 3, gold 2 -> 4/5;
    //   weighted = (2 * 2/3 + 2 * 4/5) / 4 = 11/15.
    // Group down (2 rows): gold N N, predicted N Y.
    //   N: tp 1, pred 1, gold 2 -> 2/3; Y has no gold: weight 0; weighted = 2/3.
    // avg_f1 = (11/15 + 2/3) / 2 = 21/30 = 0.7; pooled weighted F1 over all 6 rows differs:
    //   Y: tp 1, pred 2, gold 2 -> 1/2; N: tp 3, pred 4, gold 4 -> 3/4; (2 * 1/2 + 4 * 3/4) / 6
    //   = 2/3.
    String[] gold = {"Yes", "Yes", "No", "No", "No", "No"};
    String[] predicted = {"Yes", "No", "No", "No", "No", "Yes"};
    boolean[] correct = new boolean[gold.length];
    for (int i = 0; i < gold.length; i++) {
      correct[i] = gold[i].equals(predicted[i]);
    }
    Outcomes o = new Outcomes(gold, predicted, correct, List.of("Yes", "No"),
        new String[] {"up", "up", "up", "up", "down", "down"});
    assertThat(Metric.AVG_F1.compute(o)).isCloseTo(0.7, within(EPS));
    assertThat(Metric.WEIGHTED_F1.compute(o)).isCloseTo(2.0 / 3, within(EPS));
    // a resample with only group down's rows averages over that group alone
    assertThat(Metric.AVG_F1.compute(o, new int[] {4, 5, 5})).isCloseTo(
        2.0 * 1 / (1 + 3), within(EPS)); // N: tp 1, pred 1, gold 3 -> 2/4; weighted 1/2
    // without groups it is the weighted F1
    Outcomes ungrouped = new Outcomes(gold, predicted, correct, List.of("Yes", "No"));
    assertThat(Metric.AVG_F1.compute(ungrouped)).isCloseTo(2.0 / 3, within(EPS));
    assertThatThrownBy(() -> new Outcomes(gold, predicted, correct, List.of(), new String[1]))
        .hasMessageContaining("groups");
  }

  @Test
  void aClassAbsentFromGoldAndPredictionsIsLeftOutOfMacroF1() {
    // a: tp 1, pred 1, gold 2 -> 2/3; b: tp 2, pred 3, gold 2 -> 4/5; c: 0/0, left out.
    // Counting c as 0 would give (2/3 + 4/5) / 3 = 0.489 instead of 0.733.
    Outcomes o = labels(List.of("a", "b", "c"),
        new String[] {"a", "a", "b", "b"}, new String[] {"a", "b", "b", "b"});
    assertThat(Metric.MACRO_F1.compute(o)).isCloseTo((2.0 / 3 + 4.0 / 5) / 2, within(EPS));
    // Weighted F1 gives c weight 0 anyway: (2 * 2/3 + 2 * 4/5) / 4.
    assertThat(Metric.WEIGHTED_F1.compute(o)).isCloseTo((2.0 / 3 + 4.0 / 5) / 2, within(EPS));
  }

  @Test
  void aClassWithGoldRowsButNoPredictionsHasF1Zero() {
    // a: 4/4 = 1; b: tp 1, pred 2, gold 1 -> 2/3; c: tp 0, pred 0, gold 1 -> 0.
    Outcomes o = labels(List.of("a", "b", "c"),
        new String[] {"a", "a", "b", "c"}, new String[] {"a", "a", "b", "b"});
    assertThat(Metric.MACRO_F1.compute(o)).isCloseTo((1 + 2.0 / 3 + 0) / 3, within(EPS));
    // weighted: (2 * 1 + 1 * 2/3 + 1 * 0) / 4
    assertThat(Metric.WEIGHTED_F1.compute(o)).isCloseTo((2 + 2.0 / 3) / 4, within(EPS));
  }

  @Test
  void goldValuesOutsideTheDeclaredClassesStillCount() {
    // The declared label set misses "b"; its gold rows are a class all the same.
    Outcomes o = labels(List.of("a"), new String[] {"a", "b"}, new String[] {"a", "a"});
    // a: tp 1, pred 2, gold 1 -> 2/3; b: gold 1, no predictions -> 0.
    assertThat(Metric.MACRO_F1.compute(o)).isCloseTo(1.0 / 3, within(EPS));
  }

  @Test
  void missingPredictionsAreWrongAndTheirOwnCategoryInMcc() {
    // pred: a, -, b, -. accuracy 2/4, missing 2/4.
    // F1 a: tp 1, pred 1, gold 2 -> 2/3; b the same; macro and weighted 2/3.
    // MCC over categories (a, b, missing): t = (2, 2, 0), p = (1, 1, 2), c = 2, s = 4:
    //   (2*4 - (2 + 2 + 0)) / sqrt((16 - 6) * (16 - 8)) = 4 / sqrt(80).
    Outcomes o = labels(List.of("a", "b"),
        new String[] {"a", "a", "b", "b"}, new String[] {"a", null, "b", null});
    assertThat(Metric.ACCURACY.compute(o)).isEqualTo(0.5);
    assertThat(Metric.MISSING_RATE.compute(o)).isEqualTo(0.5);
    assertThat(Metric.MACRO_F1.compute(o)).isCloseTo(2.0 / 3, within(EPS));
    assertThat(Metric.WEIGHTED_F1.compute(o)).isCloseTo(2.0 / 3, within(EPS));
    assertThat(Metric.MCC.compute(o)).isCloseTo(4 / Math.sqrt(80), within(EPS));
    // Had the missing rows been read as "a" (c = 3, t = (2, 2), p = (3, 1)), MCC would be
    // (12 - 8) / sqrt((16 - 10) * (16 - 8)) = 4 / sqrt(48) = 1 / sqrt(3): a missing answer
    // would be credited whenever the class it was read as happened to be right.
    Outcomes asA = labels(List.of("a", "b"),
        new String[] {"a", "a", "b", "b"}, new String[] {"a", "a", "b", "a"});
    assertThat(Metric.MCC.compute(asA)).isCloseTo(1 / Math.sqrt(3), within(EPS));
  }

  @Test
  void allPredictionsMissing() {
    Outcomes o = labels(List.of("a", "b"), new String[] {"a", "b"}, new String[] {null, null});
    assertThat(Metric.ACCURACY.compute(o)).isZero();
    assertThat(Metric.MISSING_RATE.compute(o)).isEqualTo(1.0);
    assertThat(Metric.MACRO_F1.compute(o)).isZero();
    // Every prediction is the same (missing) category: the denominator is 0.
    assertThat(Metric.MCC.compute(o)).isZero();
  }

  @Test
  void constantPredictionsGiveMccZero() {
    Outcomes o = labels(List.of("a", "b"),
        new String[] {"a", "b", "a", "b"}, new String[] {"a", "a", "a", "a"});
    assertThat(Metric.MCC.compute(o)).isEqualTo(0.0);
    assertThat(Metric.ACCURACY.compute(o)).isEqualTo(0.5);
  }

  @Test
  void perfectPredictionsScoreOneEverywhere() {
    String[] gold = {"a", "b", "c", "a", "b"};
    Outcomes o = labels(List.of("a", "b", "c"), gold, gold.clone());
    for (Metric m : List.of(Metric.ACCURACY, Metric.EXACT_MATCH, Metric.MACRO_F1,
        Metric.WEIGHTED_F1, Metric.MCC)) {
      assertThat(m.compute(o)).as(m.key()).isCloseTo(1.0, within(EPS));
    }
    assertThat(Metric.MISSING_RATE.compute(o)).isZero();
  }

  @Test
  void inverseBinaryPredictionsGiveMccMinusOne() {
    Outcomes o = labels(List.of("a", "b"),
        new String[] {"a", "b", "a", "b"}, new String[] {"b", "a", "b", "a"});
    assertThat(Metric.MCC.compute(o)).isCloseTo(-1.0, within(EPS));
  }

  @Test
  void entityF1IsMicroOverRows() {
    // Row 0: gold {apple inc.|ORG, tim cook|PER}, predicted {apple inc.|ORG, cupertino|LOC}:
    //   tp 1, fp 1, fn 1.
    // Row 1: both empty: nothing.
    // Row 2: gold {goldman sachs|ORG}, prediction missing (empty): fn 1.
    // F1 = 2*1 / (2*1 + 1 + 2) = 0.4.
    Outcomes o = new Outcomes(
        new String[] {"Apple Inc., ORG\nTim Cook, PER", "", "Goldman Sachs, ORG"},
        new String[] {"apple  inc., organization; Cupertino, LOC", "", null},
        new boolean[3], List.of());
    assertThat(Metric.ENTITY_F1.compute(o)).isCloseTo(0.4, within(EPS));
    // Only row 0, twice: tp 2, fp 2, fn 2 -> 0.5.
    assertThat(Metric.ENTITY_F1.compute(o, new int[] {0, 0})).isCloseTo(0.5, within(EPS));
  }

  @Test
  void entityF1IsOneWhenEverySetIsEmpty() {
    Outcomes o = new Outcomes(new String[] {"", "no entities"}, new String[] {null, ""},
        new boolean[2], List.of());
    assertThat(Metric.ENTITY_F1.compute(o)).isEqualTo(1.0);
  }

  @Test
  void rowsWithRepeatsEqualTheExpandedArrays() {
    String[] gold = {"pos", "neg", "neu", "pos", "neg", "neu"};
    String[] predicted = {"pos", "neu", null, "neg", "neg", "neu"};
    Outcomes o = labels(List.of("neg", "neu", "pos"), gold, predicted);
    int[] rows = {0, 0, 3, 5, 5, 5, 2, 1};
    String[] g = new String[rows.length];
    String[] p = new String[rows.length];
    for (int i = 0; i < rows.length; i++) {
      g[i] = gold[rows[i]];
      p[i] = predicted[rows[i]];
    }
    Outcomes expanded = labels(List.of("neg", "neu", "pos"), g, p);
    for (Metric m : Metric.values()) {
      if (m == Metric.ENTITY_F1) {
        continue;
      }
      assertThat(m.compute(o, rows)).as(m.key()).isEqualTo(m.compute(expanded));
    }

    String[] eg = {"A, ORG", "B, PER\nC, LOC", "D, ORG"};
    String[] ep = {"A, ORG; X, PER", "B, PER", null};
    Outcomes entities = new Outcomes(eg, ep, new boolean[3], List.of());
    int[] erows = {1, 1, 0, 2, 2};
    Outcomes eexpanded = new Outcomes(
        new String[] {eg[1], eg[1], eg[0], eg[2], eg[2]},
        new String[] {ep[1], ep[1], ep[0], ep[2], ep[2]}, new boolean[5], List.of());
    assertThat(Metric.ENTITY_F1.compute(entities, erows))
        .isEqualTo(Metric.ENTITY_F1.compute(eexpanded));
  }

  @Test
  void noRowsIsNaN() {
    Outcomes o = labels(List.of("a"), new String[] {"a"}, new String[] {"a"});
    for (Metric m : Metric.values()) {
      assertThat(m.compute(o, new int[0])).as(m.key()).isNaN();
    }
    Outcomes empty = new Outcomes(new String[0], new String[0], new boolean[0], List.of());
    assertThat(Metric.ACCURACY.compute(empty)).isNaN();
  }

  @Test
  void keysRoundTripAndBadKeysAreNamed() {
    for (Metric m : Metric.values()) {
      assertThat(Metric.of(m.key())).isSameAs(m);
    }
    assertThat(Metric.MACRO_F1.key()).isEqualTo("macro_f1");
    assertThatThrownBy(() -> Metric.of("f1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'f1'")
        .hasMessageContaining("accuracy")
        .hasMessageContaining("entity_f1");
  }

  @Test
  void outcomesRejectMisalignedArrays() {
    assertThatThrownBy(() -> new Outcomes(new String[2], new String[1], new boolean[2], List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Outcomes(new String[] {null}, new String[1], new boolean[1],
        List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThat(new Outcomes(new String[] {"x"}, new String[1], new boolean[1], List.of()).size())
        .isEqualTo(1);
  }
}
