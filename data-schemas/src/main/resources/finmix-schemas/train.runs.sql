-- finmix.train.runs: one row per training run (a recipe, a model, an initialisation, settings,
-- a seed). Written by: train, at its start (status running), at every checkpoint and at its end
-- (finished or failed); each write replaces the run's row in one atomic commit.
CREATE TABLE finmix.train.runs (
  run_id               STRING NOT NULL COMMENT 'the pipeline run whose train.sequences were read',
  train_run            STRING NOT NULL COMMENT 'the training run (train.name, default <recipe>-<model>-s<seed>[-lora])',
  recipe               STRING NOT NULL COMMENT 'the recipe trained on',
  model                STRING NOT NULL COMMENT 'the model preset, or the config of the init checkpoint',
  init                 STRING NOT NULL COMMENT 'scratch, or the checkpoint / Hugging Face directory started from',
  lora                 STRING COMMENT 'the adapters (rank=8 alpha=16.0 dropout=0.05 targets=q,v); null: full fine-tuning',
  parameters           BIGINT NOT NULL COMMENT 'parameters of the model (base, without adapters)',
  trainable_parameters BIGINT NOT NULL COMMENT 'parameters that training changes',
  hyper_parameters     MAP<STRING, STRING> NOT NULL COMMENT 'the train.* settings the run used',
  tokenizer_id         STRING NOT NULL COMMENT 'train.sequences.tokenizer_id',
  seq_len              INT NOT NULL COMMENT 'train.sequences.seq_len',
  sequences_snapshot   BIGINT NOT NULL COMMENT 'the Iceberg snapshot of finmix.train.sequences read (VERSION AS OF)',
  train_sequences      BIGINT NOT NULL COMMENT 'sequences trained on',
  validation_sequences BIGINT NOT NULL COMMENT 'sequences held out for the validation loss',
  workers              INT NOT NULL COMMENT 'data-parallel workers (Spark partitions)',
  total_steps          BIGINT NOT NULL COMMENT 'optimizer steps planned',
  steps                BIGINT NOT NULL COMMENT 'optimizer steps taken (up to the last checkpoint while running)',
  tokens               BIGINT NOT NULL COMMENT 'non-padding tokens trained on, over all workers',
  loss                 DOUBLE COMMENT 'training loss of the last step taken',
  validation_loss      DOUBLE COMMENT 'the last validation loss',
  status               STRING NOT NULL COMMENT 'running, finished or failed',
  message              STRING COMMENT 'why the run failed; null otherwise',
  started_at           TIMESTAMP NOT NULL COMMENT 'when the run (or its first attempt) started',
  updated_at           TIMESTAMP NOT NULL COMMENT 'when this row was written',
  seconds              DOUBLE NOT NULL COMMENT 'training time so far, over all attempts',
  resumes              INT NOT NULL COMMENT 'how many times the run was resumed from a checkpoint',
  checkpoint           STRING COMMENT 'the last good checkpoint directory',
  hf_model             STRING COMMENT 'the final model in Hugging Face layout; null until finished (or train.export_hf = false)'
)
USING iceberg
PARTITIONED BY (run_id, train_run)
TBLPROPERTIES ('format-version' = '2')
