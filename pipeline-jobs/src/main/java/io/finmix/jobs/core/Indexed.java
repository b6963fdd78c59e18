package io.finmix.jobs.core;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** A stable 0-based index over a sorted Dataset, computed in parallel. */
public final class Indexed {

  private Indexed() {}

  /**
   * {@code ordered} (sorted by a total order) with a first column {@code column}: each row's
   * place in that order. zipWithIndex keeps the sort's partition order and counts each
   * partition once; no row goes through the driver.
   */
  public static Dataset<Row> withIndex(SparkSession spark, Dataset<Row> ordered, String column) {
    StructType schema = new StructType().add(column, DataTypes.LongType, false);
    for (var f : ordered.schema().fields()) {
      schema = schema.add(f);
    }
    return spark.createDataFrame(ordered.javaRDD().zipWithIndex().map(t -> {
      Object[] values = new Object[t._1().size() + 1];
      values[0] = t._2();
      for (int i = 0; i < t._1().size(); i++) {
        values[i + 1] = t._1().get(i);
      }
      return RowFactory.create(values);
    }), schema);
  }
}
