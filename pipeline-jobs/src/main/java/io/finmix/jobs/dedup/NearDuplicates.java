package io.finmix.jobs.dedup;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.finmix.jobs.text.MinHasher;
import io.finmix.jobs.text.Shingles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Near duplicates with MinHash and LSH. Every row's word shingles give a MinHash signature and
 * one bucket per LSH band; that is the only pass over all rows, and its shuffle carries two
 * longs per bucket. Rows that share a bucket become candidate edges (each to the bucket's
 * smallest id, so a bucket of k rows gives k - 1 edges, not k²); from there on only candidate
 * rows are touched: candidates are verified by exact Jaccard, connected components of the
 * verified edges are the clusters, and each component keeps its representative (highest split
 * rank, then priority, then lowest record_id). Members at least {@code
 * representative_threshold} similar to it go; the others stay as {@code chain_cut}.
 *
 * <p>Bucketing works on 64-bit row ids (xxHash64 of the record_id); verification goes back to
 * record_ids, so an id collision can only add a candidate, which verification then drops.
 */
public final class NearDuplicates {

  private static final Logger LOG = LoggerFactory.getLogger(NearDuplicates.class);

  private static final StructType EDGES = new StructType()
      .add("src", DataTypes.LongType, false)
      .add("dst", DataTypes.LongType, false);

  private NearDuplicates() {}

