# Throwaway PostgreSQL cluster for tests, demo and bench: source this file, then call cluster_start.
# A temp dir holds data, socket and log; TCP is off (listen_addresses = ''), so no port can collide.
# As root the server runs as the postgres OS user. cluster_stop runs on exit and fails on a crash in the log.

PG_BIN=${PG_BIN:-$(pg_config --bindir)}
CLUSTER_DB=${CLUSTER_DB:-ecpipe}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_start() {
  CLUSTER_DIR=$(mktemp -d /tmp/ecpipe-pg.XXXXXX)
  chmod 755 "$CLUSTER_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
  CLUSTER_LOG="$CLUSTER_DIR/server.log"
  as_pg "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$CLUSTER_DIR/initdb.log"; return 1; }
  cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = 5432
shared_preload_libraries = '${CLUSTER_PRELOAD:-pg_cron}'
cron.database_name = '$CLUSTER_DB'
fsync = off
${CLUSTER_EXTRA_CONF:-}
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_LOG" -w -t 60 start >/dev/null || { cat "$CLUSTER_LOG"; return 1; }
  export PGHOST="$CLUSTER_DIR" PGPORT=5432 PGUSER=postgres PGDATABASE="$CLUSTER_DB"
  psql -q -d postgres -c "CREATE DATABASE $CLUSTER_DB" >/dev/null
  trap cluster_stop EXIT
}

# Fails (exit 1) if the server log shows a crashed backend or a PANIC. Backends a fault test killed on purpose
# (their PIDs in CLUSTER_KILLED_PIDS) are expected to show as terminated by signal 9.
cluster_check_log() {
  local expected="^$"
  for pid in ${CLUSTER_KILLED_PIDS:-}; do expected="$expected|\\(PID $pid\\) was terminated by signal 9"; done
  if grep -nE "terminated by signal|PANIC" "$CLUSTER_LOG" | grep -vE "$expected"; then
    echo "server log reports a crash: $CLUSTER_LOG" >&2
    return 1
  fi
}

cluster_stop() {
  local rc=$?
  set +e  # stop the server whatever happened before
  trap - EXIT
  if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    cluster_check_log || rc=1
    if [ "$rc" = 0 ] && [ -z "${KEEP_CLUSTER:-}" ]; then rm -rf "$CLUSTER_DIR"; else echo "cluster kept in $CLUSTER_DIR"; fi
  fi
  exit $rc
}
