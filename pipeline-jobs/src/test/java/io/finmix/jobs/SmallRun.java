package io.finmix.jobs;

import java.util.List;

/**
 * {@code finmix run}'s settings sized for a test: the generated sample corpus as the embedded
 * default makes it, but tiny models, one seed, a few steps and a few eval rows of FPB, so the
 * nine stages take a couple of minutes, not the main job's ten.
 */
public final class SmallRun {

  private SmallRun() {}

  /** The {@code --set} arguments. */
  public static List<String> settings() {
    return List.of("--set", "sweep.models=[tiny]", "--set", "sweep.seeds=[1]", "--set",
        "run.train_steps=4", "--set", "run.eval_max_rows=3", "--set", "tokenize.seq_len=256",
        "--set", "train_tokenizer.vocab_size=1024", "--set", "aggregate.resamples=20",
        "--set", "train.export_hf=false", "--set", "evaluate.only=[fpb]");
  }
}
