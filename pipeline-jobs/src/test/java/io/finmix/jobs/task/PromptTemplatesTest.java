package io.finmix.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finmix.jobs.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTemplatesTest {

  @TempDir
  Path dir;

  private static Map<String, String> sentiment(String text, String label) {
    Map<String, String> f = new HashMap<>();
    f.put("task", "sentiment");
    f.put("source", "fpb");
    f.put("instruction", "");
    f.put("input", text);
    f.put("output", label);
    f.put("label", label);
    f.put("choices", "negative, neutral, positive");
    return f;
  }

  @Test
  void theShippedTemplatesRenderEveryTaskWithTheChoicesListed() {
    PromptTemplates t = PromptTemplates.load("prompts.conf");
    PromptTemplates.Rendered r = t.render("rec-1", 7, sentiment("Profit rose.", "positive"));
    assertThat(r.prompt()).contains("negative, neutral, positive").endsWith(
        "Text: Profit rose.\nAnswer:");
    assertThat(r.answer()).isEqualTo(" positive");
    // A task without a template of its own falls back to default, without blank lead lines.
    Map<String, String> other = sentiment("Tell me more.", "ok");
    other.put("task", "no_such_task");
    other.put("source", "no_such_source");
    assertThat(t.render("rec-2", 7, other).prompt()).isEqualTo("Tell me more.");
  }

  @Test
  void variantsArePickedPerRowDeterministicallyAndAllGetUsed() {
    PromptTemplates t = PromptTemplates.load("prompts.conf");
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      PromptTemplates.Rendered a = t.render("rec-" + i, 7, sentiment("x", "neutral"));
      PromptTemplates.Rendered b = t.render("rec-" + i, 7, sentiment("x", "neutral"));
      assertThat(a).isEqualTo(b);
      seen.add(a.variant());
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2);
  }

  @Test
  void bracesAndTheRecordsOwnInstruction() throws Exception {
    Path f = Files.writeString(dir.resolve("p.conf"), "templates {\n"
        + "  default { instructions = [\"Q: {instruction}\"], prompt = \"{{x}} {instruction}\","
        + " answer = \"{output}\" }\n}\n");
    Map<String, String> fields = sentiment("in", "out");
    fields.put("instruction", "why?");
    PromptTemplates.Rendered r = PromptTemplates.load(f.toString()).render("a", 1, fields);
    assertThat(r.prompt()).isEqualTo("{x} Q: why?");
    assertThat(r.answer()).isEqualTo("out");
  }

  @Test
  void anUnknownFieldOrKeyIsNamedWithItsTemplate() throws Exception {
    Path f = Files.writeString(dir.resolve("bad.conf"), "templates {\n"
        + "  default { prompt = \"{input}\", answer = \"{answr}\" }\n}\n");
    assertThatThrownBy(() -> PromptTemplates.load(f.toString())).isInstanceOf(UserError.class)
        .hasMessageContaining("template 'default'").hasMessageContaining("bad.conf")
        .hasMessageContaining("{answr}");
    Path g = Files.writeString(dir.resolve("bad2.conf"), "templates {\n"
        + "  default { prompt = \"{input}\", answer = \"{output}\", anwser = \"\" }\n}\n");
    assertThatThrownBy(() -> PromptTemplates.load(g.toString()))
        .hasMessageContaining("unknown key 'anwser'");
    Path h = Files.writeString(dir.resolve("nodefault.conf"), "templates {\n"
        + "  sentiment { prompt = \"{input}\", answer = \"{output}\" }\n}\n");
    assertThatThrownBy(() -> PromptTemplates.load(h.toString()))
        .hasMessageContaining("a `default` template is required");
  }

  @Test
  void aSourceWithItsOwnTemplateUsesItAndANamedTemplateComesFirst() throws Exception {
    Path f = Files.writeString(dir.resolve("src.conf"), "templates {\n"
        + "  default { prompt = \"{input}\", answer = \"{output}\" }\n"
        + "  sentiment { prompt = \"News: {input}\", answer = \" {label}\" }\n"
        + "  post { prompt = \"Post: {input}\", answer = \" {label}\" }\n"
        + "  plain { prompt = \"\", answer = \"{input}\" }\n"
        + "}\nsources { fiqa = post }\n");
    PromptTemplates t = PromptTemplates.load(f.toString());
    Map<String, String> fiqa = sentiment("Up 5%.", "positive");
    fiqa.put("source", "fiqa");
    assertThat(t.render("r", 1, fiqa).prompt()).isEqualTo("Post: Up 5%.");
    assertThat(t.render("r", 1, sentiment("Up 5%.", "positive")).prompt())
        .isEqualTo("News: Up 5%.");
    assertThat(t.of("plain", "fiqa", "sentiment").task()).isEqualTo("plain");
    assertThat(t.of("", "fiqa", "sentiment").task()).isEqualTo("post");
    assertThat(t.of(null, "fpb", "no_such_task").task()).isEqualTo("default");

    Path g = Files.writeString(dir.resolve("badsrc.conf"), "templates {\n"
        + "  default { prompt = \"{input}\", answer = \"{output}\" }\n}\n"
        + "sources { fiqa = post }\n");
    assertThatThrownBy(() -> PromptTemplates.load(g.toString())).isInstanceOf(UserError.class)
        .hasMessageContaining("badsrc.conf").hasMessageContaining("sources.fiqa")
        .hasMessageContaining("template 'post' is not declared");
  }

  @Test
  void theShippedSentimentDatasetsEachReadAsTheirKindOfText() {
    PromptTemplates t = PromptTemplates.load("prompts.conf");
    Map<String, String> row = sentiment("Shares up.", "positive");
    for (String[] c : new String[][] {{"fpb", "news"}, {"tfns", "tweet"},
        {"pixiu_fiqasa", "post"}}) {
      row.put("source", c[0]);
      assertThat(t.render("rec-1", 7, row).prompt()).contains(c[1])
          .endsWith("Text: Shares up.\nAnswer:");
    }
  }
}
