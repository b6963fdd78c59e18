package io.finmix.jobs.decontaminate;

import static org.apache.spark.sql.functions.array_intersect;
import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import io.finmix.jobs.task.Benchmarks;
import io.finmix.jobs.text.MinHasher;
import io.finmix.jobs.text.Shingles;
import io.finmix.jobs.text.TextNormalizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Finds training rows that overlap benchmark eval rows. Three kinds of match, all by shuffled
 * hash joins in which the eval side is the hashed one:
 *
 * <ul>
 *   <li>{@code ngram}: token n-grams of the normalised eval text (n = {@code ngram}, or the
 *       smaller {@code short_text.ngram} for short texts) found in the training row's whole
 *       text (instruction, input and output): at least {@code min_fraction} of them and at
 *       least {@code min_matches};
 *   <li>{@code exact}: a short eval text equal to a training row's input, once normalised;
 *   <li>{@code near}: a short eval text at least {@code near_threshold} of whose character
 *       k-grams are in a training row's input (MinHash LSH candidates, then the exact share).
 * </ul>
 */
public final class Contamination {

  /** Columns of the match rows, before action and run_id are added. */
  static final List<String> MATCH_COLUMNS = List.of("record_id", "source", "benchmark",
      "eval_record_id", "eval_split", "match", "ngram", "matched_ngrams", "eval_ngrams",
      "similarity");

  private static final StructType EVAL_GRAMS = new StructType()
      .add("eval_record_id", DataTypes.StringType, false)
      .add("benchmark", DataTypes.StringType, false)
      .add("eval_split", DataTypes.StringType, false)
      .add("ngram", DataTypes.IntegerType, false)
      .add("gram", DataTypes.LongType, false)
      .add("eval_ngrams", DataTypes.IntegerType, false)
      .add("min_fraction", DataTypes.DoubleType, false)
      .add("min_matches", DataTypes.IntegerType, false);
  private static final StructType TRAIN_GRAMS = new StructType()
      .add("record_id", DataTypes.StringType, false)
      .add("source", DataTypes.StringType, false)
      .add("ngram", DataTypes.IntegerType, false)
      .add("gram", DataTypes.LongType, false);
  private static final StructType SHORT_TEXTS = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("text_key", DataTypes.LongType, false)
      .add("shingles", DataTypes.createArrayType(DataTypes.LongType, false), false)
      .add("bucket", DataTypes.LongType, false);

  private Contamination() {}

  /**
   * The eval rows of every benchmark among {@code rows}: {@code eval_record_id, benchmark,
   * eval_split, instruction, input}.
   */
  public static Dataset<Row> evalRows(Dataset<Row> rows, List<Benchmarks.Benchmark> benchmarks) {
    Dataset<Row> out = null;
    for (Benchmarks.Benchmark b : benchmarks) {
      Dataset<Row> one = rows.where(col("source").equalTo(b.source())
              .and(col("split").isin(b.splits().toArray())))
          .select(col("record_id").as("eval_record_id"), lit(b.name()).as("benchmark"),
              col("split").as("eval_split"), col("instruction"), col("input"));
      out = out == null ? one : out.unionByName(one);
    }
    return out;
  }

  /** Every match of a training row against an eval row ({@link #MATCH_COLUMNS}). */
  public static Dataset<Row> matches(Dataset<Row> train, Dataset<Row> eval,
      DecontaminationSettings s) {
    return ngramMatches(train, eval, s)
        .unionByName(wholeTextMatches(train, eval, s))
        .distinct();
  }

  static Dataset<Row> ngramMatches(Dataset<Row> train, Dataset<Row> eval,
      DecontaminationSettings s) {
    Dataset<Row> evalGrams = eval.flatMap((FlatMapFunction<Row, Row>) r -> {
      String[] words = s.normalizer().words(evalText(r.getString(3), r.getString(4)));
      boolean isShort = words.length < s.shortMaxTokens();
      int n = isShort ? s.shortNgram() : s.ngram();
      List<Row> out = new ArrayList<>();
      if (words.length >= n) {
        long[] grams = Shingles.of(words, n);
        for (long g : grams) {
          out.add(RowFactory.create(r.getString(0), r.getString(1), r.getString(2), n, g,
              grams.length, isShort ? s.shortMinFraction() : s.minFraction(),
              isShort ? s.shortMinMatches() : s.minMatches()));
        }
      }
      return out.iterator();
    }, Encoders.row(EVAL_GRAMS));
    int[] sizes = s.ngram() == s.shortNgram() ? new int[] {s.ngram()}
        : new int[] {s.ngram(), s.shortNgram()};
    Dataset<Row> trainGrams = train.select("record_id", "source", "instruction", "input", "output")
        .flatMap((FlatMapFunction<Row, Row>) r -> {
          String text = (r.isNullAt(2) ? "" : r.getString(2)) + " " + r.getString(3) + " "
              + r.getString(4);
          String[] words = s.normalizer().words(text);
          List<Row> out = new ArrayList<>();
          for (int n : sizes) {
            if (words.length >= n) {
              for (long g : Shingles.of(words, n)) {
                out.add(RowFactory.create(r.getString(0), r.getString(1), n, g));
              }
            }
          }
          return out.iterator();
        }, Encoders.row(TRAIN_GRAMS));
    // Shuffled hash joins, the eval side hashed: a training side whose table is small on disk
    // can still flatMap into millions of n-grams, too many to broadcast.
    return trainGrams.join(evalGrams.hint("shuffle_hash"), seq("ngram", "gram"))
        .groupBy("record_id", "source", "benchmark", "eval_record_id", "eval_split", "ngram",
            "eval_ngrams", "min_fraction", "min_matches")
        .agg(count(lit(1)).cast("int").as("matched_ngrams"))
        .where(col("matched_ngrams").geq(greatest(col("min_matches"),
            ceil(col("min_fraction").multiply(col("eval_ngrams"))).cast("int"))))
        .select(col("record_id"), col("source"), col("benchmark"), col("eval_record_id"),
            col("eval_split"), lit("ngram").as("match"), col("ngram"), col("matched_ngrams"),
            col("eval_ngrams"), coalesce(col("matched_ngrams").cast("double")
                .divide(col("eval_ngrams")), lit(0.0)).as("similarity"));
  }

