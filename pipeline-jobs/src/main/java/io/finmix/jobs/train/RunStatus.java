package io.finmix.jobs.train;

import java.util.Locale;

/** A training run's state, as the {@code status} column of {@code finmix.train.runs} holds it. */
public enum RunStatus {
  RUNNING,
  FINISHED,
  FAILED;

  /** The column's value: {@code running}, {@code finished} or {@code failed}. */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a {@code status} column value is this status. */
  public boolean is(String column) {
    return column().equals(column);
  }

  @Override
  public String toString() {
    return column();
  }
}
