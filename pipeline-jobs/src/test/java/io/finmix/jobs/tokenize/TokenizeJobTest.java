package io.finmix.jobs.tokenize;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import io.finmix.jobs.CliRunner;
import io.finmix.jobs.RecordFixtures;
import io.finmix.jobs.SparkTestBase;
import io.finmix.jobs.core.RunReport;
import io.finmix.jobs.core.TableWriter;
import io.finmix.jobs.mix.MixJob;
import io.finmix.model.tokenizer.ByteLevelBpeFile;
import io.finmix.model.tokenizer.TextTokenizer;
import io.finmix.model.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tokenizing and packing a small mixture, with both tokenizer paths. */
class TokenizeJobTest extends SparkTestBase {

  private static final String RUN = "tokenize-test";
  private static final int SEQ_LEN = 256;
  private static Path bpe;

  @BeforeAll
  static void mixAndTokenize() throws Exception {
    RecordFixtures rows = new RecordFixtures(RUN);
    for (int i = 0; i < 120; i++) {
      rows.add("r-" + i, "fpb", "train", "Net sales rose " + i + " %.".repeat(1 + i % 3),
          i % 2 == 0 ? "positive" : "neutral");
    }
    // a prompt longer than a sequence: truncated from its start; an answer that cannot fit:
    // dropped
    rows.add("long-prompt", "gen", "train", "Summarise.", "word ".repeat(80), "short", null, 0);
    rows.add("long-answer", "gen", "train", "Write.", "x", "y".repeat(300), null, 0);
    TableWriter.overwrite(SPARK, "corpus.clean", rows.frame(SPARK), col("run_id").equalTo(RUN));
    Path recipes = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "r-", ".conf"),
        "recipes { all { total = pool, components = [{ name = all, select { split = train } }] } }\n");
    Path prompts = Files.writeString(Files.createTempFile(Path.of(WAREHOUSE), "p-", ".conf"),
        "templates { default { prompt = \"{instruction}\\n{input}\\nAnswer:\", answer = \" {output}\" } }\n");
    CliRunner mix = CliRunner.run(new MixJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--recipes", recipes.toString(), "--set", "mix.prompts=" + prompts);
    assertThat(mix.exitCode()).as(mix.err()).isZero();
    CliRunner r = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--seq-len", String.valueOf(SEQ_LEN));
    assertThat(r.exitCode()).as(r.err()).isZero();
    Path dir = Files.createDirectories(Path.of(WAREHOUSE, "tok"));
    bpe = dir.resolve("tokenizer.json");
    String g = ByteLevelBpeFile.symbols(" ");
    ByteLevelBpeFile.write(bpe, List.of(new String[] {"N", "e"}, new String[] {"Ne", "t"},
        new String[] {g, "s"}, new String[] {g + "s", "a"}), List.of("<|endoftext|>"));
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
    CliRunner withBpe = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id",
        RUN, "--seq-len", String.valueOf(SEQ_LEN), "--tokenizer", bpe.toString());
    assertThat(withBpe.exitCode()).as(withBpe.err()).isZero();
  }

  private static List<Row> sequences(String tokenizerId) {
    return sql("SELECT input_ids, loss_mask, segment_ids, positions, mixture_positions, tokens, "
        + "sequence_index FROM finmix.train.sequences WHERE run_id = '%s' AND tokenizer_id = '%s'"
        + " ORDER BY sequence_index", RUN, tokenizerId);
  }

  private static Map<Long, String[]> mixture() {
    Map<Long, String[]> out = new HashMap<>();
    for (Row r : sql("SELECT position, prompt, answer, record_id FROM finmix.corpus.mixtures "
        + "WHERE run_id = '%s'", RUN)) {
      out.put(r.getLong(0), new String[] {r.getString(1), r.getString(2), r.getString(3)});
    }
    return out;
  }

  /** Checks every sequence against the mixture; returns how many examples were packed. */
  private static int checkSequences(String tokenizerId, TextTokenizer t) {
    Map<Long, String[]> mixture = mixture();
    List<Row> seqs = sequences(tokenizerId);
    assertThat(seqs).isNotEmpty();
    int packed = 0;
    for (int s = 0; s < seqs.size(); s++) {
      Row row = seqs.get(s);
      assertThat(row.getLong(6)).isEqualTo(s);
      List<Integer> ids = row.getList(0);
      List<Integer> mask = row.getList(1);
      List<Integer> segment = row.getList(2);
      List<Integer> position = row.getList(3);
      List<Long> members = row.getList(4);
      assertThat(ids).hasSize(SEQ_LEN);
      int k = 0;
      for (int m = 0; m < members.size(); m++) {
        List<Integer> exIds = new ArrayList<>();
        int masked = 0;
        for (; k < SEQ_LEN && segment.get(k) == m + 1; k++) {
          assertThat(position.get(k)).isEqualTo(exIds.size());
          exIds.add(ids.get(k));
          masked += mask.get(k);
        }
        String[] ex = mixture.get(members.get(m));
        // ends with the end of sequence; decodes back to prompt + answer (or, truncated, to
        // the end of the prompt and the whole answer); the loss is on answer + EOS only
        assertThat(exIds.get(exIds.size() - 1)).isEqualTo(t.eosId());
        String text = t.decode(exIds.subList(0, exIds.size() - 1).stream()
            .mapToInt(Integer::intValue).toArray());
        if (!text.equals(ex[0] + ex[1])) {
          assertThat(ex[2]).isEqualTo("long-prompt");
          assertThat((ex[0] + ex[1])).endsWith(text);
          assertThat(exIds).hasSize(SEQ_LEN);
        }
        assertThat(masked).isEqualTo(t.encode(ex[1]).length + 1);
        packed++;
      }
      assertThat(row.getInt(5)).isEqualTo(k);
      for (; k < SEQ_LEN; k++) {
        assertThat(segment.get(k)).isZero();
        assertThat(mask.get(k)).isZero();
      }
    }
    return packed;
  }

  @Test
  void bytesSequencesDecodeBackWithTheLossOnTheAnswer() {
    int packed = checkSequences("bytes", Tokenizers.load("bytes"));
    assertThat(packed).isEqualTo(121); // all but the answer that cannot fit
  }

  @Test
  void aTokenizerJsonPacksTheSameExamplesUnderItsOwnId() {
    TextTokenizer t = Tokenizers.load(bpe.toString());
    assertThat(t.id()).startsWith("tok-");
    assertThat(checkSequences(t.id(), t)).isEqualTo(121);
    assertThat(sql("SELECT DISTINCT tokenizer_id FROM finmix.train.sequences WHERE run_id = "
        + "'%s'", RUN).stream().map(r -> r.getString(0)).toList()).contains("bytes", t.id());
  }

  @Test
  void theReportCountsTruncationsDropsAndEfficiency() {
    Map<String, Object> report = RunReport.read(config("warehouse=" + WAREHOUSE,
        "run_id=" + RUN), SPARK.sparkContext().hadoopConfiguration(), "tokenize");
    @SuppressWarnings("unchecked")
    Map<String, Object> all = (Map<String, Object>) ((Map<String, Object>) report.get("recipes"))
        .get("all");
    assertThat(((Number) all.get("truncated")).longValue()).isEqualTo(1);
    assertThat(((Number) all.get("dropped")).longValue()).isEqualTo(1);
    assertThat(((Number) all.get("packed_examples")).longValue()).isEqualTo(121);
    assertThat((Double) all.get("efficiency")).isGreaterThan(0.9);
  }

  @Test
  void rerunningGivesTheSameSequences() {
    List<Row> before = sequences("bytes");
    CliRunner again = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--seq-len", String.valueOf(SEQ_LEN), "--recipe", "all");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(sequences("bytes")).isEqualTo(before);
  }

  @Test
  void aTokenizerTrainedOnTheMixtureRoundTripsItAndPacksIt() throws Exception {
    Path out = Path.of(WAREHOUSE, "trained");
    CliRunner train = CliRunner.run(new TrainTokenizerJob(), "--warehouse", WAREHOUSE,
        "--run-id", RUN, "--recipe", "all", "--vocab-size", "300", "--out", out.toString());
    assertThat(train.exitCode()).as(train.err()).isZero();
    assertThat(out.resolve("tokenizer_config.json")).content().contains("<|endoftext|>");
    TextTokenizer t = Tokenizers.load(out.resolve("tokenizer.json").toString());
    assertThat(t.vocabSize()).isLessThanOrEqualTo(300).isGreaterThan(257);
    String prompt = mixture().values().iterator().next()[0];
    assertThat(t.encode(prompt).length).isLessThan(prompt.length());
    CliRunner r = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--seq-len", String.valueOf(SEQ_LEN), "--tokenizer", out.resolve("tokenizer.json")
            .toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(checkSequences(t.id(), t)).isEqualTo(121);
    CliRunner missing = CliRunner.run(new TrainTokenizerJob(), "--warehouse", WAREHOUSE,
        "--run-id", RUN, "--recipe", "nope", "--out", out.toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("no mixture 'nope'");
  }

  /** A ChatML tokenizer written here: its template, and <|im_end|> as the end of sequence. */
  private static Path chatTokenizer(String name, String template) throws Exception {
    Path dir = Files.createDirectories(Path.of(WAREHOUSE, name));
    Path file = dir.resolve("tokenizer.json");
    ByteLevelBpeFile.write(file, List.of(), List.of("<|endoftext|>", "<|im_start|>",
        "<|im_end|>"));
    com.google.gson.JsonObject config = new com.google.gson.JsonObject();
    config.addProperty("eos_token", "<|im_end|>");
    config.addProperty("chat_template", template);
    Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
    return file;
  }

  private static final String CHATML = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n'"
      + " + m.content + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
      + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

  @Test
  void theChatFormatPacksTheTokenizersTemplateWithTheLossOnTheAssistantTurn() throws Exception {
    Path file = chatTokenizer("chatml", CHATML);
    String system = "You are a financial analyst.";
    CliRunner r = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--seq-len", String.valueOf(SEQ_LEN), "--tokenizer", file.toString(), "--format", "chat",
        "--set", "tokenize.system=\"" + system + "\"");
    assertThat(r.exitCode()).as(r.err()).isZero();
    TextTokenizer t = Tokenizers.load(file.toString());
    Map<Long, String[]> mixture = mixture();
    int packed = 0;
    // the chat encoding has an id of its own: the tokenizer's, and its template's hash
    List<String> chatIds = sql("SELECT DISTINCT tokenizer_id FROM finmix.train.sequences WHERE "
        + "run_id = '%s' AND tokenizer_id LIKE 'chatml-%%'", RUN).stream()
        .map(x -> x.getString(0)).toList();
    assertThat(chatIds).hasSize(1);
    assertThat(chatIds.get(0)).matches(java.util.regex.Pattern.quote(t.id()) + "\\+chat-[0-9a-f]{8}");
    for (Row row : sequences(chatIds.get(0))) {
      List<Integer> ids = row.getList(0);
      List<Integer> mask = row.getList(1);
      List<Integer> segment = row.getList(2);
      List<Long> members = row.getList(4);
      for (int m = 0; m < members.size(); m++) {
        List<Integer> example = new ArrayList<>();
        List<Integer> answer = new ArrayList<>();
        for (int k = 0; k < SEQ_LEN; k++) {
          if (segment.get(k) == m + 1) {
            example.add(ids.get(k));
            if (mask.get(k) == 1) {
              answer.add(ids.get(k));
            }
          }
        }
        String all = t.decode(example.stream().mapToInt(Integer::intValue).toArray());
        String[] ex = mixture.get(members.get(m));
        String prompt = "<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n"
            + ex[0].strip() + "<|im_end|>\n<|im_start|>assistant\n";
        String reply = ex[1].strip() + "<|im_end|>\n";
        if (ex[2].equals("long-prompt")) {
          assertThat(prompt + reply).endsWith(all);
        } else {
          assertThat(all).isEqualTo(prompt + reply);
        }
        // the loss is on the assistant's turn, whose <|im_end|> is the only end of sequence
        assertThat(t.decode(answer.stream().mapToInt(Integer::intValue).toArray()))
            .isEqualTo(reply);
        assertThat(answer.stream().filter(id -> id == t.eosId()).count()).isEqualTo(1);
        packed++;
      }
    }
    assertThat(packed).isEqualTo(121);
    Map<String, Object> report = RunReport.read(config("warehouse=" + WAREHOUSE,
        "run_id=" + RUN), SPARK.sparkContext().hadoopConfiguration(), "tokenize");
    assertThat(report.get("format")).isEqualTo("chat");
    assertThat(report.get("chat_template").toString()).endsWith("tokenizer_config.json");
  }

  @Test
  void aRowTheChatTemplateRefusesIsNamed() throws Exception {
    Path file = chatTokenizer("refusing", "{% for m in messages %}{% if 'rose 7 ' in m.content %}"
        + "{{ raise_exception('no sevens') }}{% endif %}{{ m.content }}{% endfor %}");
    CliRunner r = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--tokenizer", file.toString(), "--format", "chat");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("recipe 'all', record r-7 ").contains("no sevens")
        .contains(file.resolveSibling("tokenizer_config.json").toString());
    CliRunner bytes = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id",
        RUN, "--format", "chat");
    assertThat(bytes.exitCode()).isEqualTo(2);
    assertThat(bytes.err()).contains("tokenize.chat_template").contains("no chat template");
  }

  @Test
  void aMissingTokenizerFileIsNamed() {
    CliRunner r = CliRunner.run(new TokenizeJob(), "--warehouse", WAREHOUSE, "--run-id", RUN,
        "--tokenizer", "/nonexistent/tokenizer.json");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("/nonexistent/tokenizer.json");
  }
}
