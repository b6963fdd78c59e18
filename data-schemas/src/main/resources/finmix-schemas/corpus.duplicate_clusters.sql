-- finmix.corpus.duplicate_clusters: every member of every duplicate group dedup found (exact
-- groups, label conflicts and near-duplicate components), one row per member, kept or removed.
-- Written by: dedup.
CREATE TABLE finmix.corpus.duplicate_clusters (
  cluster_id     STRING NOT NULL COMMENT 'exact:<hash of the normalised text> or near:<smallest record_id of the component>',
  record_id      STRING NOT NULL COMMENT 'the member',
  source         STRING NOT NULL COMMENT 'source of the member',
  split          STRING NOT NULL COMMENT 'split of the member',
  label          STRING COMMENT 'label of the member',
  kept_record_id STRING COMMENT 'the member the cluster kept; null when none was kept (a label conflict dropped all)',
  similarity     DOUBLE NOT NULL COMMENT 'Jaccard similarity of the word shingles to the kept row (1.0 for exact duplicates)',
  reason         STRING NOT NULL COMMENT 'kept, exact_duplicate, eval_duplicate, label_conflict, near_duplicate, chain_cut, component_over_cap',
  action         STRING NOT NULL COMMENT 'kept or removed',
  cluster_size   INT NOT NULL COMMENT 'members in the cluster',
  run_id         STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'hash');

ALTER TABLE finmix.corpus.duplicate_clusters WRITE ORDERED BY cluster_id, record_id
