package io.finmix.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import io.finmix.jobs.dedup.DedupSettings;
import io.finmix.jobs.dedup.NearDuplicates;
import io.finmix.jobs.text.Shingles;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.MinHashLSH;
import org.apache.spark.ml.feature.MinHashLSHModel;
import org.apache.spark.ml.feature.NGram;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Near-duplicate detection on a generated corpus with planted near duplicates: finmix's
 * MinHash LSH (dedup's near pass) against Spark MLlib's MinHashLSH.approxSimilarityJoin, in one
 * JVM on the same documents and the same word 3-shingles. The ground truth is every pair whose
 * true Jaccard similarity is at least the threshold, found exactly through an inverted index.
 * Prints the wall time of each, the ratio, and precision, recall and F1 against the truth.
 */
public final class NearDuplicateBench {

  private NearDuplicateBench() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    double threshold = args.length > 1 ? Double.parseDouble(args[1]) : 0.8;
    String tablesArg = args.length > 2 ? args[2] : "1,3,5";
    // "none": finmix alone, without MLlib and the exact ground truth (a scaling run)
    int[] tableCounts = tablesArg.equals("none") ? new int[0]
        : java.util.Arrays.stream(tablesArg.split(",")).mapToInt(Integer::parseInt).toArray();
    File work = new File("bench/target/near-dup-bench").getAbsoluteFile();

    List<String> docs = corpus(rows, 42);
    long t0 = System.nanoTime();
    Set<Long> truth = tableCounts.length == 0 ? null : truth(docs, threshold);
    if (truth != null) {
      System.out.printf(Locale.ROOT, "corpus: %,d documents, %,d true pairs with Jaccard >= "
          + "%.2f (word 3-shingles; exact ground truth in %.1f s)%n", docs.size(), truth.size(),
          threshold, (System.nanoTime() - t0) / 1e9);
    } else {
      System.out.printf(Locale.ROOT, "corpus: %,d documents (no ground truth: finmix alone)%n",
          docs.size());
    }

    FinmixConfig config = FinmixConfig.load(null, List.of("warehouse=" + work, "run_id=bench",
        "dedup.near.threshold=" + threshold, "dedup.near.representative_threshold=" + threshold,
        "dedup.near.same_label=false"), null);
    SparkSession spark = SparkSessions.getOrCreate(config, "finmix near-dup bench");
    spark.sparkContext().setLogLevel("WARN");
    spark.sparkContext().setCheckpointDir(work + "/checkpoints");
    int cores = spark.sparkContext().defaultParallelism();
    // Written to Parquet and read back, as dedup reads its input from a table: a frame built
    // from a local collection would ship its rows inside every task of every stage.
    String parquet = work + "/corpus.parquet";
    frame(spark, docs).write().mode("overwrite").parquet(parquet);
    Dataset<Row> frame = spark.read().parquet(parquet).cache();
    frame.count();

    // Each configuration three times, in turn (the first round warms the JVM); the best round
    // counts.
    DedupSettings settings = DedupSettings.of(config);
    double finmixSeconds = Double.MAX_VALUE;
    double[] mllibSeconds = new double[tableCounts.length];
    java.util.Arrays.fill(mllibSeconds, Double.MAX_VALUE);
    Set<Long> finmix = null;
    List<Set<Long>> mllib = new ArrayList<>();
    for (int round = 1; round <= 3; round++) {
      t0 = System.nanoTime();
      finmix = finmixPairs(frame, settings);
      double f = (System.nanoTime() - t0) / 1e9;
      finmixSeconds = Math.min(finmixSeconds, f);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "round %d: finmix %.1f s", round, f));
      mllib.clear();
      for (int i = 0; i < tableCounts.length; i++) {
        t0 = System.nanoTime();
        mllib.add(mllibPairs(frame, threshold, tableCounts[i]));
        double m = (System.nanoTime() - t0) / 1e9;
        mllibSeconds[i] = Math.min(mllibSeconds[i], m);
        line.append(String.format(Locale.ROOT, ", MLlib %d tables %.1f s", tableCounts[i], m));
      }
      System.out.println(line);
    }

    System.out.printf(Locale.ROOT, "%d cores (local[*]); finmix: %d bands x %d rows of %d "
        + "permutations, exact Jaccard verification%n", cores, settings.bands(), settings.rows(),
        settings.numPerm());
    if (truth == null) {
      System.out.printf(Locale.ROOT, "finmix dedup (near pass): %.1f s, %,d pairs, %,.0f "
          + "documents/s%n", finmixSeconds, finmix.size(), docs.size() / finmixSeconds);
      spark.stop();
      return;
    }
    System.out.printf(Locale.ROOT, "%-36s %9s %10s %9s %8s %8s %13s%n", "", "seconds", "pairs",
        "precision", "recall", "F1", "MLlib/finmix");
    print("finmix dedup (near pass)", finmixSeconds, finmix, truth, finmixSeconds);
    for (int i = 0; i < tableCounts.length; i++) {
      print("MLlib MinHashLSH, " + tableCounts[i] + " hash tables", mllibSeconds[i],
          mllib.get(i), truth, finmixSeconds);
    }
    spark.stop();
  }

  /** finmix: dedup's near pass, from normalised text to marked components. */
  private static Set<Long> finmixPairs(Dataset<Row> frame, DedupSettings settings) {
    Dataset<Row> marked = NearDuplicates.find(frame.withColumn("dedup_text", col("text"))
        .withColumn("dedup_apart", org.apache.spark.sql.functions.lit("")),
        settings);
    Set<Long> pairs = new HashSet<>();
    for (Row r : marked.where(col("reason").equalTo("near_duplicate"))
        .select("kept_record_id", "record_id").collectAsList()) {
      pairs.add(pair(Integer.parseInt(r.getString(0)), Integer.parseInt(r.getString(1))));
    }
    marked.unpersist();
    return pairs;
  }

  /**
   * MLlib: word 3-gram features, MinHashLSH, an approximate self-join on Jaccard distance. The
   * join keeps distance strictly below its argument, so 1 - t plus a hair keeps pairs at
   * exactly t, as the ground truth and finmix do (with 1 - t alone, MLlib's recall stops near
   * 0.92 here whatever the number of tables).
   */
  private static Set<Long> mllibPairs(Dataset<Row> frame, double threshold, int tables) {
    Dataset<Row> tokens = frame.withColumn("words", org.apache.spark.sql.functions.split(
        col("text"), " "));
    PipelineModel features = new Pipeline().setStages(new PipelineStage[] {
        new NGram().setN(3).setInputCol("words").setOutputCol("grams"),
        new HashingTF().setInputCol("grams").setOutputCol("features").setBinary(true)
            .setNumFeatures(1 << 22)}).fit(tokens);
    Dataset<Row> vectors = features.transform(tokens).select("id", "features");
    MinHashLSHModel lsh = new MinHashLSH().setNumHashTables(tables).setSeed(7)
        .setInputCol("features").setOutputCol("hashes").fit(vectors);
    Set<Long> pairs = new HashSet<>();
    for (Row r : lsh.approxSimilarityJoin(vectors, vectors, 1 - threshold + 1e-9, "distance")
        .select(col("datasetA.id"), col("datasetB.id"))
        .where(col("datasetA.id").lt(col("datasetB.id"))).collectAsList()) {
      pairs.add(pair(Integer.parseInt(r.getString(0)), Integer.parseInt(r.getString(1))));
    }
    return pairs;
  }

  private static void print(String name, double seconds, Set<Long> found, Set<Long> truth,
      double finmixSeconds) {
    long hits = found.stream().filter(truth::contains).count();
    double precision = found.isEmpty() ? 1.0 : hits / (double) found.size();
    double recall = truth.isEmpty() ? 1.0 : hits / (double) truth.size();
    double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    System.out.printf(Locale.ROOT, "%-36s %9.1f %,10d %9.4f %8.4f %8.4f %12.1fx%n", name,
        seconds, found.size(), precision, recall, f1, seconds / finmixSeconds);
  }

  /**
   * Random documents of 20 to 40 words from a 20,000-word vocabulary (so unrelated documents
   * share no 3-shingle), and for 13% of them a planted near duplicate with 1 to 6 words
   * replaced: similarities on both sides of the threshold.
   */
  static List<String> corpus(int rows, long seed) {
    Random random = new Random(seed);
    String[] vocab = new String[20_000];
    for (int i = 0; i < vocab.length; i++) {
      StringBuilder w = new StringBuilder();
      int len = 4 + random.nextInt(5);
      for (int j = 0; j < len; j++) {
        w.append((char) ('a' + random.nextInt(26)));
      }
      vocab[i] = w.toString();
    }
    List<String> docs = new ArrayList<>(rows);
    while (docs.size() < rows) {
      String[] words = new String[20 + random.nextInt(21)];
      for (int i = 0; i < words.length; i++) {
        words[i] = vocab[random.nextInt(vocab.length)];
      }
      docs.add(String.join(" ", words));
      if (random.nextDouble() < 0.15 && docs.size() < rows) {
        int edits = 1 + random.nextInt(6);
        for (int e = 0; e < edits; e++) {
          words[random.nextInt(words.length)] = vocab[random.nextInt(vocab.length)];
        }
        docs.add(String.join(" ", words));
      }
    }
    return docs;
  }

  /** Every pair with Jaccard >= threshold: candidates from shared shingles, then exact. */
  static Set<Long> truth(List<String> docs, double threshold) {
    List<long[]> shingles = new ArrayList<>(docs.size());
    Map<Long, List<Integer>> index = new HashMap<>();
    for (int i = 0; i < docs.size(); i++) {
      long[] sh = Shingles.of(docs.get(i).split(" "), 3);
      shingles.add(sh);
      for (long s : sh) {
        index.computeIfAbsent(s, k -> new ArrayList<>(2)).add(i);
      }
    }
    Set<Long> checked = new HashSet<>();
    Set<Long> truth = new HashSet<>();
    for (List<Integer> ids : index.values()) {
      for (int a = 0; a < ids.size(); a++) {
        for (int b = a + 1; b < ids.size(); b++) {
          long p = pair(ids.get(a), ids.get(b));
          if (checked.add(p) && Shingles.jaccard(shingles.get(ids.get(a)),
              shingles.get(ids.get(b))) >= threshold) {
            truth.add(p);
          }
        }
      }
    }
    return truth;
  }

  private static Dataset<Row> frame(SparkSession spark, List<String> docs) {
    StructType schema = new StructType()
        .add("record_id", DataTypes.StringType, false).add("id", DataTypes.StringType, false)
        .add("text", DataTypes.StringType, false);
    List<Row> rows = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      String id = String.format("%07d", i);
      rows.add(RowFactory.create(id, id, docs.get(i)));
    }
    return spark.createDataFrame(new org.apache.spark.api.java.JavaSparkContext(
            spark.sparkContext()).parallelize(rows, 8), schema)
        .withColumn("source", lit("bench")).withColumn("split", lit("train"))
        .withColumn("label", lit(null).cast("string")).withColumn("split_rank", lit(0))
        .withColumn("priority", lit(0));
  }

  private static long pair(int a, int b) {
    return a < b ? ((long) a << 32) | b : ((long) b << 32) | a;
  }
}
