# The cluster's shape (cluster.env), its node names and paths, and the lock every changing command takes.

EDGE_PORT=8065
DB_PORT=5440
DB_NAME=chat
DB_USER=chat
SERVICES=(api realtime jobs)
declare -A BASE_PORT=([api]=8100 [realtime]=8200 [jobs]=8300)
declare -A DLL=([api]=Chat.Api.dll [realtime]=Chat.Realtime.dll [jobs]=Chat.Jobs.dll)
declare -A DEFAULT_COUNT=([api]=2 [realtime]=2 [jobs]=2 [replicas]=0)

# mkdir is atomic; a lock held through a file descriptor would leak into every node started while holding it.
LOCK=$STATE/.lock
lock() {
  mkdir -p "$STATE"
  local waited=0
  until mkdir "$LOCK" 2>/dev/null; do
    local holder
    holder=$(cat "$LOCK/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! alive "$holder"; then rm -rf "$LOCK"; continue; fi
    [ $waited -eq 0 ] && note "waiting for another cluster command (pid ${holder:-?})"
    waited=1
    sleep 0.5
  done
  echo $$ >"$LOCK/pid"
  LOCKED=1
}

load_shape() {
  API=${DEFAULT_COUNT[api]} REALTIME=${DEFAULT_COUNT[realtime]} JOBS=${DEFAULT_COUNT[jobs]} REPLICAS=${DEFAULT_COUNT[replicas]}
  BIN_api='' BIN_realtime='' BIN_jobs=''
  # shellcheck disable=SC1091
  [ -f "$STATE/cluster.env" ] && . "$STATE/cluster.env"
  return 0
}

save_shape() {
  cat >"$STATE/cluster.env" <<EOF
API=$API
REALTIME=$REALTIME
JOBS=$JOBS
REPLICAS=$REPLICAS
BIN_api=$BIN_api
BIN_realtime=$BIN_realtime
BIN_jobs=$BIN_jobs
EOF
}

count_of() { case $1 in api) echo "$API" ;; realtime) echo "$REALTIME" ;; jobs) echo "$JOBS" ;; esac; }
bin_of() { local v="BIN_$1"; printf '%s' "${!v}"; }

all_nodes() {
  echo db-primary
  local i svc
  for ((i = 1; i <= REPLICAS; i++)); do echo "db-replica-$i"; done
  for svc in "${SERVICES[@]}"; do
    for ((i = 1; i <= $(count_of "$svc"); i++)); do echo "$svc-$i"; done
  done
  echo edge
}

# Sets KIND (service, db, edge), SVC, IDX and PORT for a node name; fails for names outside the cluster's shape.
parse_node() {
  local name=$1
  KIND='' SVC='' IDX=0 PORT=0
  case $name in
    edge) KIND=edge PORT=$EDGE_PORT ;;
    db-primary) KIND=db PORT=$DB_PORT ;;
    db-replica-[1-9]*)
      IDX=${name#db-replica-}
      [[ $IDX =~ ^[1-9][0-9]*$ ]] || return 1
      KIND=db PORT=$((DB_PORT + IDX))
      [ "$IDX" -le "$REPLICAS" ] || return 2 ;;
    api-* | realtime-* | jobs-*)
      SVC=${name%-*} IDX=${name##*-}
      [[ $IDX =~ ^[1-9][0-9]*$ ]] || return 1
      KIND=service PORT=$((BASE_PORT[$SVC] + IDX))
      [ "$IDX" -le "$(count_of "$SVC")" ] || return 2 ;;
    *) return 1 ;;
  esac
}

require_node() {
  local rc=0
  parse_node "$1" || rc=$?
  case $rc in
    0) ;;
    2)
      local flag=--${1%-*}
      [[ $1 == db-replica-* ]] && flag=--replicas
      die "$1 is not part of the cluster (api=$API realtime=$REALTIME jobs=$JOBS replicas=$REPLICAS); grow it with up $flag N" ;;
    *) die "unknown node '$1' (api-N, realtime-N, jobs-N, db-primary, db-replica-N, edge)" ;;
  esac
}

db_dir() { if [ "$1" = db-primary ]; then echo "$STATE/db/primary"; else echo "$STATE/db/replica-${1#db-replica-}"; fi; }
log_of() { echo "$STATE/logs/$1.log"; }
conn() { printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s' "$1" "$DB_NAME" "$DB_USER"; }
