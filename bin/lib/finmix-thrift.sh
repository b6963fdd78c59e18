# `bin/finmix thriftserver start|stop|status`: Spark's Thrift JDBC/ODBC server (HiveThriftServer2)
# on the finmix catalog, in the background, with its pid file and log under
# <warehouse>/thriftserver; and `bin/finmix beeline`, Hive's BeeLine JDBC client to it. Sourced
# by bin/finmix after finmix-env.sh.

finmix_thrift_usage() {
  cat <<'USAGE'
Usage: bin/finmix thriftserver start [--port P] [--bind HOST] [--timeout SECONDS]
                                     [--warehouse DIR] [--conf-file FILE] [--set KEY=VALUE]
                                     [--master URL] [--driver-memory SIZE] [--conf KEY=VALUE]
       bin/finmix thriftserver stop [--warehouse DIR]
       bin/finmix thriftserver status [--warehouse DIR]

Spark's Thrift JDBC/ODBC server (HiveThriftServer2) on the same finmix catalog as
`bin/finmix sql`, in the background: listens on 127.0.0.1:P (default 10000), loopback only
unless --bind names another address (0.0.0.0 for every interface; there is no authentication).
`start` returns once the port accepts connections (or fails after --timeout, default 180 s,
with the log's tail). The server keeps a Spark driver running (--driver-memory, default 4g)
on local[*] unless --master says otherwise. Pid file and log (thriftserver.log) go under
<warehouse>/thriftserver (--warehouse, env FINMIX_WAREHOUSE, default ./warehouse).

Connect with
  bin/finmix beeline -e "SELECT ..."            (or jdbc:hive2://127.0.0.1:10000/default)
USAGE
}

finmix_beeline_usage() {
  cat <<'USAGE'
Usage: bin/finmix beeline [--port P | -u URL] [BeeLine options]

Hive's BeeLine JDBC client connected to the finmix Thrift server (bin/finmix thriftserver
start), by default jdbc:hive2://127.0.0.1:10000/default; --port P changes the port, -u URL
the whole URL. With -e QUERY (or -f FILE) it prints the result as a table and exits; without,
the interactive client (end with !quit). BeeLine's own options follow.

USAGE
}

# The state directory of the warehouse given by --warehouse, FINMIX_WAREHOUSE or ./warehouse.
finmix_thrift_dir() {
  local warehouse="${1:-${FINMIX_WAREHOUSE:-./warehouse}}"
  warehouse="${warehouse#file://}"
  if [[ "$warehouse" =~ ^[A-Za-z][A-Za-z0-9+.-]*: ]]; then
    finmix_die "thriftserver: the warehouse '$warehouse' is not a local directory; the pid file and log need one (--warehouse DIR)"
  fi
  mkdir -p "$warehouse" || finmix_die "thriftserver: cannot create the warehouse '$warehouse'"
  echo "$(cd "$warehouse" && pwd)/thriftserver"
}

finmix_thriftserver() {
  local action="" port=10000 bind=127.0.0.1 timeout=180 warehouse=""
  local -a pass=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) [[ $# -ge 2 ]] || finmix_die "thriftserver: --port needs a number"; port="$2"; shift 2 ;;
      --port=*) port="${1#*=}"; shift ;;
      --bind) [[ $# -ge 2 ]] || finmix_die "thriftserver: --bind needs a host"; bind="$2"; shift 2 ;;
      --bind=*) bind="${1#*=}"; shift ;;
      --timeout) [[ $# -ge 2 ]] || finmix_die "thriftserver: --timeout needs seconds"; timeout="$2"; shift 2 ;;
      --timeout=*) timeout="${1#*=}"; shift ;;
      --warehouse) [[ $# -ge 2 ]] || finmix_die "thriftserver: --warehouse needs a directory"; warehouse="$2"; shift 2 ;;
      --warehouse=*) warehouse="${1#*=}"; shift ;;
      # launcher and config options of the server's own bin/finmix
      --master|--driver-memory|--conf|--conf-file|--set)
        [[ $# -ge 2 ]] || finmix_die "thriftserver: $1 needs a value"; pass+=("$1" "$2"); shift 2 ;;
      --master=*|--driver-memory=*|--conf=*|--conf-file=*|--set=*) pass+=("$1"); shift ;;
      -h|--help) finmix_thrift_usage; return 0 ;;
      -*) finmix_die "thriftserver: unknown option '$1' (bin/finmix thriftserver --help)" ;;
      *)
        [[ -z "$action" ]] || finmix_die "thriftserver: one action, not '$action' and '$1' (start, stop, status)"
        action="$1"; shift ;;
    esac
  done
  case "$action" in
    start|stop|status) ;;
    "") finmix_thrift_usage >&2; return 2 ;;
    *) finmix_die "thriftserver: unknown action '$action' (start, stop, status)" ;;
  esac
  local dir
  dir="$(finmix_thrift_dir "$warehouse")" || exit $?
  case "$action" in
    start) finmix_thrift_start "$dir" "$port" "$bind" "$timeout" ${pass[@]+"${pass[@]}"} ;;
    stop) finmix_thrift_stop "$dir" ;;
    status) finmix_thrift_status "$dir" ;;
  esac
}

