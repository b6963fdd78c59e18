package io.finmix.jobs.ingest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/** Short, one-line descriptions of JSON parse errors for the quarantine detail column. */
final class JsonErrors {

  private JsonErrors() {}

  static String describe(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    int nl = message.indexOf('\n');
    if (nl > 0) {
      message = message.substring(0, nl);
    }
    JsonLocation at = e.getLocation();
    return at == null ? message
        : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }

  /** Whether the parser failed on bytes that are not valid UTF-8. */
  static boolean isEncoding(Throwable e) {
    String m = String.valueOf(e.getMessage());
    return e instanceof java.io.CharConversionException || m.contains("Invalid UTF-8")
        || m.contains("Invalid UTF-32");
  }
}
