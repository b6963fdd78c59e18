package io.finmix.jobs.dedup;

import static org.apache.spark.sql.functions.array_intersect;
import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Near duplicates with MinHash and LSH: word shingles, a MinHash signature per row, one bucket
 * per LSH band; rows sharing a bucket become candidate edges (each to the bucket's smallest id,
 * so a bucket of k rows gives k - 1 edges, not k²), verified by exact Jaccard; connected
 * components of the verified edges are the clusters. Each component keeps its representative
 * (highest split rank, then priority, then lowest id); members at least {@code
 * representative_threshold} similar to it go, the others stay as {@code chain_cut}.
 */
public final class NearDuplicates {

  /** The per-row shingle table: what verification and the representative check read. */
  static final StructType SHINGLES = new StructType()
      .add("record_id", DataTypes.StringType, false)
      .add("source", DataTypes.StringType, false)
      .add("split", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, true)
      .add("split_rank", DataTypes.IntegerType, false)
      .add("priority", DataTypes.IntegerType, false)
      .add("shingles", DataTypes.createArrayType(DataTypes.LongType, false), false);

  private static final StructType BUCKETS = new StructType()
      .add("record_id", DataTypes.StringType, false)
      .add("bucket", DataTypes.LongType, false);

  private NearDuplicates() {}

  /** Shingles of each row of {@code rows} (needs dedup_text, split_rank and record columns). */
  public static Dataset<Row> shingles(Dataset<Row> rows, int n) {
    return rows.select("record_id", "source", "split", "label", "split_rank", "priority",
        "dedup_text").map((MapFunction<Row, Row>) r -> RowFactory.create(r.getString(0),
            r.getString(1), r.getString(2), r.getString(3), r.getInt(4), r.getInt(5),
            Shingles.of(words(r.getString(6)), n)), Encoders.row(SHINGLES));
  }

  /** Candidate edges {@code src, dst} from shared LSH buckets (label-scoped if asked). */
  public static Dataset<Row> candidates(Dataset<Row> shingles, DedupSettings s) {
    MinHasher hasher = new MinHasher(s.numPerm(), s.seed(), s.bands(), s.rows());
    boolean sameLabel = s.sameLabel();
    Dataset<Row> buckets = shingles.flatMap((FlatMapFunction<Row, Row>) r -> {
      long[] sh = toLongs(r.getList(6));
      if (sh.length == 0) {
        return java.util.Collections.emptyIterator();
      }
      long salt = sameLabel && !r.isNullAt(3) ? Shingles.hash64(r.getString(3)) : 0L;
      List<Row> out = new ArrayList<>(hasher.bands());
      for (long key : hasher.bandKeys(hasher.signature(sh))) {
        out.add(RowFactory.create(r.getString(0), Shingles.mix(key ^ salt)));
      }
      return out.iterator();
    }, Encoders.row(BUCKETS));
    Dataset<Row> roots = buckets.groupBy("bucket").agg(min("record_id").as("root"));
    return buckets.join(roots, "bucket")
        .where(col("record_id").notEqual(col("root")))
        .select(col("record_id").as("src"), col("root").as("dst"))
        .distinct();
  }

  /** The edges whose rows really are similar (and, if asked, share a label). */
  public static Dataset<Row> verify(Dataset<Row> edges, Dataset<Row> shingles, DedupSettings s) {
    Dataset<Row> a = shingles.select(col("record_id").as("a_id"), col("label").as("a_label"),
        col("shingles").as("a_sh"));
    Dataset<Row> b = shingles.select(col("record_id").as("b_id"), col("label").as("b_label"),
        col("shingles").as("b_sh"));
    Dataset<Row> joined = edges.join(a, col("src").equalTo(col("a_id")))
        .join(b, col("dst").equalTo(col("b_id")));
    Column keep = jaccard(col("a_sh"), col("b_sh")).geq(s.threshold());
    if (s.sameLabel()) {
      keep = keep.and(col("a_label").eqNullSafe(col("b_label")));
    }
    return joined.where(keep).select("src", "dst");
  }

  /**
   * The fate of every row in a component: the columns of {@link ExactDuplicates#mark}'s
   * cluster table ({@code record_id, source, split, label, cluster_id, cluster_size,
   * kept_record_id, similarity, reason, action}).
   */
  public static Dataset<Row> mark(Dataset<Row> components, Dataset<Row> shingles,
      DedupSettings s) {
    WindowSpec component = Window.partitionBy("component");
    WindowSpec ranked = component.orderBy(col("split_rank").desc(), col("priority").desc(),
        col("record_id"))
        .rowsBetween(Window.unboundedPreceding(), Window.unboundedFollowing());
    Dataset<Row> members = components.join(shingles, col("node").equalTo(col("record_id")))
        .withColumn("cluster_size", count(lit(1)).over(component).cast("int"))
        .withColumn("kept_record_id", first("record_id").over(ranked))
        .withColumn("kept_shingles", first("shingles").over(ranked));
    members = members.withColumn("similarity", jaccard(col("shingles"), col("kept_shingles")));
    Column overCap = col("cluster_size").gt(s.maxComponentSize());
    Column reason = when(overCap, lit("component_over_cap"))
        .when(col("record_id").equalTo(col("kept_record_id")), lit("kept"))
        .when(col("similarity").geq(s.representativeThreshold()), lit("near_duplicate"))
        .otherwise(lit("chain_cut"));
    return members
        .withColumn("reason", reason)
        .withColumn("action", when(col("reason").equalTo("near_duplicate"), lit("removed"))
            .otherwise(lit("kept")))
        .withColumn("cluster_id", concat(lit("near:"), col("component")))
        .select("record_id", "source", "split", "label", "cluster_id", "cluster_size",
            "kept_record_id", "similarity", "reason", "action");
  }

  /**
   * The whole near-duplicate pass over {@code rows} (exact-dedup survivors): the marked
   * members of every component, computed and persisted (the caller unpersists it).
   */
  public static Dataset<Row> find(Dataset<Row> rows, DedupSettings s) {
    Dataset<Row> shingles = shingles(rows, s.shingle()).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> edges = candidates(shingles, s);
      if (s.verify()) {
        edges = verify(edges, shingles, s);
      }
      Dataset<Row> components = ConnectedComponents.of(edges, s.maxIterations());
      Dataset<Row> marked = mark(components, shingles, s).persist(StorageLevel.MEMORY_AND_DISK());
      marked.count();
      return marked;
    } finally {
      shingles.unpersist(false);
    }
  }

  static Column jaccard(Column a, Column b) {
    Column union = size(array_union(a, b));
    return when(union.equalTo(0), lit(1.0))
        .otherwise(size(array_intersect(a, b)).cast("double").divide(union));
  }

  static String[] words(String normalised) {
    return normalised.isEmpty() ? new String[0] : normalised.split(" ");
  }

  static long[] toLongs(List<Object> list) {
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Long) list.get(i);
    }
    return out;
  }
}
