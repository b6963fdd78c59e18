package io.finmix.jobs.core;

import com.typesafe.config.ConfigException;
import java.io.PrintWriter;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/**
 * Running a command: finmix's exit codes and error handling, and the {@code main} of every
 * command class (so a cluster's {@code spark-submit --class} can name any stage).
 */
public final class Commands {

  /** Exit code for a problem the user can fix (bad config key, missing file, bad usage). */
  public static final int USER_ERROR = 2;
  /** Exit code for a failure inside a job. */
  public static final int FAILURE = 1;

  private Commands() {}

  /** A command class's {@code main}: runs it, then ends as {@link #exit} says. */
  public static void main(Object command, String... args) {
    exit(execute(command, args));
  }

  /**
   * Ends a {@code main}: stops the Spark session, then returns normally on success (so
   * spark-submit, and YARN's ApplicationMaster, see a clean finish) or exits with the code.
   */
  public static void exit(int code) {
    if (SparkSession.getDefaultSession().isDefined()) {
      SparkSession.getDefaultSession().get().stop();
    }
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs a command object with finmix's error handling; returns the exit code. */
  public static int execute(Object command, String... args) {
    return execute(command, null, null, args);
  }

  /** As {@link #execute(Object, String...)}, printing help and errors to the given writers. */
  public static int execute(Object command, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(command);
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      PrintWriter errors = commandLine.getErr();
      String name = commandLine.getCommandSpec().qualifiedName();
      Throwable user = userCause(e);
      if (user != null) {
        errors.println(name + ": error: " + user.getMessage());
        errors.flush();
        return USER_ERROR;
      }
      errors.println(name + ": failed: " + e);
      e.printStackTrace(errors);
      errors.flush();
      return FAILURE;
    });
    return cli.execute(args);
  }

  private static Throwable userCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UserError || t instanceof ConfigException) {
        return t;
      }
    }
    return null;
  }
}
