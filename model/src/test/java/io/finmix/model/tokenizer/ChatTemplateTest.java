package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test template (resources/chat/finmix-chat.jinja) uses what Hugging Face chat templates
 * use where jinjava and jinja2 differ. The expected strings are what Python's jinja2 3.1.6
 * renders with transformers' settings (trim_blocks, lstrip_blocks, its tojson and
 * raise_exception).
 */
class ChatTemplateTest {

  @TempDir
  Path dir;

  static ChatTemplate template() throws Exception {
    try (var in = ChatTemplateTest.class.getResourceAsStream("/chat/finmix-chat.jinja")) {
      return new ChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          "finmix-chat.jinja", Map.of("eos_token", "<|end|>"));
    }
  }

  static Map<String, Object> message(String role, String content) {
    return Map.of("role", role, "content", content);
  }

  @Test
  void rendersAsJinja2Does() throws Exception {
    ChatTemplate t = template();
    assertThat(t.render(List.of(message("user", "What is the sentiment?")), true, Map.of()))
        .isEqualTo("<|user|>\nWhat is the sentiment?<|end|>\n<|assistant|>\n");
    // strip(), split(...)[-1], lstrip('\n'), namespace arithmetic over messages[::-1]
    assertThat(t.render(List.of(message("system", "  You classify.\n"),
        message("user", "What is the sentiment?"),
        message("assistant", "<note>think</note>\n\npositive")), false, Map.of()))
        .isEqualTo("<|sys|>\nYou classify.<|end|>\n<|user|>\nWhat is the sentiment?<|end|>\n"
            + "<|assistant|>\npositive [final]<|end|>\n");
    // startswith / endswith / strip('#'); only the turn after the last user turn is final
    assertThat(t.render(List.of(message("user", "#Q1#"), message("assistant", "A1"),
        message("user", "Q2"), message("assistant", "A2")), false, Map.of()))
        .isEqualTo("<|user|>\n[heading] Q1<|end|>\n<|assistant|>\nA1<|end|>\n<|user|>\nQ2"
            + "<|end|>\n<|assistant|>\nA2 [final]<|end|>\n");
  }

  @Test
  void toJsonWritesWhatPythonWritesAndMidLineSpacesStay() throws Exception {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("ticker", "Zürich \"AG\"");
    args.put("n", 2);
    args.put("f", 1.0);
    args.put("ok", true);
    args.put("none", null);
    Map<String, Object> quote = new LinkedHashMap<>();
    quote.put("name", "quote");
    quote.put("args", args);
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("name", "b");
    b.put("args", List.of());
    assertThat(template().render(List.of(message("user", "x")), true,
        Map.of("tools", List.of(quote, b))))
        .isEqualTo("<|user|>\nx<|end|>\ntools:  many [{\"name\": \"quote\", \"args\": "
            + "{\"ticker\": \"Zürich \\\"AG\\\"\", \"n\": 2, \"f\": 1.0, \"ok\": true, "
            + "\"none\": null}}, {\"name\": \"b\", \"args\": []}]\n<|assistant|>\n");
    assertThat(PythonJson.dumps(Map.of("a", List.of(1, "x")), 2))
        .isEqualTo("{\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}");
  }

  @Test
  void aRaisedExceptionOrBrokenTemplateIsAnErrorNamingTheTemplate() throws Exception {
    assertThatThrownBy(() -> template().render(List.of(message("robot", "x")), false, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finmix-chat.jinja").hasMessageContaining("unknown role robot");
    assertThatThrownBy(() -> new ChatTemplate("{% if x %}never closed", "broken.jinja", Map.of())
        .render(List.of(), false, Map.of()))
        .hasMessageContaining("broken.jinja").hasMessageContaining("line 1");
  }

  @Test
  void readsTheTemplateOfATokenizerConfig() throws Exception {
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "{\"eos_token\": {\"content\": \"</s>\"}, \"chat_template\": ["
        + "{\"name\": \"tool_use\", \"template\": \"tools\"}, "
        + "{\"name\": \"default\", \"template\": \"{% for m in messages %}[{{ m.content }}]"
        + "{% endfor %}{{ eos_token }}\"}]}");
    assertThat(ChatTemplate.fromTokenizerConfig(config)
        .render(List.of(message("user", "hi")), false, Map.of())).isEqualTo("[hi]</s>");
    Files.writeString(config, "{\"eos_token\": \"</s>\"}");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(config))
        .hasMessageContaining(config.toString()).hasMessageContaining("no chat_template");
    assertThatThrownBy(() -> ChatTemplate.fromTokenizerConfig(dir.resolve("none.json")))
        .hasMessageContaining("none.json").hasMessageContaining("does not exist");
  }

  @Test
  void rendersTheSameFromManyThreads() throws Exception {
    ChatTemplate t = template();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String q = "question " + i;
        results.add(pool.submit(() -> t.render(List.of(message("user", q),
            message("assistant", "a")), false, Map.of())
            .equals("<|user|>\n" + q + "<|end|>\n<|assistant|>\na [final]<|end|>\n")));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get()).isTrue();
      }
    } finally {
      pool.shutdown();
    }
  }
}
