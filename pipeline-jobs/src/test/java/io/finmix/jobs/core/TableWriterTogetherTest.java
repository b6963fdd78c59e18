package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.SparkTestBase;
import io.finmix.schemas.TableSchema;
import io.finmix.schemas.TableSchemas;
import java.util.List;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stage's tables change together: readers (the next stage, an analyst's query) see every
 * table of the previous attempt until the new attempt has written all of them, whether it
 * failed or was killed in between.
 */
class TableWriterTogetherTest extends SparkTestBase {

  private static final StructType SCHEMA = StructType.fromDDL("run_id STRING NOT NULL, "
      + "v INT NOT NULL");
  private static final TableSchema RECORDS = scratch("records");
  private static final TableSchema QUARANTINE = scratch("quarantine");
  private static final Column RUN = functions.col("run_id").equalTo("r1");

  private static TableSchema scratch(String name) {
    String table = "together_test." + name;
    return new TableSchema(table, SCHEMA, List.of("run_id"), "CREATE TABLE "
        + TableSchemas.CATALOG + "." + table + " (run_id STRING NOT NULL, v INT NOT NULL) "
        + "USING iceberg PARTITIONED BY (run_id)", List.of());
  }

  private static Dataset<Row> rows(String runId, Integer... values) {
    return SPARK.createDataFrame(java.util.Arrays.stream(values)
        .map(v -> RowFactory.create(runId, v)).toList(), SCHEMA);
  }

  /** What a reader sees: the table's values of run r1, sorted. */
  private static List<Integer> seen(TableSchema t) {
    SPARK.sql("REFRESH TABLE " + t.qualifiedName());
    return sql("SELECT v FROM %s WHERE run_id = 'r1' ORDER BY v", t.qualifiedName()).stream()
        .map(r -> r.getInt(0)).toList();
  }

  private static List<String> branches(TableSchema t) {
    return sql("SELECT name FROM %s.refs WHERE type = 'BRANCH' ORDER BY name",
        t.qualifiedName()).stream().map(r -> r.getString(0)).toList();
  }

  /** The previous attempt: records 1, 2 and quarantine 9, published. */
  @BeforeEach
  void previousAttempt() {
    SPARK.sql("CREATE NAMESPACE IF NOT EXISTS finmix.together_test");
    SPARK.sql("DROP TABLE IF EXISTS " + RECORDS.qualifiedName());
    SPARK.sql("DROP TABLE IF EXISTS " + QUARANTINE.qualifiedName());
    try (TableWriter.Together w = TableWriter.together(SPARK, "ingest", "r1")) {
      w.overwrite(QUARANTINE, rows("r1", 9), RUN).overwrite(RECORDS, rows("r1", 1, 2), RUN);
      w.publish();
    }
  }

  @Test
  void nothingShowsUntilEveryTableIsWrittenThenAllDoesAndNoBranchIsLeft() {
    try (TableWriter.Together w = TableWriter.together(SPARK, "ingest", "r1")) {
      w.overwrite(QUARANTINE, rows("r1", 7, 8), RUN);
      assertThat(seen(QUARANTINE)).containsExactly(9);
      w.overwrite(RECORDS, rows("r1", 3), RUN);
      assertThat(seen(RECORDS)).containsExactly(1, 2);
      assertThat(seen(QUARANTINE)).containsExactly(9);
      w.publish();
    }
    assertThat(seen(QUARANTINE)).containsExactly(7, 8);
    assertThat(seen(RECORDS)).containsExactly(3);
    assertThat(branches(RECORDS)).containsExactly("main");
    assertThat(branches(QUARANTINE)).containsExactly("main");
  }

  @Test
  void anAttemptThatFailsBetweenItsWritesLeavesThePreviousAttemptsTablesBoth() {
    Dataset<Row> broken = rows("r1", 3).map((MapFunction<Row, Row>) r -> {
      throw new IllegalStateException("the executor died between the writes");
    }, Encoders.row(SCHEMA));
    assertThatThrownBy(() -> {
      try (TableWriter.Together w = TableWriter.together(SPARK, "ingest", "r1")) {
        w.overwrite(QUARANTINE, rows("r1", 7), RUN);
        w.overwrite(RECORDS, broken, RUN);
        w.publish();
      }
    }).hasStackTraceContaining("the executor died between the writes");
    assertThat(seen(QUARANTINE)).containsExactly(9);
    assertThat(seen(RECORDS)).containsExactly(1, 2);
    assertThat(branches(QUARANTINE)).containsExactly("main");
    assertThat(branches(RECORDS)).as("the failed write's branch").containsExactly("main");
  }

