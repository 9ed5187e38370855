# up: build, then start whatever is missing (database, replicas, nodes, edge), restart what changed, install plugins.

ensure_packages() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is not on PATH"
  local missing
  mapfile -t missing < <(missing_packages postgresql nginx curl)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    install_packages "${missing[@]}"
  fi
  PG=$(pg_bin) || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (set PG_BIN)"
  NGINX=$(nginx_bin) || die "nginx not found"
}

print_urls() {
  local name
  printf '\n  %-14s %s\n' edge "http://127.0.0.1:$EDGE_PORT"
  for name in $(all_nodes); do
    parse_node "$name" || true
    case $KIND in
      service) printf '  %-14s %s\n' "$name" "http://127.0.0.1:$PORT" ;;
      db) printf '  %-14s %s\n' "$name" "postgresql://$DB_USER@127.0.0.1:$PORT/$DB_NAME" ;;
    esac
  done
  printf '\n  connection string: %s\n' "$(conn "$(primary_port)")"
  printf '  state and logs:    %s\n' "$STATE"
  # On a fresh system this account is the first user, so whoever signs up next is not an admin.
  printf '  system admin:      sign in as %s with ADMIN_PASSWORD from %s\n\n' "$ADMIN_USER" "$STATE/admin.env"
}

cmd_up() {
  local fresh=0 no_build=0 want_api='' want_realtime='' want_jobs='' want_replicas=''
  while [ $# -gt 0 ]; do
    case $1 in
      --api | --realtime | --jobs | --replicas)
        [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a number"
        printf -v "want_${1#--}" '%d' "$((10#$2))"
        shift 2 ;;
      --fresh) fresh=1; shift ;;
      --no-build) no_build=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option '$1' for up" ;;
    esac
  done
  local t_up; t_up=$(now)
  lock
  if [ $fresh -eq 1 ]; then
    if [ -f "$STATE/cluster.env" ]; then
      say "wiping the cluster (--fresh)"
      PG=$(pg_bin || true) NGINX=$(nginx_bin || true)
      [ -n "$PG" ] && stop_everything
    fi
    find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
  fi
  load_shape
  API=${want_api:-$API} REALTIME=${want_realtime:-$REALTIME} JOBS=${want_jobs:-$JOBS} REPLICAS=${want_replicas:-$REPLICAS}
  [ "$API" -ge 1 ] && [ "$API" -le 99 ] || die "--api must be 1..99"
  [ "$REALTIME" -ge 1 ] && [ "$REALTIME" -le 99 ] || die "--realtime must be 1..99"
  [ "$JOBS" -le 99 ] || die "--jobs must be 0..99"
  [ "$REPLICAS" -le 9 ] || die "--replicas must be 0..9"
  mkdir -p "$STATE"/{bin,logs,run,files,nginx/temp}

  ensure_packages
  if [ $no_build -eq 0 ]; then build; fi
  snapshot
  save_shape

  say "database"
  start_db db-primary
  local i dir name
  for ((i = 1; i <= REPLICAS; i++)); do start_db "db-replica-$i"; done
  if write_node_config; then reload_services; fi
  if s3_wanted; then say "file store: S3 (s3rver)"; start_s3; fi
  say "services: api x$API, realtime x$REALTIME, jobs x$JOBS"
  local restart=() conf svc
  for conf in "$STATE"/run/*.conf; do # nodes beyond the requested counts
    [ -f "$conf" ] || continue
    name=$(basename "$conf" .conf)
    if ! parse_node "$name"; then
      [ -n "$(node_pid "$name")" ] && note "stopping $name (no longer part of the cluster)"
      stop_services "$name"
      rm -f "$conf"
    fi
  done
  for svc in "${SERVICES[@]}"; do
    for ((i = 1; i <= $(count_of "$svc"); i++)); do
      name=$svc-$i
      if [ -z "$(node_pid "$name")" ]; then
        start_service "$name"
      elif [ "$(cat "$STATE/run/$name.conf" 2>/dev/null)" != "$(service_fingerprint "$svc")" ]; then
        restart+=("$name") # restarted one by one below, once the rest is up
      fi
    done
  done
  say "waiting for the health checks"
  local nodes; mapfile -t nodes < <(all_nodes | grep -vx edge)
  wait_healthy "${nodes[@]}"
  say "system admin"
  ensure_admin
  # Only now: nginx would mark nodes that are still starting as failed and refuse to use them for fail_timeout.
  say "edge"
  refresh_edge || true
  start_edge
  wait_healthy edge

  for name in "${restart[@]+"${restart[@]}"}"; do
    note "restarting $name (new build, replicas or MM_* settings)"
    stop_services "$name"
    start_service "$name"
    wait_healthy "$name"
  done
  # Replicas beyond the requested count go last, once no node is configured to read from them.
  for dir in "$STATE"/db/replica-*; do
    [ -d "$dir" ] || continue
    i=${dir##*-}
    if [ "$i" -gt "$REPLICAS" ]; then
      note "removing db-replica-$i"
      stop_db "db-replica-$i"
      rm -rf "$dir"
    fi
  done
  say "plugins"
  mkdir -p "$STATE/plugins"
  install_plugins
  prune_snapshots
  printf '\n%sThe cluster is up%s (%s).\n' "$BOLD" "$RESET" "$(elapsed "$t_up")"
  print_urls
}
