package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleEncoderTest {

  @TempDir
  Path dir;

  private static String testTemplate() throws Exception {
    try (var in = ExampleEncoderTest.class.getResourceAsStream("/chat/finmix-chat.jinja")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A byte-level tokenizer.json with the test template's special tokens, and its config. */
  private Path tokenizerWithTemplate(String template) throws Exception {
    Path file = dir.resolve("tok").resolve("tokenizer.json");
    Files.createDirectories(file.getParent());
    ByteLevelBpeFile.write(file, List.of(),
        List.of("<|end|>", "<|user|>", "<|assistant|>", "<|sys|>"));
    JsonObject config = new JsonObject();
    config.addProperty("eos_token", "<|end|>");
    config.addProperty("chat_template", template);
    Files.writeString(file.resolveSibling("tokenizer_config.json"), config.toString());
    return file;
  }

  private static String text(int[] ids, TextTokenizer t) {
    return t.decode(ids);
  }

  @Test
  void plainIsPromptThenAnswerAndTheEndOfSequence() {
    ExampleEncoder e = ExampleEncoder.load(ExampleEncoder.Spec.plain("bytes"));
    ExampleEncoder.Encoded x = e.encode("Q: ", "yes");
    assertThat(x.prompt()).containsExactly('Q', ':', ' ');
    assertThat(x.answer()).containsExactly('y', 'e', 's', 256);
    assertThat(x.length()).isEqualTo(7);
  }

  @Test
  void chatSplitsAtTheGenerationPromptAndKeepsTheTemplatesEndOfTurn() throws Exception {
    Path tokenizer = tokenizerWithTemplate(testTemplate());
    ExampleEncoder e = ExampleEncoder.load(new ExampleEncoder.Spec(tokenizer.toString(), "chat",
        "", "You classify.", new TreeMap<>()));
    ExampleEncoder.Encoded x = e.encode("What?\n", " positive");
    TextTokenizer t = e.tokenizer();
    assertThat(text(x.prompt(), t)).isEqualTo(
        "<|sys|>\nYou classify.<|end|>\n<|user|>\nWhat?<|end|>\n<|assistant|>\n");
    assertThat(text(x.answer(), t)).isEqualTo("positive [final]<|end|>\n");
    // the template's <|end|> is the eos_token: no second one
    assertThat(Arrays.stream(x.answer()).filter(id -> id == t.eosId()).count()).isEqualTo(1);
    assertThat(x.answer()[x.answer().length - 1]).isEqualTo('\n');
    // special tokens are single ids
    assertThat(x.prompt()[0]).isEqualTo(t.encode("<|sys|>")[0]).isGreaterThan(255);
  }

  @Test
  void aJinjaFileServesABytesTokenizerAndItsEndOfSequenceIsAppended() throws Exception {
    Path jinja = dir.resolve("finmix-chat.jinja");
    Files.writeString(jinja, testTemplate().replace("eos_token + '\\n'", "'<|end|>\\n'"));
    ExampleEncoder e = ExampleEncoder.load(new ExampleEncoder.Spec("bytes", "chat",
        jinja.toString(), "", new TreeMap<>()));
    ExampleEncoder.Encoded x = e.encode("Q", "A");
    assertThat(new String(Arrays.stream(x.prompt()).collect(StringBuilder::new,
        StringBuilder::appendCodePoint, StringBuilder::append)))
        .isEqualTo("<|user|>\nQ<|end|>\n<|assistant|>\n");
    assertThat(x.answer()[x.answer().length - 1]).isEqualTo(256);
  }

  @Test
  void problemsNameTheTemplate() throws Exception {
    assertThatThrownBy(() -> ExampleEncoder.load(new ExampleEncoder.Spec("bytes", "chat", "", "",
        new TreeMap<>()))).hasMessageContaining("bytes tokenizer has no chat template");
    // a template that writes the answer's turn differently from its generation prompt
    Path tokenizer = tokenizerWithTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}"
        + "\n{% endfor %}{% if add_generation_prompt %}<bot>{% endif %}");
    ExampleEncoder e = ExampleEncoder.load(new ExampleEncoder.Spec(tokenizer.toString(), "chat",
        "", "", new TreeMap<>()));
    assertThatThrownBy(() -> e.encode("Q", "A")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(tokenizer.resolveSibling("tokenizer_config.json").toString())
        .hasMessageContaining("does not begin with the generation prompt")
        .hasMessageContaining("'user: Q\\n<bot>'");
    assertThatThrownBy(() -> new ExampleEncoder.Spec("bytes", "markdown", "", "",
        new TreeMap<>())).hasMessageContaining("'markdown' is not plain or chat");
  }
}
