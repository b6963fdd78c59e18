package io.finmix.model.config;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Low-rank adapters: on each targeted projection W (one of {@code q, k, v, o, gate, up, down})
 * the model computes {@code W x + (alpha / rank) B A dropout(x)} with A [rank, in] and B
 * [out, rank]; the base weights stay frozen and only A and B train. A starts uniform in
 * ±1/sqrt(in), B at zero, so training starts from the base model exactly (as PEFT does).
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<String> targets)
    implements Serializable {

  /** Target name to the Hugging Face module it adapts, relative to a layer. */
  public static final Map<String, String> MODULES = Map.of(
      "q", "self_attn.q_proj", "k", "self_attn.k_proj", "v", "self_attn.v_proj",
      "o", "self_attn.o_proj", "gate", "mlp.gate_proj", "up", "mlp.up_proj",
      "down", "mlp.down_proj");

  public LoraConfig {
    if (rank < 1) {
      throw new IllegalArgumentException("lora rank = " + rank + " must be positive");
    }
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("lora alpha = " + alpha + " must be positive");
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora dropout = " + dropout + " must be in [0, 1)");
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("lora targets are empty (choose from "
          + new TreeSet<>(MODULES.keySet()) + ")");
    }
    for (String t : targets) {
      if (!MODULES.containsKey(t)) {
        throw new IllegalArgumentException("lora target '" + t + "' is not one of "
            + new TreeSet<>(MODULES.keySet()));
      }
    }
    targets = Set.copyOf(new TreeSet<>(targets));
  }

  /** The common choice: every attention and MLP projection. */
  public static LoraConfig allProjections(int rank, double alpha, double dropout) {
    return new LoraConfig(rank, alpha, dropout, MODULES.keySet());
  }

  /** The factor on B A. */
  public double scale() {
    return alpha / rank;
  }

  /** Whether {@code module} (e.g. {@code self_attn.q_proj}) carries an adapter. */
  public boolean adapts(String module) {
    for (String t : targets) {
      if (MODULES.get(t).equals(module)) {
        return true;
      }
    }
    return false;
  }

  /** The targets as PEFT names them ({@code q_proj}, ...), sorted. */
  public List<String> peftTargets() {
    return targets.stream().map(t -> MODULES.get(t).substring(MODULES.get(t).indexOf('.') + 1))
        .sorted().toList();
  }

  /** A one-line form, {@code rank=8 alpha=16.0 dropout=0.05 targets=k,q,v}, read by {@link #parse}. */
  public String spec() {
    return "rank=" + rank + " alpha=" + alpha + " dropout=" + dropout + " targets="
        + String.join(",", new TreeSet<>(targets));
  }

  /** The config of a {@link #spec()} line. */
  public static LoraConfig parse(String spec) {
    Map<String, String> kv = new java.util.HashMap<>();
    for (String part : spec.trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("lora spec '" + spec + "': '" + part
            + "' is not key=value");
      }
      kv.put(part.substring(0, eq), part.substring(eq + 1));
    }
    if (!kv.keySet().containsAll(Set.of("rank", "alpha", "targets"))) {
      throw new IllegalArgumentException("lora spec '" + spec + "' needs rank=, alpha= and "
          + "targets=");
    }
    try {
      return new LoraConfig(Integer.parseInt(kv.get("rank")), Double.parseDouble(kv.get("alpha")),
          Double.parseDouble(kv.getOrDefault("dropout", "0")),
          Set.of(kv.get("targets").split(",")));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("lora spec '" + spec + "' needs rank=, alpha= and "
          + "targets=", e);
    }
  }
}
