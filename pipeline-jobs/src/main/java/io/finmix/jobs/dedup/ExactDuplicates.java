package io.finmix.jobs.dedup;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;

/**
 * Exact duplicates: records with the same normalised text form a group. In each group only the
 * rows of the highest split rank can stay (a training row that repeats an eval row goes, as
 * {@code eval_duplicate}); among those, different labels are a label conflict (majority, or
 * drop all); of the rest one survives: highest source priority, then lowest record_id.
 */
public final class ExactDuplicates {

  private ExactDuplicates() {}

  /**
   * The records with {@code dedup_text} (the normalised compared text), {@code dedup_apart}
   * (the values of the {@code keep_apart} attributes: rows that differ in it ask different
   * things and are never duplicates; empty when none is configured) and {@code split_rank}.
   */
  public static Dataset<Row> withText(Dataset<Row> records, DedupSettings s) {
    UserDefinedFunction text = udf((UDF3<String, String, String, String>) s::text,
        DataTypes.StringType);
    UserDefinedFunction rank = udf((UDF1<String, Integer>) s::rankOf, DataTypes.IntegerType);
    Column apart = lit("");
    if (!s.keepApart().isEmpty()) {
      // an absent attribute is its own value (\u0002), apart from any text
      apart = concat_ws("\u0001", s.keepApart().stream().map(k ->
          coalesce(element_at(col("attributes"), k), lit("\u0002"))).toArray(Column[]::new));
    }
    return records.withColumn("dedup_text", text.apply(col("task"), col("instruction"),
            col("input")))
        .withColumn("dedup_apart", apart)
        .withColumn("split_rank", rank.apply(col("split")));
  }

  /**
   * Every row of {@link #withText} with its fate: {@code cluster_id}, {@code cluster_size},
   * {@code kept_record_id}, {@code reason} (kept, exact_duplicate, eval_duplicate,
   * label_conflict), {@code action} (kept or removed) and {@code similarity} (1.0).
   */
  public static Dataset<Row> mark(Dataset<Row> withText, boolean dropAllConflicts) {
    WindowSpec group = Window.partitionBy("dedup_key");
    Dataset<Row> df = withText
        .withColumn("dedup_key", substring(sha2(when(col("dedup_apart").equalTo(""),
            col("dedup_text")).otherwise(concat_ws("\u0000", col("dedup_text"),
            col("dedup_apart"))), 256), 1, 32))
        .withColumn("top_rank", max("split_rank").over(group))
        .withColumn("in_tier", col("split_rank").equalTo(col("top_rank")))
        .withColumn("n_labels", size(collect_set(when(col("in_tier"), col("label"))).over(group)))
        .withColumn("label_n", count(lit(1)).over(
            Window.partitionBy("dedup_key", "split_rank", "label")))
        .withColumn("max_n", max(when(col("in_tier"), col("label_n"))).over(group));
    df = df.withColumn("n_at_max", size(collect_set(when(col("in_tier")
            .and(col("label_n").equalTo(col("max_n"))), col("label"))).over(group)));
    Column conflictDrop = col("in_tier").and(col("n_labels").gt(1))
        .and(lit(dropAllConflicts).or(col("n_at_max").gt(1)).or(col("label_n").lt(col("max_n"))));
    df = df.withColumn("conflict_drop", conflictDrop)
        .withColumn("candidate", col("in_tier").and(col("conflict_drop").unary_$bang()));
    WindowSpec ordered = group.orderBy(col("candidate").desc(), col("split_rank").desc(),
        col("priority").desc(), col("record_id"));
    WindowSpec whole = ordered.rowsBetween(Window.unboundedPreceding(), Window.unboundedFollowing());
    df = df.withColumn("rn", row_number().over(ordered))
        .withColumn("first_id", first("record_id").over(whole))
        .withColumn("first_candidate", first("candidate").over(whole))
        .withColumn("cluster_size", count(lit(1)).over(group).cast("int"));
    Column kept = col("candidate").and(col("rn").equalTo(1));
    return df
        .withColumn("cluster_id", concat(lit("exact:"), col("dedup_key")))
        .withColumn("kept_record_id", when(col("first_candidate"), col("first_id")))
        .withColumn("reason", when(kept, lit("kept"))
            .when(col("in_tier").unary_$bang(), lit("eval_duplicate"))
            .when(col("conflict_drop"), lit("label_conflict"))
            .otherwise(lit("exact_duplicate")))
        .withColumn("action", when(kept, lit("kept")).otherwise(lit("removed")))
        .withColumn("similarity", lit(1.0))
        .drop("top_rank", "in_tier", "n_labels", "label_n", "max_n", "n_at_max", "conflict_drop",
            "candidate", "rn", "first_id", "first_candidate");
  }
}
