# PostgreSQL: the primary, its streaming replicas, failover (promote) and what every service node is told about them
# (config.json).

# initdb and postgres refuse to run as root.
as_db() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

write_db_config() { # name dir
  local name=$1 dir=$2 port
  parse_node "$name" || true
  port=$PORT
  cat >"$dir/cluster.conf" <<EOF
# Written by deploy/local/cluster on every start; edits are lost.
# A local development cluster: loopback only, and pg_hba.conf trusts every loopback connection (no passwords).
# Fine on a developer's machine; never on a shared or production host.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''   # TCP only: nothing in /var/run/postgresql, which belongs to the system's cluster

max_connections = 300          # 6 nodes x their pools, plus the load tool
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 8MB
maintenance_work_mem = 64MB

# Durable commits: the benchmark compares against this server's own INSERT+COMMIT rate.
fsync = on
synchronous_commit = on
full_page_writes = on

# Streaming replication for db-replica-N (cloned with pg_basebackup -R).
wal_level = replica
max_wal_senders = 10
wal_keep_size = 512MB
hot_standby = on
hot_standby_feedback = on
max_wal_size = 1GB

log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_checkpoints = off
EOF
  # Per node; cluster_name also names the walreceiver in the primary's pg_stat_replication.
  printf "port = %s\ncluster_name = '%s'\n" "$port" "$name" >"$dir/node.conf"
  cat >"$dir/pg_hba.conf" <<EOF
# Local development cluster: loopback connections are trusted (see cluster.conf).
host all         all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
EOF
  grep -q "^include_if_exists = 'cluster.conf'" "$dir/postgresql.conf" ||
    printf "\ninclude_if_exists = 'cluster.conf'\ninclude_if_exists = 'node.conf'\n" >>"$dir/postgresql.conf"
  is_root && chown postgres: "$dir/cluster.conf" "$dir/node.conf" "$dir/pg_hba.conf"
  return 0
}

prepare_db_dirs() {
  mkdir -p "$STATE/db"
  if is_root; then
    chown postgres: "$STATE/db"
    runuser -u postgres -- test -w "$STATE/db" ||
      die "the postgres user cannot reach $STATE/db (a parent directory is not searchable by others); set CHAT_CLUSTER_STATE to a directory it can reach"
  fi
}

db_log() { # the log must be writable by the user postgres runs as
  local log; log=$(log_of "$1")
  touch "$log"
  is_root && chown postgres: "$log"
  echo "$log"
}

init_primary() {
  local dir=$1 locale=C
  locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8
  say "creating the database (initdb)"
  as_db "$PG/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale="$locale" >>"$(db_log db-primary)" 2>&1 ||
    { tail -n 20 "$(log_of db-primary)" >&2; die "initdb failed"; }
}

clone_replica() {
  local name=$1 dir=$2
  say "cloning $name from db-primary (pg_basebackup)"
  as_db "$PG/pg_basebackup" -h 127.0.0.1 -p "$(primary_port)" -U postgres -D "$dir" -R -X stream -c fast >>"$(db_log "$name")" 2>&1 ||
    { rm -rf "$dir"; tail -n 20 "$(log_of "$name")" >&2; die "pg_basebackup for $name failed"; }
}

# Backends orphaned by a SIGKILLed postmaster hold its shared memory until they notice and exit.
wait_db_orphans() {
  local name=$1 deadline=$((SECONDS + 10))
  while pgrep -f "^postgres: $name: " >/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
}

start_db() {
  local name=$1 dir fresh=0
  dir=$(db_dir "$name")
  parse_node "$name" || true
  [ -z "$(node_pid "$name")" ] || return 0
  port_busy "$PORT" && die "port $PORT ($name) is taken by another process"
  prepare_db_dirs
  if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir"
    if [ "$name" = "$(primary_node)" ]; then init_primary "$dir"; fresh=1; else clone_replica "$name" "$dir"; fi
  fi
  write_db_config "$name" "$dir"
  wait_db_orphans "$name"
  as_db "$PG/pg_ctl" -D "$dir" -l "$(db_log "$name")" -w -t "$HEALTH_TIMEOUT" -s start ||
    { tail -n 30 "$(log_of "$name")" >&2; die "$name did not start (log above)"; }
  if [ $fresh -eq 1 ]; then
    "$PG/psql" -q -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE $DB_USER LOGIN" -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >/dev/null ||
      die "could not create the $DB_NAME database"
  fi
}

stop_db() {
  local name=$1 dir pid
  dir=$(db_dir "$name")
  pid=$(node_pid "$name")
  [ -n "$pid" ] || return 0
  as_db "$PG/pg_ctl" -D "$dir" -m fast -w -t 60 -s stop || { kill_tree "$pid" KILL; }
}