  @Test
  void aKilledAttemptsBranchesAreDroppedByTheNextAttemptOfTheStageAndRun() {
    // killed between its writes: no publish, no close (the JVM is gone)
    TableWriter.Together killed = TableWriter.together(SPARK, "ingest", "r1");
    killed.overwrite(QUARANTINE, rows("r1", 5), RUN);
    assertThat(branches(QUARANTINE)).contains(killed.branch());
    assertThat(seen(QUARANTINE)).containsExactly(9);
    assertThat(seen(RECORDS)).containsExactly(1, 2);
    // another stage's attempt on the same table keeps its branch
    TableWriter.Together other = TableWriter.together(SPARK, "dedup", "r1");
    other.overwrite(QUARANTINE, rows("r1", 6), RUN);

    try (TableWriter.Together next = TableWriter.together(SPARK, "ingest", "r1")) {
      next.overwrite(QUARANTINE, rows("r1", 4), RUN).overwrite(RECORDS, rows("r1", 3), RUN);
      assertThat(branches(QUARANTINE)).doesNotContain(killed.branch())
          .contains(next.branch(), other.branch());
      next.publish();
    }
    assertThat(seen(QUARANTINE)).containsExactly(4);
    assertThat(seen(RECORDS)).containsExactly(3);
    other.close();
    assertThat(branches(QUARANTINE)).containsExactly("main");
  }

  @Test
  void aBranchAKilledProcessLeftIsDroppedThoughThisSessionCachedTheTableBeforeItWasMade() {
    seen(QUARANTINE);
    seen(RECORDS); // this session's catalog holds both tables now
    // another driver (killed since) made its branch in the same warehouse
    String killed = TableWriter.together(SPARK, "ingest", "r1").branch() + "0";
    HadoopCatalog elsewhere = new HadoopCatalog(SPARK.sparkContext().hadoopConfiguration(),
        WAREHOUSE + "/catalog");
    Table records = elsewhere.loadTable(TableIdentifier.of("together_test", "records"));
    records.manageSnapshots().createBranch(killed, records.currentSnapshot().snapshotId())
        .commit();

    try (TableWriter.Together next = TableWriter.together(SPARK, "ingest", "r1")) {
      next.overwrite(QUARANTINE, rows("r1", 4), RUN).overwrite(RECORDS, rows("r1", 3), RUN);
      next.publish();
    }
    records.refresh();
    assertThat(records.refs().keySet()).containsExactly("main");
    assertThat(seen(RECORDS)).containsExactly(3);
  }

  @Test
  void anotherRunsCommitBetweenWriteAndPublishIsKeptBesideThisAttempts() {
    try (TableWriter.Together w = TableWriter.together(SPARK, "ingest", "r1")) {
      w.overwrite(QUARANTINE, rows("r1", 7), RUN).overwrite(RECORDS, rows("r1", 3), RUN);
      // another run's ingest commits to main meanwhile
      TableWriter.write(QUARANTINE, rows("r2", 42), functions.col("run_id").equalTo("r2"),
          QUARANTINE.qualifiedName());
      w.publish();
    }
    assertThat(seen(QUARANTINE)).containsExactly(7);
    assertThat(sql("SELECT v FROM %s WHERE run_id = 'r2'", QUARANTINE.qualifiedName()))
        .extracting(r -> r.getInt(0)).containsExactly(42);
    assertThat(seen(RECORDS)).containsExactly(3);
  }

  @Test
  void aWriteMadeFromTheBranchIsMadeAgainWhenMainMoves() {
    try (TableWriter.Together w = TableWriter.together(SPARK, "ingest", "r1")) {
      w.overwrite(RECORDS, rows("r1", 1, 2, 3), RUN);
      // the second write reads what the first left on the branch, and drops 2
      w.overwrite(RECORDS.name(), () -> w.branchRows(RECORDS.name()).where(RUN).where("v <> 2"),
          RUN);
      assertThat(w.branchRows(RECORDS.name()).count()).isEqualTo(2);
      TableWriter.write(RECORDS, rows("r2", 42), functions.col("run_id").equalTo("r2"),
          RECORDS.qualifiedName());
      w.publish();
    }
    assertThat(seen(RECORDS)).containsExactly(1, 3);
    assertThat(sql("SELECT v FROM %s WHERE run_id = 'r2'", RECORDS.qualifiedName()))
        .extracting(r -> r.getInt(0)).containsExactly(42);
    assertThat(branches(RECORDS)).containsExactly("main");
  }
}
