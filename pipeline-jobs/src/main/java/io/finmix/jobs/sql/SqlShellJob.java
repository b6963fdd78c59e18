package io.finmix.jobs.sql;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.SparkSessions;
import io.finmix.jobs.core.StageCommand;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.hive.thriftserver.SparkSQLCLIDriver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Spark's own SQL shell (the {@code spark-sql} CLI) on the {@code finmix} catalog: {@code -e}
 * prints the rows tab-separated without a header, as {@code spark-sql -e} does; with no query
 * it is the interactive shell.
 */
@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description = {
        "Spark SQL on the finmix catalog (finmix.corpus.records, ...).",
        "With -e or -f: runs the statements and prints rows tab-separated, no header, like "
            + "spark-sql -e. Without: the interactive Spark SQL shell."
    })
public final class SqlShellJob extends StageCommand {

  @Option(names = "-e", paramLabel = "QUERY", description = "SQL statement(s) to run.")
  String query;

  @Option(names = "-f", paramLabel = "FILE", description = "A file of SQL statements to run.")
  String file;

  @Option(names = {"-S", "--silent"}, description = "No timing or info lines on stderr.")
  boolean silent;

  @Option(names = "--hiveconf", paramLabel = "KEY=VALUE",
      description = "A Hive setting for the shell session (repeatable).")
  List<String> hiveconf = new ArrayList<>();

  public static void main(String[] args) {
    Commands.main(new SqlShellJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    // The shell reads its SparkConf from system properties; the catalog comes from finmix.conf.
    SparkSessions.sqlDriverConf(config, "finmix sql").forEach(System::setProperty);
    if (new Path(config.warehouse()).toUri().getScheme() == null) {
      // Derby cannot create its log in a directory that does not exist yet (a new warehouse)
      // and prints its whole boot report on stderr instead.
      new File(config.warehouse()).mkdirs();
      System.setProperty("derby.stream.error.file", config.warehouse() + "/derby.log");
    }
    List<String> args = new ArrayList<>();
    if (query != null) {
      args.add("-e");
      args.add(query);
    }
    if (file != null) {
      args.add("-f");
      args.add(file);
    }
    if (silent) {
      args.add("-S");
    }
    for (String h : hiveconf) {
      args.add("--hiveconf");
      args.add(h);
    }
    SparkSQLCLIDriver.main(args.toArray(new String[0])); // exits the JVM with the shell's code
    return 0;
  }
}
