package io.finmix.jobs.train;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A training run's state as its checkpoints carry it ({@code state.json}, strings): the facts a
 * resumed run must match, what the run started from, and its progress. Typed accessors over
 * the checkpoint's map, which keeps any other keys (the trainer's own) as they are.
 */
record RunState(Map<String, String> map) {

  /** The facts a resumed run must have as the checkpoint has them. */
  static final List<String> RESUME_KEYS = List.of("recipe", "workers", "batch_per_worker",
      "averaging_frequency", "seed", "total_steps", "tokenizer_id", "seq_len");

  RunState {
    map = Collections.unmodifiableMap(new TreeMap<>(map));
  }

  /** The facts of a run's settings, as {@link #RESUME_KEYS} compares them. */
  static Map<String, String> facts(String recipe, int workers, int batchPerWorker,
      int averagingFrequency, long seed, long totalSteps, String tokenizerId, int seqLen) {
    Map<String, String> f = new TreeMap<>();
    f.put("recipe", recipe);
    f.put("workers", Integer.toString(workers));
    f.put("batch_per_worker", Integer.toString(batchPerWorker));
    f.put("averaging_frequency", Integer.toString(averagingFrequency));
    f.put("seed", Long.toString(seed));
    f.put("total_steps", Long.toString(totalSteps));
    f.put("tokenizer_id", tokenizerId);
    f.put("seq_len", Integer.toString(seqLen));
    return f;
  }

  /** A fresh run's state: its facts, what it starts from, and no progress yet. */
  static RunState fresh(Map<String, String> facts, String model, String init, long snapshot,
      long startedAtMillis) {
    Map<String, String> m = new TreeMap<>(facts);
    m.put("model", model);
    m.put("init", init);
    m.put("sequences_snapshot", Long.toString(snapshot));
    m.put("started_at", Long.toString(startedAtMillis));
    m.put("seconds", "0");
    m.put("tokens", "0");
    m.put("resumes", "0");
    m.put("first_loss", "NaN");
    return new RunState(m);
  }

  /** The first of {@link #RESUME_KEYS} whose value differs from {@code facts}, or null. */
  String mismatch(Map<String, String> facts) {
    for (String k : RESUME_KEYS) {
      if (!facts.get(k).equals(map.get(k))) {
        return k;
      }
    }
    return null;
  }

  String get(String key) {
    return map.get(key);
  }

  String model() {
    return map.get("model");
  }

  String init() {
    return map.get("init");
  }

  /** The train.sequences snapshot the run reads, on every resume too. */
  long snapshot() {
    return Long.parseLong(map.get("sequences_snapshot"));
  }

  long startedAtMillis() {
    return Long.parseLong(map.get("started_at"));
  }

  /** Training seconds so far, over every session of the run. */
  double seconds() {
    return Double.parseDouble(map.get("seconds"));
  }

  long tokens() {
    return Long.parseLong(map.get("tokens"));
  }

  int resumes() {
    return Integer.parseInt(map.getOrDefault("resumes", "0"));
  }

  /** The loss of step 1 (NaN before it). */
  double firstLoss() {
    return Double.parseDouble(map.get("first_loss"));
  }

  RunState with(String key, String value) {
    Map<String, String> m = new TreeMap<>(map);
    m.put(key, value);
    return new RunState(m);
  }

  RunState withSeconds(double seconds) {
    return with("seconds", Double.toString(seconds));
  }

  RunState withTokens(long tokens) {
    return with("tokens", Long.toString(tokens));
  }

  RunState withFirstLoss(double loss) {
    return with("first_loss", Double.toString(loss));
  }

  RunState withResumes(int resumes) {
    return with("resumes", Integer.toString(resumes));
  }
}
