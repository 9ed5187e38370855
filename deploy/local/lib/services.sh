# Service nodes (api, realtime, jobs): each a dotnet process with its own port, log and settings.

# What a node was started with; up restarts nodes whose fingerprint differs (new build, replicas or MM_* settings).
service_fingerprint() {
  local settings
  settings=$({ env | grep '^MM_' || true; } | LC_ALL=C sort | sha256sum | cut -c1-12)
  printf 'bin=%s settings=%s\n' "$(bin_of "$1")" "$settings"
}

start_service() {
  local name=$1
  parse_node "$name" || true
  [ -z "$(node_pid "$name")" ] || return 0
  port_busy "$PORT" && die "port $PORT ($name) is taken by another process"
  if s3_wanted; then s3_env; fi
  local bin; bin=$(bin_of "$SVC")
  [ -n "$bin" ] && [ -d "$bin" ] || die "no build of $SVC yet; run up"
  # Everything else in the launcher's environment (MM_* settings included) reaches the node unchanged. Every
  # client of the local cluster is 127.0.0.1 (the load tool signs up thousands), so the per-address limits are high.
  (cd "$STATE" && spawn "$name" env \
    MM_CLUSTERSETTINGS_OVERRIDEHOSTNAME="$name" \
    MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$PORT" \
    MM_SERVICESETTINGS_SITEURL="${MM_SERVICESETTINGS_SITEURL:-http://127.0.0.1:$EDGE_PORT}" \
    MM_CONFIG="$STATE/config.json" \
    MM_FILESETTINGS_DIRECTORY="$STATE/files/" \
    MM_PLUGINSETTINGS_DIRECTORY="$STATE/plugins/$name" \
    MM_PLUGINSETTINGS_CLIENTDIRECTORY="$STATE/client-plugins/$name" \
    MM_PLUGINSETTINGS_ENABLEUPLOADS="${MM_PLUGINSETTINGS_ENABLEUPLOADS:-true}" \
    MM_RATELIMITSETTINGS_LOGINANDSIGNUPPERMINUTE="${MM_RATELIMITSETTINGS_LOGINANDSIGNUPPERMINUTE:-100000}" \
    MM_RATELIMITSETTINGS_LOGINANDSIGNUPMAXBURST="${MM_RATELIMITSETTINGS_LOGINANDSIGNUPMAXBURST:-10000}" \
    MM_SERVICESETTINGS_MAXIMUMUNAUTHENTICATEDWEBSOCKETCONNECTIONSPERADDRESS="${MM_SERVICESETTINGS_MAXIMUMUNAUTHENTICATEDWEBSOCKETCONNECTIONSPERADDRESS:-10000}" \
    dotnet "$bin/${DLL[$SVC]}")
  service_fingerprint "$SVC" >"$STATE/run/$name.conf"
}

stop_services() { # names...; SIGTERM lets ASP.NET Core drain in-flight requests
  local name pid pids=()
  for name in "$@"; do
    pid=$(node_pid "$name")
    [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); }
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  if ! wait_gone "${pids[*]}" "$STOP_TIMEOUT"; then
    for pid in "${pids[@]}"; do alive "$pid" && kill_tree "$pid" KILL; done
  fi
  for name in "$@"; do rm -f "$STATE/run/$name.pid"; done
}

reload_services() { # every running service node rereads config.json (ClusterOperations handles SIGHUP)
  local conf name pid
  for conf in "$STATE"/run/*.conf; do
    [ -f "$conf" ] || continue
    name=$(basename "$conf" .conf)
    pid=$(node_pid "$name")
    [ -n "$pid" ] && kill -HUP "$pid" 2>/dev/null && note "$name: configuration reloaded"
  done
  return 0
}
