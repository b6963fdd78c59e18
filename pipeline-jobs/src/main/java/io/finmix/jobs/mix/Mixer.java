package io.finmix.jobs.mix;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.finmix.jobs.core.Indexed;
import io.finmix.jobs.task.PromptTemplates;
import io.finmix.jobs.tokens.ExampleEncoders;
import io.finmix.model.tokenizer.ExampleEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One recipe's mixture from the clean rows, in three steps:
 *
 * <ol>
 *   <li><b>pool</b>: each row goes to the first component whose selector it matches, rendered
 *       by its task's template and counted in tokens;
 *   <li><b>plan</b> (driver, on per-component sizes only): targets by weight or temperature
 *       within min, max and the repetition cap ({@link Allocation}), and the epochs each
 *       component needs;
 *   <li><b>draw</b>: every epoch of a component is the pool in its own seeded order (a hash of
 *       seed, component, epoch and record_id); a component draws its first n examples (or, by
 *       tokens, examples until its token target) over its epochs in turn. Example j of n_i
 *       sits at (j + ½) / n_i of the mixture (by tokens: the midpoint of its tokens over the
 *       component's target), so at every prefix each component's share tracks its weight
 *       within about one example; ties go to the earlier component.
 * </ol>
 */
public final class Mixer {

  static final StructType POOL = new StructType()
      .add("comp", DataTypes.IntegerType, false)
      .add("record_id", DataTypes.StringType, false)
      .add("source", DataTypes.StringType, false)
      .add("task", DataTypes.StringType, false)
      .add("domain", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, true)
      .add("variant", DataTypes.IntegerType, false)
      .add("prompt", DataTypes.StringType, false)
      .add("answer", DataTypes.StringType, false)
      .add("tokens", DataTypes.IntegerType, false);

  private Mixer() {}

  /**
   * The plan of a recipe: per component its pool, target and epochs; {@code allocation} is null
   * when no component selects any row.
   */
  public record Plan(Recipe recipe, long[] poolExamples, long[] poolTokens,
      Allocation.Result allocation, long[] targetExamples, int[] epochs) {

    public boolean empty() {
      return allocation == null;
    }

    double target(int i) {
      return recipe.unit() == Recipe.Unit.EXAMPLES ? targetExamples[i]
          : allocation.target()[i];
    }
  }

  /**
   * The clean rows each component draws from, rendered and counted in tokens as {@code encoder}
   * encodes them for packing (prompt, answer and the end of sequence).
   */
  public static Dataset<Row> pool(Dataset<Row> clean, Recipe recipe, PromptTemplates templates,
      ExampleEncoder.Spec encoder) {
    Column comp = lit(-1);
    for (int i = recipe.components().size() - 1; i >= 0; i--) {
      comp = when(matches(recipe.components().get(i)), lit(i)).otherwise(comp);
    }
    long seed = recipe.seed();
    PromptTemplates.Template[] byComponent = new PromptTemplates.Template[recipe.components()
        .size()];
    for (int i = 0; i < byComponent.length; i++) {
      String name = recipe.components().get(i).template();
      if (name != null && !templates.has(name)) {
        throw new io.finmix.jobs.core.UserError("recipe '" + recipe.name() + "': component '"
            + recipe.components().get(i).name() + "': template '" + name + "' is not in "
            + templates.description());
      }
      byComponent[i] = name == null ? null : templates.of(name);
    }
    return clean.withColumn("comp", comp).where(col("comp").geq(0))
        .select("comp", "record_id", "source", "task", "domain", "label", "instruction",
            "input", "output", "choices")
        .map((MapFunction<Row, Row>) r -> {
          Map<String, String> fields = PromptTemplates.fields(r.getString(2), r.getString(3),
              r.getString(5), r.getString(6), r.getString(7), r.getString(8),
              r.isNullAt(9) ? null : r.<String>getList(9));
          PromptTemplates.Template own = byComponent[r.getInt(0)];
          PromptTemplates.Rendered p = own == null ? templates.render(r.getString(1), seed, fields)
              : templates.render(own, r.getString(1), seed, fields);
          int tokens = ExampleEncoders.encode(encoder, p.prompt(), p.answer(),
              () -> "recipe '" + recipe.name() + "', record " + r.getString(1)).length();
          return RowFactory.create(r.getInt(0), r.getString(1), r.getString(2),
              r.getString(3), r.getString(4), r.getString(5), p.variant(), p.prompt(),
              p.answer(), tokens);
        }, Encoders.row(POOL));
  }

  /** Sizes the pool (one small aggregation) and allocates the recipe over it. */
  public static Plan plan(Dataset<Row> pool, Recipe recipe) {
    int k = recipe.components().size();
    long[] examples = new long[k];
    long[] tokens = new long[k];
    for (Row r : pool.groupBy("comp").agg(count(lit(1)), sum("tokens")).collectAsList()) {
      examples[r.getInt(0)] = r.getLong(1);
      tokens[r.getInt(0)] = r.getLong(2);
    }
    boolean byTokens = recipe.unit() == Recipe.Unit.TOKENS;
    double[] size = new double[k];
    double[] weights = new double[k];
    double[] lower = new double[k];
    double[] upper = new double[k];
    for (int i = 0; i < k; i++) {
      Recipe.Component c = recipe.components().get(i);
      size[i] = byTokens ? tokens[i] : examples[i];
      weights[i] = size[i] == 0 ? 0 : c.weight();
      lower[i] = c.min();
      upper[i] = Math.min(c.max(), Math.floor(c.maxEpochs() * size[i]));
    }
    if (recipe.temperature() != null) {
      weights = Allocation.temperature(size, recipe.temperature());
    }
    double weightSum = java.util.Arrays.stream(weights).sum();
    if (weightSum == 0) {
      return new Plan(recipe, examples, tokens, null, new long[k], new int[k]);
    }
    double total;
    if (recipe.total() != null && recipe.total() == Recipe.POOL_TOTAL) {
      total = java.util.Arrays.stream(size).sum();
    } else if (recipe.total() != null && recipe.total() == Recipe.BALANCED_TOTAL) {
      // the largest pool (relative to its weight) once; each component its share of that, at
      // most: a capped component's cut stays out rather than going to the others
      total = 0;
      for (int i = 0; i < k; i++) {
        if (weights[i] > 0) {
          total = Math.max(total, size[i] * weightSum / weights[i]);
        }
      }
      for (int i = 0; i < k; i++) {
        upper[i] = Math.min(upper[i], total * weights[i] / weightSum);
      }
    } else if (recipe.total() != null) {
      total = recipe.total();
    } else {
      // Auto: the largest total at which no component with a weight passes its cap.
      total = Double.POSITIVE_INFINITY;
      for (int i = 0; i < k; i++) {
        if (weights[i] > 0) {
          total = Math.min(total, upper[i] * weightSum / weights[i]);
        }
      }
    }
    Allocation.Result a = Allocation.of(total, weights, lower, upper);
    long[] whole = new long[k];
    int[] epochs = new int[k];
    if (!byTokens) {
      long[] cap = new long[k];
      for (int i = 0; i < k; i++) {
        cap[i] = (long) upper[i];
      }
      whole = Allocation.wholeExamples(a.target(), cap);
    }
    for (int i = 0; i < k; i++) {
      double t = byTokens ? a.target()[i] : whole[i];
      epochs[i] = size[i] == 0 ? 0 : (int) Math.ceil(t / size[i]);
    }
    return new Plan(recipe, examples, tokens, a, whole, epochs);
  }

  /**
   * The drawn examples in mixture order, with {@code position}, {@code component} and
   * {@code epoch}.
   */
  public static Dataset<Row> draw(SparkSession spark, Dataset<Row> pool, Plan plan) {
    Recipe recipe = plan.recipe();
    boolean byTokens = recipe.unit() == Recipe.Unit.TOKENS;
    List<Row> perComp = new ArrayList<>();
    for (int i = 0; i < recipe.components().size(); i++) {
      if (plan.epochs()[i] > 0) {
        perComp.add(RowFactory.create(i, recipe.components().get(i).name(), plan.epochs()[i],
            plan.poolExamples()[i], plan.poolTokens()[i], plan.target(i)));
      }
    }
    StructType planSchema = new StructType()
        .add("comp", DataTypes.IntegerType, false).add("component", DataTypes.StringType, false)
        .add("epochs", DataTypes.IntegerType, false)
        .add("pool_examples", DataTypes.LongType, false)
        .add("pool_tokens", DataTypes.LongType, false)
        .add("target", DataTypes.DoubleType, false);
    Dataset<Row> plans = spark.createDataFrame(perComp, planSchema);
    WindowSpec inEpoch = Window.partitionBy("comp", "epoch")
        .orderBy(col("order_key"), col("record_id"));
    Dataset<Row> drawn = pool.join(broadcast(plans), "comp")
        .withColumn("epoch", explode(sequence(lit(0), col("epochs").minus(1))))
        .withColumn("order_key", xxhash64(lit(recipe.seed()), col("comp"), col("epoch"),
            col("record_id")))
        .withColumn("rank", row_number().over(inEpoch).minus(1).cast("long"))
        .withColumn("j", col("epoch").cast("long").multiply(col("pool_examples"))
            .plus(col("rank")));
    Column key;
    if (byTokens) {
      drawn = drawn
          .withColumn("tokens_before", sum("tokens").over(inEpoch).minus(col("tokens"))
              .plus(col("epoch").cast("long").multiply(col("pool_tokens"))))
          .where(col("tokens_before").lt(col("target")));
      key = col("tokens_before").plus(col("tokens").divide(2.0)).divide(col("target"));
    } else {
      drawn = drawn.where(col("j").lt(col("target")));
      key = col("j").plus(0.5).divide(col("target"));
    }
    Dataset<Row> ordered = drawn.withColumn("mix_key", key)
        .orderBy(col("mix_key"), col("comp"), col("j"))
        .select("component", "epoch", "record_id", "source", "task", "domain", "label",
            "variant", "prompt", "answer", "tokens");
    return Indexed.withIndex(spark, ordered, "position");
  }

  private static Column matches(Recipe.Component c) {
    Column all = lit(true);
    for (Map.Entry<String, List<String>> e : c.select().entrySet()) {
      all = all.and(col(e.getKey()).isin(e.getValue().toArray()));
    }
    return all;
  }
}
