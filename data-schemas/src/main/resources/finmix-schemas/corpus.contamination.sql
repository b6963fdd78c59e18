-- finmix.corpus.contamination: every (training row, eval row) match decontaminate found.
-- Written by: decontaminate.
CREATE TABLE finmix.corpus.contamination (
  record_id      STRING NOT NULL COMMENT 'the training row',
  source         STRING NOT NULL COMMENT 'source of the training row',
  benchmark      STRING NOT NULL COMMENT 'the benchmark whose eval row it matched (conf/benchmarks.conf)',
  eval_record_id STRING NOT NULL COMMENT 'the eval row',
  eval_split     STRING NOT NULL COMMENT 'split of the eval row',
  match          STRING NOT NULL COMMENT 'ngram, exact (the whole short text) or near (most of its character k-grams)',
  ngram          INT NOT NULL COMMENT 'n of the token n-grams compared (0 for exact and near matches)',
  matched_ngrams INT NOT NULL COMMENT 'how many n-grams of the eval row the training row contains',
  eval_ngrams    INT NOT NULL COMMENT 'how many distinct n-grams the eval row has',
  similarity     DOUBLE NOT NULL COMMENT 'matched_ngrams / eval_ngrams, or the share of the eval character k-grams in the input',
  action         STRING NOT NULL COMMENT 'removed, or flagged (decontaminate.action = flag)',
  run_id         STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'hash');

ALTER TABLE finmix.corpus.contamination WRITE ORDERED BY benchmark, record_id, eval_record_id
