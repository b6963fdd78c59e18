package io.finmix.model.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.finmix.model.io.JsonFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template (the Jinja {@code chat_template} of a {@code
 * tokenizer_config.json}) rendered as transformers' {@code apply_chat_template} renders it, with
 * jinjava.
 *
 * <p>transformers renders with jinja2 ({@code trim_blocks}, {@code lstrip_blocks}, Python
 * strings, a {@code tojson} filter and {@code raise_exception}); jinjava differs in a few places
 * that real templates use, so this class closes the gaps:
 *
 * <ul>
 *   <li>{@code lstrip_blocks} and the dropped final newline of the source are done on the
 *       source: jinjava's own lstrip also eats spaces before a mid-line tag, and its
 *       trailing-newline option cuts the output instead of the template;
 *   <li>{@code [::-1]} becomes {@code |reverse}, and {@code namespace(a=x|length - 1)} gets its
 *       values parenthesised (jinjava reads it as {@code (a=x|length) - 1});
 *   <li>strings answer Python's {@code startswith}, {@code strip}, {@code split} and friends
 *       ({@link PythonStrings});
 *   <li>{@code tojson} writes what Python's {@code json.dumps(ensure_ascii=False)} writes.
 * </ul>
 *
 * Thread-safe: every render has its own interpreter.
 */
public final class ChatTemplate {

  private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*::\\s*-1\\s*]");
  private static final Pattern LINE_START_TAG = Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?!\\+))");
  private static final Pattern KEYWORD_ARG =
      Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*)=(?!=)(.*)$", Pattern.DOTALL);

  private final String name;
  private final String source;
  private final Map<String, Object> specialTokens;
  private final Jinjava jinjava;

  /**
   * {@code source} is the template, {@code name} says where it came from (for messages), and
   * {@code specialTokens} ({@code bos_token}, {@code eos_token}, ...) are visible to it.
   */
  public ChatTemplate(String source, String name, Map<String, Object> specialTokens) {
    this.name = name;
    this.source = jinja2Source(source);
    this.specialTokens = Map.copyOf(specialTokens);
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonStrings());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(false)
        .withKeepTrailingNewline(true)
        .withFailOnUnknownTokens(false)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withUseNaturalOperatorPrecedence(true)
            .withKeepNullableLoopValues(true)
            .withHandleBackslashInQuotesOnly(true)
            .withUsePyishObjectMapper(true)
            .build())
        .withElResolver(resolver)
        .build());
    jinjava.getGlobalContext().registerFilter(new ToJson());
    jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
        ChatTemplate.class, "raiseException", Object.class));
  }

  /**
   * The chat template of a {@code tokenizer_config.json} (its {@code chat_template}: a string,
   * or a list of named templates of which {@code default} is taken), with the config's special
   * tokens.
   */
  public static ChatTemplate fromTokenizerConfig(Path config) {
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException("tokenizer config " + config + " does not exist");
    }
    JsonObject root = JsonFiles.read(config);
    String template = templateOf(root.get("chat_template"), config);
    Map<String, Object> tokens = new HashMap<>();
    for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
      String token = HfTokenizer.specialToken(root, key);
      if (token != null) {
        tokens.put(key, token);
      }
    }
    return new ChatTemplate(template, config.toString(), tokens);
  }

  private static String templateOf(JsonElement t, Path config) {
    if (t != null && t.isJsonPrimitive()) {
      return t.getAsString();
    }
    if (t != null && t.isJsonArray()) {
      for (JsonElement named : t.getAsJsonArray()) {
        JsonObject o = named.getAsJsonObject();
        if (o.has("name") && o.get("name").getAsString().equals("default")) {
          return o.get("template").getAsString();
        }
      }
      throw new IllegalArgumentException(config + ": chat_template lists no template named "
          + "'default'");
    }
    throw new IllegalArgumentException(config + " has no chat_template");
  }

  /** Where the template came from. */
  public String name() {
    return name;
  }

  /** The template as it is rendered. */
  public String source() {
    return source;
  }

  /**
   * The conversation as text: {@code messages} are maps with {@code role} and {@code content};
   * {@code addGenerationPrompt} ends it with the opening of an assistant turn; {@code vars} are
   * further template variables ({@code enable_thinking}, {@code tools}, ...).
   *
   * @throws IllegalArgumentException when the template fails or raises an exception, with the
   *     template's name and line
   */
  public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
      Map<String, Object> vars) {
    Map<String, Object> bindings = new HashMap<>(specialTokens);
    bindings.putAll(vars);
    bindings.put("messages", messages);
    bindings.put("add_generation_prompt", addGenerationPrompt);
    RenderResult result = jinjava.renderForResult(source, bindings);
    List<String> fatal = new ArrayList<>();
    for (TemplateError e : result.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        Throwable root = e.getException();
        while (root != null && root.getCause() != null) {
          root = root.getCause();
        }
        String why = root != null && root.getMessage() != null ? root.getMessage() : e.getMessage();
        fatal.add("line " + e.getLineno() + ": " + why);
      }
    }
    if (!fatal.isEmpty()) {
      throw new IllegalArgumentException("chat template of " + name + " failed: "
          + String.join("; ", fatal));
    }
    return result.getOutput();
  }

  /** The template's {@code raise_exception(message)}. */
  public static Object raiseException(Object message) {
    throw new IllegalStateException(String.valueOf(message));
  }

  /** The jinja2 source as jinjava must see it to render what jinja2 renders. */
  static String jinja2Source(String template) {
    String t = template;
    if (t.endsWith("\r\n")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("\n")) {
      t = t.substring(0, t.length() - 1);
    }
    t = REVERSE_SLICE.matcher(t).replaceAll("|reverse");
    t = LINE_START_TAG.matcher(t).replaceAll("");
    return parenthesiseNamespaceArgs(t);
  }

  /** {@code namespace(a=x|length - 1, b=true)} to {@code namespace(a=(x|length - 1),b=(true))}. */
  private static String parenthesiseNamespaceArgs(String t) {
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int k = t.indexOf("namespace(", from); k >= 0; k = t.indexOf("namespace(", from)) {
      int start = k + "namespace(".length();
      out.append(t, from, start);
      List<String> args = new ArrayList<>();
      int depth = 1;
      int argStart = start;
      char quote = 0;
      int j = start;
      for (; j < t.length() && depth > 0; j++) {
        char c = t.charAt(j);
        if (quote != 0) {
          if (c == quote && t.charAt(j - 1) != '\\') {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '(' || c == '[' || c == '{') {
          depth++;
        } else if (c == ')' || c == ']' || c == '}') {
          if (--depth == 0) {
            args.add(t.substring(argStart, j));
          }
        } else if (c == ',' && depth == 1) {
          args.add(t.substring(argStart, j));
          argStart = j + 1;
        }
      }
      List<String> fixed = new ArrayList<>();
      for (String a : args) {
        Matcher m = KEYWORD_ARG.matcher(a);
        fixed.add(m.matches() ? m.group(1) + "=(" + m.group(2) + ")" : a);
      }
      out.append(String.join(",", fixed));
      if (depth == 0) {
        out.append(')');
      }
      from = j;
    }
    return out.append(t.substring(from)).toString();
  }

  /** Python's {@code json.dumps(value, ensure_ascii=False, indent=...)}, as transformers' tojson. */
  private static final class ToJson implements Filter {

    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return PythonJson.dumps(var, null);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args,
        Map<String, Object> kwargs) {
      Object indent = kwargs.get("indent");
      return PythonJson.dumps(var, indent == null ? null : ((Number) indent).intValue());
    }
  }
}