finmix_thrift_alive() {
  [[ -f "$1/thriftserver.pid" ]] && kill -0 "$(cat "$1/thriftserver.pid")" 2>/dev/null
}

# Whether HOST:PORT accepts a TCP connection (bash's /dev/tcp; no nc needed).
finmix_thrift_accepts() {
  local host="$1" port="$2"
  # shellcheck disable=SC2016  # $0 and $1 belong to the inner shell
  if command -v timeout >/dev/null; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  else
    # shellcheck disable=SC2016
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  fi
}

# The address clients on this machine reach a server bound to HOST at.
finmix_thrift_client_host() {
  case "$1" in
    0.0.0.0|::|"[::]"|"") echo 127.0.0.1 ;;
    *) echo "$1" ;;
  esac
}

finmix_thrift_start() {
  local dir="$1" port="$2" bind="$3" timeout="$4"
  shift 4
  if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    finmix_die "thriftserver: --port '$port' is not a TCP port (1-65535)"
  fi
  [[ "$timeout" =~ ^[1-9][0-9]*$ ]] || finmix_die "thriftserver: --timeout '$timeout' is not a positive number of seconds"
  if finmix_thrift_alive "$dir"; then
    finmix_die "thriftserver: already running (pid $(cat "$dir/thriftserver.pid"), $(cat "$dir/jdbc-url" 2>/dev/null)); bin/finmix thriftserver stop first"
  fi
  local host
  host="$(finmix_thrift_client_host "$bind")"
  if finmix_thrift_accepts "$host" "$port"; then
    finmix_die "thriftserver: something already listens on $host:$port; choose another --port"
  fi
  finmix_check_java
  finmix_ensure_built
  mkdir -p "$dir"
  rm -f "$dir/thriftserver.pid" "$dir/jdbc-url"
  local log="$dir/thriftserver.log" url="jdbc:hive2://$host:$port/default"
  echo "finmix thriftserver: starting on $bind:$port (log: $log)" >&2
  # setsid: a session of its own, so the terminal's Ctrl-C or hang-up does not reach it; the
  # child writes its own pid because setsid may fork. HIVE_SERVER2_THRIFT_* in the environment
  # would override --port and --bind inside Hive, so they go.
  local -a detach=()
  command -v setsid >/dev/null && detach=(setsid)
  (
    unset HIVE_SERVER2_THRIFT_PORT HIVE_SERVER2_THRIFT_BIND_HOST
    # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
    exec nohup ${detach[@]+"${detach[@]}"} bash -c 'echo $$ >"$0"; exec "$@"' "$dir/thriftserver.pid" \
      "$FINMIX_HOME/bin/finmix" thriftserver-foreground --warehouse "${dir%/thriftserver}" \
      --port "$port" --bind "$bind" "$@" </dev/null >"$log" 2>&1
  ) &
  local waited=0
  while (( waited < timeout )); do
    if [[ -s "$dir/thriftserver.pid" ]] && finmix_thrift_accepts "$host" "$port"; then
      echo "$url" >"$dir/jdbc-url"
      echo "finmix thriftserver: up: $url (pid $(cat "$dir/thriftserver.pid"))" >&2
      local hint=" -u $url"
      if [[ "$host" == 127.0.0.1 ]]; then
        hint=""
        [[ "$port" == 10000 ]] || hint=" --port $port"
      fi
      echo "  query with: bin/finmix beeline$hint -e \"SELECT ...\"" >&2
      return 0
    fi
    if [[ -s "$dir/thriftserver.pid" ]] && ! finmix_thrift_alive "$dir"; then
      tail -30 "$log" >&2
      rm -f "$dir/thriftserver.pid"
      finmix_die "thriftserver: the server exited while starting (log: $log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  tail -30 "$log" >&2
  finmix_thrift_stop "$dir" >/dev/null 2>&1
  finmix_die "thriftserver: $host:$port did not accept connections within $timeout s (--timeout raises the limit; log: $log)"
}

