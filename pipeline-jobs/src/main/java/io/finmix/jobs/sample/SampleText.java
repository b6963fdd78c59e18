package io.finmix.jobs.sample;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generated financial, general and math text with a learnable signal: answers follow the
 * arithmetic, and sentiment follows what the words say the way it does in real news, not a
 * word list: a rising figure is good news when it is sales and bad news when it is costs, and
 * "did not" turns either around, so "rose" and "fell" each appear under both labels. Every value
 * comes from one seeded random source, so the same seed writes the same corpus. Company names
 * are invented.
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
  /** Figures that are bad news when they rise. */
  private static final List<String> COSTS = List.of("costs", "operating expenses", "net debt",
      "credit losses", "impairment charges", "inventory write-downs", "the operating loss",
      "customer churn", "staff turnover", "warranty claims");
  private static final List<String> UP = List.of("rose", "increased", "grew", "climbed",
      "jumped", "improved");
  private static final List<String> DOWN = List.of("fell", "decreased", "dropped", "declined",
      "slumped", "weakened");
  /** The same verbs after "did not", index for index. */
  private static final List<String> UP_BASE = List.of("rise", "increase", "grow", "climb",
      "jump", "improve");
  private static final List<String> DOWN_BASE = List.of("fall", "decrease", "drop", "decline",
      "slump", "weaken");
  private static final List<String> FLAT = List.of("was unchanged", "was flat",
      "remained stable", "held steady");
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

  private static final List<String> PRODUCTS = List.of("packaging", "paper", "steel",
      "software", "telecom", "retail", "food", "shipping", "mining", "insurance", "chemicals",
      "electronics", "pharma", "energy", "forestry");
  private static final List<String> CITIES = List.of("Helsinki", "Stockholm", "Tallinn",
      "Warsaw", "Frankfurt", "Oslo", "Riga", "Copenhagen", "Tampere", "Gothenburg");
  private static final List<String> MONTHS = List.of("January", "February", "March", "April",
      "May", "June", "July", "August", "September", "October", "November", "December");
  private static final List<String> BROKERS = List.of("Morgan Stanley", "Goldman", "UBS",
      "Jefferies", "Barclays", "Citi", "Nordea", "SEB", "Deutsche Bank", "BofA");

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

  /**
   * A figure that moved, and how: {@code good} news or bad. Good news is a sales-like figure
   * up, a cost-like figure down, or either of the bad moves negated; bad news the reverse.
   */
  private String move(String company, String period, boolean good) {
    boolean costs = random.nextInt(2) == 0;
    String metric = costs ? pick(COSTS) : pick(METRICS);
    boolean negated = random.nextInt(3) == 0;
    // the direction the words name: up when (good, sales) or (bad, costs), flipped by "not"
    boolean up = good != costs;
    if (negated) {
      up = !up;
      int i = random.nextInt(UP_BASE.size());
      return String.format(Locale.ROOT, "%s 's %s did not %s in %s%s .", company, metric,
          up ? UP_BASE.get(i) : DOWN_BASE.get(i), period, pick(List.of("",
              " , the company said", " , contrary to forecasts", " , according to the report")));
    }
    double pct = between(1, 400) / 10.0;
    if (random.nextInt(2) == 0) {
      return String.format(Locale.ROOT, "%s 's %s %s by %.1f %% in %s .", company, metric,
          up ? pick(UP) : pick(DOWN), pct, period);
    }
    double from = between(5, 900) / 10.0;
    double to = up ? from * (1 + pct / 100) : from * (1 - pct / 100);
    return String.format(Locale.ROOT, "In %s , %s of %s %s to EUR %.1f mn from EUR %.1f mn .",
        period, metric, company, up ? pick(UP) : pick(DOWN), to, from);
  }

  /** A sentence whose sentiment is {@code label} (negative, neutral or positive). */
  String newsSentence(String label, String company) {
    String period = pick(PERIODS);
    return switch (label) {
      case "positive" -> switch (random.nextInt(6)) {
        case 0, 1, 2 -> move(company, period, true);
        case 3 -> company + " raised its outlook for " + period + " after strong " + pick(METRICS)
            + " in " + pick(COUNTRIES) + " .";
        case 4 -> String.format(Locale.ROOT, "%s won a EUR %d mn order from %s in %s .",
            company, between(2, 400), company(), pick(COUNTRIES));
        default -> company + " no longer expects " + pick(List.of("an operating loss",
            "job cuts", "a decline in " + pick(METRICS))) + " in " + period + " .";
      };
      case "negative" -> switch (random.nextInt(6)) {
        case 0, 1, 2 -> move(company, period, false);
        case 3 -> company + " issued a profit warning for " + period + " as " + pick(METRICS)
            + " weakened in " + pick(COUNTRIES) + " .";
        case 4 -> String.format(Locale.ROOT, "%s will cut %d jobs at its %s unit in %s .",
            company, between(20, 900), pick(PRODUCTS), pick(COUNTRIES));
        default -> company + " no longer expects " + pick(List.of("an operating profit",
            "new orders", "growth in " + pick(METRICS))) + " in " + period + " .";
      };
      default -> switch (random.nextInt(8)) {
        case 0 -> company + " will publish its results for " + period + " on "
            + between(1, 28) + " " + pick(MONTHS) + " " + between(2019, 2026) + " .";
        case 1 -> company + " appointed " + pick(PEOPLE) + " as " + pick(ROLES) + " of its "
            + pick(PRODUCTS) + " unit as of " + between(1, 28) + " " + pick(MONTHS) + " .";
        case 2 -> String.format(Locale.ROOT, "%s operates %d sites in %s and employs %d "
            + "people .", company, between(3, 120), pick(COUNTRIES), between(40, 9000));
        case 3 -> String.format(Locale.ROOT, "The %s unit of %s is based in %s , %s .",
            pick(PRODUCTS), company, pick(CITIES), pick(COUNTRIES));
        case 4 -> String.format(Locale.ROOT, "%s 's shares are listed on the %s stock exchange "
            + "under the ticker %s .", company, pick(CITIES), ticker());
        case 5 -> String.format(Locale.ROOT, "%s signed a %d-year service agreement with %s "
            + "covering %s .", company, between(2, 10), company(), pick(PRODUCTS));
        default -> String.format(Locale.ROOT, "%s 's %s %s in %s .", company,
            random.nextInt(2) == 0 ? pick(METRICS) : pick(COSTS), pick(FLAT), period);
      };
    };
  }

  /**
   * A short tweet with a cashtag; the sentiment follows what the words say (shares jumping is
   * good news, costs jumping bad, "will not" turns a promise around).
   */
  String tweet(String label) {
    String ticker = "$" + ticker();
    String price = String.format(Locale.ROOT, "%.2f", between(100, 90000) / 100.0);
    String url = " https://t.co/" + Long.toString(Math.abs(random.nextLong()), 36).substring(0, 8);
    String period = pick(PERIODS);
    return switch (label) {
      case "positive" -> switch (random.nextInt(6)) {
        case 0 -> ticker + " upgraded to Buy at " + pick(BROKERS) + ", target " + price + url;
        case 1 -> ticker + " beats on " + pick(METRICS) + ", raises " + period + " guidance" + url;
        case 2 -> company() + " shares " + pick(List.of("jump", "climb", "rise")) + " "
            + between(2, 30) + "% as " + pick(COSTS) + " " + pick(List.of("fall", "drop", "ease"))
            + url;
        case 3 -> ticker + " says it will not " + pick(List.of("cut", "lower", "withdraw"))
            + " its " + period + " guidance" + url;
        case 4 -> ticker + " " + pick(COSTS) + " " + pick(DOWN) + " " + between(2, 30) + "% in "
            + period + url;
        default -> ticker + " hits a new high at " + price + " as " + pick(PRODUCTS)
            + " sales soar" + url;
      };
      case "negative" -> switch (random.nextInt(6)) {
        case 0 -> ticker + " downgraded to Sell at " + pick(BROKERS) + ", target " + price + url;
        case 1 -> ticker + " misses on " + pick(METRICS) + ", cuts " + period + " guidance" + url;
        case 2 -> company() + " shares " + pick(List.of("slide", "drop", "fall")) + " "
            + between(2, 30) + "% as " + pick(COSTS) + " " + pick(List.of("jump", "climb", "rise"))
            + url;
        case 3 -> ticker + " says it will not " + pick(List.of("meet", "reach", "keep"))
            + " its " + period + " guidance" + url;
        case 4 -> ticker + " " + pick(COSTS) + " " + pick(UP) + " " + between(2, 30) + "% in "
            + period + url;
        default -> ticker + " falls to " + price + " as " + pick(PRODUCTS) + " demand weakens"
            + url;
      };
      default -> switch (random.nextInt(5)) {
        case 0 -> ticker + " to report " + period + " earnings on " + pick(MONTHS) + " "
            + between(1, 28) + url;
        case 1 -> company() + " schedules investor day for " + pick(MONTHS) + " "
            + between(1, 28) + url;
        case 2 -> ticker + " files " + pick(List.of("10-Q", "10-K", "8-K", "S-1")) + " with the "
            + "SEC" + url;
        case 3 -> ticker + " " + pick(METRICS) + " " + pick(FLAT) + " in " + period + url;
        default -> pick(BROKERS) + " keeps " + ticker + " at Hold, target " + price + url;
      };
    };
  }

  /** A StockTwits-style post (PIXIU's FiQA posts): first person, a price, no link. */
  String post(String label) {
    String ticker = "$" + ticker();
    String price = String.format(Locale.ROOT, "%.2f", between(100, 90000) / 100.0);
    return switch (label) {
      case "positive" -> pick(List.of("Loading up on ", "Long ", "Added more ", "Bullish on "))
          + ticker + " at " + price + ", " + pick(List.of("breakout coming", "chart looks great",
              "earnings will crush it", "easy double from here"));
      case "negative" -> pick(List.of("Shorting ", "Sold all my ", "Bearish on ", "Out of "))
          + ticker + " at " + price + ", " + pick(List.of("this is going lower",
              "guidance was awful", "head and shoulders top", "no support until " + price));
      default -> pick(List.of("Watching ", "Any news on ", "Holding ", "What do you think of "))
          + ticker + " around " + price + pick(List.of("?", " today", " into earnings", ""));
    };
  }

  String ticker() {
    StringBuilder t = new StringBuilder();
    int n = between(2, 4);
    for (int i = 0; i < n; i++) {
      t.append((char) ('A' + random.nextInt(26)));
    }
    return t.toString();
  }

  /** A headline about {@code company}, with a score whose sign follows the words. */
  String headline(String company, double score) {
    if (score > 0.2) {
      return company + pick(List.of(" shares ", " stock ", " ")) + pick(UP) + " after "
          + pick(List.of("upbeat ", "record ", "strong ")) + pick(METRICS) + " in "
          + pick(PERIODS);
    }
    if (score < -0.2) {
      return company + pick(List.of(" shares ", " stock ", " ")) + pick(DOWN) + " on "
          + pick(List.of("weak ", "disappointing ", "falling ")) + pick(METRICS) + " in "
          + pick(PERIODS);
    }
    return company + pick(List.of(" sets date for ", " to announce ", " confirms timing of "))
        + pick(PERIODS) + " results, CEO " + pick(PEOPLE) + " to host call";
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
    switch (random.nextInt(6)) {
      case 0: {
        String[] tips = {"Start small and be consistent", "Plan ahead", "Ask for feedback",
            "Keep notes", "Set a daily time", "Remove distractions", "Review your progress"};
        int a = random.nextInt(tips.length);
        int b = (a + 1 + random.nextInt(tips.length - 1)) % tips.length;
        return new String[] {"Give two tips for " + topic + ".", "", "1. " + tips[a] + " when "
            + topic + ".\n2. " + tips[b] + "."};
      }
      case 1: {
        int n = between(2, 900);
        return new String[] {"Convert the distance to meters.", n + " kilometers",
            n + " kilometers is " + (n * 1000) + " meters."};
      }
      case 2: {
        int a = between(10, 9999);
        int b = between(10, 9999);
        return new String[] {"Add the two numbers.", a + " and " + b,
            a + " + " + b + " = " + (a + b)};
      }
      case 3: {
        String name = pick(NAMES);
        String item = pick(ITEMS);
        return new String[] {"Rewrite the sentence in the passive voice.",
            name + " bought " + between(2, 60) + " " + item + ".",
            "The " + item + " were bought by " + name + "."};
      }
      case 4: {
        int[] xs = {between(1, 99), between(1, 99), between(1, 99), between(1, 99)};
        int[] sorted = xs.clone();
        java.util.Arrays.sort(sorted);
        return new String[] {"Sort the numbers from smallest to largest.",
            java.util.Arrays.toString(xs), java.util.Arrays.toString(sorted)};
      }
      default: {
        String word = pick(ITEMS) + pick(List.of("", "s", "es"));
        return new String[] {"How many letters are in the word?", word,
            "The word \"" + word + "\" has " + word.length() + " letters."};
      }
    }
  }
}
