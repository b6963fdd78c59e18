package io.finmix.jobs.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Streams the records of one JSON document: the elements of an array, or the values of an
 * object (whose keys become {@code $key}), optionally below a path of object fields. Only one
 * record is in memory at a time.
 *
 * <p>A syntax or encoding error ends the document: the rest of the file becomes one quarantine
 * row at the error's offset, since a JSON parser cannot find the next record after it.
 */
final class JsonDocumentReader extends NativeRowReader {

  private final JsonParser parser;
  private final ObjectReader json;
  private final boolean objectValues;
  private final List<String> path;
  private boolean started;
  /** Set when the document cannot be read further. */
  private boolean fatal;

  JsonDocumentReader(InputStream in, SourceSpec spec, ObjectMapper json) throws IOException {
    this.parser = json.getFactory().createParser(in);
    // A repeated key among the records of an object is a duplicate record (duplicate_key via
    // the natural key), not a reason to stop reading the document.
    parser.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    // One record at a time from a stream: the next record is not "trailing garbage".
    this.json = json.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.objectValues = spec.json().objectValues();
    this.path = spec.json().path();
  }

  @Override
  protected NativeRow advance() throws IOException {
    if (fatal) {
      return null;
    }
    try {
      return read();
    } catch (JsonProcessingException e) {
      return failure(e);
    } catch (IOException e) {
      if (JsonErrors.isEncoding(e)) {
        return failure(e);
      }
      throw e;
    }
  }

  @Override
  protected void onEnd() {
    try {
      parser.close();
    } catch (IOException e) {
      // nothing more to read
    }
  }

  private NativeRow read() throws IOException {
    if (!started) {
      started = true;
      NativeRow problem = descend();
      if (problem != null) {
        return problem;
      }
    }
    JsonToken t = parser.nextToken();
    String key = null;
    if (objectValues) {
      if (t == JsonToken.END_OBJECT) {
        return null;
      }
      key = parser.currentName();
      t = parser.nextToken();
    } else if (t == JsonToken.END_ARRAY) {
      return null;
    }
    if (t == null) {
      return structure("unexpected end of the document");
    }
    long offset = parser.currentTokenLocation().getByteOffset();
    JsonNode node = json.readTree(parser);
    if (node == null || !node.isObject()) {
      return NativeRow.failed(offset, QuarantineReason.MALFORMED_JSON, "record "
          + (key != null ? "'" + key + "' " : "") + "is not a JSON object",
          String.valueOf(node), StandardCharsets.UTF_8);
    }
    return NativeRow.parsed(offset, key, node, null, StandardCharsets.UTF_8);
  }

  /** Moves the parser into the container that holds the records; a problem row if it can't. */
  private NativeRow descend() throws IOException {
    JsonToken t = parser.nextToken();
    for (String field : path) {
      if (t != JsonToken.START_OBJECT) {
        return structure("expected an object around '" + field + "'");
      }
      boolean found = false;
      while ((t = parser.nextToken()) == JsonToken.FIELD_NAME) {
        boolean match = parser.currentName().equals(field);
        t = parser.nextToken();
        if (match) {
          found = true;
          break;
        }
        parser.skipChildren();
      }
      if (!found) {
        return structure("no field '" + field + "' in the document");
      }
    }
    JsonToken expected = objectValues ? JsonToken.START_OBJECT : JsonToken.START_ARRAY;
    if (t != expected) {
      return structure("expected " + (objectValues ? "an object of records" : "an array of records")
          + ", found " + t);
    }
    return null;
  }

  private NativeRow structure(String problem) {
    fatal = true;
    return NativeRow.failed(Math.max(0, parser.currentTokenLocation().getByteOffset()),
        QuarantineReason.MALFORMED_JSON, problem, "", StandardCharsets.UTF_8);
  }

  private NativeRow failure(IOException e) {
    fatal = true;
    long offset = Math.max(0, parser.currentLocation().getByteOffset());
    String detail = e instanceof JsonProcessingException jpe ? JsonErrors.describe(jpe)
        : String.valueOf(e.getMessage());
    return NativeRow.failed(offset, JsonErrors.isEncoding(e) ? QuarantineReason.BAD_ENCODING
        : QuarantineReason.MALFORMED_JSON, detail + "; the rest of the document is not read",
        "", StandardCharsets.UTF_8);
  }
}
