package io.finmix.jobs;

import io.finmix.jobs.aggregate.AggregateJob;
import io.finmix.jobs.core.Commands;
import io.finmix.jobs.decontaminate.DecontaminateJob;
import io.finmix.jobs.dedup.DedupJob;
import io.finmix.jobs.eval.EvaluateJob;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.run.RunJob;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.sql.SqlShellJob;
import io.finmix.jobs.sql.ThriftServerJob;
import io.finmix.jobs.sweep.SweepJob;
import io.finmix.jobs.tokenize.TokenizeJob;
import io.finmix.jobs.tokenize.TrainTokenizerJob;
import io.finmix.jobs.train.PretrainJob;
import io.finmix.jobs.train.TrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

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

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    Commands.main(new FinmixCli(), args);
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
