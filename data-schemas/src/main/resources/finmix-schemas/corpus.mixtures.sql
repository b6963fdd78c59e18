-- finmix.corpus.mixtures: every recipe's mixture, one row per example in training order.
-- Written by: mix (reads corpus.clean; recipes in conf/recipes.conf, templates in
-- conf/prompts.conf). A record drawn in several epochs is several rows.
CREATE TABLE finmix.corpus.mixtures (
  recipe         STRING NOT NULL COMMENT 'the recipe (conf/recipes.conf)',
  position       BIGINT NOT NULL COMMENT '0-based place of the example in the mixture',
  component      STRING NOT NULL COMMENT 'the recipe component that drew it',
  epoch          INT NOT NULL COMMENT '0-based pass over the component pool that drew it',
  record_id      STRING NOT NULL COMMENT 'the source record (corpus.clean)',
  source         STRING NOT NULL COMMENT 'source of the record',
  task           STRING NOT NULL COMMENT 'task of the record',
  domain         STRING NOT NULL COMMENT 'finance, general or math',
  label          STRING COMMENT 'label of the record (classification tasks)',
  variant        INT NOT NULL COMMENT 'which instruction variant of the task template was used',
  prompt         STRING NOT NULL COMMENT 'the rendered prompt (template applied, no chat template)',
  answer         STRING NOT NULL COMMENT 'the rendered answer, the part the loss is on',
  tokens         INT NOT NULL COMMENT 'length of prompt + answer in mix.token_counter units',
  run_id         STRING NOT NULL COMMENT 'the run that wrote the row'
)
USING iceberg
PARTITIONED BY (run_id, recipe)
TBLPROPERTIES ('format-version' = '2', 'write.distribution-mode' = 'range');

ALTER TABLE finmix.corpus.mixtures WRITE ORDERED BY recipe, position
