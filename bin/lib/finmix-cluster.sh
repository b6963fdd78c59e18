# `bin/finmix cluster start|stop|status`: a Spark standalone cluster on loopback, a Master and
# N Workers run from the build's Spark jars (no Spark distribution), with pids and logs under
# <warehouse>/cluster. Sourced by bin/finmix after finmix-env.sh.

finmix_cluster_usage() {
  cat <<'USAGE'
Usage: bin/finmix cluster start [--workers N] [--cores C] [--memory SIZE] [--port P]
       bin/finmix cluster stop
       bin/finmix cluster status

A Spark standalone cluster on 127.0.0.1 from the build's jars: one Master (spark://127.0.0.1:P,
default 7077; web UI on 8080) and N Workers (default 2) of C cores (default 1) and SIZE memory
(default 4g) each. Pids, logs and work directories go under <warehouse>/cluster (env
FINMIX_WAREHOUSE, default ./warehouse). Submit to it with
  bin/finmix --master spark://127.0.0.1:7077 <command> ...
USAGE
}

finmix_cluster() {
  local action="${1:-}"
  [[ $# -gt 0 ]] && shift
  local workers=2 cores=1 memory=4g port=7077
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --workers) workers="$2"; shift 2 ;;
      --cores) cores="$2"; shift 2 ;;
      --memory) memory="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      -h|--help) finmix_cluster_usage; return 0 ;;
      *) finmix_die "cluster: unknown option '$1' (bin/finmix cluster --help)" ;;
    esac
  done
  local dir
  dir="$(mkdir -p "${FINMIX_WAREHOUSE:-./warehouse}" && cd "${FINMIX_WAREHOUSE:-./warehouse}" && pwd)/cluster"
  case "$action" in
    start) finmix_cluster_start "$dir" "$workers" "$cores" "$memory" "$port" ;;
    stop) finmix_cluster_stop "$dir" ;;
    status) finmix_cluster_status "$dir" ;;
    -h|--help|"") finmix_cluster_usage; [[ -n "$action" ]] ;;
    *) finmix_die "cluster: unknown action '$action' (start, stop, status)" ;;
  esac
}

finmix_cluster_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

finmix_cluster_start() {
  local dir="$1" workers="$2" cores="$3" memory="$4" port="$5"
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || finmix_die "cluster: --workers '$workers' is not a positive integer"
  [[ "$cores" =~ ^[1-9][0-9]*$ ]] || finmix_die "cluster: --cores '$cores' is not a positive integer"
  if finmix_cluster_alive "$dir/master.pid"; then
    finmix_die "cluster: already running (pid $(cat "$dir/master.pid")); bin/finmix cluster stop first"
  fi
  finmix_check_java
  finmix_ensure_built
  mkdir -p "$dir/logs" "$dir/work" "$dir/spark-home/jars"
  local cp jvm jar
  cp="$(finmix_spark_classpath)"
  jvm="$(finmix_jvm_options)"
  # Workers start executors from SPARK_HOME/jars: the build's Spark jars, linked
  rm -f "$dir/spark-home/jars/"*.jar
  IFS=: read -r -a jars <<<"$cp"
  for jar in "${jars[@]}"; do
    [[ "$jar" == *.jar ]] && ln -sf "$jar" "$dir/spark-home/jars/"
  done
  # SPARK_SCALA_VERSION: without it the executor launcher looks for a Spark source build
  export SPARK_HOME="$dir/spark-home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1 \
    SPARK_WORKER_DIR="$dir/work"
  echo "finmix cluster: starting the Master on spark://127.0.0.1:$port (logs under $dir/logs)" >&2
  # shellcheck disable=SC2086
  nohup java $jvm -Xmx1g -cp "$cp" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port 8080 >"$dir/logs/master.log" 2>&1 &
  echo $! >"$dir/master.pid"
  echo "spark://127.0.0.1:$port" >"$dir/master.url"
  local i
  for ((i = 1; i <= workers; i++)); do
    # shellcheck disable=SC2086
    nohup java $jvm -Xmx1g -cp "$cp" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port $((8080 + i)) \
      --work-dir "$dir/work/worker-$i" "spark://127.0.0.1:$port" >"$dir/logs/worker-$i.log" 2>&1 &
    echo $! >"$dir/worker-$i.pid"
  done
  # ready when every Worker has registered with the Master
  local waited=0
  while (( waited < 60 )); do
    if (( $(grep -c "Registering worker" "$dir/logs/master.log" 2>/dev/null || true) >= workers )); then
      echo "finmix cluster: up: spark://127.0.0.1:$port with $workers workers of $cores core(s), $memory" >&2
      echo "  submit with: bin/finmix --master spark://127.0.0.1:$port <command> ..." >&2
      return 0
    fi
    finmix_cluster_alive "$dir/master.pid" || break
    sleep 1
    waited=$((waited + 1))
  done
  tail -20 "$dir/logs/master.log" >&2
  finmix_cluster_stop "$dir"
  finmix_die "cluster: the Workers did not register within 60 s (logs: $dir/logs)"
}

finmix_cluster_stop() {
  local dir="$1" pid f stopped=0
  for f in "$dir"/worker-*.pid "$dir/master.pid"; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      stopped=$((stopped + 1))
    fi
    rm -f "$f"
  done
  echo "finmix cluster: stopped $stopped process(es)" >&2
}

finmix_cluster_status() {
  local dir="$1" f up=0
  if ! finmix_cluster_alive "$dir/master.pid"; then
    echo "finmix cluster: not running"
    return 3
  fi
  echo "master  $(cat "$dir/master.url")  pid $(cat "$dir/master.pid")"
  for f in "$dir"/worker-*.pid; do
    [[ -f "$f" ]] || continue
    if finmix_cluster_alive "$f"; then
      echo "$(basename "$f" .pid)  pid $(cat "$f")  running"
      up=$((up + 1))
    else
      echo "$(basename "$f" .pid)  pid $(cat "$f")  dead"
    fi
  done
  echo "logs    $dir/logs"
}