finmix_thrift_stop() {
  local dir="$1" pid
  if ! finmix_thrift_alive "$dir"; then
    rm -f "$dir/thriftserver.pid" "$dir/jdbc-url"
    echo "finmix thriftserver: not running" >&2
    return 0
  fi
  pid="$(cat "$dir/thriftserver.pid")"
  # SIGTERM runs Spark's shutdown hooks: the server, the SparkContext and Derby close cleanly
  kill "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "finmix thriftserver: pid $pid still running after 30 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/thriftserver.pid" "$dir/jdbc-url"
  echo "finmix thriftserver: stopped (pid $pid)" >&2
}

finmix_thrift_status() {
  local dir="$1"
  if ! finmix_thrift_alive "$dir"; then
    echo "finmix thriftserver: not running"
    return 3
  fi
  echo "finmix thriftserver: running, pid $(cat "$dir/thriftserver.pid"), $(cat "$dir/jdbc-url" 2>/dev/null || echo "starting")"
  echo "log: $dir/thriftserver.log"
}

# Hive's BeeLine straight from the build's jars: a JDBC client, no Spark session.
finmix_beeline() {
  local port=10000 url=""
  local -a args=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) [[ $# -ge 2 ]] || finmix_die "beeline: --port needs a number"; port="$2"; shift 2 ;;
      --port=*) port="${1#*=}"; shift ;;
      -u) [[ $# -ge 2 ]] || finmix_die "beeline: -u needs a JDBC URL"; url="$2"; shift 2 ;;
      -e)
        # BeeLine 2.3 waits on the terminal for the rest of a statement without a final ';'
        # (spark-sql -e does not need one), so one is added.
        [[ $# -ge 2 ]] || finmix_die "beeline: -e needs a query"
        local q="$2"
        [[ "$(printf '%s' "$q" | sed -e 's/[[:space:]]*$//')" == *";" ]] || q="$q;"
        args+=(-e "$q"); shift 2 ;;
      -h|--help)
        finmix_beeline_usage
        args=(--help); break ;;
      *) args+=("$1"); shift ;;
    esac
  done
  [[ "$port" =~ ^[0-9]+$ ]] || finmix_die "beeline: --port '$port' is not a TCP port"
  [[ -n "$url" ]] || url="jdbc:hive2://127.0.0.1:$port/default"
  finmix_check_java
  finmix_ensure_built
  local classpath
  classpath="$(finmix_spark_classpath)"
  [[ "${args[0]:-}" == --help ]] || args=(-u "$url" ${args[@]+"${args[@]}"})
  exec java -Xmx1g \
    -Dlog4j2.configurationFile="file:${FINMIX_CONF_DIR:-$FINMIX_HOME/conf}/log4j2.properties" \
    -cp "$classpath" org.apache.hive.beeline.BeeLine ${args[@]+"${args[@]}"}
}
