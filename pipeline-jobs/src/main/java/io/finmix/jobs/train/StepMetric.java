package io.finmix.jobs.train;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** One optimizer step of a training run: a row of {@code finmix.train.metrics}. */
record StepMetric(long step, int epoch, double loss, double gradNorm, Double validationLoss,
    double learningRate, long tokens, double tokensPerSecond, double elapsedSeconds) {

  /** A row of the table, in its column order. */
  Row row(String runId, String trainRun) {
    return RowFactory.create(runId, trainRun, step, epoch, loss, gradNorm, validationLoss,
        learningRate, tokens, tokensPerSecond, elapsedSeconds);
  }

  /** A row read back from the table, by column name. */
  static StepMetric of(Row r) {
    return new StepMetric(r.getAs("step"), r.getAs("epoch"), r.getAs("loss"),
        r.getAs("grad_norm"), r.getAs("validation_loss"), r.getAs("learning_rate"),
        r.getAs("tokens"), r.getAs("tokens_per_second"), r.getAs("elapsed_seconds"));
  }

  /** The step with its validation loss (none for NaN). */
  StepMetric withValidation(double validation) {
    return new StepMetric(step, epoch, loss, gradNorm, Double.isNaN(validation) ? null
        : validation, learningRate, tokens, tokensPerSecond, elapsedSeconds);
  }
}
