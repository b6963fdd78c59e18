package io.finmix.jobs.tokens;

import io.finmix.jobs.core.FinmixConfig;
import io.finmix.jobs.core.UserError;
import io.finmix.model.tokenizer.ExampleEncoder;
import java.util.List;
import java.util.TreeMap;

/**
 * How a prompt and its answer become token ids, from the {@code tokenize} section: the one spec
 * mix (counting tokens), tokenize (packing), train and evaluate (scoring) share.
 */
public final class ExampleEncoders {

  private ExampleEncoders() {}

  /**
   * How examples become ids under {@code tokenize.format} and its chat settings, with {@code
   * tokenizer}; mix counts tokens with the same spec so its shares hold for the packed sequences.
   */
  public static ExampleEncoder.Spec spec(FinmixConfig config, String tokenizer) {
    var c = config.config();
    String format = c.getString("tokenize.format");
    if (!List.of("plain", "chat").contains(format)) {
      throw new UserError("tokenize.format: '" + format + "' is not plain or chat");
    }
    TreeMap<String, Object> vars = new TreeMap<>(c.getConfig("tokenize.chat_vars").root()
        .unwrapped());
    return new ExampleEncoder.Spec(tokenizer, format, c.getString("tokenize.chat_template"),
        c.getString("tokenize.system"), vars);
  }

  /**
   * An example's ids with the spec's encoder (made once per JVM, then a cache lookup); a row
   * the encoder refuses (a chat template error) stops the stage, naming {@code row}.
   */
  public static ExampleEncoder.Encoded encode(ExampleEncoder.Spec spec, String prompt,
      String answer, java.util.function.Supplier<String> row) {
    try {
      return ExampleEncoder.load(spec).encode(prompt, answer);
    } catch (IllegalArgumentException e) {
      throw new UserError(row.get() + ": " + e.getMessage(), e);
    }
  }

  /** The encoder of a spec, loaded here on the driver: a bad file or template is a user error. */
  public static ExampleEncoder load(ExampleEncoder.Spec spec, String keys) {
    try {
      return ExampleEncoder.load(spec);
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new UserError(keys + ": " + e.getMessage(), e);
    }
  }
}
