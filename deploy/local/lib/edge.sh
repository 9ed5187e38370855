# The nginx edge on :8065, rendered from deploy/nginx/nginx.conf.template for the current set of nodes.

TEMPLATE=$REPO/deploy/nginx/nginx.conf.template

NGINX_CONF() { echo "$STATE/nginx/nginx.conf"; }

server_lines() { # service count
  local i out='' backups=''
  for ((i = 1; i <= $2; i++)); do
    out+="        server 127.0.0.1:$((BASE_PORT[$1] + i)) max_fails=1 fail_timeout=5s;"$'\n'
    backups+="        server 127.0.0.1:$((BASE_PORT[$1] + i)) backup max_fails=0;"$'\n'
  done
  out+=$backups
  printf '%s' "${out%$'\n'}"
}

# Renders the template for the current node set; returns 0 when the config on disk changed.
render_edge() {
  local conf text user=''
  conf=$(NGINX_CONF)
  mkdir -p "$STATE/nginx/temp"
  is_root && user="user $(id -un);"
  text=$(<"$TEMPLATE")
  text=${text//'{{USER_DIRECTIVE}}'/$user}
  text=${text//'{{PID_FILE}}'/$STATE/run/edge.pid}
  text=${text//'{{ERROR_LOG}}'/$STATE/logs/edge.log}
  text=${text//'{{ACCESS_LOG}}'/$STATE/logs/edge-access.log}
  text=${text//'{{TEMP_DIR}}'/$STATE/nginx/temp}
  text=${text//'{{LISTEN}}'/127.0.0.1:$EDGE_PORT}
  text=${text//'{{API_SERVERS}}'/$(server_lines api "$API")}
  text=${text//'{{REALTIME_SERVERS}}'/$(server_lines realtime "$REALTIME")}
  # Every client of the local cluster (the load tool's thousands of sign-ups included) is 127.0.0.1.
  text=${text//'{{AUTH_RATE}}'/${EDGE_AUTH_RATE:-100000r/m}}
  text=${text//'{{AUTH_BURST}}'/${EDGE_AUTH_BURST:-10000}}
  text=${text//'{{AUTH_CONNECTIONS}}'/${EDGE_AUTH_CONNECTIONS:-10000}}
  if [ -f "$conf" ] && [ "$(<"$conf")" = "$text" ]; then return 1; fi
  printf '%s\n' "$text" >"$conf"
}

nginx_args() {
  local args=(-p "$STATE/nginx" -c "$(NGINX_CONF)")
  # -e keeps nginx away from the system's error log before it has read ours (nginx >= 1.19.5).
  "$NGINX" -h 2>&1 | grep -q -- '-e filename' && args+=(-e "$STATE/logs/edge.log")
  printf '%s\n' "${args[@]}"
}

test_edge() {
  local out args
  mapfile -t args < <(nginx_args)
  out=$("$NGINX" "${args[@]}" -t -q 2>&1) || { printf '%s\n' "$out" >&2; die "the rendered nginx config $(NGINX_CONF) is invalid"; }
}

start_edge() {
  [ -z "$(node_pid edge)" ] || return 0
  port_busy "$EDGE_PORT" && die "port $EDGE_PORT (edge) is taken by another process"
  render_edge || true
  test_edge
  local args
  mapfile -t args < <(nginx_args)
  spawn edge "$NGINX" "${args[@]}"
}

# Called whenever the node set may have changed.
refresh_edge() {
  render_edge || return 0
  local pid; pid=$(node_pid edge)
  [ -n "$pid" ] || return 0
  test_edge
  kill -HUP "$pid"
  note "edge: configuration changed (api=$API realtime=$REALTIME), nginx reloaded"
}

stop_edge() {
  local pid; pid=$(node_pid edge)
  [ -n "$pid" ] || return 0
  kill -QUIT "$pid" 2>/dev/null || true # graceful: finish open requests
  wait_gone "$pid" 10 || kill_tree "$pid" KILL
  rm -f "$STATE/run/edge.pid"
}
