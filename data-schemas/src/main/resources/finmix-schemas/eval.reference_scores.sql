-- finmix.eval.reference_scores: published baselines to read finmix scores beside, loaded from
-- conf/reference_scores.csv (aggregate.reference_scores) by aggregate, replacing the table.
CREATE TABLE finmix.eval.reference_scores (
  model     STRING NOT NULL COMMENT 'the published model',
  benchmark STRING NOT NULL COMMENT 'the finmix benchmark name it corresponds to',
  metric    STRING NOT NULL COMMENT 'the metric as finmix names it',
  value     DOUBLE NOT NULL COMMENT 'the published value, on a 0-1 scale',
  citation  STRING NOT NULL COMMENT 'where it was published',
  note      STRING COMMENT 'how the setting differs (shots, split, prompt)'
)
USING iceberg
TBLPROPERTIES ('format-version' = '2')
