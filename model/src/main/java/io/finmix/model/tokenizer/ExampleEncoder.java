package io.finmix.model.tokenizer;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A training example (prompt and answer) as token ids, the same way wherever it is counted or
 * packed: {@code plain} encodes the prompt and the answer as they are; {@code chat} renders one
 * user turn (after an optional system turn) and the assistant's answer through a chat template,
 * splitting the text where the template's generation prompt ends; the turns' contents are
 * stripped of the edge whitespace plain templates separate prompt and answer with. The answer's ids end with the
 * end-of-sequence token, appended unless the rendered answer already holds it (a chat template's
 * end of turn usually is the tokenizer's eos_token).
 */
public final class ExampleEncoder {

  private static final Map<Spec, ExampleEncoder> LOADED = new ConcurrentHashMap<>();

  /**
   * What an encoder is made of: the tokenizer ({@link Tokenizers} spec), the format
   * ({@code plain} or {@code chat}), the chat template (empty: the {@code tokenizer_config.json}
   * beside the tokenizer; else a {@code tokenizer_config.json} or a Jinja file), the system
   * message (empty: none) and further template variables.
   */
  public record Spec(String tokenizer, String format, String chatTemplate, String system,
      TreeMap<String, Object> vars) implements Serializable {

    public Spec {
      if (!format.equals("plain") && !format.equals("chat")) {
        throw new IllegalArgumentException("format '" + format + "' is not plain or chat");
      }
    }

    public static Spec plain(String tokenizer) {
      return new Spec(tokenizer, "plain", "", "", new TreeMap<>());
    }

    public boolean chat() {
      return format.equals("chat");
    }
  }

  /** A prompt's ids and its answer's, the answer ending with the end of sequence. */
  public record Encoded(int[] prompt, int[] answer) {

    public int length() {
      return prompt.length + answer.length;
    }
  }

  private final Spec spec;
  private final TextTokenizer tokenizer;
  private final ChatTemplate template;

  private ExampleEncoder(Spec spec) {
    this.spec = spec;
    this.tokenizer = Tokenizers.load(spec.tokenizer());
    this.template = spec.chat() ? template(spec) : null;
  }

  /** The encoder a spec names, made once per JVM (a Spark executor makes each once). */
  public static ExampleEncoder load(Spec spec) {
    return LOADED.computeIfAbsent(spec, ExampleEncoder::new);
  }

  /** Drops the encoders of a tokenizer spec ({@link Tokenizers#forget}). */
  static void forget(String tokenizer) {
    LOADED.keySet().removeIf(s -> s.tokenizer().equals(tokenizer));
  }

  private static ChatTemplate template(Spec spec) {
    Path file;
    if (!spec.chatTemplate().isEmpty()) {
      file = Path.of(spec.chatTemplate());
    } else if (spec.tokenizer().equals("bytes")) {
      throw new IllegalArgumentException("the bytes tokenizer has no chat template: name a "
          + "tokenizer_config.json or a Jinja file as the chat template");
    } else {
      file = Path.of(spec.tokenizer()).resolveSibling("tokenizer_config.json");
    }
    if (file.getFileName().toString().endsWith(".json")) {
      return ChatTemplate.fromTokenizerConfig(file);
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("chat template " + file + " does not exist");
    }
    try {
      return new ChatTemplate(Files.readString(file), file.toString(), Map.of());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file, e);
    }
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * A stable name of the encoding, what {@code train.sequences.tokenizer_id} records: the
   * tokenizer's id, and for chat the first 8 hex digits of a SHA-256 over the template, the
   * system message and the variables ({@code qwen3-aeb13307+chat-1f2e3d4c}), so the two formats
   * never share a partition.
   */
  public String id() {
    if (template == null) {
      return tokenizer.id();
    }
    try {
      var sha = java.security.MessageDigest.getInstance("SHA-256");
      for (String part : List.of(template.source(), spec.system(), spec.vars().toString())) {
        sha.update(part.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return tokenizer.id() + "+chat-" + java.util.HexFormat.of().formatHex(sha.digest(), 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The chat template (null for plain). */
  public ChatTemplate template() {
    return template;
  }

  /**
   * The example's ids.
   *
   * @throws IllegalArgumentException when the chat template fails, or renders the conversation
   *     so that it does not begin with the generation prompt (the answer cannot be told apart)
   */
  public Encoded encode(String prompt, String answer) {
    String promptText = prompt;
    String answerText = answer;
    if (template != null) {
      List<Map<String, Object>> messages = new ArrayList<>();
      if (!spec.system().isEmpty()) {
        messages.add(Map.of("role", "system", "content", spec.system()));
      }
      // a turn's edges hold no separators: those of plain templates (" {label}") are dropped
      messages.add(Map.of("role", "user", "content", prompt.strip()));
      promptText = template.render(messages, true, spec.vars());
      messages.add(Map.of("role", "assistant", "content", answer.strip()));
      String conversation = template.render(messages, false, spec.vars());
      if (!conversation.startsWith(promptText)) {
        throw new IllegalArgumentException("chat template of " + template.name() + " renders the "
            + "conversation so that it does not begin with the generation prompt "
            + quoted(promptText) + ", so the answer cannot be told apart (the template's "
            + "variables may need setting, e.g. enable_thinking)");
      }
      answerText = conversation.substring(promptText.length());
    }
    int[] answerIds = tokenizer.encode(answerText);
    if (Arrays.stream(answerIds).noneMatch(id -> id == tokenizer.eosId())) {
      answerIds = Arrays.copyOf(answerIds, answerIds.length + 1);
      answerIds[answerIds.length - 1] = tokenizer.eosId();
    }
    return new Encoded(tokenizer.encode(promptText), answerIds);
  }

  private static String quoted(String s) {
    String tail = s.length() > 80 ? "..." + s.substring(s.length() - 80) : s;
    return "'" + tail.replace("\n", "\\n") + "'";
  }
}
