-- finmix.corpus.quarantine: every raw row (or part of one) that ingest could not accept, with
-- the reason. Written by: ingest, in the same run as corpus.records.
CREATE TABLE finmix.corpus.quarantine (
  source        STRING NOT NULL COMMENT 'source name from the sources config',
  source_file   STRING NOT NULL COMMENT 'the raw file, as a URI',
  source_offset BIGINT NOT NULL COMMENT 'byte offset of the raw row (row index for Parquet)',
  source_item   INT NOT NULL COMMENT 'position within the raw row when one row yields several records, else 0',
  reason        STRING NOT NULL COMMENT 'malformed_json, malformed_csv, malformed_line, bad_encoding, missing_field, empty_text, unknown_label, bad_value, too_long, duplicate_key',
  detail        STRING NOT NULL COMMENT 'what exactly was wrong (field, value, parser message)',
  raw           STRING NOT NULL COMMENT 'the raw row as read, cut to ingest.quarantine_raw_chars',
  run_id        STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id, source)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'none');

-- Rows sorted inside each data file, so the same input writes the same files.
ALTER TABLE finmix.corpus.quarantine WRITE ORDERED BY source_file, source_offset, source_item
