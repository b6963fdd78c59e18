-- finmix.eval.leaderboard: per base model, benchmark and scoring mode, every recipe's primary
-- metric on the test rows (mean over its seeds, bootstrap interval over the rows), ranked by
-- the same metric on the valid rows: selection on valid, numbers from test; beside them, on the
-- same rows and unranked, the baselines a model must beat (recipe baseline-majority: the most
-- frequent training answer; baseline-random: uniform choices, classification). Written by:
-- aggregate (a table, not a view: the default Hadoop catalog cannot hold views), replacing the
-- run's rows.
CREATE TABLE finmix.eval.leaderboard (
  run_id        STRING NOT NULL COMMENT 'the pipeline run',
  model         STRING NOT NULL COMMENT 'the base model',
  benchmark     STRING NOT NULL COMMENT 'the benchmark',
  mode          STRING NOT NULL COMMENT 'rank_raw, rank_norm or generate',
  metric        STRING NOT NULL COMMENT 'the benchmark primary metric',
  recipe        STRING NOT NULL COMMENT 'the recipe, or baseline-majority / baseline-random',
  seeds         INT NOT NULL COMMENT 'training runs (seeds) of the recipe; 0 for a baseline',
  train_runs    ARRAY<STRING> NOT NULL COMMENT 'those training runs',
  valid_rank    INT COMMENT '1 = best on the valid rows among the recipes; null: no valid rows, or a baseline',
  valid_value   DOUBLE COMMENT 'the metric on the valid rows, mean over seeds (what ranks)',
  test_value    DOUBLE COMMENT 'the metric on the test rows, mean over seeds (what is reported)',
  test_ci_low   DOUBLE COMMENT 'bootstrap interval over the test rows, lower bound',
  test_ci_high  DOUBLE COMMENT 'upper bound',
  test_seed_sd  DOUBLE COMMENT 'standard deviation of the test metric over seeds; null for one seed',
  test_n        BIGINT NOT NULL COMMENT 'test rows',
  selected_on   STRING NOT NULL COMMENT 'valid: the split checkpoints and ranks were chosen on',
  reported_split STRING NOT NULL COMMENT 'test: the split the value comes from'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2')
