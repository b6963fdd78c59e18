-- finmix.corpus.deduped: the records that survive deduplication, unchanged.
-- Written by: dedup (reads corpus.records of the same run). Every record that is not here is
-- in corpus.duplicate_clusters with the reason and the id of the row it lost to.
CREATE TABLE finmix.corpus.deduped (LIKE corpus.records)
USING iceberg
PARTITIONED BY (run_id, source)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.corpus.deduped WRITE ORDERED BY source_file, source_offset, source_item
