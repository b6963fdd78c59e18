package io.finmix.jobs.aggregate;

import io.finmix.jobs.eval.Significance;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * eval.comparisons, eval.leaderboard and eval.cocktail_effect rows from the recipe scores and
 * comparisons of every (model, benchmark, split, mode) group ({@link AggregateJob#COMPARED}):
 * the leaderboard ranks on valid rows and reports test rows; the cocktail effect is the test
 * comparison of the primary metric with the valid one beside it.
 *
 * <p>The family of Holm's adjustment ({@code p_adjusted}) is exactly the cocktail-effect
 * comparisons of the run: every comparison row of the primary metric on test rows, over all
 * models, benchmarks, modes and recipes. Other comparison rows (valid rows, other metrics) are
 * descriptive and get no adjusted p-value. {@code significant} is p_adjusted at most 1 -
 * confidence.
 */
record Tables(List<Row> comparisons, List<Row> leaderboard, List<Row> cocktailEffect) {

  static Tables of(String runId, List<Row> compared,
      AggregateJob.Settings s) {
    List<Row> sorted = new ArrayList<>(compared);
    sorted.sort(Comparator.comparing((Row r) -> r.getString(1)).thenComparing(r -> r.getString(2))
        .thenComparing(r -> r.getString(4)).thenComparing(r -> r.getString(7))
        .thenComparing(r -> r.getString(5)).thenComparing(r -> r.getString(3)));
    Map<Row, Double> adjusted = holm(sorted);
    List<Row> comparisons = new ArrayList<>();
    // model|benchmark|mode|recipe -> split -> row (primary metric only)
    Map<String, Map<String, Row>> recipes = new TreeMap<>();
    Map<String, Map<String, Row>> effects = new TreeMap<>();
    for (Row r : sorted) {
      String key = r.getString(1) + "\u0001" + r.getString(2) + "\u0001" + r.getString(4)
          + "\u0001" + r.getString(7);
      boolean primary = r.getBoolean(6);
      if (r.getString(0).equals("comparison")) {
        comparisons.add(RowFactory.create(runId, r.get(1), r.get(2), r.get(3), r.get(4),
            r.get(5), r.get(6), r.get(7), r.get(8), r.get(9), r.get(11), r.get(12), r.get(13),
            r.get(17), r.get(14), r.get(15), r.get(18), s.confidence(), s.resamples(),
            s.seed(), r.get(19), r.get(20), adjusted.get(r), r.get(21), r.get(22), r.get(23)));
        if (primary) {
          effects.computeIfAbsent(key, k -> new TreeMap<>()).put(r.getString(3), r);
        }
      } else if (primary) {
        recipes.computeIfAbsent(key, k -> new TreeMap<>()).put(r.getString(3), r);
      }
    }
    return new Tables(comparisons, leaderboard(runId, recipes),
        cocktailEffect(runId, effects, adjusted, 1 - s.confidence()));
  }

  /** Whether a COMPARED row is in the Holm family: a comparison, primary metric, test rows. */
  static boolean inFamily(Row r) {
    return r.getString(0).equals("comparison") && r.getBoolean(6)
        && r.getString(3).equals("test");
  }

  /** The Holm-adjusted p-value of each row of the family (null: no p-value). */
  private static Map<Row, Double> holm(List<Row> compared) {
    List<Row> family = compared.stream().filter(Tables::inFamily).toList();
    double[] p = family.stream().mapToDouble(r -> r.isNullAt(18) ? Double.NaN : r.getDouble(18))
        .toArray();
    double[] adjusted = Significance.holm(p);
    Map<Row, Double> out = new IdentityHashMap<>();
    for (int i = 0; i < family.size(); i++) {
      out.put(family.get(i), AggregateJob.finite(adjusted[i]));
    }
    return out;
  }

  /** The same tables with {@code rows} added to the leaderboard, in its order. */
  Tables withLeaderboardRows(List<Row> rows) {
    List<Row> board = new ArrayList<>(leaderboard);
    board.addAll(rows);
    sortLeaderboard(board);
    return new Tables(comparisons, board, cocktailEffect);
  }

  private static void sortLeaderboard(List<Row> board) {
    board.sort(Comparator.comparing((Row r) -> r.getString(1)).thenComparing(r -> r.getString(2))
        .thenComparing(r -> r.getString(3))
        .thenComparing(r -> r.isNullAt(8) ? Integer.MAX_VALUE : r.getInt(8))
        .thenComparing(r -> r.getString(5)));
  }

  private static List<Row> leaderboard(String runId, Map<String, Map<String, Row>> recipes) {
    // rank on valid within model|benchmark|mode
    Map<String, List<String>> byGroup = new TreeMap<>();
    recipes.forEach((key, splits) -> {
      Row valid = splits.get("valid");
      if (valid != null && !valid.isNullAt(12)) {
        byGroup.computeIfAbsent(key.substring(0, key.lastIndexOf('\u0001')),
            k -> new ArrayList<>()).add(key);
      }
    });
    Map<String, Integer> rank = new TreeMap<>();
    byGroup.values().forEach(keys -> {
      keys.sort(Comparator.comparing((String k) -> -recipes.get(k).get("valid").getDouble(12))
          .thenComparing(k -> k));
      for (int i = 0; i < keys.size(); i++) {
        rank.put(keys.get(i), i + 1);
      }
    });
    List<Row> out = new ArrayList<>();
    recipes.forEach((key, splits) -> {
      Row test = splits.get("test");
      Row valid = splits.get("valid");
      Row any = test != null ? test : valid;
      out.add(RowFactory.create(runId, any.get(1), any.get(2), any.get(4), any.get(5),
          any.get(7), any.getList(9).size(), any.get(10), rank.get(key),
          valid == null ? null : valid.get(12), test == null ? null : test.get(12),
          test == null ? null : test.get(14), test == null ? null : test.get(15),
          test == null ? null : test.get(16), test == null ? 0L : test.getLong(11), "valid",
          "test"));
    });
    sortLeaderboard(out);
    return out;
  }

  private static List<Row> cocktailEffect(String runId, Map<String, Map<String, Row>> effects,
      Map<Row, Double> adjusted, double alpha) {
    List<Row> out = new ArrayList<>();
    effects.forEach((key, splits) -> {
      Row test = splits.get("test");
      if (test == null) {
        return;
      }
      Row valid = splits.get("valid");
      Double p = adjusted.get(test);
      Boolean significant = p == null ? null : p <= alpha;
      out.add(RowFactory.create(runId, test.get(1), test.get(2), test.get(4), test.get(5),
          test.get(7), test.get(8), test.getList(9).size(), test.get(11), test.get(12),
          test.get(13), test.get(17), test.get(14), test.get(15), test.get(18), significant,
          valid == null ? null : valid.get(17), "test", test.get(19), test.get(20), p,
          test.get(21), test.get(22), test.get(23)));
    });
    return out;
  }
}