# hostname -> "up|down <seconds since last heartbeat>s <version>" from cluster_discovery (the database's clock), the
# heartbeat view GET /api/v4/cluster/status also serves, without needing an admin session.
declare -A HEARTBEAT=()
load_heartbeats() {
  local down_ms=${MM_CLUSTERSETTINGS_NODEDOWNAFTERMILLISECONDS:-5000} host state
  while IFS='|' read -r host state; do
    [ -n "$host" ] && HEARTBEAT[$host]=$state
  done < <("$PG/psql" -XAtq -h 127.0.0.1 -p "$(primary_port)" -U postgres -d "$DB_NAME" -c "
    select hostname, case when last_ping_at > now() - make_interval(secs => $down_ms / 1000.0) then 'up' else 'down' end
           || ' ' || round(extract(epoch from now() - last_ping_at)::numeric, 1) || 's ' || version
    from cluster_discovery order by last_ping_at" 2>/dev/null || true)
}

replica_state() { # what the replica's walreceiver is doing
  "$PG/psql" -XAtq -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "select status from pg_stat_wal_receiver" 2>/dev/null || true
}

# The db node that accepts writes: db-primary until promote makes a replica the primary.
primary_node() { cat "$STATE/primary" 2>/dev/null || echo db-primary; }
db_port_of() { if [ "$1" = db-primary ]; then echo "$DB_PORT"; else echo $((DB_PORT + ${1#db-replica-})); fi; }
primary_port() { db_port_of "$(primary_node)"; }

# Every running standby (pg_basebackup -R leaves standby.signal; promotion removes it) serves reads.
replicas_json() {
  local i name out=''
  for name in db-primary $(for ((i = 1; i <= REPLICAS; i++)); do echo "db-replica-$i"; done); do
    [ "$name" != "$(primary_node)" ] && [ -f "$(db_dir "$name")/standby.signal" ] && [ -n "$(node_pid "$name")" ] || continue
    out+="${out:+,}\"$(conn "$(db_port_of "$name")")\""
  done
  printf '[%s]' "$out"
}

# What every service node reads (MM_CONFIG) and reloads on SIGHUP; returns 0 when it changed.
write_node_config() {
  local text
  text=$(printf '{\n  "SqlSettings": {\n    "DataSource": "%s",\n    "DataSourceReplicas": %s\n  }\n}' "$(conn "$(primary_port)")" "$(replicas_json)")
  if [ -f "$STATE/config.json" ] && [ "$(<"$STATE/config.json")" = "$text" ]; then return 1; fi
  printf '%s\n' "$text" >"$STATE/config.json.tmp" && mv "$STATE/config.json.tmp" "$STATE/config.json"
}

# Manual failover (or a planned switchover): see "Database routing, replicas and failover" in README.md.
cmd_promote() {
  local name=${1:-} old t0 other port
  [ -n "$name" ] || die "usage: cluster promote db-replica-N"
  [ -f "$STATE/cluster.env" ] || die "no cluster in $STATE (deploy/local/cluster up)"
  lock
  load_shape
  require_node "$name"
  [ "$KIND" = db ] || die "$name is not a database node"
  PG=$(pg_bin) || die "PostgreSQL binaries not found"
  old=$(primary_node)
  [ "$name" != "$old" ] || die "$name is already the primary"
  [ -f "$(db_dir "$name")/standby.signal" ] || die "$name is not a standby"
  [ -n "$(node_pid "$name")" ] || die "$name is not running (start $name first)"
  t0=$(now)
  if [ -n "$(node_pid "$old")" ]; then
    say "stopping $old (a fast shutdown first streams its last WAL to the standbys)"
    stop_db "$old"
  fi
  say "promoting $name"
  as_db "$PG/pg_ctl" -D "$(db_dir "$name")" -w -t 60 -s promote || die "pg_ctl promote failed (log: $(log_of "$name"))"
  echo "$name" >"$STATE/primary"
  port=$(primary_port)
  # Fenced: started again, the old primary comes up as a standby of the new one, never as a second primary.
  as_db touch "$(db_dir "$old")/standby.signal"
  printf "primary_conninfo = 'host=127.0.0.1 port=%s user=postgres'\n" "$port" | as_db tee -a "$(db_dir "$old")/postgresql.auto.conf" >/dev/null
  for other in $(all_nodes); do
    [[ $other == db-* ]] && [ "$other" != "$name" ] && [ "$other" != "$old" ] && [ -n "$(node_pid "$other")" ] || continue
    "$PG/psql" -XAtq -h 127.0.0.1 -p "$(db_port_of "$other")" -U postgres -d postgres \
      -c "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=$port user=postgres'" -c "SELECT pg_reload_conf()" >/dev/null &&
      note "$other now streams from $name"
  done
  write_node_config || true
  reload_services
  note "$name is the primary (port $port), $(elapsed "$t0") after the command started; $old is fenced as a standby"
  note "old data on $old may have diverged: if it cannot follow, re-clone it (stop it, remove $(db_dir "$old"), start it)"
}

cmd_psql() {
  PG=$(pg_bin) || die "PostgreSQL binaries not found"
  exec "$PG/psql" -h 127.0.0.1 -p "$(primary_port)" -U postgres -d "$DB_NAME" "$@"
}
