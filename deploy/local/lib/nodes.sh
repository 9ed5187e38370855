# Commands on running nodes: status, stop/start/kill one, logs, down.

start_node() {
  local name=$1
  parse_node "$name" || true
  case $KIND in
    db) start_db "$name" ;;
    edge) start_edge ;;
    service) start_service "$name" ;;
  esac
}

stop_node() {
  local name=$1
  parse_node "$name" || true
  case $KIND in
    db) stop_db "$name" ;;
    edge) stop_edge ;;
    service) stop_services "$name" ;;
  esac
}

stop_everything() {
  load_shape
  local names=() name conf dir
  stop_edge
  for conf in "$STATE"/run/*.conf; do [ -f "$conf" ] && names+=("$(basename "$conf" .conf)"); done
  [ ${#names[@]} -eq 0 ] || stop_services "${names[@]}"
  for dir in "$STATE"/db/replica-*; do [ -d "$dir" ] && stop_db "db-replica-${dir##*-}"; done
  stop_db db-primary
  stop_s3
}

cmd_down() {
  [ -f "$STATE/cluster.env" ] || { note "no cluster in $STATE"; return 0; }
  lock
  PG=$(pg_bin) || die "PostgreSQL binaries not found"
  NGINX=$(nginx_bin || true)
  say "stopping the cluster"
  stop_everything
  note "stopped; data kept in $STATE (up --fresh starts from an empty database)"
}

cmd_status() {
  [ -f "$STATE/cluster.env" ] || { note "no cluster in $STATE (deploy/local/cluster up)"; return 0; }
  load_shape
  PG=$(pg_bin) || die "PostgreSQL binaries not found"
  local name pid health state receiver
  load_heartbeats
  printf '%s%-14s %-8s %-6s %s%s\n' "$BOLD" NODE PID PORT HEALTH "$RESET"
  for name in $(all_nodes); do
    parse_node "$name" || true
    pid=$(node_pid "$name")
    if [ -z "$pid" ]; then
      state="${YELLOW}stopped$RESET"
    else
      health=$(node_health "$name")
      if [ "$health" = ok ]; then
        state="${GREEN}healthy$RESET"
        if [ "$name" = "$(primary_node)" ]; then
          [ "$name" = db-primary ] || state+=" (primary)"
        elif [ -f "$(db_dir "$name")/standby.signal" ]; then
          receiver=$(replica_state "$PORT")
          state+=" (replica, ${receiver:-not streaming})"
        fi
      else
        state="${RED}unhealthy$RESET ($health)"
      fi
    fi
    # Service nodes: what the cluster sees (heartbeat up/down, seconds since the last one, version).
    [ "$KIND" = service ] && [ -n "${HEARTBEAT[$name]:-}" ] && state+=" ${DIM}heartbeat ${HEARTBEAT[$name]}$RESET"
    printf '%-14s %-8s %-6s %s\n' "$name" "${pid:--}" "$PORT" "$state"
  done
}

cmd_node() { # stop|start|kill NODE
  local action=$1 name=${2:-}
  [ -n "$name" ] || die "usage: cluster $action NODE"
  [ -f "$STATE/cluster.env" ] || die "no cluster in $STATE (deploy/local/cluster up)"
  lock
  load_shape
  require_node "$name"
  PG=$(pg_bin) || die "PostgreSQL binaries not found"
  NGINX=$(nginx_bin) || die "nginx not found"
  local pid
  case $action in
    stop)
      [ -n "$(node_pid "$name")" ] || { note "$name is not running"; return 0; }
      stop_node "$name"
      note "$name stopped" ;;
    kill)
      pid=$(node_pid "$name")
      [ -n "$pid" ] || { note "$name is not running"; return 0; }
      # The postmaster alone, as in a crash; its backends notice and exit. Others with their process group.
      if [ "$KIND" = db ]; then kill -KILL "$pid"; else kill_tree "$pid" KILL; fi
      wait_gone "$pid" 5 || true
      note "$name (pid $pid) killed" ;;
    start)
      if [ -n "$(node_pid "$name")" ]; then note "$name is already running"; return 0; fi
      mkdir -p "$STATE"/{logs,run,files}
      [ "$KIND" = edge ] && refresh_edge
      start_node "$name"
      wait_healthy "$name" ;;
  esac
}

cmd_logs() {
  local name=${1:-} follow=()
  [ -n "$name" ] || die "usage: cluster logs NODE [-f]"
  [ "${2:-}" = -f ] && follow=(-f)
  load_shape
  parse_node "$name" || [ -f "$(log_of "$name")" ] || die "unknown node '$name'"
  if [ "$name" = edge ]; then
    exec tail -n 100 "${follow[@]}" "$(log_of edge)" "$(log_of edge-access)"
  fi
  [ -f "$(log_of "$name")" ] || die "$name has no log yet"
  exec tail -n 100 "${follow[@]}" "$(log_of "$name")"
}