  static Dataset<Row> wholeTextMatches(Dataset<Row> train, Dataset<Row> eval,
      DecontaminationSettings s) {
    MinHasher hasher = new MinHasher(s.numPerm(), s.seed(), s.bands(), s.rows());
    Dataset<Row> evalShort = shortTexts(eval.select(col("eval_record_id").as("id"),
        col("instruction"), col("input")), s, hasher, true);
    Dataset<Row> trainShort = shortTexts(train.select(col("record_id").as("id"),
        col("instruction"), col("input")), s, hasher, false);
    Dataset<Row> e = evalShort.select(col("id").as("eval_record_id"), col("text_key").as("e_key"),
        col("shingles").as("e_sh"), col("bucket").as("e_bucket"));
    Dataset<Row> t = trainShort.select(col("id").as("record_id"), col("text_key").as("t_key"),
        col("shingles").as("t_sh"), col("bucket").as("t_bucket"));
    Dataset<Row> pairs = t.join(e.hint("shuffle_hash"),
            col("t_bucket").equalTo(col("e_bucket")))
        .select("record_id", "eval_record_id", "t_key", "e_key", "t_sh", "e_sh")
        .dropDuplicates("record_id", "eval_record_id");
    // The share of the eval text's k-grams found in the input (containment, not Jaccard: the
    // eval item quoted inside a longer input is contamination too).
    Column contained = coalesce(size(array_intersect(col("t_sh"), col("e_sh"))).cast("double")
        .divide(size(col("e_sh"))), lit(0.0));
    Column exact = col("t_key").equalTo(col("e_key"));
    Dataset<Row> found = pairs.withColumn("similarity", contained)
        .where(exact.or(col("similarity").geq(s.nearThreshold())))
        .withColumn("match", when(exact, lit("exact"))
            .otherwise(lit("near")));
    Dataset<Row> evalInfo = eval.select("eval_record_id", "benchmark", "eval_split");
    Dataset<Row> trainInfo = train.select("record_id", "source");
    return found.join(evalInfo, "eval_record_id").join(trainInfo, "record_id")
        .select(col("record_id"), col("source"), col("benchmark"), col("eval_record_id"),
            col("eval_split"), col("match"), lit(0).as("ngram"), lit(0).as("matched_ngrams"),
            lit(0).as("eval_ngrams"), col("similarity"));
  }

  /**
   * Short texts (eval: fewer than short_text.max_tokens words; train: every input) with their
   * normalised-text key, shingles and LSH buckets (one row per bucket). Exact equals share a
   * bucket too: their signatures are equal.
   */
  private static Dataset<Row> shortTexts(Dataset<Row> rows, DecontaminationSettings s,
      MinHasher hasher, boolean evalSide) {
    return rows.flatMap((FlatMapFunction<Row, Row>) r -> {
      String normalised = s.normalizer().normalize(evalText(r.getString(1), r.getString(2)));
      String[] words = TextNormalizer.splitWords(normalised);
      List<Row> out = new ArrayList<>();
      if (words.length == 0 || (evalSide && words.length >= s.shortMaxTokens())) {
        return out.iterator();
      }
      long[] sh = Shingles.chars(normalised, s.charShingle());
      long key = Shingles.hash64(normalised);
      for (long bucket : hasher.bandKeys(hasher.signature(sh))) {
        out.add(RowFactory.create(r.getString(0), key, sh, bucket));
      }
      return out.iterator();
    }, Encoders.row(SHORT_TEXTS));
  }

  /** The text of an eval row: its input, or its instruction when the input is empty. */
  static String evalText(String instruction, String input) {
    return input.isBlank() && instruction != null ? instruction : input;
  }

  private static scala.collection.Seq<String> seq(String... columns) {
    return scala.collection.JavaConverters.asScalaBuffer(List.of(columns)).toSeq();
  }
}
