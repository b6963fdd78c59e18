-- finmix.eval.predictions: one row per eval row, checkpoint and scoring mode. Written by:
-- evaluate, replacing the (run_id, train_run, benchmark) partitions it scored in one atomic
-- commit per training run.
CREATE TABLE finmix.eval.predictions (
  run_id                 STRING NOT NULL COMMENT 'the pipeline run (train.runs.run_id; the eval rows are its corpus.clean rows)',
  train_run              STRING NOT NULL COMMENT 'the training run evaluated (train.runs.train_run)',
  step                   BIGINT NOT NULL COMMENT 'the checkpoint step evaluated',
  checkpoint             STRING NOT NULL COMMENT 'the checkpoint directory',
  benchmark              STRING NOT NULL COMMENT 'the benchmark (conf/benchmarks.conf)',
  split                  STRING NOT NULL COMMENT 'valid (for selection) or test (for reporting)',
  record_id              STRING NOT NULL COMMENT 'the eval row (corpus.clean.record_id)',
  mode                   STRING NOT NULL COMMENT 'rank_raw (summed choice log-likelihood), rank_norm (per token) or generate',
  k_shot                 INT NOT NULL COMMENT 'demonstrations in the prompt',
  prompt_hash            STRING NOT NULL COMMENT '16 hex chars of sha256 of the prompt text',
  prompt_tokens          INT NOT NULL COMMENT 'prompt tokens the model saw',
  truncated              BOOLEAN NOT NULL COMMENT 'the prompt lost tokens from its start to fit',
  output                 STRING NOT NULL COMMENT 'generate: the generated text; rank: the best choice',
  prediction             STRING COMMENT 'the parsed answer (a label, a number, entities); null: missing (nothing parsed)',
  gold                   STRING NOT NULL COMMENT 'the reference answer (label, number or entity lines)',
  correct                BOOLEAN NOT NULL COMMENT 'prediction matches gold (numbers within tolerance, entity sets equal); false when missing',
  choices                ARRAY<STRING> COMMENT 'rank: the choices scored, in order',
  choice_log_likelihoods ARRAY<DOUBLE> COMMENT 'rank: each choice log-likelihood (rank_norm: per token)',
  choice_tokens          ARRAY<INT> COMMENT 'rank: tokens of each choice'
)
USING iceberg
PARTITIONED BY (run_id, train_run, benchmark)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.eval.predictions WRITE ORDERED BY train_run, benchmark, step, split, record_id, mode
