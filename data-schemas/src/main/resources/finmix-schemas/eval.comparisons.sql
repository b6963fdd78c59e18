-- finmix.eval.comparisons: each recipe against the target-only recipe of a benchmark
-- (benchmarks.conf target_recipe), for the same base model: a paired bootstrap over the eval
-- rows of the metric averaged over the seeds both recipes were trained with (each training
-- run at its selected checkpoint). Written by: aggregate, replacing the run's rows.
CREATE TABLE finmix.eval.comparisons (
  run_id          STRING NOT NULL COMMENT 'the pipeline run',
  model           STRING NOT NULL COMMENT 'the base model',
  benchmark       STRING NOT NULL COMMENT 'the benchmark',
  split           STRING NOT NULL COMMENT 'valid or test: the rows the numbers come from',
  mode            STRING NOT NULL COMMENT 'rank_raw, rank_norm or generate',
  metric          STRING NOT NULL COMMENT 'the metric compared',
  is_primary      BOOLEAN NOT NULL COMMENT 'the benchmark primary metric',
  recipe          STRING NOT NULL COMMENT 'the recipe compared',
  baseline_recipe STRING NOT NULL COMMENT 'the target-only recipe',
  seeds           ARRAY<BIGINT> NOT NULL COMMENT 'the seeds both recipes have (paired)',
  n               BIGINT NOT NULL COMMENT 'eval rows both have',
  value           DOUBLE COMMENT 'the recipe metric, mean over the seeds',
  baseline_value  DOUBLE COMMENT 'the baseline metric, mean over the seeds',
  delta           DOUBLE COMMENT 'value - baseline_value',
  ci_low          DOUBLE COMMENT 'paired bootstrap percentile interval of delta, lower bound',
  ci_high         DOUBLE COMMENT 'upper bound',
  p_value         DOUBLE COMMENT 'two-sided bootstrap p-value of delta = 0',
  confidence      DOUBLE NOT NULL COMMENT 'the interval level',
  resamples       INT NOT NULL COMMENT 'bootstrap resamples',
  bootstrap_seed  BIGINT NOT NULL COMMENT 'the bootstrap seed'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2')
