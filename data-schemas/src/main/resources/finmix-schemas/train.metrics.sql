-- finmix.train.metrics: one row per optimizer step of a training run. Written by: train, at every
-- checkpoint and when the run ends, replacing the run's rows in one atomic commit; a resumed run
-- keeps the rows up to its checkpoint and writes the steps after it again.
CREATE TABLE finmix.train.metrics (
  run_id            STRING NOT NULL COMMENT 'the pipeline run (train.runs.run_id)',
  train_run         STRING NOT NULL COMMENT 'the training run (train.runs.train_run)',
  step              BIGINT NOT NULL COMMENT 'optimizer steps taken, from 1',
  epoch             INT NOT NULL COMMENT 'the pass over the training sequences, from 1',
  loss              DOUBLE NOT NULL COMMENT 'training loss of the step, the mean over workers',
  grad_norm         DOUBLE NOT NULL COMMENT 'gradient L2 norm before clipping, the mean over workers',
  validation_loss   DOUBLE COMMENT 'loss on the held-out sequences after this step, where measured',
  learning_rate     DOUBLE NOT NULL COMMENT 'the learning rate of the step',
  tokens            BIGINT NOT NULL COMMENT 'non-padding tokens of the step, over all workers',
  tokens_per_second DOUBLE NOT NULL COMMENT 'tokens per second of the averaging round the step was in, Spark overhead included',
  elapsed_seconds   DOUBLE NOT NULL COMMENT 'training seconds from the start of the run to the end of the round of the step'
)
USING iceberg
PARTITIONED BY (run_id, train_run)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.train.metrics WRITE ORDERED BY train_run, step
