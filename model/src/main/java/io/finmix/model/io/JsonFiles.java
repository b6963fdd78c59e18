package io.finmix.model.io;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON objects from files, with errors that name the file. */
public final class JsonFiles {

  private JsonFiles() {}

  /** The JSON object in {@code file}. */
  public static JsonObject read(Path file) {
    try {
      return parse(Files.readString(file), file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** {@code json} as an object; {@code file} names it in the error. */
  public static JsonObject parse(String json, Path file) {
    try {
      return JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " is not a JSON object: " + e.getMessage(), e);
    }
  }
}
