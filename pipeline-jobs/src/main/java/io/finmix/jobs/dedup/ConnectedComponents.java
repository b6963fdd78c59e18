package io.finmix.jobs.dedup;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connected components of an undirected graph with the large-star / small-star algorithm
 * (Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014): rounds of two
 * joins and two aggregations that shrink every component to a star around its smallest node.
 * The graph never leaves the executors; each round starts from a fresh plan (persisted, and
 * checkpointed every other round) so neither the plan nor the lineage grows without bound.
 */
public final class ConnectedComponents {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectedComponents.class);

  private ConnectedComponents() {}

  /**
   * The component of every node that has an edge: columns {@code node, component}, the
   * component named by its smallest node (string order).
   *
   * @param edges columns {@code src, dst} (string node ids; direction and repeats ignored)
   */
  public static Dataset<Row> of(Dataset<Row> edges, int maxIterations) {
    // Each edge once, as (larger, smaller).
    Dataset<Row> e = edges.where(col("src").notEqual(col("dst")))
        .select(greatest(col("src"), col("dst")).as("u"), least(col("src"), col("dst")).as("v"))
        .distinct();
    e = checkpoint(e, 1);
    // Pairs and stars (most duplicate clusters) need no round at all.
    for (int round = 1; !isStarForest(e); round++) {
      if (round > maxIterations) {
        throw new IllegalStateException("connected components did not converge in "
            + maxIterations + " rounds (dedup.near.max_iterations)");
      }
      Dataset<Row> next = checkpoint(smallStar(largeStar(e)), round);
      e.unpersist(false);
      e = next;
      LOG.info("dedup: connected components, round {}", round);
    }
    Dataset<Row> roots = e.select(col("v").as("node"), col("v").as("component")).distinct();
    return e.select(col("u").as("node"), col("v").as("component")).unionByName(roots);
  }

  /** Every node links its larger neighbours to the smallest of its neighbourhood (and itself). */
  static Dataset<Row> largeStar(Dataset<Row> e) {
    Dataset<Row> both = e.select(col("u").as("a"), col("v").as("b"))
        .unionByName(e.select(col("v").as("a"), col("u").as("b")));
    Dataset<Row> smallest = both.groupBy("a").agg(min("b").as("m"))
        .select(col("a").as("a2"), least(col("a"), col("m")).as("m"));
    return both.join(smallest, col("a").equalTo(col("a2")))
        .where(col("b").gt(col("a")))
        .select(col("b").as("u"), col("m").as("v"))
        .distinct();
  }

  /** Every node links itself and its smaller neighbours to the smallest of them. */
  static Dataset<Row> smallStar(Dataset<Row> e) {
    Dataset<Row> smallest = e.groupBy("u").agg(min("v").as("m"))
        .select(col("u").as("u2"), col("m"));
    Dataset<Row> neighbours = e.join(smallest, col("u").equalTo(col("u2")))
        .where(col("v").notEqual(col("m")))
        .select(col("v").as("u"), col("m").as("v"));
    return neighbours.unionByName(smallest.select(col("u2").as("u"), col("m").as("v")))
        .distinct();
  }

  /**
   * Done when every node with an edge has exactly one, to a node that has none of its own: a
   * forest of stars around the components' smallest nodes. One aggregation.
   */
  static boolean isStarForest(Dataset<Row> e) {
    Dataset<Row> degrees = e.select(col("u").as("node"), lit(1).as("out"), lit(0).as("in"))
        .unionByName(e.select(col("v").as("node"), lit(0).as("out"), lit(1).as("in")))
        .groupBy("node").agg(sum("out").as("outs"), sum("in").as("ins"));
    return degrees.where(col("outs").gt(1).or(col("outs").gt(0).and(col("ins").gt(0))))
        .isEmpty();
  }

  /**
   * Starts the next round from a fresh plan: each round uses the edges several times, so
   * without this the query plan would grow exponentially with the rounds. Every other round
   * (with a checkpoint directory) is a reliable checkpoint; in between, the edges are rebuilt
   * from their RDD and persisted, so a lost executor recomputes from the last checkpoint.
   */
  private static Dataset<Row> checkpoint(Dataset<Row> e, int round) {
    SparkSession spark = e.sparkSession();
    if (round % 2 == 0 && spark.sparkContext().getCheckpointDir().isDefined()) {
      return e.checkpoint(true);
    }
    return spark.createDataFrame(e.javaRDD(), e.schema()).persist(StorageLevel.MEMORY_AND_DISK());
  }
}
