package io.finmix.jobs;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The one Spark fixture: a static {@code local[2]} session for the whole test JVM, with the
 * finmix catalog in a fresh warehouse and the same Spark settings bin/finmix uses
 * (conf/spark-defaults.conf), plus helpers that make a Spark test a few lines long.
 */
public abstract class SparkTestBase {

  /** The test JVM's warehouse; every Spark test shares it (use distinct run ids). */
  protected static final String WAREHOUSE = newWarehouse();
  protected static final SparkSession SPARK = startSpark();

  private static String newWarehouse() {
    try {
      Path target = Path.of("target");
      Files.createDirectories(target);
      return Files.createTempDirectory(target.toAbsolutePath(), "test-warehouse-").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SparkSession startSpark() {
    SparkConf conf = new SparkConf()
        .setMaster("local[2]")
        .setAppName("finmix tests")
        .set("spark.ui.enabled", "false")
        .set("spark.sql.shuffle.partitions", "4");
    Properties defaults = new Properties();
    try (InputStream in = SparkTestBase.class.getClassLoader()
        .getResourceAsStream("finmix-conf/spark-defaults.conf")) {
      defaults.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    defaults.stringPropertyNames().stream()
        .filter(k -> !k.equals("spark.ui.showConsoleProgress") && !conf.contains(k))
        .forEach(k -> conf.set(k, defaults.getProperty(k).trim()));
    SparkSessions.catalogConf(config()).forEach(conf::set);
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /** The config of the test warehouse with {@code --set}-style overrides. */
  protected static FinmixConfig config(String... sets) {
    return FinmixConfig.load(null, List.of(sets),
        FinmixConfig.flags("test", Map.of("warehouse", WAREHOUSE)));
  }

  /** Runs SQL with {@code %s}-style arguments and returns the rows. */
  protected static List<Row> sql(String query, Object... args) {
    return new ArrayList<>(SPARK.sql(String.format(query, args)).collectAsList());
  }

  /** The single long value of a query such as {@code SELECT count(*) ...}. */
  protected static long count(String query, Object... args) {
    return sql(query, args).get(0).getLong(0);
  }
}
