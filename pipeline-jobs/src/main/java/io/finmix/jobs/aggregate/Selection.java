package io.finmix.jobs.aggregate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Which checkpoint stands for each training run and scoring mode: the one with the best mean
 * primary metric over the benchmarks' valid rows (ties: the later step), never anything
 * measured on test rows; with no valid rows shared by its steps, the last checkpoint.
 */
final class Selection {

  /** The chosen (train_run, mode, step) triples, as a join key. */
  static final StructType CHOSEN = new StructType()
      .add("c_train_run", DataTypes.StringType, false)
      .add("c_mode", DataTypes.StringType, false)
      .add("c_step", DataTypes.LongType, false);

  /** A run and mode's choice. */
  record Choice(long step, String by) {}

  private final Map<String, Choice> chosen;

  private Selection(Map<String, Choice> chosen) {
    this.chosen = chosen;
  }

  /**
   * Chooses from scores in {@link AggregateJob#SCORE}'s columns. Steps are compared on the
   * benchmarks every step of the run has valid rows for, so a benchmark scored at some steps
   * only does not tilt the choice.
   */
  static Selection of(List<Row> scores) {
    // run \u0001 mode -> step -> benchmark -> valid primary value
    Map<String, TreeMap<Long, Map<String, Double>>> valid = new TreeMap<>();
    for (Row r : scores) {
      Map<String, Double> byBenchmark = valid.computeIfAbsent(key(r.getString(0),
          r.getString(7)), k -> new TreeMap<>()).computeIfAbsent(r.getLong(4),
          k -> new TreeMap<>());
      if (r.getString(6).equals("valid") && r.getBoolean(9) && !r.isNullAt(10)) {
        byBenchmark.put(r.getString(5), r.getDouble(10));
      }
    }
    Map<String, Choice> chosen = new TreeMap<>();
    valid.forEach((k, steps) -> {
      java.util.Set<String> shared = null;
      for (Map<String, Double> byBenchmark : steps.values()) {
        if (shared == null) {
          shared = new java.util.TreeSet<>(byBenchmark.keySet());
        } else {
          shared.retainAll(byBenchmark.keySet());
        }
      }
      Long best = null;
      double bestMean = Double.NEGATIVE_INFINITY;
      for (Map.Entry<Long, Map<String, Double>> e : steps.entrySet()) {
        if (shared.isEmpty()) {
          break;
        }
        double mean = shared.stream().mapToDouble(e.getValue()::get).average().orElseThrow();
        if (mean >= bestMean) { // ties: the later step
          bestMean = mean;
          best = e.getKey();
        }
      }
      chosen.put(k, best == null ? new Choice(steps.lastKey(), "last")
          : new Choice(best, "valid"));
    });
    return new Selection(chosen);
  }

  Choice choice(String trainRun, String mode) {
    return chosen.get(key(trainRun, mode));
  }

  /** Rows of {@link #CHOSEN}. */
  List<Row> chosenRows() {
    List<Row> out = new ArrayList<>();
    chosen.forEach((k, c) -> {
      String[] parts = k.split("\u0001", 2);
      out.add(RowFactory.create(parts[0], parts[1], c.step()));
    });
    return out;
  }

  /** The scores as eval.scores rows, each marked selected or not. */
  List<Row> scoreRows(String runId, List<Row> scores, AggregateJob.Settings s) {
    List<Row> out = new ArrayList<>();
    for (Row r : scores) {
      Choice c = choice(r.getString(0), r.getString(7));
      out.add(RowFactory.create(runId, r.get(0), r.get(1), r.get(2), r.get(3), r.get(4),
          r.get(5), r.get(6), r.get(7), r.get(8), r.get(9), r.get(10), r.get(11), r.get(12),
          r.get(13), c.step() == r.getLong(4), c.by(), s.confidence(), s.resamples(), s.seed()));
    }
    out.sort(java.util.Comparator.comparing((Row r) -> r.getString(1))
        .thenComparing(r -> r.getString(6)).thenComparing(r -> r.getLong(5))
        .thenComparing(r -> r.getString(7)).thenComparing(r -> r.getString(8))
        .thenComparing(r -> r.getString(9)));
    return out;
  }

  private static String key(String trainRun, String mode) {
    return trainRun + "\u0001" + mode;
  }
}
