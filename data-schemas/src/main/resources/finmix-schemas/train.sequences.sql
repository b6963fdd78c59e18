-- finmix.train.sequences: each recipe's mixture tokenized and packed into fixed-length
-- training sequences. Written by: tokenize (reads corpus.mixtures). Several examples share a
-- sequence; segment_ids and positions let attention and positions respect their boundaries.
CREATE TABLE finmix.train.sequences (
  recipe            STRING NOT NULL COMMENT 'the recipe (corpus.mixtures.recipe)',
  tokenizer_id      STRING NOT NULL COMMENT 'bytes, or <folder>-<sha256 prefix> of the tokenizer.json',
  seq_len           INT NOT NULL COMMENT 'length of every sequence',
  sequence_index    BIGINT NOT NULL COMMENT '0-based training order (by the first packed example)',
  input_ids         ARRAY<INT> NOT NULL COMMENT 'seq_len token ids; padding is the end-of-sequence id',
  loss_mask         ARRAY<INT> NOT NULL COMMENT '1 where the loss is taken (answer and end of sequence by default), 0 elsewhere and on padding',
  segment_ids       ARRAY<INT> NOT NULL COMMENT 'which packed example a token belongs to, from 1; 0 on padding',
  positions         ARRAY<INT> NOT NULL COMMENT 'position of the token within its example, from 0; 0 on padding',
  record_ids        ARRAY<STRING> NOT NULL COMMENT 'the source record of each packed example, in segment order',
  mixture_positions ARRAY<BIGINT> NOT NULL COMMENT 'the corpus.mixtures position of each packed example',
  tokens            INT NOT NULL COMMENT 'non-padding tokens',
  run_id            STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id, recipe, tokenizer_id, seq_len)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.train.sequences WRITE ORDERED BY recipe, sequence_index
