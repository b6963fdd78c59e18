package io.finmix.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real Qwen3 tokenizer in ../shared/tokenizers/qwen3 (or FINMIX_TOKENIZERS_DIR): the ids a
 * Qwen3 checkpoint expects, exactly. Fails without ../shared: it runs where the files are.
 */
@Tag("acceptance")
class Qwen3TokenizerIT {

  private static final Path DIR = Path.of(System.getenv().getOrDefault("FINMIX_TOKENIZERS_DIR",
      "../../shared/tokenizers")).resolve("qwen3");

  @Test
  void encodesToQwen3sOwnIdsAndBack() throws Exception {
    assertThat(DIR.resolve("tokenizer.json")).as("../shared/tokenizers/qwen3 is required here")
        .exists();
    TextTokenizer t = Tokenizers.load(DIR.resolve("tokenizer.json").toString());
    assertThat(t.encode("Hello world")).containsExactly(9707, 1879);
    assertThat(t.encode("The company's net sales rose 5.2% to EUR 131.5 mn.")).containsExactly(
        785, 2813, 594, 4179, 6625, 16009, 220, 20, 13, 17, 4, 311, 37088, 220, 16, 18, 16, 13,
        20, 27938, 13);
    assertThat(t.encode("你好，世界")).containsExactly(108386, 3837, 99489);
    assertThat(t.encode("  leading spaces and\ttabs\n"))
        .containsExactly(220, 6388, 12621, 323, 3244, 3435, 198);
    // special tokens written in the text are the special ids; eos from tokenizer_config.json
    assertThat(t.encode("<|im_start|>user\n")).containsExactly(151644, 872, 198);
    assertThat(t.eosId()).isEqualTo(151645);
    assertThat(t.id()).isEqualTo("qwen3-aeb13307");
    assertThat(t.vocabSize()).isGreaterThanOrEqualTo(151643 + 26);
    for (String s : List.of("Hello world", "你好，世界", "emoji 👍🏽", "a\tb\n\nc  ",
        Files.readString(DIR.resolve("SOURCE.md")))) {
      assertThat(t.decode(t.encode(s))).isEqualTo(s);
    }
  }
}
