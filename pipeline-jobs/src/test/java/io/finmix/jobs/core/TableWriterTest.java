package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.SparkTestBase;
import io.finmix.schemas.TableSchema;
import io.finmix.schemas.TableSchemas;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * A table made before its declared schema gained columns: trailing nullable ones are added
 * (old rows read null in them); any other difference is still refused.
 */
class TableWriterTest extends SparkTestBase {

  /** {@code declared} as a table of the migration_test namespace named {@code name}. */
  private static TableSchema scratch(String name, StructType declared) {
    String table = "migration_test." + name;
    return new TableSchema(table, declared, List.of("run_id"), "CREATE TABLE "
        + TableSchemas.CATALOG + "." + table + " (" + ddl(declared.fields()) + ") USING iceberg "
        + "PARTITIONED BY (run_id)", List.of());
  }

  private static String ddl(StructField[] fields) {
    return String.join(", ", Arrays.stream(fields).map(StructField::toDDL).toList());
  }

  /** Creates {@code t}'s table with only its first {@code columns} columns. */
  private static void createOld(TableSchema t, int columns) {
    SPARK.sql("CREATE NAMESPACE IF NOT EXISTS finmix.migration_test");
    SPARK.sql("DROP TABLE IF EXISTS " + t.qualifiedName());
    SPARK.sql("CREATE TABLE " + t.qualifiedName() + " ("
        + ddl(Arrays.copyOf(t.schema().fields(), columns)) + ") USING iceberg PARTITIONED BY "
        + "(run_id)");
  }

  @Test
  void anOldCocktailEffectTableGetsTheNewColumns() throws Exception {
    // the declared eval.cocktail_effect, in a table made with its first 18 columns (as before
    // the seed interval, p_adjusted and McNemar columns)
    TableSchema t = scratch("cocktail_effect", TableSchemas.load("eval.cocktail_effect").schema());
    assertThat(t.schema().fieldNames()[17]).isEqualTo("reported_split");
    createOld(t, 18);
    SPARK.sql("INSERT INTO " + t.qualifiedName() + " VALUES ('old', 'small', 'fpb', 'generate', "
        + "'weighted_f1', 'finance', 'target-only-fpb', 2, 90, 0.8, 0.5, 0.3, 0.2, 0.4, 0.001, "
        + "true, 0.25, 'test')");

    TableWriter.ensureTable(SPARK, t);
    StructType now = SPARK.table(t.qualifiedName()).schema();
    assertThat(TableWriter.differences(now, t.schema(), false)).isEmpty();
    assertThat(now.apply("p_adjusted").getComment().get()).contains("Holm");
    Row old = sql("SELECT delta, seed_ci_low, p_adjusted, mcnemar_b FROM %s WHERE run_id = "
        + "'old'", t.qualifiedName()).get(0);
    assertThat(old.getDouble(0)).isEqualTo(0.3);
    assertThat(old.isNullAt(1)).isTrue();
    assertThat(old.isNullAt(2)).isTrue();
    assertThat(old.isNullAt(3)).isTrue();

    // rows of the declared schema go in beside the old ones; a second ensureTable changes nothing
    Row row = RowFactory.create("new", "small", "fpb", "generate", "weighted_f1", "finance",
        "target-only-fpb", 2, 90L, 0.8, 0.5, 0.3, 0.2, 0.4, 0.001, true, 0.25, "test", 0.1, 0.5,
        0.002, null, null, null);
    SPARK.createDataFrame(List.of(row), t.schema()).writeTo(t.qualifiedName())
        .overwrite(functions.col("run_id").equalTo("new"));
    TableWriter.ensureTable(SPARK, t);
    assertThat(sql("SELECT run_id, p_adjusted FROM %s ORDER BY run_id", t.qualifiedName()))
        .extracting(Row::toString).containsExactly("[new,0.002]", "[old,null]");
  }

  @Test
  void otherDifferencesAreStillRefused() {
    StructType declared = StructType.fromDDL("run_id STRING NOT NULL, x DOUBLE, "
        + "y BIGINT NOT NULL");
    TableSchema notNull = scratch("not_null", declared);
    createOld(notNull, 2);
    // a NOT NULL column cannot be added to rows that have none: nothing is changed
    assertThatThrownBy(() -> TableWriter.ensureTable(SPARK, notNull))
        .isInstanceOf(UserError.class).hasMessageContaining("missing column y");
    assertThat(SPARK.table(notNull.qualifiedName()).schema().fieldNames())
        .containsExactly("run_id", "x");

    // the first columns differ (x is a string there): no column is added either
    TableSchema retyped = scratch("retyped", StructType.fromDDL("run_id STRING NOT NULL, "
        + "x DOUBLE, z DOUBLE"));
    SPARK.sql("CREATE NAMESPACE IF NOT EXISTS finmix.migration_test");
    SPARK.sql("DROP TABLE IF EXISTS " + retyped.qualifiedName());
    SPARK.sql("CREATE TABLE " + retyped.qualifiedName() + " (run_id STRING NOT NULL, x STRING) "
        + "USING iceberg");
    assertThatThrownBy(() -> TableWriter.ensureTable(SPARK, retyped))
        .isInstanceOf(UserError.class).hasMessageContaining("column x is string, declared double");
    assertThat(SPARK.table(retyped.qualifiedName()).schema().fieldNames())
        .containsExactly("run_id", "x");
  }

  @Test
  void anOldTableGetsTheDeclaredWriteProperties() throws Exception {
    StructType declared = StructType.fromDDL("run_id STRING NOT NULL, v INT");
    TableSchema t = new TableSchema("migration_test.props", declared, List.of("run_id"),
        "CREATE TABLE " + TableSchemas.CATALOG + ".migration_test.props (" + ddl(declared
        .fields()) + ") USING iceberg PARTITIONED BY (run_id) TBLPROPERTIES ('format-version' = "
        + "'2', 'write.distribution-mode' = 'none', 'write.spark.fanout.enabled' = 'true')",
        List.of());
    createOld(t, 2);
    SPARK.sql("ALTER TABLE " + t.qualifiedName() + " SET TBLPROPERTIES "
        + "('write.distribution-mode' = 'range')");

    TableWriter.ensureTable(SPARK, t);
    var table = org.apache.iceberg.spark.Spark3Util.loadIcebergTable(SPARK, t.qualifiedName());
    table.refresh();
    assertThat(table.properties()).containsEntry("write.distribution-mode", "none")
        .containsEntry("write.spark.fanout.enabled", "true");
    long snapshots = table.history().size();
    TableWriter.ensureTable(SPARK, t); // nothing left to change
    table.refresh();
    assertThat(table.history()).hasSize((int) snapshots);
  }
}
