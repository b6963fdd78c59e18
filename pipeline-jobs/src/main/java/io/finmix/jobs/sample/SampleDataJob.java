package io.finmix.jobs.sample;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes the generated sample corpus: small raw files in every native format finmix reads,
 * with a few deliberately bad rows, declared by {@code conf/sources/sample.conf}.
 */
@Command(
    name = "sample-data",
    mixinStandardHelpOptions = true,
    description = {
        "Writes generated raw files in every native format, a few rows deliberately bad.",
        "conf/sources/sample.conf declares them; `finmix run` ingests them."
    })
public final class SampleDataJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(SampleDataJob.class);

  @ConfigKey("run.sample_data_dir")
  @Option(names = "--out", paramLabel = "DIR",
      description = "Where to write (default: run.sample_data_dir, or <warehouse>/sample-data).")
  String out;

  @ConfigKey("sample_data.seed")
  @Option(names = "--seed", paramLabel = "N", description = "Random seed (sample_data.seed).")
  Long seed;

  @ConfigKey("sample_data.scale")
  @Option(names = "--scale", paramLabel = "X",
      description = "Row count multiplier (sample_data.scale; 1.0 = a few thousand rows).")
  Double scale;

  public static void main(String[] args) {
    Commands.main(new SampleDataJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    String dir = outputDir(config);
    Map<String, SampleCorpus.Planted> planted = generate(config, dir);
    SampleCorpus.describe(planted, System.out::println);
    System.out.println("wrote sample data to " + dir);
    return 0;
  }

  /** The sample data directory of a config. */
  public static String outputDir(FinmixConfig config) {
    String dir = config.config().getString("run.sample_data_dir");
    return dir.isEmpty() ? config.warehouse() + "/sample-data" : dir;
  }

  /** Writes the sample corpus under {@code dir}. */
  public static Map<String, SampleCorpus.Planted> generate(FinmixConfig config, String dir) {
    long seed = config.config().getLong("sample_data.seed");
    double scale = config.config().getDouble("sample_data.scale");
    LOG.info("sample-data: writing seed {} scale {} to {}", seed, scale, dir);
    return SampleCorpus.write(dir, seed, scale, new Configuration());
  }
}
