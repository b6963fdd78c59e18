package io.finmix.jobs.core;

import java.util.function.Supplier;

/**
 * One unit of pipeline work as {@link StageRunner} sees it: a name (also the key of its state
 * file), a fingerprint of everything it reads (config sections, conf files, the table versions
 * and files it reads; {@link StageState} builds them) and of everything it writes, and the work.
 * A stage whose inputs and outputs are both as it last left them need not run again.
 */
public interface Stage {

  /** The stage's name, e.g. {@code dedup} or {@code train/finance-mini-s1}. */
  String name();

  /** What it will run on, for its progress line (empty: nothing to add). */
  String detail();

  /** A fingerprint of what it reads. */
  String inputs();

  /** A fingerprint of what it writes, as it is now. */
  String outputs();

  /** Does the work. */
  StageResult run();

  /** A stage from its parts. */
  static Stage of(String name, String detail, Supplier<String> inputs, Supplier<String> outputs,
      Supplier<StageResult> work) {
    return new Stage() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String detail() {
        return detail;
      }

      @Override
      public String inputs() {
        return inputs.get();
      }

      @Override
      public String outputs() {
        return outputs.get();
      }

      @Override
      public StageResult run() {
        return work.get();
      }
    };
  }
}
