-- finmix.eval.cocktail_effect: the primary-metric comparisons of eval.comparisons on the test
-- rows, one row per base model, benchmark, mode and recipe, with the valid-rows delta beside
-- it. Written by: aggregate (a table, not a view: the default Hadoop catalog cannot hold
-- views), replacing the run's rows. Columns after reported_split were added later: a table
-- made before them gets them (null in old rows) on aggregate's next write.
CREATE TABLE finmix.eval.cocktail_effect (
  run_id          STRING NOT NULL COMMENT 'the pipeline run',
  model           STRING NOT NULL COMMENT 'the base model',
  benchmark       STRING NOT NULL COMMENT 'the benchmark',
  mode            STRING NOT NULL COMMENT 'rank_raw, rank_norm or generate',
  metric          STRING NOT NULL COMMENT 'the benchmark primary metric',
  recipe          STRING NOT NULL COMMENT 'the cocktail',
  baseline_recipe STRING NOT NULL COMMENT 'the target-only recipe',
  seeds           INT NOT NULL COMMENT 'paired seeds',
  test_n          BIGINT NOT NULL COMMENT 'test rows',
  value           DOUBLE COMMENT 'the cocktail on the test rows, mean over seeds',
  baseline_value  DOUBLE COMMENT 'the target-only recipe on the test rows',
  delta           DOUBLE COMMENT 'value - baseline_value',
  ci_low          DOUBLE COMMENT 'paired bootstrap interval of delta, lower bound',
  ci_high         DOUBLE COMMENT 'upper bound',
  p_value         DOUBLE COMMENT 'two-sided bootstrap p-value',
  significant     BOOLEAN COMMENT 'p_adjusted <= 1 - confidence; null: no p-value',
  valid_delta     DOUBLE COMMENT 'the same delta on the valid rows; null: none',
  reported_split  STRING NOT NULL COMMENT 'test',
  seed_ci_low     DOUBLE COMMENT 'two-level bootstrap interval of delta (seeds, then rows), lower bound',
  seed_ci_high    DOUBLE COMMENT 'upper bound',
  p_adjusted      DOUBLE COMMENT 'p_value Holm-adjusted over all of the run cocktail_effect rows',
  mcnemar_b       BIGINT COMMENT 'exact_match primary metric: (seed, row) pairs only the recipe got right; else null',
  mcnemar_c       BIGINT COMMENT '(seed, row) pairs only the baseline got right',
  mcnemar_p       DOUBLE COMMENT 'exact two-sided McNemar p-value (unadjusted)'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2')
