package io.finmix.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code finmix run}'s settings sized for a test, on the generated sample corpus as the
 * embedded default makes it.
 */
public final class SmallRun {

  private SmallRun() {}

  /**
   * Every stage at the least size that runs it: a tiny base pretrained for a few steps, two
   * recipes fine-tuned from it for a few steps, a few eval rows of FPB.
   */
  public static List<String> settings() {
    return List.of("--set", "sweep.models=[tiny]", "--set", "pretrain.model=tiny", "--set",
        "pretrain.steps=4", "--set", "pretrain.batch_per_worker=2", "--set",
        "sweep.recipes=[target-only-fpb, \"finance+general+math\"]", "--set",
        "run.train_steps=4", "--set", "run.batch_per_worker=2", "--set", "run.eval_max_rows=3",
        "--set", "run.eval_benchmarks=[fpb]", "--set", "tokenize.seq_len=256", "--set",
        "train_tokenizer.vocab_size=1024", "--set", "aggregate.resamples=20", "--set",
        "train.export_hf=false");
  }

  /**
   * The embedded default sized down but still learning: the mini base pretrained and the
   * target-only FPB recipe and the finance+general+math cocktail fine-tuned from it long enough
   * to beat the majority class, every FPB and TFNS eval row scored.
   */
  public static List<String> learning() {
    List<String> s = new ArrayList<>(List.of("--set", "pretrain.steps=100", "--set",
        "pretrain.batch_per_worker=8", "--set", "sweep.recipes=[target-only-fpb, "
            + "\"finance+general+math\"]", "--set", "run.train_steps=120", "--set",
        "run.batch_per_worker=8", "--set", "run.eval_max_rows=-1", "--set",
        "run.eval_benchmarks=[fpb, tfns]", "--set", "tokenize.seq_len=256", "--set",
        "aggregate.resamples=200"));
    return s;
  }
}
