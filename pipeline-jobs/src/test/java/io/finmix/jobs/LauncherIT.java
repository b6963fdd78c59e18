package io.finmix.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** bin/finmix as users run it: a separate JVM through SparkSubmit, on the built jar. */
class LauncherIT {

  private static Path warehouse;

  @BeforeAll
  static void runTheMainJob() throws Exception {
    warehouse = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "launcher-it-");
    // the main job through the launcher, sized down (CI runs the embedded default itself)
    List<String> args = new ArrayList<>(List.of("run", "--warehouse", warehouse.toString()));
    args.addAll(SmallRun.settings());
    Launcher.Result run = Launcher.run(args.toArray(new String[0]));
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("finmix run local finished", "tables:", "reports:",
        "training rows removed:");
  }

  @Test
  void helpNeedsNoSparkJob() throws Exception {
    Launcher.Result help = Launcher.run("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("Usage: finmix", "ingest", "sample-data", "sql", "run");
    assertThat(Launcher.run("sql", "--help").out()).contains("-e=QUERY");
  }

  @Test
  void sqlMinusEPrintsRowsTabSeparatedWithoutAHeader() throws Exception {
    Launcher.Result sql = Launcher.run("sql", "--warehouse", warehouse.toString(), "-e",
        "SELECT source, split, count(*) FROM finmix.corpus.records GROUP BY 1, 2 ORDER BY 1, 2");
    assertThat(sql.exitCode()).as(sql.err()).isZero();
    List<String> lines = Arrays.asList(sql.out().strip().split("\n"));
    assertThat(lines).isNotEmpty().allMatch(l -> l.matches("[a-z0-9_]+\t(train|valid|test)\t\\d+"));
    assertThat(lines).anyMatch(l -> l.startsWith("fpb\ttrain\t"))
        .anyMatch(l -> l.startsWith("nwgi\ttest\t"));
  }

  @Test
  void aBadConfigKeyExitsWithTwoAndNamesIt() throws Exception {
    Launcher.Result bad = Launcher.run("ingest", "--warehouse", warehouse.toString(), "--set",
        "ingest.bogus=1");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown config key 'ingest.bogus'", "--set");

    Path conf = Files.writeString(warehouse.resolve("bad.conf"), "ingest {\n  max_chars = many\n}\n");
    Launcher.Result typed = Launcher.run("ingest", "--warehouse", warehouse.toString(),
        "--conf-file", conf.toString());
    assertThat(typed.exitCode()).isEqualTo(2);
    assertThat(typed.err()).contains("ingest.max_chars", "bad.conf");
  }
}
