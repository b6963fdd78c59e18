package io.finmix.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

class TableSchemasTest {

  @Test
  void everySchemaFileIsListedAndParses() throws URISyntaxException {
    File dir = new File(getClass().getClassLoader().getResource("finmix-schemas").toURI());
    List<String> files = Arrays.stream(dir.list())
        .filter(f -> f.endsWith(".sql"))
        .map(f -> f.substring(0, f.length() - 4))
        .sorted()
        .toList();
    assertThat(TableSchemas.tableNames()).containsExactlyInAnyOrderElementsOf(files);
    for (String table : files) {
      TableSchema schema = TableSchemas.load(table);
      assertThat(schema.schema().fields()).as(table).isNotEmpty();
      assertThat(schema.qualifiedName()).isEqualTo("finmix." + table);
      assertThat(schema.createIfNotExistsStatement())
          .startsWith("CREATE TABLE IF NOT EXISTS finmix." + table + " (");
    }
  }

  @Test
  void recordsSchemaHasTheDesignColumnsTypesAndNullability() {
    TableSchema records = TableSchemas.load("finmix.corpus.records");
    assertThat(records.namespace()).isEqualTo("corpus");
    assertThat(records.partitionColumns()).containsExactly("run_id", "source");
    assertThat(records.schema().fieldNames()).startsWith("record_id", "source", "task", "domain",
        "split", "instruction", "input", "output", "choices", "label", "attributes", "license");
    StructField id = records.schema().apply("record_id");
    assertThat(id.dataType()).isEqualTo(DataTypes.StringType);
    assertThat(id.nullable()).isFalse();
    assertThat(records.schema().apply("instruction").nullable()).isTrue();
    assertThat(records.schema().apply("choices").dataType())
        .isEqualTo(new ArrayType(DataTypes.StringType, true));
    assertThat(records.schema().apply("attributes").dataType())
        .isEqualTo(new MapType(DataTypes.StringType, DataTypes.StringType, true));
    assertThat(records.schema().apply("source_offset").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(records.schema().apply("record_id").getComment().get()).contains("sha256");
  }

  @Test
  void likeCopiesTheColumnsOfAnotherTable() {
    TableSchema deduped = TableSchemas.load("corpus.deduped");
    assertThat(deduped.schema()).isEqualTo(TableSchemas.load("corpus.records").schema());
    assertThat(deduped.createIfNotExistsStatement())
        .startsWith("CREATE TABLE IF NOT EXISTS finmix.corpus.deduped (")
        .contains("record_id     STRING NOT NULL").doesNotContain("LIKE");
    assertThat(deduped.partitionColumns()).containsExactly("run_id", "source");
    assertThat(deduped.setupStatements()).singleElement().asString()
        .contains("WRITE ORDERED BY");
  }

  @Test
  void unknownTableIsNamedInTheError() {
    assertThatThrownBy(() -> TableSchemas.load("corpus.nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("corpus.nope")
        .hasMessageContaining("corpus.records");
  }

  @Test
  void declaredTablePropertiesAreRead() {
    assertThat(TableSchemas.load("corpus.records").properties()).containsExactly(
        java.util.Map.entry("format-version", "2"),
        java.util.Map.entry("write.distribution-mode", "none"),
        java.util.Map.entry("write.spark.fanout.enabled", "true"));
    assertThat(TableSchemas.load("corpus.deduped").properties())
        .containsEntry("write.distribution-mode", "range");
  }
}
