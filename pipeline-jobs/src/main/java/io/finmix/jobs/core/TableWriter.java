package io.finmix.jobs.core;

import io.finmix.schemas.TableSchema;
import io.finmix.schemas.TableSchemas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.iceberg.ManageSnapshots;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.catalyst.expressions.objects.AssertNotNull;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * The one way finmix writes a table: create it from its declared schema if needed, hold the
 * data to that schema column for column (names, order, types; NOT NULL checked on every row),
 * then replace the rows a condition selects (this run's rows) in a single atomic Iceberg commit.
 */
public final class TableWriter {

  private static final Logger LOG = LoggerFactory.getLogger(TableWriter.class);

  private TableWriter() {}

  /**
   * Creates the namespace and table from data-schemas if they do not exist yet; a table made
   * before its declared schema gained trailing nullable columns gets them (null in its rows).
   */
  public static TableSchema ensureTable(SparkSession spark, String table) {
    return ensureTable(spark, TableSchemas.load(table));
  }

  /** As {@link #ensureTable(SparkSession, String)}, for a table's declared schema. */
  static TableSchema ensureTable(SparkSession spark, TableSchema t) {
    spark.sql("CREATE NAMESPACE IF NOT EXISTS " + TableSchemas.CATALOG + "." + t.namespace());
    if (!spark.catalog().tableExists(t.qualifiedName())) {
      spark.sql(t.createIfNotExistsStatement());
      t.setupStatements().forEach(spark::sql);
      LOG.info("created table {}", t.qualifiedName());
    }
    addTrailingColumns(spark, t);
    declareProperties(spark, t);
    List<String> problems = differences(spark.table(t.qualifiedName()).schema(), t.schema(), false);
    if (!problems.isEmpty()) {
      throw new UserError("table " + t.qualifiedName() + " in the catalog does not match its "
          + "declared schema (data-schemas " + t.name() + ".sql): " + String.join("; ", problems)
          + ". Drop or migrate the table.");
    }
    return t;
  }

  /**
   * Gives a table made by an earlier finmix the write properties its declaration has now (how
   * a table is written, e.g. ingest's records without a shuffle, is part of the stage's
   * contract; the format version is left as it is).
   */
  private static void declareProperties(SparkSession spark, TableSchema t) {
    Map<String, String> declared = new LinkedHashMap<>(t.properties());
    declared.remove("format-version");
    org.apache.iceberg.Table table = icebergTable(spark, t);
    Map<String, String> actual = table.properties();
    declared.entrySet().removeIf(e -> e.getValue().equals(actual.get(e.getKey())));
    if (!declared.isEmpty()) {
      org.apache.iceberg.UpdateProperties update = table.updateProperties();
      declared.forEach(update::set);
      update.commit();
      LOG.info("set {} on {} as declared", declared, t.qualifiedName());
    }
  }

  /**
   * The one schema change finmix makes by itself: when the table's columns are the first ones
   * declared (names and types) and every declared column after them is nullable, it adds those
   * (ALTER TABLE ... ADD COLUMNS; the rows already there read null in them). Anything else is
   * left for {@link #ensureTable} to report.
   */
  private static void addTrailingColumns(SparkSession spark, TableSchema t) {
    StructField[] actual = spark.table(t.qualifiedName()).schema().fields();
    StructField[] declared = t.schema().fields();
    if (actual.length >= declared.length || !differences(new StructType(actual),
        new StructType(Arrays.copyOf(declared, actual.length)), false).isEmpty()) {
      return;
    }
    List<String> added = new ArrayList<>();
    for (int i = actual.length; i < declared.length; i++) {
      if (!declared[i].nullable()) {
        return;
      }
      added.add(declared[i].toDDL());
    }
    try {
      spark.sql("ALTER TABLE " + t.qualifiedName() + " ADD COLUMNS (" + String.join(", ", added)
          + ")");
      LOG.info("added columns {} to table {}", added, t.qualifiedName());
    } catch (Exception e) {
      // another job may have added them first: ensureTable checks what the table has now
      LOG.warn("could not add columns {} to table {}: {}", added, t.qualifiedName(),
          e.getMessage());
    }
  }

  /**
   * Replaces the rows of {@code table} that match {@code condition} with {@code rows}, which
   * must carry exactly the declared columns (names, order, types; no nulls where the schema says
   * NOT NULL). The condition should select whole partitions (run_id, source).
   */
  public static void overwrite(SparkSession spark, String table, Dataset<Row> rows,
      Column condition) {
    TableSchema t = ensureTable(spark, table);
    write(t, rows, condition, t.qualifiedName());
  }

  /** Checks {@code rows} against {@code t}'s schema and overwrites them into {@code target}. */
  static void write(TableSchema t, Dataset<Row> rows, Column condition, String target) {
    rows = assertingNotNull(rows, t);
    List<String> problems = differences(rows.schema(), t.schema(), true);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("rows written to " + t.qualifiedName()
          + " do not match its declared schema: " + String.join("; ", problems));
    }
    try {
      rows.writeTo(target).overwrite(condition);
    } catch (NoSuchTableException e) {
      throw new IllegalStateException(t.qualifiedName() + " vanished while writing", e);
    }
  }

  /**
   * Writes to several tables that readers see change together, for a stage that writes more
   * than one ({@code stage} and {@code runId} name the attempt). Each {@link
   * Together#overwrite} writes its rows to a branch of this attempt, main untouched; {@link
   * Together#publish} then fast-forwards each table's main to its branch, one table after the
   * other (the publish window: one metadata commit a table, milliseconds), and drops the
   * branches. An attempt that fails or is killed before publishing leaves every table's main
   * as the previous attempt left it, so the next stage and an analyst's query read the
   * previous attempt's tables, all of them; its branches are dropped when it fails, or by the
   * next attempt of the same stage and run when it was killed. Iceberg's Hadoop catalog has no
   * multi-table transaction; branches and fast-forward are what it guarantees.
   */
  public static Together together(SparkSession spark, String stage, String runId) {
    return new Together(spark, stage, runId);
  }

  /** The writes of one attempt of a stage, published together. */
  public static final class Together implements AutoCloseable {

    private final SparkSession spark;
    private final String prefix;
    private final String branch;
    /** A write of this attempt to a table, kept to write it again if the table's main moves. */
    private record Write(Supplier<Dataset<Row>> rows, Column condition) {}

    private final Map<String, TableSchema> tables = new LinkedHashMap<>();
    private final Map<String, List<Write>> written = new LinkedHashMap<>();
    private boolean published;

    private Together(SparkSession spark, String stage, String runId) {
      this.spark = spark;
      // branch names are identifiers: the stage's letters, a hash of the run id, the attempt
      this.prefix = "finmix_" + stage.replaceAll("[^A-Za-z0-9]", "_") + "_"
          + StableHash.hex128(runId).substring(0, 12) + "_";
      this.branch = prefix + Long.toHexString(System.currentTimeMillis())
          + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** This attempt's branch name (the same in every table it writes). */
    public String branch() {
      return branch;
    }

    /**
     * Replaces the rows of {@code table} that match {@code condition} with {@code rows} (as
     * {@link TableWriter#overwrite(SparkSession, String, Dataset, Column)} does) on this
     * attempt's branch of the table, from main as it is now; readers see them on publish.
     */
    public Together overwrite(String table, Dataset<Row> rows, Column condition) {
      return overwrite(TableSchemas.load(table), () -> rows, condition);
    }

    /**
     * As {@link #overwrite(String, Dataset, Column)}, for rows made from what this attempt
     * already wrote to the table ({@link #branchRows}): {@code rows} is asked again if the
     * attempt's writes must be made again on a fresh branch.
     */
    public Together overwrite(String table, Supplier<Dataset<Row>> rows, Column condition) {
      TableSchema t = tables.get(table);
      return overwrite(t != null ? t : TableSchemas.load(table), rows, condition);
    }

    /** The rows of {@code table} on this attempt's branch, as its writes so far left them. */
    public Dataset<Row> branchRows(String table) {
      TableSchema t = tables.get(table);
      if (t == null) {
        throw new IllegalStateException("attempt " + branch + " has not written " + table);
      }
      return spark.table(t.qualifiedName() + ".branch_" + branch);
    }

    /** As {@link #overwrite(String, Dataset, Column)}, for a table's declared schema. */
    Together overwrite(TableSchema declared, Dataset<Row> rows, Column condition) {
      return overwrite(declared, () -> rows, condition);
    }

    /** As {@link #overwrite(String, Supplier, Column)}, for a table's declared schema. */
    Together overwrite(TableSchema declared, Supplier<Dataset<Row>> rows, Column condition) {
      if (published) {
        throw new IllegalStateException("attempt " + branch + " is already published");
      }
      TableSchema t = ensureTable(spark, declared);
      Write w = new Write(rows, condition);
      // recorded before writing, so a failed write's branch is dropped too
      tables.put(t.name(), t);
      List<Write> writes = written.computeIfAbsent(t.name(), k -> new ArrayList<>());
      writes.add(w);
      if (writes.size() == 1) {
        dropBranches(t, prefix);
        spark.sql("ALTER TABLE " + t.qualifiedName() + " CREATE BRANCH " + branch);
      }
      writeOnBranch(t, w);
      return this;
    }

    /** Drops this stage and run's branches of the table, branches main, writes there again. */
    private void writeAgainOnFreshBranch(TableSchema t) {
      dropBranches(t, prefix);
      spark.sql("ALTER TABLE " + t.qualifiedName() + " CREATE BRANCH " + branch);
      written.get(t.name()).forEach(w -> writeOnBranch(t, w));
    }

    private void writeOnBranch(TableSchema t, Write w) {
      write(t, w.rows().get(), w.condition(), t.qualifiedName() + ".branch_" + branch);
    }

    /** As {@link #overwrite(String, Dataset, Column)}, for rows made on the driver. */
    public Together overwrite(String table, List<Row> rows, Column condition) {
      return overwrite(table, spark.createDataFrame(rows, TableSchemas.load(table).schema()),
          condition);
    }

    /**
     * Moves every written table's main to this attempt's branch and drops the branches. A
     * table whose main another writer moved meanwhile (another run's rows) is written again on
     * a fresh branch from the new main before its main moves, at most three times.
     */
    public void publish() {
      long t0 = System.nanoTime();
      for (TableSchema t : tables.values()) {
        for (int attempt = 1; ; attempt++) {
          try {
            spark.sql("CALL " + TableSchemas.CATALOG + ".system.fast_forward('"
                + t.qualifiedName().substring(TableSchemas.CATALOG.length() + 1) + "', 'main', '"
                + branch + "')");
            break;
          } catch (RuntimeException ex) {
            if (attempt == 3) {
              throw new IllegalStateException("cannot publish " + t.qualifiedName()
                  + ": its main moved under attempt " + branch + " three times", ex);
            }
            LOG.warn("{} changed while attempt {} wrote it ({}): writing it again",
                t.qualifiedName(), branch, ex.getMessage());
            writeAgainOnFreshBranch(t);
          }
        }
      }
      published = true;
      LOG.info("published {} together ({} ms between the first table's and the last's)",
          String.join(", ", written.keySet()), (System.nanoTime() - t0) / 1_000_000);
      tables.values().forEach(t -> dropBranches(t, branch));
    }

    /** Drops this attempt's branches if it did not publish (a failed attempt). */
    @Override
    public void close() {
      if (!published) {
        for (TableSchema t : tables.values()) {
          try {
            dropBranches(t, branch);
          } catch (RuntimeException e) {
            LOG.warn("could not drop branch {} of {}: {}", branch, t.qualifiedName(),
                e.getMessage());
          }
        }
      }
    }

    /**
     * Drops the branches of {@code t} whose names start with {@code namePrefix}, in one
     * commit. The table is refreshed first: the session's catalog caches tables, and a cached
     * one may not know a branch another process made (DROP BRANCH IF EXISTS on it would do
     * nothing).
     */
    private void dropBranches(TableSchema t, String namePrefix) {
      org.apache.iceberg.Table table = icebergTable(spark, t);
      table.refresh();
      ManageSnapshots drop = table.manageSnapshots();
      List<String> dropped = table.refs().entrySet().stream().filter(e -> e.getValue().isBranch()
          && e.getKey().startsWith(namePrefix) && !e.getKey().equals(SnapshotRef.MAIN_BRANCH))
          .map(Map.Entry::getKey).sorted().toList();
      dropped.forEach(drop::removeBranch);
      if (!dropped.isEmpty()) {
        drop.commit();
        LOG.debug("dropped branches {} of {}", dropped, t.qualifiedName());
      }
    }
  }

  /** The Iceberg table behind a declared table, as the session's catalog holds it. */
  private static org.apache.iceberg.Table icebergTable(SparkSession spark, TableSchema t) {
    try {
      return Spark3Util.loadIcebergTable(spark, t.qualifiedName());
    } catch (ParseException | NoSuchTableException e) {
      throw new IllegalStateException("cannot load " + t.qualifiedName(), e);
    }
  }

  /**
   * As {@link #overwrite(SparkSession, String, Dataset, Column)}, for rows made on the driver
   * in the table's declared columns (a handful of run rows, aggregated scores).
   */
  public static void overwrite(SparkSession spark, String table, List<Row> rows,
      Column condition) {
    overwrite(spark, table, spark.createDataFrame(rows, TableSchemas.load(table).schema()),
        condition);
  }

  /**
   * A column computed by an expression Spark cannot prove non-null (a UDF, a division) but
   * declared NOT NULL gets a runtime check instead: a null fails the write, naming the column.
   */
  private static Dataset<Row> assertingNotNull(Dataset<Row> rows, TableSchema t) {
    StructField[] declared = t.schema().fields();
    if (rows.schema().fields().length != declared.length) {
      return rows; // differences() reports it
    }
    Column[] columns = new Column[declared.length];
    boolean changed = false;
    for (int i = 0; i < declared.length; i++) {
      StructField actual = rows.schema().fields()[i];
      Column c = rows.col("`" + actual.name() + "`");
      if (actual.nullable() && !declared[i].nullable()) {
        c = new Column(new AssertNotNull(c.expr(), JavaConverters.asScalaBuffer(
            List.of(t.qualifiedName() + "." + actual.name())).toSeq())).as(actual.name());
        changed = true;
      }
      columns[i] = c;
    }
    return changed ? rows.select(columns) : rows;
  }

  /** The rows of one run in a declared table (created empty if it does not exist yet). */
  public static Dataset<Row> runRows(SparkSession spark, String table, String runId) {
    return spark.table(ensureTable(spark, table).qualifiedName())
        .where(functions.col("run_id").equalTo(runId));
  }

  /** The declared columns of {@code table}, in declared order, selected from {@code rows}. */
  public static Dataset<Row> inDeclaredOrder(Dataset<Row> rows, String table) {
    return rows.select(Arrays.stream(TableSchemas.load(table).schema().fieldNames())
        .map(rows::col).toArray(Column[]::new));
  }

  /**
   * How {@code actual} differs from {@code declared}: names, order and types; with {@code
   * strictNulls}, also a nullable column where NOT NULL is declared.
   */
  public static List<String> differences(StructType actual, StructType declared,
      boolean strictNulls) {
    List<String> problems = new ArrayList<>();
    StructField[] a = actual.fields();
    StructField[] d = declared.fields();
    for (int i = 0; i < Math.max(a.length, d.length); i++) {
      if (i >= a.length) {
        problems.add("missing column " + d[i].name());
      } else if (i >= d.length) {
        problems.add("extra column " + a[i].name());
      } else if (!a[i].name().equals(d[i].name())) {
        problems.add("column " + (i + 1) + " is " + a[i].name() + ", declared " + d[i].name());
      } else if (!a[i].dataType().sameType(d[i].dataType())) {
        problems.add("column " + a[i].name() + " is " + a[i].dataType().simpleString()
            + ", declared " + d[i].dataType().simpleString());
      } else if (strictNulls && a[i].nullable() && !d[i].nullable()) {
        problems.add("column " + a[i].name() + " is nullable, declared NOT NULL");
      }
    }
    return problems;
  }
}
