package io.finmix.jobs.sample;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generated financial, general and math text with a learnable signal: sentiment follows the
 * words, answers follow the arithmetic. Every value comes from one seeded random source, so the
 * same seed writes the same corpus. Company names are invented.
 */
final class SampleText {

  static final List<String> SENTIMENTS = List.of("negative", "neutral", "positive");

  private static final List<String> COMPANIES = List.of("Nordlund Oyj", "Kestrel Bank",
      "Aurora Mining", "Baltic Freight", "Helios Energy", "Marlin Foods", "Vesta Retail",
      "Corvid Software", "Talvi Paper", "Granite Insurance", "Lumen Telecom", "Osprey Steel",
      "Pallas Pharma", "Quarry Cement", "Rowan Logistics", "Sable Media", "Tundra Forest",
      "Umber Chemicals", "Valo Electronics", "Wren Airlines", "Ystad Shipping", "Zephyr Motors",
      "Brightwater Utilities", "Cinder Metals", "Delta Harbour", "Elm Street Capital",
      "Fjord Seafood", "Glacier Foods", "Harbor Point REIT", "Iris Biotech");
  private static final List<String> METRICS = List.of("net sales", "operating profit",
      "revenue", "earnings per share", "order intake", "net profit", "gross margin",
      "cash flow", "comparable sales", "EBITDA");
  private static final List<String> PERIODS = List.of("the first quarter", "the second quarter",
      "the third quarter", "the fourth quarter", "the first half", "the full year", "2024",
      "2025", "January-June", "the nine-month period");
  private static final List<String> UP = List.of("rose", "increased", "grew", "climbed",
      "jumped", "improved");
  private static final List<String> DOWN = List.of("fell", "decreased", "dropped", "declined",
      "slumped", "weakened");
  private static final List<String> COUNTRIES = List.of("Finland", "Sweden", "Estonia",
      "Poland", "Germany", "Norway", "Latvia", "Denmark");
  private static final List<String> ROLES = List.of("chief executive", "chief financial officer",
      "chairman", "head of sales", "head of operations");
  private static final List<String> PEOPLE = List.of("Anna Virtanen", "Mikael Berg",
      "Laura Nieminen", "Jonas Holm", "Eva Lind", "Pekka Salo", "Sofia Koski", "Erik Dahl");
  private static final List<String> TOPICS = List.of("saving money", "staying focused",
      "learning a language", "writing a clear email", "planning a trip", "cooking rice",
      "keeping plants alive", "running a meeting", "reading faster", "sleeping better");
  private static final List<String> ITEMS = List.of("apples", "pencils", "books", "stickers",
      "marbles", "cupcakes", "tickets", "shells", "cards", "buttons");
  private static final List<String> NAMES = List.of("Maya", "Liam", "Noah", "Emma", "Olivia",
      "Lucas", "Ava", "Ethan", "Mia", "Leo");

  private final SplittableRandom random;

  SampleText(long seed) {
    this.random = new SplittableRandom(seed);
  }

  int nextInt(int bound) {
    return random.nextInt(bound);
  }

  int between(int lo, int hi) {
    return lo + random.nextInt(hi - lo + 1);
  }

  double nextDouble() {
    return random.nextDouble();
  }

  <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  String company() {
    return pick(COMPANIES);
  }

  /** A sentence whose sentiment is {@code label} (negative, neutral or positive). */
  String newsSentence(String label, String company) {
    String metric = pick(METRICS);
    String period = pick(PERIODS);
    double pct = between(1, 400) / 10.0;
    double from = between(5, 900) / 10.0;
    double to = label.equals("positive") ? from * (1 + pct / 100) : from * (1 - pct / 100);
    return switch (label) {
      case "positive" -> switch (random.nextInt(4)) {
        case 0 -> String.format(Locale.ROOT, "%s 's %s %s by %.1f %% in %s .", company, metric,
            pick(UP), pct, period);
        case 1 -> String.format(Locale.ROOT, "In %s , %s %s to EUR %.1f mn from EUR %.1f mn .",
            period, metric, pick(UP), to, from);
        case 2 -> company + " raised its outlook for " + period + " after strong " + metric + " .";
        default -> company + " won a new contract in " + pick(COUNTRIES) + " , lifting its "
            + metric + " .";
      };
      case "negative" -> switch (random.nextInt(4)) {
        case 0 -> String.format(Locale.ROOT, "%s 's %s %s by %.1f %% in %s .", company, metric,
            pick(DOWN), pct, period);
        case 1 -> String.format(Locale.ROOT, "In %s , %s %s to EUR %.1f mn from EUR %.1f mn .",
            period, metric, pick(DOWN), to, from);
        case 2 -> company + " issued a profit warning for " + period + " as " + metric
            + " weakened .";
        default -> company + " will cut " + between(20, 900) + " jobs in " + pick(COUNTRIES)
            + " after losses .";
      };
      default -> switch (random.nextInt(4)) {
        case 0 -> company + " will publish its results for " + period + " on "
            + between(1, 28) + " " + pick(List.of("March", "April", "July", "October")) + " .";
        case 1 -> company + " appointed " + pick(PEOPLE) + " as " + pick(ROLES) + " .";
        case 2 -> company + " operates " + between(3, 120) + " sites in " + pick(COUNTRIES) + " .";
        default -> "The company 's head office is located in " + pick(COUNTRIES) + " .";
      };
    };
  }

