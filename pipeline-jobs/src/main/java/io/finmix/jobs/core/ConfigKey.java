package io.finmix.jobs.core;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The config key a command-line option sets: on a {@code @Option} field of a {@link
 * StageCommand}, whose value (when given, not null) overrides that key, over every config layer
 * but the command line's own. One declaration per option: the field is the binding.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface ConfigKey {

  /** The key, as declared in conf/finmix.conf ({@code train.lr}). */
  String value();
}