  /**
   * The whole near-duplicate pass over {@code rows} (exact-dedup survivors, with {@code
   * dedup_text} and {@code split_rank}): the marked members of every component, with the
   * columns of the cluster table ({@code record_id, source, split, label, cluster_id,
   * cluster_size, kept_record_id, similarity, reason, action}), computed: persisted when
   * Spark jobs made it (the caller unpersists it), a local relation when the driver did.
   */
  public static Dataset<Row> find(Dataset<Row> rows, DedupSettings s) {
    Dataset<Row> keyed = rows.select(col("record_id"), idOf(col("record_id")).as("id"),
        col("source"), col("split"), col("label"), col("split_rank"), col("priority"),
        col("dedup_text"), col("dedup_apart"));
    Dataset<Row> edges = candidates(keyed, s).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // a pair comes once for each band it shares: at most bands x the distinct edges
      long count = edges.count();
      boolean onDriver = count <= s.driverMaxEdges();
      LOG.info("dedup: {} candidate edges, verified, joined and marked {}", count,
          onDriver ? "on the driver" : "by Spark jobs (over dedup.near.driver_max_edges)");
      return onDriver
          ? onDriver(keyed, new ArrayList<>(new LinkedHashSet<>(edges.collectAsList())), s)
          : distributed(keyed, edges, s);
    } finally {
      edges.unpersist(false);
    }
  }

  /**
   * A few candidates (at most {@code dedup.near.driver_max_edges}): their rows are collected
   * and verified, joined into components and marked on the driver ({@link DriverClusters}),
   * one collect where the distributed path runs a job per join and per round.
   */
  private static Dataset<Row> onDriver(Dataset<Row> keyed, List<Row> edges, DedupSettings s) {
    SparkSession spark = keyed.sparkSession();
    Set<Long> ids = new HashSet<>();
    edges.forEach(e -> {
      ids.add(e.getLong(0));
      ids.add(e.getLong(1));
    });
    Dataset<Row> endpoints = spark.createDataset(new ArrayList<>(ids), Encoders.LONG())
        .toDF("id");
    List<Row> members = keyed.join(broadcast(endpoints), "id")
        .select(Arrays.stream(keyed.columns()).map(functions::col).toArray(Column[]::new))
        .collectAsList();
    StructType in = keyed.schema();
    StructType columns = new StructType(new StructField[] {in.apply("record_id"),
        in.apply("source"), in.apply("split"), in.apply("label")})
        .add("cluster_id", DataTypes.StringType).add("cluster_size", DataTypes.IntegerType, false)
        .add("kept_record_id", DataTypes.StringType)
        .add("similarity", DataTypes.DoubleType, false)
        .add("reason", DataTypes.StringType, false).add("action", DataTypes.StringType, false);
    // a local relation of the marked rows (thousands, typically): nothing to persist
    return spark.createDataFrame(DriverClusters.mark(edges, members, s), columns);
  }

  /** Many candidates: verification, components and marking as Spark jobs. */
  private static Dataset<Row> distributed(Dataset<Row> keyed, Dataset<Row> candidates,
      DedupSettings s) {
    Dataset<Row> edges = candidates.distinct().persist(StorageLevel.MEMORY_AND_DISK());
    // Only the rows on a candidate edge, few: their joins broadcast.
    Dataset<Row> endpoints = edges.select(col("src").as("id"))
        .unionByName(edges.select(col("dst").as("id"))).distinct();
    Dataset<Row> members = keyed.join(broadcast(endpoints), "id")
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      members.count(); // materialised once, before the joins below read it twice at once
      Dataset<Row> components = ConnectedComponents.of(verify(edges, members, s),
          s.maxIterations());
      return materialised(mark(components, members, s));
    } finally {
      members.unpersist(false);
      edges.unpersist(false);
    }
  }

  private static Dataset<Row> materialised(Dataset<Row> marked) {
    marked.persist(StorageLevel.MEMORY_AND_DISK()).count();
    return marked;
  }

  /**
   * Candidate edges {@code src, dst} (64-bit ids): rows that share an LSH bucket, each linked to
   * the bucket's smallest id, once for each band they share. With {@code same_label}, the label
   * salts the buckets, so only rows with one label can meet; the {@code keep_apart} values
   * always do.
   */
  static Dataset<Row> candidates(Dataset<Row> keyed, DedupSettings s) {
    MinHasher hasher = new MinHasher(s.numPerm(), s.seed(), s.bands(), s.rows());
    boolean sameLabel = s.sameLabel();
    int n = s.shingle();
    UserDefinedFunction bandKeys = udf((UDF3<String, String, String, long[]>) (text, label,
        apart) -> {
      long[] sh = Shingles.ofText(text, n);
      if (sh.length == 0) {
        return new long[0];
      }
      long salt = sameLabel && label != null ? Shingles.hash64(label) : 0L;
      if (!apart.isEmpty()) {
        salt = Shingles.mix(salt ^ Shingles.hash64(apart));
      }
      long[] keys = hasher.bandKeys(hasher.signature(sh));
      for (int b = 0; b < keys.length; b++) {
        keys[b] = Shingles.mix(keys[b] ^ salt);
      }
      return keys;
    }, DataTypes.createArrayType(DataTypes.LongType, false)).asNonNullable();
    // One (bucket, id) row per band, exploded by Spark's generated code straight into the
    // shuffle by bucket. Each partition's buckets are then grouped in a primitive hash map (no
    // sort, no window), read from Spark's own rows (no conversion of millions of rows to Row
    // objects), and every member links to its bucket's smallest id. A partition is held in
    // memory (about 40 bytes per pair): spark.sql.shuffle.partitions and AQE's advisory
    // partition size bound it.
    Dataset<Row> buckets = keyed.select(col("id"), explode(bandKeys.apply(col("dedup_text"),
        col("label"), col("dedup_apart"))).as("bucket")).repartition(col("bucket"));
    JavaRDD<Row> edges = buckets.queryExecution().toRdd().toJavaRDD().mapPartitions(it -> {
      BucketRoots roots = new BucketRoots();
      while (it.hasNext()) {
        InternalRow r = it.next();
        roots.add(r.getLong(1), r.getLong(0));
      }
      roots.group();
      List<Row> out = new ArrayList<>();
      for (int i = 0; i < roots.size(); i++) {
        if (roots.id(i) != roots.root(i)) {
          out.add(RowFactory.create(roots.id(i), roots.root(i)));
        }
      }
      return out.iterator();
    });
    return keyed.sparkSession().createDataFrame(edges, EDGES);
  }

  /**
   * The candidate edges as record_id pairs {@code src, dst}, kept when the rows really are
   * similar (exact Jaccard, unless verify is off), share their keep_apart values and, with
   * same_label, a label. Going
   * back to record_ids here also undoes any 64-bit id collision: a pair it made up is two
   * unrelated texts, which verification drops.
   */
  static Dataset<Row> verify(Dataset<Row> edges, Dataset<Row> members, DedupSettings s) {
    Dataset<Row> a = members.select(col("id").as("a_id"), col("record_id").as("a_record"),
        col("label").as("a_label"), col("dedup_text").as("a_text"),
        col("dedup_apart").as("a_apart"));
    Dataset<Row> b = members.select(col("id").as("b_id"), col("record_id").as("b_record"),
        col("label").as("b_label"), col("dedup_text").as("b_text"),
        col("dedup_apart").as("b_apart"));
    Column keep = col("a_record").notEqual(col("b_record"))
        .and(col("a_apart").equalTo(col("b_apart")));
    if (s.verify()) {
      keep = keep.and(jaccard(s.shingle()).apply(col("a_text"), col("b_text"))
          .geq(s.threshold()));
    }
    if (s.sameLabel()) {
      keep = keep.and(col("a_label").eqNullSafe(col("b_label")));
    }
    return edges.join(a, col("src").equalTo(col("a_id")))
        .join(b, col("dst").equalTo(col("b_id")))
        .where(keep).select(col("a_record").as("src"), col("b_record").as("dst"));
  }

  /** Every component member's fate (see {@link #find}). */
  static Dataset<Row> mark(Dataset<Row> components, Dataset<Row> members, DedupSettings s) {
    WindowSpec component = Window.partitionBy("component");
    WindowSpec ranked = component.orderBy(col("split_rank").desc(), col("priority").desc(),
        col("record_id"))
        .rowsBetween(Window.unboundedPreceding(), Window.unboundedFollowing());
    Dataset<Row> joined = components.join(members,
            components.col("node").equalTo(members.col("record_id")))
        .withColumn("cluster_size", count(lit(1)).over(component).cast("int"))
        .withColumn("kept_record_id", first("record_id").over(ranked))
        .withColumn("kept_text", first("dedup_text").over(ranked));
    joined = joined.withColumn("similarity",
        jaccard(s.shingle()).apply(col("dedup_text"), col("kept_text")));
    Column overCap = col("cluster_size").gt(s.maxComponentSize());
    Column reason = when(overCap, lit("component_over_cap"))
        .when(col("record_id").equalTo(col("kept_record_id")), lit("kept"))
        .when(col("similarity").geq(s.representativeThreshold()), lit("near_duplicate"))
        .otherwise(lit("chain_cut"));
    return joined
        .withColumn("reason", reason)
        .withColumn("action", when(col("reason").equalTo("near_duplicate"), lit("removed"))
            .otherwise(lit("kept")))
        .withColumn("cluster_id", concat(lit("near:"), col("component")))
        .select("record_id", "source", "split", "label", "cluster_id", "cluster_size",
            "kept_record_id", "similarity", "reason", "action");
  }

  /** Exact Jaccard of the word n-gram shingles of two normalised texts. */
  static UserDefinedFunction jaccard(int n) {
    return udf((UDF2<String, String, Double>) (a, b) ->
        Shingles.jaccard(Shingles.ofText(a, n), Shingles.ofText(b, n)),
        DataTypes.DoubleType).asNonNullable();
  }

  /** A row's 64-bit id inside the pass: xxHash64 of its record_id. */
  static Column idOf(Column recordId) {
    return xxhash64(recordId);
  }
}
