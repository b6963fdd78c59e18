-- finmix.eval.comparisons: each recipe against the target-only recipe of a benchmark
-- (benchmarks.conf target_recipe), for the same base model: a paired bootstrap over the eval
-- rows of the metric averaged over the seeds both recipes were trained with (each training
-- run at its selected checkpoint), beside it a two-level bootstrap over seeds then rows, and
-- McNemar's test for right/wrong metrics. Columns after bootstrap_seed were added later: a
-- table made before them gets them (null in old rows) on aggregate's next write. Written by:
-- aggregate, replacing the run's rows.
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
  bootstrap_seed  BIGINT NOT NULL COMMENT 'the bootstrap seed',
  seed_ci_low     DOUBLE COMMENT 'two-level bootstrap interval of delta (seeds, then rows), lower bound',
  seed_ci_high    DOUBLE COMMENT 'upper bound',
  p_adjusted      DOUBLE COMMENT 'p_value Holm-adjusted over the run primary-metric test comparisons; null: not in that family',
  mcnemar_b       BIGINT COMMENT 'accuracy, exact_match: (seed, row) pairs only the recipe got right; else null',
  mcnemar_c       BIGINT COMMENT '(seed, row) pairs only the baseline got right',
  mcnemar_p       DOUBLE COMMENT 'exact two-sided McNemar p-value from mcnemar_b and mcnemar_c (unadjusted)'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2')
