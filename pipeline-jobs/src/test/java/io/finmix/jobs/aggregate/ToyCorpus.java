package io.finmix.jobs.aggregate;

import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.TableWriter;
import io.finmix.schemas.TableSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import scala.collection.JavaConverters;
import scala.collection.immutable.Map$;

/**
 * A learnable corpus for evaluation tests, written straight into corpus.clean: a two-class
 * "sentiment" source (the word up or down decides) and a numeric source, with a target-only
 * recipe and a cocktail of both, and a benchmark on each.
 */
public final class ToyCorpus extends SparkTestBase {

  /** The recipes and benchmarks files written for the corpus. */
  public record Paths(Path recipes, Path benchmarks) {}

  private ToyCorpus() {}

  public static Paths write(String run) throws IOException {
    List<Row> rows = new ArrayList<>();
    String[] companies = {"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne",
        "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture"};
    for (int i = 0; i < 288; i++) {
      boolean up = (i * 7 + i / 5) % 2 == 0;
      String split = i < 240 ? "train" : i < 264 ? "valid" : "test";
      String label = up ? "positive" : "negative";
      rows.add(record("s" + i, "toysent", "sentiment", split, null,
          companies[i % companies.length] + ": " + (up ? "up " : "down ").repeat(4 + i % 3),
          label, label, List.of("negative", "positive"), run));
    }
    for (int i = 0; i < 76; i++) {
      String split = i < 60 ? "train" : i < 68 ? "valid" : "test";
      int a = 1 + i % 5;
      int b = 2 + i % 4;
      rows.add(record("n" + i, "toynum", "numeric_qa", split, "What is " + a + " plus " + b + "?",
          "", Integer.toString(a + b), Integer.toString(a + b), null, run));
    }
    TableWriter.overwrite(SPARK, "corpus.clean", SPARK.createDataFrame(rows,
        TableSchemas.load("corpus.clean").schema()), functions.col("run_id").equalTo(run));

    Path dir = Files.createTempDirectory(Path.of(WAREHOUSE), "eval-conf");
    Path recipes = dir.resolve("recipes.conf");
    Files.writeString(recipes, """
        recipes {
          target-only-toy { components = [{ name = s, select { source = toysent } }] }
          "toy+num" {
            max_epochs = 2
            components = [{ name = s, select { source = toysent } },
                          { name = n, select { source = toynum } }]
          }
        }
        """);
    Path benchmarks = dir.resolve("benchmarks.conf");
    Files.writeString(benchmarks, """
        benchmarks {
          toysent { source = toysent, splits = [valid, test], choices = [negative, positive],
                    target_recipe = target-only-toy }
          toynum  { source = toynum, splits = [valid, test], kind = numeric, max_new_tokens = 3,
                    target_recipe = target-only-toy, k_shot = 1 }
        }
        """);
    return new Paths(recipes, benchmarks);
  }

  private static Row record(String id, String source, String task, String split,
      String instruction, String input, String output, String label, List<String> choices,
      String run) {
    return RowFactory.create(id, source, task, "finance", split, instruction, input, output,
        choices == null ? null : JavaConverters.asScalaBuffer(choices).toSeq(), label,
        Map$.MODULE$.empty(), "test", 0, "file:/fixture/" + source, 0L, 0, id, run);
  }
}
