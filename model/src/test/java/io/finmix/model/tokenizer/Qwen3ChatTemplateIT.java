package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Qwen3's own chat template (../shared/tokenizers/qwen3/tokenizer_config.json) rendered by
 * {@link ChatTemplate}: each expected string is what transformers' apply_chat_template renders
 * (Python jinja2 3.1.6 with its settings) for the same conversation.
 */
@Tag("acceptance")
class Qwen3ChatTemplateIT {

  private static final Path DIR = Path.of(System.getenv().getOrDefault("FINMIX_TOKENIZERS_DIR",
      "../../shared/tokenizers")).resolve("qwen3");

  private static Map<String, Object> message(String role, String content) {
    return Map.of("role", role, "content", content);
  }

  private static ChatTemplate qwen3() {
    assertThat(DIR.resolve("tokenizer_config.json"))
        .as("../shared/tokenizers/qwen3 is required here").exists();
    return ChatTemplate.fromTokenizerConfig(DIR.resolve("tokenizer_config.json"));
  }

  @Test
  void rendersAsTransformersDoes() {
    ChatTemplate t = qwen3();
    List<Map<String, Object>> user = List.of(message("user", "What is the sentiment?"));
    assertThat(t.render(List.of(message("user", "What is the sentiment?"),
        message("assistant", "positive")), false, Map.of())).isEqualTo(
        "<|im_start|>user\nWhat is the sentiment?<|im_end|>\n<|im_start|>assistant\n<think>\n\n"
            + "</think>\n\npositive<|im_end|>\n");
    assertThat(t.render(user, true, Map.of())).isEqualTo(
        "<|im_start|>user\nWhat is the sentiment?<|im_end|>\n<|im_start|>assistant\n");
    assertThat(t.render(user, true, Map.of("enable_thinking", false))).isEqualTo(
        "<|im_start|>user\nWhat is the sentiment?<|im_end|>\n<|im_start|>assistant\n<think>\n\n"
            + "</think>\n\n");
    assertThat(t.render(List.of(message("system", "You are a classifier."),
        message("user", "What is the sentiment?"), message("assistant", "positive")), false,
        Map.of())).isEqualTo("<|im_start|>system\nYou are a classifier.<|im_end|>\n"
            + "<|im_start|>user\nWhat is the sentiment?<|im_end|>\n<|im_start|>assistant\n"
            + "<think>\n\n</think>\n\npositive<|im_end|>\n");
    // earlier turns lose their reasoning, the last keeps it (split, lstrip, strip, [::-1])
    assertThat(t.render(List.of(message("user", "Q1"),
        message("assistant", "<think>\nhmm\n</think>\n\nA1"), message("user", "Q2"),
        message("assistant", "<think>\nreason 2\n</think>\n\nA2")), false, Map.of()))
        .isEqualTo("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            + "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\nreason 2\n"
            + "</think>\n\nA2<|im_end|>\n");
  }

  @Test
  void rendersToolsAndToolCallsAsTransformersDoes() {
    Map<String, Object> properties = Map.of("city", Map.of("type", "string"));
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("type", "object");
    parameters.put("properties", properties);
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", "get_weather");
    function.put("description", "Get weather");
    function.put("parameters", parameters);
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("type", "function");
    tool.put("function", function);
    Map<String, Object> arguments = new LinkedHashMap<>();
    arguments.put("city", "Zürich");
    arguments.put("unit", "c");
    Map<String, Object> call = Map.of("type", "function",
        "function", Map.of("name", "get_weather", "arguments", arguments));
    assertThat(qwen3().render(List.of(message("system", "sys"), message("user", "weather?"),
        Map.of("role", "assistant", "content", "", "tool_calls", List.of(call)),
        message("tool", "{\"t\": 3}"), message("assistant", "3 degrees")), false,
        Map.of("tools", List.of(tool)))).isEqualTo("<|im_start|>system\nsys\n\n# Tools\n\n"
            + "You may call one or more functions to assist with the user query.\n\nYou are "
            + "provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\":"
            + " \"Get weather\", \"parameters\": {\"type\": \"object\", \"properties\": "
            + "{\"city\": {\"type\": \"string\"}}}}}\n</tools>\n\nFor each function call, return "
            + "a json object with function name and arguments within <tool_call></tool_call> "
            + "XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            + "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nweather?"
            + "<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", "
            + "\"arguments\": {\"city\": \"Zürich\", \"unit\": \"c\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"t\": 3}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\n3 degrees<|im_end|>\n");
  }

  @Test
  void anExampleBecomesQwen3sIdsWithTheLossOnTheAnswer() {
    TreeMap<String, Object> vars = new TreeMap<>(Map.of("enable_thinking", false));
    ExampleEncoder e = ExampleEncoder.load(new ExampleEncoder.Spec(
        DIR.resolve("tokenizer.json").toString(), "chat", "", "", vars));
    ExampleEncoder.Encoded x = e.encode("What is the sentiment?", "positive");
    int[] all = IntStream.concat(IntStream.of(x.prompt()), IntStream.of(x.answer())).toArray();
    assertThat(all).containsExactly(151644, 872, 198, 3838, 374, 279, 25975, 30, 151645, 198,
        151644, 77091, 198, 151667, 271, 151668, 271, 30487, 151645, 198);
    // the answer is "positive<|im_end|>\n": <|im_end|> is Qwen3's eos, not appended again
    assertThat(x.answer()).containsExactly(30487, 151645, 198);
  }
}
