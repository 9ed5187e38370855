# Processes: which pid is a node, is it healthy, start it detached, stop it, wait for it.

HEALTH_TIMEOUT=${CHAT_CLUSTER_HEALTH_TIMEOUT:-60}
STOP_TIMEOUT=20

# Alive and not a zombie (PID 1 in a container may never reap our orphans).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The node's pid when it runs, checked against its command line so a recycled pid is never mistaken for it.
node_pid() {
  local name=$1 pid='' expect
  parse_node "$name" || true
  case $KIND in
    db) pid=$(head -n 1 "$(db_dir "$name")/postmaster.pid" 2>/dev/null || true); expect=$(db_dir "$name") ;;
    edge) pid=$(cat "$STATE/run/edge.pid" 2>/dev/null || true); expect=$STATE/nginx/nginx.conf ;;
    service) pid=$(cat "$STATE/run/$name.pid" 2>/dev/null || true); expect=${DLL[$SVC]} ;;
    *) return 0 ;;
  esac
  [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$expect" && echo "$pid"
  return 0
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_code() { curl -s -o /dev/null -m "${2:-2}" -w '%{http_code}' "$1" 2>/dev/null || true; }

# "ok" or why not.
node_health() {
  local name=$1 code
  parse_node "$name" || true
  case $KIND in
    db)
      if "$PG/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -t 2; then echo ok; else echo "not accepting connections"; fi ;;
    *)
      code=$(http_code "http://127.0.0.1:$PORT/healthz")
      if [ "$code" = 200 ]; then echo ok; elif [ "$code" = 000 ] || [ -z "$code" ]; then echo "no answer"; else echo "HTTP $code"; fi ;;
  esac
}

# Nodes are started in their own session so neither a closed terminal nor the launcher's exit reaches them. No nohup:
# a session without a terminal gets no hangup anyway, and nodes must not ignore the SIGHUP that reloads them.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$(log_of "$name")" 2>&1 </dev/null &
  echo $! >"$STATE/run/$name.pid"
}

wait_gone() {
  local deadline=$((SECONDS + $2)) pid
  for pid in $1; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  done
  for pid in $1; do alive "$pid" && return 1; done
  return 0
}

# Kills the node's whole process group when it leads one (nginx workers), else the process.
kill_tree() {
  local pid=$1 signal=$2 pgrp stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  pgrp=$(echo "$stat" | awk '{ print $3 }')
  if [ "$pgrp" = "$pid" ]; then kill "-$signal" -- "-$pid" 2>/dev/null || true; else kill "-$signal" "$pid" 2>/dev/null || true; fi
}

# Waits until every named node is healthy; a node that dies or stays unhealthy fails with its log tail.
wait_healthy() {
  local t0 pending=("$@") left name health last_report=$SECONDS
  t0=$(now)
  while [ ${#pending[@]} -gt 0 ]; do
    left=()
    for name in "${pending[@]}"; do
      if [ -z "$(node_pid "$name")" ]; then
        printf '%s%s exited during start-up%s; last log lines (%s):\n' "$RED" "$name" "$RESET" "$(log_of "$name")" >&2
        tail -n 40 "$(log_of "$name")" >&2
        exit 1
      fi
      health=$(node_health "$name")
      if [ "$health" = ok ]; then
        [ -t 1 ] && printf '\r\e[K'
        printf '    %s✓%s %-14s %s\n' "$GREEN" "$RESET" "$name" "$DIM$(elapsed "$t0")$RESET"
      else
        left+=("$name")
      fi
    done
    pending=("${left[@]+"${left[@]}"}")
    [ ${#pending[@]} -gt 0 ] || break
    if awk -v a="$t0" -v b="$EPOCHREALTIME" -v t="$HEALTH_TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
      [ -t 1 ] && printf '\r\e[K'
      for name in "${pending[@]}"; do
        printf '%s%s is not healthy after %ss%s (%s); last log lines (%s):\n' "$RED" "$name" "$HEALTH_TIMEOUT" "$RESET" "$(node_health "$name")" "$(log_of "$name")" >&2
        tail -n 40 "$(log_of "$name")" >&2
      done
      exit 1
    fi
    if [ -t 1 ]; then
      printf '\r\e[K    waiting for %s %s' "${pending[*]}" "$DIM$(elapsed "$t0")$RESET"
    elif [ $((SECONDS - last_report)) -ge 10 ]; then
      note "still waiting for ${pending[*]} ($(elapsed "$t0"))"
      last_report=$SECONDS
    fi
    sleep 0.3
  done
}
