package io.finmix.jobs.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.finmix.schemas.TableSchemas;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The one place a SparkSession is made: the {@code finmix} Iceberg catalog from the config,
 * everything else from Spark's own configuration (spark-defaults.conf, {@code --conf}).
 */
public final class SparkSessions {

  private SparkSessions() {}

  /** The session for a job; {@code local[*]} when nothing (spark-submit, a test) set a master. */
  public static SparkSession getOrCreate(FinmixConfig config, String appName) {
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    if (!conf.contains("spark.app.name")) {
      conf.setAppName(appName);
    }
    catalogConf(config).forEach(conf::set);
    return SparkSession.builder().config(conf).getOrCreate();
  }

  /**
   * The SparkConf of a Spark SQL driver that reads it from system properties (the SQL shell, the
   * Thrift server): the catalog settings, {@code local[*]} unless a master was given, and the
   * application's name.
   */
  public static Map<String, String> sqlDriverConf(FinmixConfig config, String appName) {
    Map<String, String> conf = new LinkedHashMap<>(catalogConf(config));
    if (System.getProperty("spark.master") == null) {
      conf.put("spark.master", "local[*]");
    }
    conf.put("spark.app.name", appName);
    return conf;
  }

  /**
   * Spark settings for the {@code finmix} catalog: Iceberg's SQL extensions, the catalog itself
   * (hadoop under the warehouse by default, or hive/rest), and the embedded Hive metastore and
   * Spark warehouse of the SQL shell placed under the warehouse instead of the working directory.
   */
  public static Map<String, String> catalogConf(FinmixConfig config) {
    Config c = config.config();
    String warehouse = config.warehouse();
    String prefix = "spark.sql.catalog." + TableSchemas.CATALOG;
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.sql.extensions",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions");
    conf.put(prefix, "org.apache.iceberg.spark.SparkCatalog");
    conf.put(prefix + ".type", c.getString("catalog.type"));
    String location = c.getString("catalog.location");
    conf.put(prefix + ".warehouse", location.isEmpty() ? warehouse + "/catalog" : location);
    if (!c.getString("catalog.uri").isEmpty()) {
      conf.put(prefix + ".uri", c.getString("catalog.uri"));
    }
    for (Map.Entry<String, ConfigValue> e : c.getConfig("catalog.properties").entrySet()) {
      conf.put(prefix + "." + e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    conf.put("spark.sql.warehouse.dir", warehouse + "/spark-warehouse");
    if (new org.apache.hadoop.fs.Path(warehouse).toUri().getScheme() == null) {
      // The SQL shell's embedded Hive metastore: under the warehouse, not the working dir.
      conf.put("spark.hadoop.javax.jdo.option.ConnectionURL",
          "jdbc:derby:;databaseName=" + warehouse + "/hive-metastore;create=true");
    }
    return conf;
  }
}
