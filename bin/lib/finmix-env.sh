# Shared by bin/finmix, bin/spark-submit and the bench scripts: where finmix lives, building it on
# first use, and the java command line that runs Spark's SparkSubmit from the build's jars.
# Source it with FINMIX_HOME set to the checkout.

finmix_die() {
  echo "finmix: $*" >&2
  exit 2
}

FINMIX_JAR="$FINMIX_HOME/pipeline-jobs/target/finmix-jobs.jar"
FINMIX_LAUNCHER_DIR="$FINMIX_HOME/pipeline-jobs/target/launcher"

# Why the jar needs building (empty when it is current): missing, or older than the sources.
finmix_build_reason() {
  if [[ ! -f "$FINMIX_JAR" || ! -f "$FINMIX_LAUNCHER_DIR/spark-classpath" ]]; then
    echo "first use"
  elif [[ -n "$(find "$FINMIX_HOME/pom.xml" "$FINMIX_HOME/data-schemas" "$FINMIX_HOME/model/pom.xml" \
      "$FINMIX_HOME/model/src/main" "$FINMIX_HOME/pipeline-jobs/pom.xml" \
      "$FINMIX_HOME/pipeline-jobs/src" -newer "$FINMIX_JAR" -type f \
      -not -path '*/target/*' -print -quit 2>/dev/null)" ]]; then
    echo "sources changed"
  fi
}

# Builds the application jar and the Spark classpath when needed. One build at a time: a
# launcher that waited for another's build looks again before building.
finmix_ensure_built() {
  [[ -n "$(finmix_build_reason)" ]] || return 0
  command -v mvn >/dev/null || finmix_die "Maven (mvn) is needed to build finmix; see README.md"
  local log="$FINMIX_HOME/.finmix-build.log"
  (
    cd "$FINMIX_HOME"
    if command -v flock >/dev/null; then
      exec 9>"$FINMIX_HOME/.finmix-build.lock"
      flock 9
    fi
    reason="$(finmix_build_reason)"
    [[ -n "$reason" ]] || exit 0
    echo "finmix: building the application jar ($reason; the first build downloads dependencies and takes a few minutes)..." >&2
    mvn -B -DskipTests -pl pipeline-jobs -am package >"$log" 2>&1
  ) || { tail -40 "$log" >&2; finmix_die "the build failed (full log: $log)"; }
}

# Builds the bench jar and its classpath file (Spark, MLlib, the finmix jar) when needed.
finmix_bench_built() {
  finmix_ensure_built
  local jar="$FINMIX_HOME/bench/target/finmix-bench.jar"
  if [[ ! -f "$jar" || ! -f "$FINMIX_HOME/bench/target/bench-classpath" \
      || -n "$(find "$FINMIX_HOME/bench/src" "$FINMIX_HOME/bench/pom.xml" "$FINMIX_JAR" \
        -newer "$jar" -print -quit)" ]]; then
    echo "building the bench jar..." >&2
    (cd "$FINMIX_HOME" && mvn -B -q -DskipTests -pl bench -am package >/dev/null) \
      || finmix_die "the bench build failed: mvn -DskipTests -pl bench -am package"
  fi
}

# The classpath with Spark's jars (from the local Maven repository).
finmix_spark_classpath() {
  local cp
  cp="$(cat "$FINMIX_LAUNCHER_DIR/spark-classpath")"
  local first="${cp%%:*}"
  [[ -f "$first" ]] || finmix_die "Spark's jars are missing from the Maven repository ($first); remove $FINMIX_LAUNCHER_DIR and run again to rebuild"
  printf '%s' "$cp"
}

# Spark's module flags for Java 17 (one copy, in the parent pom).
finmix_jvm_options() {
  cat "$FINMIX_LAUNCHER_DIR/jvm-options"
}

finmix_check_java() {
  command -v java >/dev/null || finmix_die "java is not on the PATH (Java 17 is needed)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${v%%.*}" -ge 17 ]] 2>/dev/null || finmix_die "Java 17 or newer is needed (found ${v:-unknown})"
}

# Runs Spark's SparkSubmit from the build's jars in place of this shell (exec): what bin/finmix and
# bin/spark-submit share. The driver JVM (SparkSubmit's own, in client mode) gets the Java 17
# module flags, conf/log4j2.properties and the heap; executors on a non-local master get the same
# module flags (spark.executor.extraJavaOptions); a log file (stderr not a terminal: CI, Airflow)
# gets no progress bar; the jobs see FINMIX_HOME, FINMIX_CONF_DIR and FINMIX_DATA_DIR. --conf
# settings among the arguments come after these, so they win.
#   finmix_exec_spark_submit MASTER DRIVER_MEMORY DRIVER_JAVA_OPTIONS DRIVER_CLASSPATH ARGS...
# DRIVER_JAVA_OPTIONS (words) and DRIVER_CLASSPATH (prepended) may be empty; ARGS are
# SparkSubmit's arguments after --master: its options, the application jar, the app's arguments.
finmix_exec_spark_submit() {
  local master="$1" driver_memory="$2" driver_java_options="$3" driver_classpath="$4"
  shift 4
  finmix_check_java
  finmix_ensure_built
  export FINMIX_HOME
  export FINMIX_CONF_DIR="${FINMIX_CONF_DIR:-$FINMIX_HOME/conf}"
  export FINMIX_DATA_DIR="${FINMIX_DATA_DIR:-$(cd "$FINMIX_HOME/.." && pwd)/shared/corpora}"
  local classpath jvm_options
  classpath="$(finmix_spark_classpath)"
  jvm_options="$(finmix_jvm_options)"
  [[ -z "$driver_classpath" ]] || classpath="$driver_classpath:$classpath"
  local settings=()
  # Spark's progress bar redraws one terminal line; in a log file it is noise, and finmix's own
  # progress lines say the same.
  [[ -t 2 ]] || settings+=(--conf spark.ui.showConsoleProgress=false)
  # executors on a cluster are JVMs of their own: the same Java 17 module flags
  [[ "$master" == local* ]] || settings+=(--conf "spark.executor.extraJavaOptions=$jvm_options")
  # Native memory: the model allocates its buffers once and frees them itself; JavaCPP's
  # physical-memory bound FINMIX_MAX_PHYSICAL stays as a tripwire (a garbage collection, then an
  # OutOfMemoryError, once the whole process passes it) rather than letting a runaway job swap.
  local offheap="-Dorg.bytedeco.javacpp.maxphysicalbytes=${FINMIX_MAX_PHYSICAL:-12g}"
  # The heap: G1 hands back what it does not need at the end of each concurrent cycle (free
  # share above 20%), so the data stages' peak is not held through training and scoring (the
  # main job's driver: 3.5-3.8 GB resident with G1's defaults, 1.9-2.8 GB with these).
  local heap="-XX:MaxHeapFreeRatio=20 -XX:MinHeapFreeRatio=5"
  # shellcheck disable=SC2086  # the JVM options are one word each
  exec java $jvm_options $offheap $heap $driver_java_options -Xmx"$driver_memory" \
    -Dlog4j2.configurationFile="file:$FINMIX_CONF_DIR/log4j2.properties" \
    -cp "$classpath" \
    org.apache.spark.deploy.SparkSubmit \
    --master "$master" \
    ${settings[@]+"${settings[@]}"} \
    "$@"
}
