package io.finmix.jobs.run;

import io.finmix.jobs.FinmixCli;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.sample.SampleDataJob;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * The whole pipeline on the embedded default: generated sample data, local Spark, every stage
 * in order. The stages built so far: sample-data, then ingest.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
        "The whole pipeline on the embedded default (generated sample data, local Spark).",
        "Stages, in order: sample-data (to run.sample_data_dir), ingest (run.sources)."
    })
public final class RunJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(RunJob.class);

  public static void main(String[] args) {
    FinmixCli.exit(FinmixCli.execute(new RunJob(), args));
  }

  @Override
  public int run(FinmixConfig config) {
    long started = System.nanoTime();
    String dir = SampleDataJob.outputDir(config);
    LOG.info("run {}: stage 1/2 sample-data -> {}", config.runId(), dir);
    SampleDataJob.generate(config, dir);

    LOG.info("run {}: stage 2/2 ingest ({})", config.runId(),
        config.config().getString("run.sources"));
    FinmixConfig ingest = config.with("finmix run", Map.of(
        "ingest.sources", config.config().getString("run.sources"),
        "ingest.data_root", dir,
        "ingest.only", List.of()));
    SparkSession spark = session(ingest, "run");
    IngestJob.Result result = IngestJob.ingest(spark, ingest);
    result.print(System.out);

    System.out.printf("%nfinmix run %s finished in %d s.%n", config.runId(),
        (System.nanoTime() - started) / 1_000_000_000L);
    System.out.println("tables:  finmix.corpus.records (" + result.total().records
        + " rows this run), finmix.corpus.quarantine (" + result.total().quarantinedTotal()
        + "), in " + config.warehouse() + "/catalog");
    System.out.println("report:  " + result.report());
    System.out.println("query:   bin/finmix sql -e \"SELECT source, split, count(*) FROM "
        + "finmix.corpus.records WHERE run_id = '" + config.runId() + "' GROUP BY 1, 2\"");
    return 0;
  }
}
