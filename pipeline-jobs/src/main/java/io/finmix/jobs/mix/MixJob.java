package io.finmix.jobs.mix;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;

import io.finmix.jobs.core.Commands;
import io.finmix.jobs.core.ConfigKey;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.StageCommand;
import io.finmix.jobs.core.StageResult;
import io.finmix.jobs.core.Steps;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.task.PromptTemplates;
import io.finmix.jobs.tokens.ExampleEncoders;
import io.finmix.model.tokenizer.ExampleEncoder;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The mix stage: every recipe of {@code conf/recipes.conf} (or those named) drawn from the
 * run's {@code finmix.corpus.clean} into {@code finmix.corpus.mixtures}, with a report of
 * requested against realised shares.
 */
@Command(
    name = "mix",
    mixinStandardHelpOptions = true,
    description = {
        "Mixes finmix.corpus.clean into cocktails by recipe (conf/recipes.conf), prompts "
            + "rendered by conf/prompts.conf.",
        "Output: finmix.corpus.mixtures (partitioned by run_id, recipe); report: "
            + "<warehouse>/runs/<run_id>/report/mix.json."
    })
public final class MixJob extends StageCommand {

  private static final Logger LOG = LoggerFactory.getLogger(MixJob.class);

  @ConfigKey("mix.recipes")
  @Option(names = "--recipes", paramLabel = "FILE",
      description = "Recipes file: a path or a name under conf/ (mix.recipes).")
  String recipes;

  @ConfigKey("mix.only")
  @Option(names = "--recipe", paramLabel = "NAME", split = ",",
      description = "Mix only these recipes (comma-separated; mix.only); others' rows stay.")
  List<String> only;

  public static void main(String[] args) {
    Commands.main(new MixJob(), args);
  }

  @Override
  public int run(FinmixConfig config) {
    Result result = mix(session(config, "mix"), config);
    result.print(System.out);
    return 0;
  }

  /** Per recipe, per component: the report's figures. */
  public record Result(Map<String, List<Map<String, Object>>> byRecipe, String report)
      implements StageResult {

    public void print(PrintStream out) {
      out.printf("%-24s %-14s %9s %9s %9s %9s %7s%n", "recipe", "component", "examples",
          "tokens", "asked", "got", "epochs");
      byRecipe.forEach((recipe, components) -> components.forEach(c -> out.printf(Locale.ROOT,
          "%-24s %-14s %9d %9d %8.1f%% %8.1f%% %7.2f%n", recipe, c.get("component"),
          c.get("examples"), c.get("tokens"), 100 * (double) c.get("requested_share"),
          100 * (double) c.get("realised_share"), c.get("epochs"))));
      out.println("report: " + report);
      out.flush();
    }
  }

  /** Mixes every selected recipe of the run's clean rows into finmix.corpus.mixtures. */
  public static Result mix(SparkSession spark, FinmixConfig config) {
    return Steps.run(spark, "mix", steps -> mix(spark, config, steps));
  }

  private static Result mix(SparkSession spark, FinmixConfig config, Steps steps) {
    String runId = config.runId();
    MixSettings settings = MixSettings.of(config);
    String counter = settings.tokenizer();
    ExampleEncoder.Spec encoder = ExampleEncoders.spec(config, counter);
    ExampleEncoders.load(encoder, "mix.tokenizer / tokenize.tokenizer"
        + (encoder.chat() ? " / tokenize.chat_template" : ""));
    String recipesFile = settings.recipesFile();
    List<Recipe> recipes = Recipe.select(Recipe.load(recipesFile), settings.only(), recipesFile);
    PromptTemplates templates = PromptTemplates.load(settings.promptsFile());
    Dataset<Row> clean = TableWriter.runRows(spark, "corpus.clean", runId);
    if (clean.isEmpty()) {
      throw new UserError("no rows for run " + runId + " in finmix.corpus.clean: run "
          + "`finmix decontaminate --run-id " + runId + "` first");
    }
    Map<String, List<Map<String, Object>>> byRecipe = new TreeMap<>();
    Map<String, Object> reportRecipes = new TreeMap<>();
    for (int n = 0; n < recipes.size(); n++) {
      Recipe recipe = recipes.get(n);
      steps.progress("recipe {} ({}/{}) at {} s", recipe.name(), n + 1, recipes.size(),
          steps.seconds());
      steps.next("recipe " + recipe.name());
      Dataset<Row> pool = Mixer.pool(clean, recipe, templates, encoder)
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        List<Row> empty = pool.where(trim(col("answer")).equalTo(""))
            .select("record_id", "source", "task").limit(1).collectAsList();
        if (!empty.isEmpty()) {
          Row r = empty.get(0);
          throw new UserError("recipe '" + recipe.name() + "': record " + r.getString(0)
              + " (source " + r.getString(1) + ", task " + r.getString(2) + ") renders an empty "
              + "answer with template '" + templates.of(null, r.getString(1), r.getString(2))
              .task() + "' of "
              + templates.description());
        }
        Mixer.Plan plan = Mixer.plan(pool, recipe);
        if (plan.empty()) {
          String problem = "recipe '" + recipe.name() + "': none of its components selects any "
              + "row of finmix.corpus.clean in run " + runId + " (" + recipe.components().stream()
              .map(c -> c.name() + " " + c.select()).toList() + ")";
          if (!settings.only().isEmpty()) {
            throw new UserError(problem);
          }
          LOG.warn("mix: skipped {}", problem);
          reportRecipes.put(recipe.name(), Map.of("skipped", problem));
          continue;
        }
        Dataset<Row> mixture = Mixer.draw(spark, pool, plan)
            .withColumn("recipe", lit(recipe.name())).withColumn("run_id", lit(runId));
        TableWriter.overwrite(spark, "corpus.mixtures",
            TableWriter.inDeclaredOrder(mixture, "corpus.mixtures"),
            col("run_id").equalTo(runId).and(col("recipe").equalTo(recipe.name())));
        Map<String, Object> r = report(spark, runId, plan);
        reportRecipes.put(recipe.name(), r);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> comps = (List<Map<String, Object>>) r.get("components");
        byRecipe.put(recipe.name(), comps);
      } finally {
        pool.unpersist(false);
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "mix");
    report.put("run_id", runId);
    report.put("seconds", steps.elapsed());
    report.put("recipes_file", recipesFile);
    report.put("prompts_file", templates.description());
    report.put("tokenizer", counter);
    report.put("format", encoder.format());
    // Recipes not mixed this time keep their rows in the table, and their entries here.
    if (!settings.only().isEmpty()) {
      try {
        Object before = RunReport.read(config, spark.sparkContext().hadoopConfiguration(), "mix")
            .get("recipes");
        if (before instanceof Map<?, ?> m) {
          m.forEach((k, v) -> reportRecipes.putIfAbsent((String) k, v));
        }
      } catch (java.io.UncheckedIOException e) {
        LOG.debug("mix: no earlier report to keep recipes from: {}", e.getMessage());
      }
    }
    report.put("recipes", reportRecipes);
    String path = RunReport.write(config, spark.sparkContext().hadoopConfiguration(), "mix",
        report).toString();
    steps.progress("done in {} s", steps.seconds());
    return new Result(byRecipe, path);
  }

