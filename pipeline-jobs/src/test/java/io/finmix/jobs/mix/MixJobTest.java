package io.finmix.jobs.mix;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.RecordFixtures;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.task.PromptTemplates;
import io.finmix.model.tokenizer.ExampleEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Mixing planted pools of known sizes by recipes whose outcome is known exactly. */
class MixJobTest extends SparkTestBase {

  private static final String RUN = "mix-test";
  private static Path recipes;

  @BeforeAll
  static void plantAndMix() throws Exception {
    RecordFixtures rows = new RecordFixtures(RUN);
    for (int i = 0; i < 400; i++) {
      rows.add("big-" + i, "big", "train", "Sales rose " + i + " percent.", "positive");
    }
    for (int i = 0; i < 30; i++) {
      rows.add("small-" + i, "small", "train", "Headline number " + i, "neutral");
    }
    for (int i = 0; i < 50; i++) {
      rows.add("gen-" + i, "gen", "train", "Write a poem", "about " + i, "A long poem "
          + "line ".repeat(5 + i % 7), null, 0);
    }
    for (int i = 0; i < 20; i++) {
      rows.add("big-test-" + i, "big", "test", "Held out " + i, "negative");
    }
    Dataset<Row> clean = rows.frame(SPARK)
        .withColumn("task", when(col("source").equalTo("big"), lit("sentiment"))
            .when(col("source").equalTo("small"), lit("headline")).otherwise(lit("instruction")))
        .withColumn("domain", when(col("source").equalTo("gen"), lit("general"))
            .otherwise(lit("finance")));
    TableWriter.overwrite(SPARK, "corpus.clean", clean, col("run_id").equalTo(RUN));
    recipes = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "recipes-", ".conf"),
        "defaults { seed = 11 }\n"
            + "recipes {\n"
            + "  ex { unit = examples, total = 600, components = [\n"
            + "    { name = big, select { source = big }, weight = 0.5 },\n"
            + "    { name = small, select { source = small }, weight = 0.25, max_epochs = 4 },\n"
            + "    { name = gen, select { domain = general }, weight = 0.25, max_epochs = 3 } ] }\n"
            + "  tok { unit = tokens, components = [\n"
            + "    { name = fin, select { domain = finance }, weight = 0.8 },\n"
            + "    { name = gen, select { domain = general }, weight = 0.2, max_epochs = 10 } ] }\n"
            + "  once { total = pool, temperature = 1, components = [\n"
            + "    { name = sentiment, select { task = sentiment } },\n"
            + "    { name = rest, select { source = [small, gen] } } ] }\n"
            + "  balanced { total = balanced, max_epochs = 10, components = [\n"
            + "    { name = big, select { source = big } },\n"
            + "    { name = small, select { source = small } },\n"
            + "    { name = gen, select { domain = general }, max_epochs = 3 } ] }\n"
            + "  nothing { components = [{ name = none, select { source = absent } }] }\n"
            + "}\n");
    CliRunner r = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  private static List<Row> mixture(String recipe) {
    return sql("SELECT position, component, epoch, record_id, source, tokens, prompt, answer "
        + "FROM finmix.corpus.mixtures WHERE run_id = '%s' AND recipe = '%s' ORDER BY position",
        RUN, recipe);
  }

  @Test
  void capsAreRedistributedToTheExactCounts() {
    Map<String, Integer> counts = new HashMap<>();
    List<Row> mix = mixture("ex");
    mix.forEach(r -> counts.merge(r.getString(1), 1, Integer::sum));
    // small: 150 asked, capped at 4 x 30; gen then passes its cap of 3 x 50; big takes the rest.
    assertThat(counts).containsEntry("big", 330).containsEntry("small", 120)
        .containsEntry("gen", 150);
    for (int i = 0; i < mix.size(); i++) {
      assertThat(mix.get(i).getLong(0)).isEqualTo(i);
    }
  }

  @Test
  void balancedRepeatsEverySourceUpToTheLargestWithinItsCap() {
    Map<String, Integer> counts = new HashMap<>();
    mixture("balanced").forEach(r -> counts.merge(r.getString(1), 1, Integer::sum));
    // big (400) once; small 30 x 10 passes = 300 (its cap, short of 400); gen 50 x 3 = 150;
    // what the caps cut is not handed to big
    assertThat(counts).containsEntry("big", 400).containsEntry("small", 300)
        .containsEntry("gen", 150);
  }

  @Test
  void everyPrefixTracksTheShares() {
    List<Row> mix = mixture("ex");
    Map<String, Double> share = Map.of("big", 330 / 600.0, "small", 120 / 600.0,
        "gen", 150 / 600.0);
    Map<String, Integer> seen = new HashMap<>();
    double worst = 0;
    for (int m = 1; m <= mix.size(); m++) {
      seen.merge(mix.get(m - 1).getString(1), 1, Integer::sum);
      for (Map.Entry<String, Double> e : share.entrySet()) {
        worst = Math.max(worst, Math.abs(seen.getOrDefault(e.getKey(), 0) - e.getValue() * m));
      }
    }
    assertThat(worst).isLessThanOrEqualTo(1.5);
  }

  @Test
  void epochsRepeatEachRecordOnceInANewOrderAndOnlyTrainingRowsAreDrawn() {
    Map<Integer, List<String>> smallByEpoch = new HashMap<>();
    Map<String, Integer> repeats = new HashMap<>();
    for (Row r : mixture("ex")) {
      assertThat(r.getString(3)).doesNotStartWith("big-test");
      repeats.merge(r.getString(3), 1, Integer::sum);
      if (r.getString(1).equals("small")) {
        smallByEpoch.computeIfAbsent(r.getInt(2), k -> new ArrayList<>()).add(r.getString(3));
      }
    }
    assertThat(smallByEpoch).hasSize(4);
    smallByEpoch.values().forEach(e -> assertThat(new HashSet<>(e)).hasSize(30));
    assertThat(smallByEpoch.get(0)).isNotEqualTo(smallByEpoch.get(1));
    assertThat(repeats.entrySet()).allSatisfy(e -> assertThat(e.getValue())
        .isLessThanOrEqualTo(e.getKey().startsWith("small") ? 4
            : e.getKey().startsWith("gen") ? 3 : 1));
  }

  @Test
  void tokenSharesAreWithinOnePercentAtTheAutoTotal() {
    Map<String, Long> tokens = new HashMap<>();
    Set<String> fin = new HashSet<>();
    for (Row r : mixture("tok")) {
      tokens.merge(r.getString(1), (long) r.getInt(5), Long::sum);
      if (r.getString(1).equals("fin")) {
        assertThat(fin.add(r.getString(3))).as("finance drawn once").isTrue();
      }
    }
    double total = tokens.values().stream().mapToLong(Long::longValue).sum();
    assertThat(tokens.get("fin") / total).isCloseTo(0.8, within(0.01));
    assertThat(tokens.get("gen") / total).isCloseTo(0.2, within(0.01));
    // auto: finance (one pass) binds before general (ten passes), so all of it is used
    assertThat(fin).hasSize(430);
  }

  @Test
  void temperatureOneOverThePoolDrawsEveryRowOnce() {
    List<Row> mix = mixture("once");
    assertThat(mix).hasSize(480);
    assertThat(mix.stream().map(r -> r.getString(3)).distinct().count()).isEqualTo(480);
  }

  @Test
  void promptsAreRenderedAndTokensCounted() {
    Row r = mixture("ex").stream().filter(x -> x.getString(1).equals("big")).findFirst()
        .orElseThrow();
    assertThat(r.getString(6)).contains("negative, neutral, positive").contains("Sales rose");
    assertThat(r.getString(7)).isEqualTo(" positive");
    // counted with tokenize's tokenizer (bytes here): UTF-8 bytes and the end of sequence
    assertThat(r.getInt(5)).isEqualTo(r.getString(6).getBytes(
        java.nio.charset.StandardCharsets.UTF_8).length + r.getString(7).length() + 1);
  }

  @Test
  void theSameSeedGivesTheSameMixtureAndAnotherSeedAnotherOrder() {
    List<String> before = mixture("ex").stream().map(r -> r.getString(3)).toList();
    CliRunner again = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString(), "--recipe", "ex");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(mixture("ex").stream().map(r -> r.getString(3)).toList()).isEqualTo(before);
    // the other recipes' rows stay
    assertThat(mixture("tok")).isNotEmpty();
    // Another seed, straight through the transformations: the same counts, another order.
    Recipe ex = Recipe.select(Recipe.load(recipes.toString()), List.of("ex"), "test").get(0);
    Recipe reseeded = new Recipe(ex.name(), ex.description(), ex.unit(), ex.total(),
        ex.seed() + 1, ex.temperature(), ex.components());
    Dataset<Row> pool = Mixer.pool(TableWriter.runRows(SPARK, "corpus.clean", RUN), reseeded,
        PromptTemplates.load("prompts.conf"), ExampleEncoder.Spec.plain("bytes"));
    List<String> other = Mixer.draw(SPARK, pool, Mixer.plan(pool, reseeded))
        .orderBy("position").select("record_id").collectAsList().stream()
        .map(r -> r.getString(0)).toList();
    assertThat(other).hasSameSizeAs(before).isNotEqualTo(before);
  }

  @Test
  void theReportGivesAskedAgainstRealisedAndWhatWasSkipped() {
    Map<String, Object> report = RunReport.read(config("warehouse=" + WAREHOUSE,
        "run_id=" + RUN), SPARK.sparkContext().hadoopConfiguration(), "mix");
    @SuppressWarnings("unchecked")
    Map<String, Object> recipesOut = (Map<String, Object>) report.get("recipes");
    assertThat(recipesOut.get("nothing").toString()).contains("none of its components");
    @SuppressWarnings("unchecked")
    Map<String, Object> ex = (Map<String, Object>) recipesOut.get("ex");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> comps = (List<Map<String, Object>>) ex.get("components");
    Map<String, Object> small = comps.get(1);
    assertThat(small.get("component")).isEqualTo("small");
    assertThat((Double) small.get("requested")).isEqualTo(150.0);
    assertThat((Double) small.get("cut_by_bounds")).isEqualTo(30.0);
    assertThat((Boolean) small.get("capped")).isTrue();
    assertThat((Double) small.get("epochs")).isEqualTo(4.0);
  }

  @Test
  void aNamedRecipeWithNoRowsAndAnEmptyAnswerAreErrorsThatNameIt() throws Exception {
    CliRunner none = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString(), "--recipe", "nothing");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("recipe 'nothing'", "source=[absent]");
    Path prompts = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "p-", ".conf"),
        "templates { default { prompt = \"{input}\", answer = \"{label}\" } }\n");
    CliRunner empty = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString(), "--recipe", "tok", "--set",
        "mix.prompts=" + prompts);
    assertThat(empty.exitCode()).isEqualTo(2);
    assertThat(empty.err()).contains("recipe 'tok'", "gen-", "empty answer");
    CliRunner unknown = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString(), "--recipe", "nope");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("unknown recipe 'nope'");
  }
}
