package io.finmix.jobs.aggregate;

import static org.apache.spark.sql.functions.col;

import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.task.AnswerParser;
import io.finmix.jobs.task.Benchmarks.Benchmark;
import io.finmix.jobs.task.Benchmarks.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * What a model has to beat, scored on the same eval rows as the models: the majority baseline
 * (every row answered with the most frequent training answer of the benchmark's source: the
 * majority class, or the most frequent number) and, for classification, the uniform-random
 * baseline (each row answered with a choice drawn from a generator seeded by the row), each
 * with its bootstrap interval. They join the leaderboard as recipes of their own ({@link
 * #MAJORITY}, {@link #RANDOM}) in every model and mode group of their benchmark, unranked.
 */
final class Baselines {

  static final String MAJORITY = "baseline-majority";
  static final String RANDOM = "baseline-random";

  private Baselines() {}

  /** One eval row: its benchmark, split, record, gold answer and group (null: none). */
  record EvalRow(String benchmark, String split, String recordId, String gold, String group) {

    EvalRow(String benchmark, String split, String recordId, String gold) {
      this(benchmark, split, recordId, gold, null);
    }
  }

  /**
   * The most frequent training answer of each benchmark's source in the run's corpus.clean:
   * the label (classification) or the canonical gold number (numeric); ties go to the first in
   * the benchmark's choices, then to the smaller answer. No train rows: no entry.
   */
  static Map<String, String> majorityAnswers(SparkSession spark, String runId,
      Map<String, Benchmark> benchmarks) {
    Dataset<Row> train = TableWriter.runRows(spark, "corpus.clean", runId)
        .where(col("split").equalTo("train"))
        .select("source", "label", "output");
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    for (Row r : train.groupBy("source", "label", "output").count().collectAsList()) {
      String source = r.getString(0);
      for (Benchmark b : benchmarks.values()) {
        if (!b.source().equals(source) || b.kind() == Kind.ENTITIES) {
          continue;
        }
        String answer = b.kind() == Kind.CLASSIFICATION ? r.getString(1)
            : canonicalGold(r.getString(2));
        if (answer != null) {
          counts.computeIfAbsent(b.name(), k -> new TreeMap<>()).merge(answer, r.getLong(3),
              Long::sum);
        }
      }
    }
    Map<String, String> out = new TreeMap<>();
    counts.forEach((name, byAnswer) -> {
      List<String> choices = benchmarks.get(name).choices();
      out.put(name, byAnswer.entrySet().stream()
          .max(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue)
              .thenComparing(e -> -rank(choices, e.getKey()))
              .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
          .map(e -> spelled(choices, e.getKey())).orElseThrow());
    });
    return out;
  }

  /** A label as the benchmark's choices spell it (training labels may differ in case). */
  private static String spelled(List<String> choices, String label) {
    for (String c : choices) {
      if (c.equalsIgnoreCase(label)) {
        return c;
      }
    }
    return label;
  }

  private static int rank(List<String> choices, String label) {
    for (int i = 0; i < choices.size(); i++) {
      if (choices.get(i).equalsIgnoreCase(label)) {
        return i;
      }
    }
    return choices.size();
  }

  /** A training output's gold number in plain form ({@code 12.50} and {@code 12.5} alike). */
  private static String canonicalGold(String output) {
    Double gold = output == null ? null : AnswerParser.goldNumber(output);
    return gold == null || gold.isInfinite() || gold.isNaN() ? null
        : java.math.BigDecimal.valueOf(gold).stripTrailingZeros().toPlainString();
  }

  /**
   * The baselines' leaderboard rows: for every benchmark with eval rows, each baseline scored on
   * its valid and test rows, repeated in each (model, mode) group the models' leaderboard has
   * for the benchmark. Rows as {@link Tables}' leaderboard makes them.
   */
  static List<Row> leaderboardRows(String runId, Map<String, Benchmark> benchmarks,
      Map<String, String> majority, List<EvalRow> evalRows, List<Row> leaderboard,
      ScoreGroups stats, long seed) {
    Map<String, Map<String, List<EvalRow>>> bySplit = new TreeMap<>();
    for (EvalRow e : evalRows) {
      bySplit.computeIfAbsent(e.benchmark(), k -> new TreeMap<>())
          .computeIfAbsent(e.split(), k -> new ArrayList<>()).add(e);
    }
    // (model, mode) groups of each benchmark in the models' leaderboard
    Map<String, List<String[]>> groups = new TreeMap<>();
    for (Row r : leaderboard) {
      List<String[]> g = groups.computeIfAbsent(r.getString(2), k -> new ArrayList<>());
      if (g.stream().noneMatch(x -> x[0].equals(r.getString(1)) && x[1].equals(r.getString(3)))) {
        g.add(new String[] {r.getString(1), r.getString(3)});
      }
    }
    List<Row> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, List<EvalRow>>> e : bySplit.entrySet()) {
      Benchmark b = benchmarks.get(e.getKey());
      if (b == null || !groups.containsKey(b.name())) {
        continue;
      }
      Map<String, Map<String, ScoreGroups.Score>> scores = new TreeMap<>();
      e.getValue().forEach((split, rows) -> {
        rows.sort(Comparator.comparing(EvalRow::recordId));
        if (majority.containsKey(b.name())) {
          scores.computeIfAbsent(MAJORITY, k -> new HashMap<>()).put(split,
              primary(b, stats, majority(b, majority.get(b.name()), rows)));
        }
        if (b.kind() == Kind.CLASSIFICATION && !b.choices().isEmpty()) {
          scores.computeIfAbsent(RANDOM, k -> new HashMap<>()).put(split,
              primary(b, stats, random(b, rows, seed)));
        }
      });
      scores.forEach((recipe, splits) -> {
        ScoreGroups.Score valid = splits.get("valid");
        ScoreGroups.Score test = splits.get("test");
        for (String[] g : groups.get(b.name())) {
          out.add(RowFactory.create(runId, g[0], b.name(), g[1], b.primaryMetric().key(),
              recipe, 0, new String[0], null, valid == null ? null
                  : AggregateJob.finite(valid.value()),
              test == null ? null : AggregateJob.finite(test.value()),
              test == null ? null : AggregateJob.finite(test.low()),
              test == null ? null : AggregateJob.finite(test.high()), null,
              test == null ? 0L : test.n(), "valid", "test"));
        }
      });
    }
    return out;
  }

  private static ScoreGroups.Score primary(Benchmark b, ScoreGroups stats,
      List<ScoreGroups.Prediction> predictions) {
    return stats.scores(b, predictions).stream().filter(s -> s.metric() == b.primaryMetric())
        .findFirst().orElseThrow();
  }

  /** Every row answered with {@code answer}. */
  static List<ScoreGroups.Prediction> majority(Benchmark b, String answer, List<EvalRow> rows) {
    List<ScoreGroups.Prediction> out = new ArrayList<>();
    for (EvalRow r : rows) {
      out.add(new ScoreGroups.Prediction(r.recordId(), r.gold(), answer, correct(b, answer,
          r.gold()), r.group()));
    }
    return out;
  }

  /** Every row answered with one of the choices, drawn by a generator seeded by the row. */
  static List<ScoreGroups.Prediction> random(Benchmark b, List<EvalRow> rows, long seed) {
    List<ScoreGroups.Prediction> out = new ArrayList<>();
    for (EvalRow r : rows) {
      long rowSeed = seed * 31 + (b.name() + "\u0000" + r.recordId()).hashCode();
      String answer = b.choices().get(new SplittableRandom(rowSeed).nextInt(b.choices().size()));
      out.add(new ScoreGroups.Prediction(r.recordId(), r.gold(), answer, correct(b, answer,
          r.gold()), r.group()));
    }
    return out;
  }

  private static boolean correct(Benchmark b, String answer, String gold) {
    if (b.kind() == Kind.CLASSIFICATION) {
      return answer.equals(gold);
    }
    AnswerParser.ParsedNumber n = AnswerParser.number(answer);
    Double g = AnswerParser.goldNumber(gold);
    return n != null && g != null && AnswerParser.numberMatches(n, g);
  }
}
