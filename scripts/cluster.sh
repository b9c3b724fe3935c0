# Throwaway PostgreSQL cluster for tests, demo and bench: source this file, then call cluster_start (one server) or
# cluster_start_citus N (a Citus coordinator and N workers). A temp dir holds data, socket and logs; TCP is off
# (listen_addresses = ''), so no port can collide. As root the servers run as the postgres OS user. cluster_stop
# runs on exit and fails on a crash in any server's log.

PG_BIN=${PG_BIN:-$(pg_config --bindir)}
CLUSTER_DB=${CLUSTER_DB:-ecpipe}
CLUSTER_NODES=""  # data directories of the servers started, the coordinator (or only server) first

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# node_start DATA_DIR PORT PRELOAD EXTRA_CONF: a new server with its socket in $CLUSTER_DIR, logging to DATA_DIR.log
node_start() {
  local data=$1 port=$2
  as_pg "$PG_BIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 \
    || { cat "$data.initdb.log"; return 1; }
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $port
shared_preload_libraries = '$3'
cron.database_name = '$CLUSTER_DB'
fsync = off
$4
CONF
  CLUSTER_NODES="$CLUSTER_NODES $data"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data.log" -w -t 60 start >/dev/null || { cat "$data.log"; return 1; }
  psql -q -h "$CLUSTER_DIR" -p "$port" -U postgres -d postgres -c "CREATE DATABASE $CLUSTER_DB" >/dev/null
}

# A new cluster's directory; its servers are the only ones cluster_stop stops (a subshell starting a cluster of its
# own leaves its parent's running).
cluster_dir() {
  CLUSTER_NODES=""
  CLUSTER_DIR=$(mktemp -d /tmp/ecpipe-pg.XXXXXX)
  chmod 755 "$CLUSTER_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
  CLUSTER_LOG="$CLUSTER_DIR/data.log"
  trap cluster_stop EXIT
}

cluster_start() {
  cluster_dir
  node_start "$CLUSTER_DIR/data" 5432 "${CLUSTER_PRELOAD:-pg_cron}" "${CLUSTER_EXTRA_CONF:-}"
  export PGHOST="$CLUSTER_DIR" PGPORT=5432 PGUSER=postgres PGDATABASE="$CLUSTER_DB"
}

# A Citus coordinator (port 5432, with CLUSTER_PRELOAD after citus and CLUSTER_EXTRA_CONF) and N workers (ports
# 5433...; citus alone preloaded: ecpipe's notification worker runs on the coordinator only; CLUSTER_WORKER_CONF added
# to their settings), each with citus created
# in $CLUSTER_DB and the workers added to the coordinator; CREATE EXTENSION ecpipe there then creates it on every
# node. CITUS_WORKER_PORTS lists the workers' ports, CITUS_NODE_CONF the settings every Citus node here takes.
cluster_start_citus() {
  cluster_dir
  local workers=$1 conf="max_prepared_transactions = 100
citus.node_conninfo = 'sslmode=disable'
citus.local_hostname = '$CLUSTER_DIR'"
  node_start "$CLUSTER_DIR/data" 5432 "citus${CLUSTER_PRELOAD:+,$CLUSTER_PRELOAD}" "$conf
${CLUSTER_EXTRA_CONF:-}"
  CITUS_NODE_CONF=$conf
  CITUS_WORKER_PORTS=""
  for i in $(seq 1 "$workers"); do
    node_start "$CLUSTER_DIR/worker$i" $((5432 + i)) citus "$conf
${CLUSTER_WORKER_CONF:-}"
    CITUS_WORKER_PORTS="$CITUS_WORKER_PORTS $((5432 + i))"
  done
  export PGHOST="$CLUSTER_DIR" PGPORT=5432 PGUSER=postgres PGDATABASE="$CLUSTER_DB"
  for port in 5432 $CITUS_WORKER_PORTS; do
    psql -q -X -p "$port" -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
      -c "CREATE EXTENSION citus" >/dev/null
  done
  psql -q -X -v ON_ERROR_STOP=1 -c "SELECT citus_set_coordinator_host('$CLUSTER_DIR', 5432)" >/dev/null
  for port in $CITUS_WORKER_PORTS; do
    psql -q -X -v ON_ERROR_STOP=1 -c "SELECT citus_add_node('$CLUSTER_DIR', $port)" >/dev/null
  done
}

# Fails (exit 1) if a server log shows a crashed backend or a PANIC. Backends a fault test killed on purpose
# (their PIDs in CLUSTER_KILLED_PIDS) are expected to show as terminated by signal 9.
cluster_check_log() {
  local expected="^$" rc=0 data
  for pid in ${CLUSTER_KILLED_PIDS:-}; do expected="$expected|\\(PID $pid\\) was terminated by signal 9"; done
  for data in $CLUSTER_NODES; do
    if grep -nE "terminated by signal|PANIC" "$data.log" | grep -vE "$expected"; then
      echo "server log reports a crash: $data.log" >&2
      rc=1
    fi
  done
  return $rc
}

cluster_stop() {
  local rc=$? data
  set +e  # stop the servers whatever happened before
  trap - EXIT
  if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ]; then
    for data in $CLUSTER_NODES; do as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1; done
    cluster_check_log || rc=1
    if [ "$rc" = 0 ] && [ -z "${KEEP_CLUSTER:-}" ]; then rm -rf "$CLUSTER_DIR"; else echo "cluster kept in $CLUSTER_DIR"; fi
  fi
  exit $rc
}
