package io.finmix.jobs;

import com.typesafe.config.ConfigException;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.aggregate.AggregateJob;
import io.finmix.jobs.decontaminate.DecontaminateJob;
import io.finmix.jobs.dedup.DedupJob;
import io.finmix.jobs.eval.EvaluateJob;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.run.RunJob;
import io.finmix.jobs.sweep.SweepJob;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.sql.SqlShellJob;
import io.finmix.jobs.sql.ThriftServerJob;
import io.finmix.jobs.tokenize.TokenizeJob;
import io.finmix.jobs.tokenize.TrainTokenizerJob;
import io.finmix.jobs.train.PretrainJob;
import io.finmix.jobs.train.TrainJob;
import java.io.PrintWriter;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code finmix} command line: one subcommand per stage. bin/finmix runs it through Spark's
 * SparkSubmit; on a cluster, {@code spark-submit --class io.finmix.jobs.FinmixCli
 * finmix-jobs.jar <command> ...} does the same, or {@code --class} names a stage directly.
 */
@Command(
    name = "finmix",
    mixinStandardHelpOptions = true,
    versionProvider = FinmixCli.Version.class,
    description = "Cocktail fine-tuning data, training and evaluation for financial LLMs, on Spark.",
    subcommands = {
        RunJob.class,
        SampleDataJob.class,
        IngestJob.class,
        DedupJob.class,
        DecontaminateJob.class,
        MixJob.class,
        TrainTokenizerJob.class,
        TokenizeJob.class,
        PretrainJob.class,
        TrainJob.class,
        EvaluateJob.class,
        AggregateJob.class,
        SweepJob.class,
        SqlShellJob.class,
        ThriftServerJob.class,
        CommandLine.HelpCommand.class
    },
    footer = {
        "",
        "Launcher options (bin/finmix only): --master URL (default local[*]),",
        "--conf KEY=VALUE (a Spark setting), --driver-memory SIZE (default 4g).",
        "",
        "Launcher commands (bin/finmix only):",
        "  cluster start|stop|status       a Spark standalone cluster on 127.0.0.1",
        "  thriftserver start|stop|status  Spark's Thrift JDBC server on the catalog",
        "  beeline [-e QUERY]              Hive's BeeLine JDBC client to that server",
        "",
        "`finmix <command> --help` shows a command's options."
    })
public final class FinmixCli implements Runnable {

  /** Exit code for a problem the user can fix (bad config key, missing file, bad usage). */
  public static final int USER_ERROR = 2;
  /** Exit code for a failure inside a job. */
  public static final int FAILURE = 1;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    exit(execute(new FinmixCli(), args));
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

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FinmixCli.class.getPackage().getImplementationVersion();
      return new String[] {"finmix " + (v == null ? "(development build)" : v)};
    }
  }
}