  /** A short tweet with a cashtag; the sentiment follows the words. */
  String tweet(String label) {
    String ticker = "$" + company().substring(0, 3).toUpperCase(Locale.ROOT) + between(0, 9);
    String url = " https://t.co/" + Long.toString(Math.abs(random.nextLong()), 36).substring(0, 8);
    return switch (label) {
      case "positive" -> ticker + " " + pick(List.of("upgraded to Buy at", "beats estimates,",
          "shares soar after", "raises dividend after")) + " " + pick(METRICS) + url;
      case "negative" -> ticker + " " + pick(List.of("downgraded to Sell at", "misses estimates,",
          "shares sink after", "cuts guidance on weak")) + " " + pick(METRICS) + url;
      default -> ticker + " " + pick(List.of("to report earnings on Tuesday", "announces board "
          + "meeting date", "files quarterly report", "schedules investor day")) + url;
    };
  }

  /** A headline about {@code company}, with a score whose sign follows the words. */
  String headline(String company, double score) {
    if (score > 0.2) {
      return company + " shares " + pick(UP) + " after upbeat " + pick(METRICS);
    }
    if (score < -0.2) {
      return company + " shares " + pick(DOWN) + " on weak " + pick(METRICS);
    }
    return company + " sets date for " + pick(PERIODS) + " results";
  }

  /** A GSM8K-style word problem: {question, rationale with <<calc>> notes, final answer}. */
  String[] mathProblem() {
    String who = pick(NAMES);
    String item = pick(ITEMS);
    int a = between(2, 60);
    int b = between(2, 12);
    int c = between(1, a * b - 1);
    int total = a * b;
    int left = total - c;
    String question = who + " buys " + b + " boxes of " + item + " with " + a + " " + item
        + " in each box. " + who + " gives away " + c + " " + item + ". How many " + item
        + " does " + who + " have left?";
    String answer = who + " has " + b + " * " + a + " = <<" + b + "*" + a + "=" + total + ">>"
        + total + " " + item + ".\nAfter giving some away, " + who + " has " + total + " - " + c
        + " = <<" + total + "-" + c + "=" + left + ">>" + left + " " + item + " left.\n#### "
        + (left >= 1000 ? String.format(Locale.ROOT, "%,d", left) : Integer.toString(left));
    return new String[] {question, answer, Integer.toString(left)};
  }

  /** A SVAMP-style problem: {body, question, equation, answer}. */
  String[] svampProblem() {
    String who = pick(NAMES);
    String item = pick(ITEMS);
    int a = between(5, 90);
    int b = between(1, a - 1);
    boolean add = random.nextBoolean();
    String body = who + " had " + a + " " + item + ". " + who + (add ? " got " : " lost ") + b
        + " more" + (add ? " from a friend" : "");
    String question = "How many " + item + " does " + who + " have now?";
    String equation = "( " + a + ".0 " + (add ? "+" : "-") + " " + b + ".0 )";
    return new String[] {body, question, equation, (add ? a + b : a - b) + ".0"};
  }

  /** A general instruction: {instruction, input, output}. */
  String[] instruction() {
    String topic = pick(TOPICS);
    return switch (random.nextInt(3)) {
      case 0 -> new String[] {"Give three tips for " + topic + ".", "",
          "1. Start small and be consistent.\n2. Plan ahead for " + topic
              + ".\n3. Review what worked and adjust."};
      case 1 -> {
        int n = between(2, 40);
        yield new String[] {"Convert the distance to meters.", n + " kilometers",
            n + " kilometers is " + (n * 1000) + " meters."};
      }
      default -> {
        String a = pick(NAMES);
        yield new String[] {"Rewrite the sentence in the passive voice.",
            a + " wrote the report.", "The report was written by " + a + "."};
      }
    };
  }
}
