package io.finmix.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinmixConfigTest {

  @TempDir
  Path dir;

  @Test
  void defaultsComeFromFinmixConf() {
    FinmixConfig c = FinmixConfig.defaults();
    assertThat(c.runId()).isEqualTo("local");
    assertThat(c.config().getString("catalog.type")).isEqualTo("hadoop");
    assertThat(c.warehouse()).isEqualTo(new File("warehouse").getAbsolutePath());
    assertThat(c.runDir()).endsWith("/warehouse/runs/local");
  }

  @Test
  void layersApplyInOrder() throws Exception {
    Path file = Files.writeString(dir.resolve("site.conf"),
        "ingest { max_chars = 500 }\nrun_id = from-file\nwarehouse = \"hdfs://nn/wh\"\n");
    FinmixConfig c = FinmixConfig.load(file.toString(),
        List.of("ingest.max_chars=700", "ingest.only=[fpb, tfns]", "catalog.properties.io-impl=x.Y"),
        FinmixConfig.flags("flags", Map.of("run_id", "from-flag")));
    assertThat(c.config().getInt("ingest.max_chars")).isEqualTo(700);
    assertThat(c.config().getStringList("ingest.only")).containsExactly("fpb", "tfns");
    assertThat(c.runId()).isEqualTo("from-flag");
    assertThat(c.warehouse()).isEqualTo("hdfs://nn/wh");
    assertThat(SparkSessions.catalogConf(c))
        .containsEntry("spark.sql.catalog.finmix.io-impl", "x.Y")
        .containsEntry("spark.sql.catalog.finmix.warehouse", "hdfs://nn/wh/catalog")
        .doesNotContainKey("spark.hadoop.javax.jdo.option.ConnectionURL");
  }

  @Test
  void anUnknownKeyNamesTheKeyAndWhereItCameFrom() throws Exception {
    Path file = Files.writeString(dir.resolve("bad.conf"), "ingest {\n  max_chars = 5\n"
        + "  sourcse = x\n}\n");
    assertThatThrownBy(() -> FinmixConfig.load(file.toString(), List.of(), null))
        .isInstanceOf(UserError.class)
        .hasMessageContainingAll("unknown config key 'ingest.sourcse'", "bad.conf:3");
    assertThatThrownBy(() -> FinmixConfig.load(null, List.of("ingest.maxchars=5"), null))
        .isInstanceOf(UserError.class)
        .hasMessageContainingAll("ingest.maxchars", "--set");
  }

  @Test
  void aWrongTypeOrValueNamesTheKeyAndFile() throws Exception {
    Path file = Files.writeString(dir.resolve("typed.conf"), "ingest.max_chars = lots\n");
    assertThatThrownBy(() -> FinmixConfig.load(file.toString(), List.of(), null))
        .isInstanceOf(UserError.class)
        .hasMessageContainingAll("ingest.max_chars", "typed.conf");
    assertThatThrownBy(() -> FinmixConfig.load(null, List.of("run_id=a/b"), null))
        .isInstanceOf(UserError.class).hasMessageContainingAll("run_id", "'a/b'");
    assertThatThrownBy(() -> FinmixConfig.load(null, List.of("catalog.type=glue"), null))
        .isInstanceOf(UserError.class).hasMessageContainingAll("catalog.type", "glue");
    assertThatThrownBy(() -> FinmixConfig.load(null, List.of("catalog.type=rest"), null))
        .isInstanceOf(UserError.class).hasMessageContaining("catalog.uri");
    assertThatThrownBy(() -> FinmixConfig.load(null, List.of("novalue"), null))
        .isInstanceOf(UserError.class).hasMessageContaining("key=value");
    assertThatThrownBy(() -> FinmixConfig.load(dir.resolve("absent.conf").toString(), List.of(),
        null)).isInstanceOf(UserError.class).hasMessageContaining("absent.conf");
    Path broken = Files.writeString(dir.resolve("broken.conf"), "ingest { max_chars = \n");
    assertThatThrownBy(() -> FinmixConfig.load(broken.toString(), List.of(), null))
        .isInstanceOf(UserError.class).hasMessageContaining("broken.conf");
  }

  @Test
  void withReplacesKeysForAStageRunByAnother() {
    FinmixConfig c = FinmixConfig.defaults().with("run", Map.of("ingest.sources", "x.conf"));
    assertThat(c.config().getString("ingest.sources")).isEqualTo("x.conf");
    assertThatThrownBy(() -> c.with("run", Map.of("ingest.nope", 1)))
        .isInstanceOf(UserError.class).hasMessageContaining("ingest.nope");
  }
}