  /** A recipe's figures, read back from the table: requested against realised. */
  private static Map<String, Object> report(SparkSession spark, String runId, Mixer.Plan plan) {
    Recipe recipe = plan.recipe();
    String where = "run_id = '" + runId + "' AND recipe = '" + recipe.name().replace("'", "''")
        + "'";
    Map<String, long[]> got = new TreeMap<>();
    for (Row r : spark.sql("SELECT component, count(*), sum(tokens) FROM finmix.corpus.mixtures "
        + "WHERE " + where + " GROUP BY component").collectAsList()) {
      got.put(r.getString(0), new long[] {r.getLong(1), r.getLong(2)});
    }
    Map<String, Object> bySource = new TreeMap<>();
    for (Row r : spark.sql("SELECT source, count(*), sum(tokens), max(n) FROM (SELECT source, "
        + "tokens, count(*) OVER (PARTITION BY record_id) AS n FROM finmix.corpus.mixtures WHERE "
        + where + ") GROUP BY source").collectAsList()) {
      bySource.put(r.getString(0), Map.of("examples", r.getLong(1), "tokens", r.getLong(2),
          "max_repeats_of_a_record", r.getLong(3)));
    }
    long totalExamples = got.values().stream().mapToLong(v -> v[0]).sum();
    long totalTokens = got.values().stream().mapToLong(v -> v[1]).sum();
    boolean byTokens = recipe.unit() == Recipe.Unit.TOKENS;
    double targetSum = 0;
    for (int i = 0; i < recipe.components().size(); i++) {
      targetSum += plan.target(i);
    }
    List<Map<String, Object>> components = new ArrayList<>();
    for (int i = 0; i < recipe.components().size(); i++) {
      String name = recipe.components().get(i).name();
      long[] g = got.getOrDefault(name, new long[2]);
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("component", name);
      c.put("select", recipe.components().get(i).select());
      c.put("pool_examples", plan.poolExamples()[i]);
      c.put("pool_tokens", plan.poolTokens()[i]);
      c.put("requested_share", plan.allocation().requestedShare()[i]);
      c.put("target_share", share(plan.target(i), targetSum));
      c.put("realised_share", byTokens ? share(g[1], totalTokens) : share(g[0], totalExamples));
      c.put("realised_share_examples", share(g[0], totalExamples));
      c.put("realised_share_tokens", share(g[1], totalTokens));
      c.put("requested", plan.allocation().requested()[i]);
      c.put("target", plan.target(i));
      c.put("cut_by_bounds", Math.max(0, plan.allocation().requested()[i] - plan.target(i)));
      c.put("capped", plan.allocation().capped()[i]);
      c.put("examples", g[0]);
      c.put("tokens", g[1]);
      c.put("epochs", plan.poolExamples()[i] == 0 ? 0.0 : g[0] / (double) plan.poolExamples()[i]);
      components.add(c);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("unit", recipe.unit().name().toLowerCase(Locale.ROOT));
    r.put("total_requested", recipe.total() == null ? "auto"
        : recipe.total() == Recipe.POOL_TOTAL ? "pool" : recipe.total());
    r.put("examples", totalExamples);
    r.put("tokens", totalTokens);
    r.put("temperature", recipe.temperature());
    r.put("seed", recipe.seed());
    r.put("components", components);
    r.put("sources", bySource);
    return r;
  }

  private static double share(double part, double total) {
    return total == 0 ? 0 : part / (double) total;
  }
}
