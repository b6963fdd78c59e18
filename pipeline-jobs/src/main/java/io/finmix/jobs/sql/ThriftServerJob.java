package io.finmix.jobs.sql;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.UserError;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Spark's Thrift JDBC/ODBC server (HiveThriftServer2) on the {@code finmix} catalog, in the
 * foreground until it is stopped. {@code bin/finmix thriftserver start} runs this command in
 * the background with a pid file and a log; it is hidden from the top-level help for that
 * reason.
 */
@Command(
    name = "thriftserver-foreground",
    hidden = true,
    mixinStandardHelpOptions = true,
    description = {
        "Spark's Thrift JDBC/ODBC server on the finmix catalog, in the foreground.",
        "Use bin/finmix thriftserver start|stop|status to run it in the background."
    })
public final class ThriftServerJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(ThriftServerJob.class);

  @Option(names = "--port", paramLabel = "P", defaultValue = "10000",
      description = "The port to listen on (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "The address to listen on (default: ${DEFAULT-VALUE}, loopback only; "
          + "0.0.0.0 for every interface).")
  String bind;

  @Option(names = "--hiveconf", paramLabel = "KEY=VALUE",
      description = "A Hive setting for the server (repeatable).")
  List<String> hiveconf = new ArrayList<>();

  public static void main(String[] args) {
    Commands.main(new ThriftServerJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    if (port < 1 || port > 65535) {
      throw new UserError("--port " + port + " is not a TCP port (1-65535)");
    }
    Map<String, String> conf = SparkSessions.sqlDriverConf(config, "finmix thriftserver");
    List<String> args = new ArrayList<>();
    String warehouse = config.warehouse();
    if (new Path(warehouse).toUri().getScheme() == null) {
      File dir = new File(warehouse, "thriftserver");
      dir.mkdirs();
      System.setProperty("derby.stream.error.file", new File(dir, "derby.log").getPath());
      // Embedded Derby lets one JVM at a time open a database: a metastore of its own keeps
      // `finmix sql` working while the server runs. It holds only the spark_catalog's
      // databases; the finmix tables live in the Iceberg catalog, which both see.
      conf.put("spark.hadoop.javax.jdo.option.ConnectionURL",
          "jdbc:derby:;databaseName=" + new File(dir, "hive-metastore") + ";create=true");
      // Per-session query logs and scratch files next to the server's log, not in /tmp. The
      // scratch directory must exist: closing a session lists it and logs an error otherwise.
      File scratch = new File(dir, "scratch");
      scratch.mkdirs();
      hive(args, "hive.exec.local.scratchdir", scratch.getPath());
      hive(args, "hive.server2.logging.operation.log.location",
          new File(dir, "operation_logs").getPath());
    }
    // The server reads its SparkConf from system properties, as the SQL shell does.
    conf.forEach(System::setProperty);
    hive(args, "hive.server2.thrift.bind.host", bind);
    hive(args, "hive.server2.thrift.port", String.valueOf(port));
    for (String h : hiveconf) {
      args.add("--hiveconf");
      args.add(h);
    }
    LOG.info("starting the Thrift server on {}:{} (catalog warehouse {})", bind, port, warehouse);
    // Returns once the server listens (exits the JVM if it cannot start); the Thrift service
    // runs on its own threads.
    HiveThriftServer2.main(args.toArray(new String[0]));
    LOG.info("Thrift server listening on {}:{}", bind, port);
    // Returning would stop the Spark session (Commands.exit) and the server with it: wait for
    // the session to end instead, on SIGTERM (Spark's shutdown hook) or from the web UI.
    SparkSession spark = SparkSession.getDefaultSession().get();
    while (!spark.sparkContext().isStopped()) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return 0;
  }

  /**
   * Adds a {@code --hiveconf KEY=VALUE} pair: HiveThriftServer2 sets it as a system property,
   * which HiveConf, and so the Thrift service, reads.
   */
  private static void hive(List<String> args, String key, String value) {
    args.add("--hiveconf");
    args.add(key + "=" + value);
  }
}
