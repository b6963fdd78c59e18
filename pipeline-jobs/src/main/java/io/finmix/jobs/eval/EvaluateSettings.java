package io.finmix.jobs.eval;

import com.typesafe.config.Config;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import java.util.List;

/**
 * The {@code evaluate} section of the config, checked in one place: every problem names its
 * key.
 *
 * @param allCheckpoints {@code checkpoints = all}: every kept checkpoint, not only the last
 * @param workers Spark partitions of the eval rows; 0: the default parallelism
 * @param maxRows rows per benchmark and split; -1: all
 */
record EvaluateSettings(boolean allCheckpoints, int batchSize, List<String> trainRuns,
    int workers, String benchmarksFile, List<String> only, int maxRows, String tokenizer,
    String prompts) {

  static EvaluateSettings of(FinmixConfig config) {
    Config c = config.config().getConfig("evaluate");
    String which = c.getString("checkpoints");
    if (!which.equals("last") && !which.equals("all")) {
      throw new UserError("evaluate.checkpoints: '" + which + "' is not last or all");
    }
    int batch = c.getInt("batch_size");
    if (batch < 1) {
      throw new UserError("evaluate.batch_size: " + batch + " must be at least 1");
    }
    int workers = c.getInt("workers");
    if (workers < 0) {
      throw new UserError("evaluate.workers: " + workers + " must be at least 0");
    }
    return new EvaluateSettings(which.equals("all"), batch, c.getStringList("train_runs"),
        workers, c.getString("benchmarks"), c.getStringList("only"), c.getInt("max_rows"),
        config.config().getString("tokenize.tokenizer"),
        config.config().getString("mix.prompts"));
  }
}
