package io.finmix.jobs.train;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The pretrain stage: a base model trained as a causal language model (the loss on every token)
 * on the run's pretraining mixture (recipes.conf {@code pretrain}: every domain's training text,
 * financial inputs without their labels), from random weights, by the train stage's own
 * machinery. Its Hugging Face export is the base the sweep fine-tunes every recipe from
 * ({@code sweep.init = base}): finmix makes the pretrained checkpoint the research starts from,
 * since none can be downloaded here; a site with a real one sets {@code sweep.init} to it.
 */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
        "Pretrains a base model on the run's pretraining mixture (pretrain.recipe, packed by "
            + "tokenize), the loss on every token, from random weights.",
        "Output: the training run pretrain.name (default pretrain-<model>-s<seed>) in "
            + "finmix.train.runs, its checkpoints, and its Hugging Face export, the base that "
            + "sweep.init = base fine-tunes from."
    })
public final class PretrainJob extends StageCommand {

  @ConfigKey("pretrain.model")
  @Option(names = "--model", paramLabel = "PRESET", description = "The base's preset "
      + "(pretrain.model).")
  String model;

  @ConfigKey("pretrain.steps")
  @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (pretrain.steps).")
  Long steps;

  @ConfigKey("pretrain.lr")
  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (pretrain.lr).")
  Double lr;

  @Option(names = "--if-sweep-base", description = "Pretrain only when the sweep fine-tunes "
      + "from the base (sweep.init = base); otherwise say so and exit 0 (the Airflow DAG's "
      + "pretrain task).")
  boolean ifSweepBase;

  public static void main(String[] args) {
    Commands.main(new PretrainJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    if (ifSweepBase && !config.config().getString("sweep.init").trim()
        .equals(io.finmix.jobs.sweep.SweepGrid.BASE)) {
      System.out.println("pretrain: not needed, the sweep starts from sweep.init = "
          + config.config().getString("sweep.init").trim());
      return 0;
    }
    Result r = pretrain(session(config, "pretrain"), config);
    r.print(System.out);
    return r.train().status() == RunStatus.FINISHED ? 0 : Commands.FAILURE;
  }

  /** The pretraining run and where its base is. */
  public record Result(TrainJob.Result train, String base) implements StageResult {

    public void print(PrintStream out) {
      train.print(out);
      out.printf(Locale.ROOT, "base: %s%n", base == null ? "(none: the run did not finish)"
          : base);
      out.flush();
    }
  }

  /** The train.* settings of the pretraining run, from the pretrain section. */
  static Map<String, Object> trainSettings(FinmixConfig config) {
    return PretrainSettings.of(config).trainKeys();
  }

  /** The pretraining run's name: pretrain.name, else pretrain-&lt;model&gt;-s&lt;seed&gt;. */
  public static String runName(FinmixConfig config) {
    return PretrainSettings.of(config).runName();
  }

  /** The base's directory: the pretraining run's Hugging Face export. */
  public static Path baseDir(FinmixConfig config) {
    return TrainJob.runDir(config.with("pretrain", trainSettings(config))).resolve("hf");
  }

  /** Pretrains as configured; a failed run is a result (status failed), not an exception. */
  public static Result pretrain(SparkSession spark, FinmixConfig config) {
    TrainJob.Result r = TrainJob.train(spark, config.with("finmix pretrain",
        trainSettings(config)), false);
    return new Result(r, r.status() == RunStatus.FINISHED ? r.hfModel() : null);
  }
}
