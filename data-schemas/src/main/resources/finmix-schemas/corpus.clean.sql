-- finmix.corpus.clean: the deduplicated records without the training rows that overlap a
-- benchmark's eval rows; eval rows stay. Written by: decontaminate (reads corpus.deduped).
-- Every training row that is not here is in corpus.contamination with the eval row it matched.
CREATE TABLE finmix.corpus.clean (LIKE corpus.records)
USING iceberg
PARTITIONED BY (run_id, source)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.corpus.clean WRITE ORDERED BY source_file, source_offset, source_item
