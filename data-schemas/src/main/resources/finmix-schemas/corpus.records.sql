-- finmix.corpus.records: every raw row that ingest accepted, in the unified record shape.
-- Written by: ingest. One Iceberg partition per (run_id, source); a re-run of a run id
-- replaces that run's rows.
CREATE TABLE finmix.corpus.records (
  record_id     STRING NOT NULL COMMENT 'stable id: 32 hex chars of sha256(source, natural key)',
  source        STRING NOT NULL COMMENT 'source name from the sources config (fpb, tfns, ...)',
  task          STRING NOT NULL COMMENT 'sentiment, headline, ner, numeric_qa, math, instruction, ...',
  domain        STRING NOT NULL COMMENT 'finance, general or math',
  split         STRING NOT NULL COMMENT 'train, valid or test (the dataset own split, or a stable hash split)',
  instruction   STRING COMMENT 'the native instruction or prompt, where the dataset has one',
  input         STRING NOT NULL COMMENT 'the text the task is about (may be empty for instruction data)',
  output        STRING NOT NULL COMMENT 'the answer text (the canonical label for classification)',
  choices       ARRAY<STRING> COMMENT 'the label set, classification tasks only',
  label         STRING COMMENT 'canonical label or final numeric answer; null for free-form output',
  attributes    MAP<STRING, STRING> NOT NULL COMMENT 'source-specific extras: raw_label, agreement, sentiment_score, target, ...',
  license       STRING NOT NULL COMMENT 'licence as declared in the sources config',
  priority      INT NOT NULL COMMENT 'source priority (higher wins in dedup survivor choice)',
  source_file   STRING NOT NULL COMMENT 'the raw file, as a URI',
  source_offset BIGINT NOT NULL COMMENT 'byte offset of the raw row in the file (row index for Parquet)',
  source_item   INT NOT NULL COMMENT 'position within the raw row when one row yields several records, else 0',
  text_hash     STRING NOT NULL COMMENT '32 hex chars of sha256 of the NFKC, lower-cased, whitespace-folded instruction + input',
  run_id        STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id, source)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'none',
  'write.spark.fanout.enabled' = 'true');
-- No shuffle and no sort: each ingest task writes the rows it read, in raw-file order (one slice
-- of one file, or one Parquet split), so the same input writes the same rows to each file.
