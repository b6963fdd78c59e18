package io.finmix.jobs.run;

import io.finmix.jobs.FinmixCli;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.decontaminate.DecontaminateJob;
import io.finmix.jobs.dedup.DedupJob;
import io.finmix.jobs.ingest.IngestJob;
import io.finmix.jobs.mix.MixJob;
import io.finmix.jobs.sample.SampleDataJob;
import io.finmix.jobs.tokenize.TokenizeJob;
import io.finmix.jobs.tokenize.TrainTokenizerJob;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * The whole pipeline on the embedded default: generated sample data, local Spark, every stage
 * in order. The stages built so far: sample-data, ingest, dedup, decontaminate, mix, train-tokenizer, tokenize.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
        "The whole pipeline on the embedded default (generated sample data, local Spark).",
        "Stages, in order: sample-data (to run.sample_data_dir), ingest (run.sources),",
        "dedup, decontaminate, mix (every recipe of mix.recipes), train-tokenizer (when",
        "run.tokenizer = trained; then mix again with its token counts), tokenize (and pack)."
    })
public final class RunJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(RunJob.class);

  public static void main(String[] args) {
    FinmixCli.exit(FinmixCli.execute(new RunJob(), args));
  }

  @Override
  public int run(FinmixConfig config) {
    long started = System.nanoTime();
    int stages = 7;
    String dir = SampleDataJob.outputDir(config);
    LOG.info("run {}: stage 1/{} sample-data -> {}", config.runId(), stages, dir);
    SampleDataJob.generate(config, dir);

    LOG.info("run {}: stage 2/{} ingest ({})", config.runId(), stages,
        config.config().getString("run.sources"));
    FinmixConfig ingest = config.with("finmix run", Map.of(
        "ingest.sources", config.config().getString("run.sources"),
        "ingest.data_root", dir,
        "ingest.only", List.of()));
    SparkSession spark = session(ingest, "run");
    IngestJob.Result ingested = IngestJob.ingest(spark, ingest);
    ingested.print(System.out);

    LOG.info("run {}: stage 3/{} dedup", config.runId(), stages);
    DedupJob.Result deduped = DedupJob.dedup(spark, config);
    deduped.print(System.out);

    LOG.info("run {}: stage 4/{} decontaminate", config.runId(), stages);
    DecontaminateJob.Result clean = DecontaminateJob.decontaminate(spark, config);
    clean.print(System.out);

    LOG.info("run {}: stage 5/{} mix ({})", config.runId(), stages,
        config.config().getString("mix.recipes"));
    MixJob.Result mixed = MixJob.mix(spark, config);
    String tokenizer = config.config().getString("run.tokenizer");
    if (tokenizer.equals("trained")) {
      LOG.info("run {}: stage 6/{} train-tokenizer (on {})", config.runId(), stages,
          config.config().getString("train_tokenizer.recipe"));
      TrainTokenizerJob.Result trained = TrainTokenizerJob.train(spark, config);
      trained.print(System.out);
      tokenizer = trained.tokenizerJson().toString();
      // Mixed again, so token-weighted recipes count the tokens they will be packed in.
      LOG.info("run {}: stage 6/{} mix again, counting {} tokens", config.runId(), stages,
          trained.tokenizerId());
      config = config.with("finmix run", Map.of("tokenize.tokenizer", tokenizer));
      mixed = MixJob.mix(spark, config);
    } else {
      config = config.with("finmix run", Map.of("tokenize.tokenizer", tokenizer));
    }
    mixed.print(System.out);

    LOG.info("run {}: stage 7/{} tokenize ({}, seq_len {})", config.runId(), stages, tokenizer,
        config.config().getInt("tokenize.seq_len"));
    TokenizeJob.Result packed = TokenizeJob.tokenize(spark, config);
    packed.print(System.out);

    System.out.printf("%nfinmix run %s finished in %d s.%n", config.runId(),
        (System.nanoTime() - started) / 1_000_000_000L);
    System.out.println("tables:  finmix.corpus.records, .quarantine, .deduped, "
        + ".duplicate_clusters, .clean, .contamination, .mixtures; finmix.train.sequences; in "
        + config.warehouse() + "/catalog");
    System.out.println("reports: " + config.runDir() + "/report/");
    System.out.println("query:   bin/finmix sql -e \"SELECT recipe, component, count(*) FROM "
        + "finmix.corpus.mixtures WHERE run_id = '" + config.runId() + "' GROUP BY 1, 2\"");
    return 0;
  }
}
