package io.finmix.jobs.task;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One benchmark's predictions under one scoring mode, row by row.
 *
 * <p>{@code gold} holds the gold labels or answers (never null); {@code predicted} the parsed
 * predictions, where null means the generation parsed to nothing ("missing"); {@code correct}
 * whether each row was scored right (decided upstream, e.g. with a numeric tolerance); and
 * {@code classes} the label set of a classification task (empty for other tasks); {@code groups},
 * where the benchmark has them, each row's group (a headline question type: {@link
 * Metric#AVG_F1} averages over them; null when it has none). The arrays are
 * shared, not copied, so that building one per scoring mode stays cheap; do not change them
 * afterwards.
 */
public record Outcomes(String[] gold, String[] predicted, boolean[] correct, List<String> classes,
    String[] groups) implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Checks that the three arrays are row-aligned and that every gold value is present. */
  public Outcomes {
    Objects.requireNonNull(gold, "gold");
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(correct, "correct");
    classes = List.copyOf(Objects.requireNonNull(classes, "classes"));
    if (predicted.length != gold.length || correct.length != gold.length) {
      throw new IllegalArgumentException("gold, predicted and correct differ in length: "
          + gold.length + ", " + predicted.length + ", " + correct.length);
    }
    if (groups != null && groups.length != gold.length) {
      throw new IllegalArgumentException("groups has " + groups.length + " rows, gold "
          + gold.length);
    }
    for (int i = 0; i < gold.length; i++) {
      if (gold[i] == null) {
        throw new IllegalArgumentException("gold[" + i + "] is null");
      }
    }
  }

  /** Outcomes whose rows form no groups. */
  public Outcomes(String[] gold, String[] predicted, boolean[] correct, List<String> classes) {
    this(gold, predicted, correct, classes, null);
  }

  /** The number of rows. */
  public int size() {
    return gold.length;
  }
}
