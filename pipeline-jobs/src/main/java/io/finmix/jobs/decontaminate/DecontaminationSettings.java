package io.finmix.jobs.decontaminate;

import com.typesafe.config.Config;
import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import io.finmix.jobs.text.MinHasher;
import io.finmix.jobs.text.TextNormalizer;
import java.io.Serializable;

/** The {@code decontaminate} section of finmix.conf, checked. */
public record DecontaminationSettings(
    TextNormalizer normalizer,
    int ngram,
    double minFraction,
    int minMatches,
    int shortMaxTokens,
    int shortNgram,
    double shortMinFraction,
    int shortMinMatches,
    double nearThreshold,
    int charShingle,
    int numPerm,
    int bands,
    int rows,
    long seed,
    boolean remove)
    implements Serializable {

  public static DecontaminationSettings of(FinmixConfig config) {
    Config c = config.config();
    int ngram = c.getInt("decontaminate.ngram");
    int shortNgram = c.getInt("decontaminate.short_text.ngram");
    check(config, "decontaminate.ngram", ngram >= 1, "must be at least 1");
    check(config, "decontaminate.short_text.ngram", shortNgram >= 1, "must be at least 1");
    double minFraction = c.getDouble("decontaminate.min_fraction");
    double shortMin = c.getDouble("decontaminate.short_text.min_fraction");
    check(config, "decontaminate.min_fraction", minFraction >= 0 && minFraction <= 1,
        "must be in [0, 1]");
    check(config, "decontaminate.short_text.min_fraction", shortMin >= 0 && shortMin <= 1,
        "must be in [0, 1]");
    double near = c.getDouble("decontaminate.short_text.near_threshold");
    check(config, "decontaminate.short_text.near_threshold", near > 0 && near <= 1,
        "must be in (0, 1]");
    String action = c.getString("decontaminate.action");
    check(config, "decontaminate.action", action.equals("remove") || action.equals("flag"),
        "expected remove or flag, got '" + action + "'");
    int numPerm = c.getInt("dedup.near.num_perm");
    double candidates = c.getDouble("decontaminate.short_text.candidate_threshold");
    check(config, "decontaminate.short_text.candidate_threshold", candidates > 0
        && candidates <= 1, "must be in (0, 1]");
    int charShingle = c.getInt("decontaminate.short_text.char_shingle");
    check(config, "decontaminate.short_text.char_shingle", charShingle >= 1,
        "must be at least 1");
    int[] br = MinHasher.bandsAndRows(numPerm, candidates);
    int minMatches = c.getInt("decontaminate.min_matches");
    int shortMinMatches = c.getInt("decontaminate.short_text.min_matches");
    check(config, "decontaminate.min_matches", minMatches >= 1, "must be at least 1");
    check(config, "decontaminate.short_text.min_matches", shortMinMatches >= 1,
        "must be at least 1");
    return new DecontaminationSettings(TextNormalizer.of(c), ngram, minFraction, minMatches,
        c.getInt("decontaminate.short_text.max_tokens"), shortNgram, shortMin, shortMinMatches,
        near, charShingle, numPerm, br[0], br[1], c.getLong("dedup.near.seed"),
        action.equals("remove"));
  }

  private static void check(FinmixConfig config, String key, boolean ok, String problem) {
    if (!ok) {
      throw new UserError("invalid config key " + key + " (" + config.originOf(key) + "): "
          + problem);
    }
  }
}
