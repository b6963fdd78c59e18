package io.finmix.jobs.task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The benchmark metrics, each computed over a selection of rows of an {@link Outcomes}.
 *
 * <p>The rows argument of {@link #compute(Outcomes, int[])} lists row indices, with repeats, as a
 * bootstrap resample draws them; every row counts as often as it is listed. An empty selection
 * has no score: NaN.
 *
 * <p>Classification metrics work on the label strings: a row is a true positive of class c when
 * gold and predicted both equal c. The classes are {@link Outcomes#classes()} together with the
 * gold values seen in the rows. A missing prediction (null) is never mapped to a class: it is a
 * wrong prediction, and in MCC a category of its own. A predicted value outside the classes (the
 * label parsers never produce one) is likewise a wrong prediction for F1.
 */
public enum Metric {
  /** Fraction of rows scored correct. */
  ACCURACY("accuracy"),
  /**
   * Unweighted mean of per-class F1. A class with neither gold nor predicted rows in the sample
   * is left out of the mean: its F1 is 0/0. This is what sklearn's {@code f1_score(average=
   * "macro")} does by default (it only counts such a class, as 0, when named in {@code labels=}),
   * and it keeps a resample that happens to miss a rare class from being scored down for it. A
   * class with gold rows but no predictions has F1 0. NaN when no class is left.
   */
  MACRO_F1("macro_f1"),
  /** Per-class F1 weighted by gold support, as sklearn's {@code average="weighted"}. */
  WEIGHTED_F1("weighted_f1"),
  /**
   * The unweighted mean over the rows' groups ({@link Outcomes#groups()}: the question types of
   * a headline benchmark) of each group's weighted F1, as PIXIU's headline "AvgF1". Groups
   * without rows in the sample are left out; without groups, the weighted F1.
   */
  AVG_F1("avg_f1"),
  /**
   * Multiclass Matthews correlation (Gorodkin's R_K, as sklearn's {@code matthews_corrcoef})
   * from the confusion matrix, with missing predictions as their own predicted category that no
   * gold row has. 0 when the denominator is 0 (e.g. every prediction the same class), as
   * sklearn does.
   */
  MCC("mcc"),
  /** Fraction of rows whose generation parsed to nothing. */
  MISSING_RATE("missing_rate"),
  /** Fraction of rows scored correct: the name used for numeric answers. */
  EXACT_MATCH("exact_match"),
  /**
   * Micro F1 of entity sets ({@link AnswerParser#entities}): true positives, false positives and
   * false negatives summed over the rows, F1 = 2tp / (2tp + fp + fn). A missing prediction is
   * the empty set. 1.0 when every set is empty: nothing to find and nothing claimed.
   */
  ENTITY_F1("entity_f1");

  private final String key;

  Metric(String key) {
    this.key = key;
  }

  /** The name of the metric in configuration and reports. */
  public String key() {
    return key;
  }

  /**
   * The metric named {@code key}.
   *
   * @throws IllegalArgumentException naming the key and the valid ones when there is none
   */
  public static Metric of(String key) {
    for (Metric m : values()) {
      if (m.key.equals(key)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown metric '" + key + "'; valid metrics: "
        + Stream.of(values()).map(Metric::key).collect(Collectors.joining(", ")));
  }

  /** The metric over every row of {@code o}. */
  public double compute(Outcomes o) {
    return compute(o, identity(o.size()));
  }

  /** The metric over the rows listed in {@code rows} (indices into {@code o}, repeats count). */
  public double compute(Outcomes o, int[] rows) {
    if (rows.length == 0) {
      return Double.NaN;
    }
    return switch (this) {
      case ACCURACY, EXACT_MATCH -> fractionCorrect(o, rows);
      case MISSING_RATE -> fractionMissing(o, rows);
      case MACRO_F1 -> new Confusion(o, rows).macroF1();
      case WEIGHTED_F1 -> new Confusion(o, rows).weightedF1();
      case AVG_F1 -> averageOverGroups(o, rows);
      case MCC -> new Confusion(o, rows).mcc();
      case ENTITY_F1 -> entityF1(o, rows);
    };
  }

  public static int[] identity(int n) {
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    return rows;
  }

  private static double averageOverGroups(Outcomes o, int[] rows) {
    if (o.groups() == null) {
      return new Confusion(o, rows).weightedF1();
    }
    Map<String, List<Integer>> byGroup = new TreeMap<>();
    for (int r : rows) {
      byGroup.computeIfAbsent(String.valueOf(o.groups()[r]), k -> new ArrayList<>()).add(r);
    }
    double sum = 0;
    int counted = 0;
    for (List<Integer> g : byGroup.values()) {
      double f = new Confusion(o, g.stream().mapToInt(Integer::intValue).toArray()).weightedF1();
      if (!Double.isNaN(f)) {
        sum += f;
        counted++;
      }
    }
    return counted == 0 ? Double.NaN : sum / counted;
  }

  private static double fractionCorrect(Outcomes o, int[] rows) {
    boolean[] correct = o.correct();
    int hits = 0;
    for (int r : rows) {
      if (correct[r]) {
        hits++;
      }
    }
    return (double) hits / rows.length;
  }

  private static double fractionMissing(Outcomes o, int[] rows) {
    String[] predicted = o.predicted();
    int missing = 0;
    for (int r : rows) {
      if (predicted[r] == null) {
        missing++;
      }
    }
    return (double) missing / rows.length;
  }

  private static double entityF1(Outcomes o, int[] rows) {
    // Parse each distinct row once: a bootstrap resample lists most rows more than once.
    long[][] counts = new long[o.size()][];
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int r : rows) {
      if (counts[r] == null) {
        counts[r] = entityCounts(o.gold()[r], o.predicted()[r]);
      }
      tp += counts[r][0];
      fp += counts[r][1];
      fn += counts[r][2];
    }
    long denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 1.0 : 2.0 * tp / denominator;
  }

  /** True positives, false positives and false negatives of one row's entity sets. */
  static long[] entityCounts(String gold, String predicted) {
    Set<String> g = AnswerParser.entities(gold);
    Set<String> p = AnswerParser.entities(predicted);
    long tp = p.stream().filter(g::contains).count();
    return new long[] {tp, p.size() - tp, g.size() - tp};
  }

  /**
   * Per-category counts of a sample: gold support, predictions and hits per class, plus the
   * predicted categories that are not classes (missing, or an unknown label) for MCC.
   */
  private static final class Confusion {
    /** Row count of the sample. */
    private final long n;
    /** Classes first (indices below {@link #classCount}), then non-class predictions. */
    private final long[] goldCount;
    private final long[] predCount;
    private final long[] hits;
    private final int classCount;

    Confusion(Outcomes o, int[] rows) {
      Map<String, Integer> index = new HashMap<>();
      for (String c : o.classes()) {
        index.putIfAbsent(c, index.size());
      }
      String[] gold = o.gold();
      String[] predicted = o.predicted();
      for (int r : rows) {
        index.putIfAbsent(gold[r], index.size());
      }
      classCount = index.size();
      // Predicted categories outside the classes only matter to MCC; the missing one goes
      // last, apart from any label string, so a class literally named like it cannot merge.
      Map<String, Integer> others = new HashMap<>();
      for (int r : rows) {
        String p = predicted[r];
        if (p != null && !index.containsKey(p)) {
          others.putIfAbsent(p, classCount + others.size());
        }
      }
      int missing = classCount + others.size();
      int categories = missing + 1;
      goldCount = new long[categories];
      predCount = new long[categories];
      hits = new long[categories];
      for (int r : rows) {
        int g = index.get(gold[r]);
        String p = predicted[r];
        int q = p == null ? missing : index.containsKey(p) ? index.get(p) : others.get(p);
        goldCount[g]++;
        predCount[q]++;
        if (g == q) {
          hits[g]++;
        }
      }
      n = rows.length;
    }

    /** F1 of class c, or NaN when it has neither gold nor predicted rows. */
    private double f1(int c) {
      long total = goldCount[c] + predCount[c];
      // 2PR / (P + R) simplifies to 2tp / (predicted + gold), which is 0 when tp is 0.
      return total == 0 ? Double.NaN : 2.0 * hits[c] / total;
    }

    double macroF1() {
      double sum = 0;
      int counted = 0;
      for (int c = 0; c < classCount; c++) {
        double f = f1(c);
        if (!Double.isNaN(f)) {
          sum += f;
          counted++;
        }
      }
      return counted == 0 ? Double.NaN : sum / counted;
    }

    double weightedF1() {
      double sum = 0;
      long support = 0;
      for (int c = 0; c < classCount; c++) {
        if (goldCount[c] > 0) {
          sum += goldCount[c] * f1(c);
          support += goldCount[c];
        }
      }
      return support == 0 ? Double.NaN : sum / support;
    }

    double mcc() {
      // Gorodkin's R_K in sklearn's form: with t_k gold and p_k predicted counts, c the hits
      // and s the rows, (c*s - sum t_k p_k) / sqrt((s^2 - sum p_k^2) * (s^2 - sum t_k^2)).
      // Doubles, not longs: s^2 times s overflows a long from about two million rows.
      double s = n;
      double c = 0;
      double tp = 0;
      double pp = 0;
      double tt = 0;
      for (int k = 0; k < goldCount.length; k++) {
        c += hits[k];
        tp += (double) goldCount[k] * predCount[k];
        pp += (double) predCount[k] * predCount[k];
        tt += (double) goldCount[k] * goldCount[k];
      }
      double denominator = Math.sqrt((s * s - pp) * (s * s - tt));
      return denominator == 0 ? 0.0 : (c * s - tp) / denominator;
    }
  }
}
