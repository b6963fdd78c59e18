-- finmix.eval.scores: one row per training run, checkpoint, benchmark, split, scoring mode and
-- metric, with a seeded bootstrap confidence interval over the eval rows. Written by: aggregate,
-- replacing the run's rows in one atomic commit.
CREATE TABLE finmix.eval.scores (
  run_id         STRING NOT NULL COMMENT 'the pipeline run',
  train_run      STRING NOT NULL COMMENT 'the training run',
  recipe         STRING NOT NULL COMMENT 'train.runs.recipe',
  model          STRING NOT NULL COMMENT 'the base model: preset or init, +lora for adapters',
  seed           BIGINT NOT NULL COMMENT 'the training seed',
  step           BIGINT NOT NULL COMMENT 'the checkpoint step',
  benchmark      STRING NOT NULL COMMENT 'the benchmark',
  split          STRING NOT NULL COMMENT 'valid or test: the rows the number comes from',
  mode           STRING NOT NULL COMMENT 'rank_raw, rank_norm or generate',
  metric         STRING NOT NULL COMMENT 'accuracy, macro_f1, weighted_f1, mcc, missing_rate, exact_match or entity_f1',
  is_primary     BOOLEAN NOT NULL COMMENT 'the benchmark primary metric (ranks and compares)',
  value          DOUBLE COMMENT 'the metric on all rows; null when undefined',
  ci_low         DOUBLE COMMENT 'bootstrap percentile interval, lower bound',
  ci_high        DOUBLE COMMENT 'bootstrap percentile interval, upper bound',
  n              BIGINT NOT NULL COMMENT 'eval rows',
  selected       BOOLEAN NOT NULL COMMENT 'this checkpoint is the one chosen for the training run and mode',
  selected_by    STRING NOT NULL COMMENT 'valid (best mean primary metric on valid rows) or last (no valid rows: the last checkpoint)',
  confidence     DOUBLE NOT NULL COMMENT 'the interval level (0.95)',
  resamples      INT NOT NULL COMMENT 'bootstrap resamples',
  bootstrap_seed BIGINT NOT NULL COMMENT 'the bootstrap seed'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.eval.scores WRITE ORDERED BY train_run, benchmark, step, split, mode, metric
