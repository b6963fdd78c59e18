package io.finmix.jobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.finmix.schemas.TableSchemas;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/**
 * eval.comparisons and eval.cocktail_effect rows from hand-made comparisons: Holm's family is
 * the primary-metric test comparisons, and significant follows the adjusted p-value.
 */
class TablesTest {

  private static final AggregateJob.Settings SETTINGS =
      new AggregateJob.Settings(1000, 42, 0.95, "", "/nowhere");
  private static final StructType COMPARISONS = TableSchemas.load("eval.comparisons").schema();
  private static final StructType EFFECT = TableSchemas.load("eval.cocktail_effect").schema();

  /** A comparison row as compareRows makes it ({@link AggregateJob#COMPARED}). */
  private static Row comparison(String split, String metric, boolean primary, String recipe,
      double delta, Double p, Long b, Long c, Double mcnemarP) {
    return RowFactory.create("comparison", "small", "fpb", split, "generate", metric, primary,
        recipe, "target-only-fpb", JavaConverters.asScalaBuffer(List.of(1L, 2L)),
        JavaConverters.asScalaBuffer(List.<String>of()), 90L, 0.5 + delta, 0.5, 0.01, 0.2, null,
        delta, p, -0.05, 0.3, b, c, mcnemarP);
  }

  private static Object get(Row r, StructType schema, String column) {
    assertThat(r.size()).isEqualTo(schema.size());
    return r.get(schema.fieldIndex(column));
  }

  @Test
  void holmOverThePrimaryTestComparisonsDecidesSignificant() {
    List<Row> compared = new ArrayList<>();
    // the family: four cocktail-effect comparisons, each interval excluding 0, raw p < 0.05
    compared.add(comparison("test", "weighted_f1", true, "a", 0.1, 0.01, null, null, null));
    compared.add(comparison("test", "weighted_f1", true, "b", 0.1, 0.04, null, null, null));
    compared.add(comparison("test", "weighted_f1", true, "c", 0.1, 0.03, null, null, null));
    compared.add(comparison("test", "weighted_f1", true, "d", 0.1, null, null, null, null));
    // outside it: the valid rows and the other metrics
    compared.add(comparison("valid", "weighted_f1", true, "a", 0.07, 0.001, null, null, null));
    compared.add(comparison("test", "accuracy", false, "a", 0.35, 0.002, 8L, 1L, 0.0390625));
    Tables t = Tables.of("run", compared, SETTINGS);

    // m = 3 (d has no p-value): 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; max(0.06, 0.04 * 1) = 0.06
    assertThat(t.cocktailEffect()).extracting(r -> get(r, EFFECT, "recipe"))
        .containsExactly("a", "b", "c", "d");
    double[] expected = {0.03, 0.06, 0.06};
    for (int i = 0; i < 3; i++) {
      Row r = t.cocktailEffect().get(i);
      assertThat((Double) get(r, EFFECT, "p_adjusted")).isCloseTo(expected[i], within(1e-15));
      // alpha = 1 - 0.95: only a stays significant, though every raw p is under 0.05
      assertThat(get(r, EFFECT, "significant")).isEqualTo(i == 0);
      assertThat((Double) get(r, EFFECT, "p_value")).isLessThan(0.05);
      assertThat(get(r, EFFECT, "seed_ci_low")).isEqualTo(-0.05);
      assertThat(get(r, EFFECT, "seed_ci_high")).isEqualTo(0.3);
      assertThat(get(r, EFFECT, "mcnemar_p")).isNull();
    }
    Row d = t.cocktailEffect().get(3);
    assertThat(get(d, EFFECT, "p_adjusted")).isNull();
    assertThat(get(d, EFFECT, "significant")).isNull();
    assertThat(get(t.cocktailEffect().get(0), EFFECT, "valid_delta")).isEqualTo(0.07);

    assertThat(t.comparisons()).hasSize(6);
    for (Row r : t.comparisons()) {
      boolean family = get(r, COMPARISONS, "split").equals("test")
          && (Boolean) get(r, COMPARISONS, "is_primary");
      Object adjusted = get(r, COMPARISONS, "p_adjusted");
      if (family && get(r, COMPARISONS, "p_value") != null) {
        assertThat(adjusted).isNotNull();
      } else {
        assertThat(adjusted).isNull();
      }
      assertThat(get(r, COMPARISONS, "seed_ci_low")).isEqualTo(-0.05);
      assertThat(get(r, COMPARISONS, "seed_ci_high")).isEqualTo(0.3);
      if (get(r, COMPARISONS, "metric").equals("accuracy")) {
        assertThat(get(r, COMPARISONS, "mcnemar_b")).isEqualTo(8L);
        assertThat(get(r, COMPARISONS, "mcnemar_c")).isEqualTo(1L);
        assertThat(get(r, COMPARISONS, "mcnemar_p")).isEqualTo(0.0390625);
      } else {
        assertThat(get(r, COMPARISONS, "mcnemar_b")).isNull();
      }
    }
  }
}
