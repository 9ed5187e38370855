# The load tool (tests/load) against the edge.

cmd_bench() {
  local scenario=${1:-}
  [ -n "$scenario" ] || die "usage: cluster bench SCENARIO [--quick] [args...]"
  shift
  [ "$(http_code "http://127.0.0.1:$EDGE_PORT/healthz")" = 200 ] ||
    die "the cluster is not answering on http://127.0.0.1:$EDGE_PORT; start it with deploy/local/cluster up"
  if [ "$scenario" = files ]; then
    load_shape
    # The files scenario compares the edge with a plain copy on the disk under the file store (s3rver's objects in
    # S3 mode) and samples the api nodes' memory.
    local i pids=()
    for ((i = 1; i <= API; i++)); do pids+=("$(node_pid "api-$i" || true)"); done
    export CHAT_BENCH_API_PIDS="${pids[*]}" MM_FILESETTINGS_DRIVERNAME="${MM_FILESETTINGS_DRIVERNAME:-local}"
    if [ -n "$(s3_pid)" ]; then CHAT_BENCH_DISK_DIR="$STATE/s3"; else CHAT_BENCH_DISK_DIR="$STATE/files"; fi
    export CHAT_BENCH_DISK_DIR
  fi
  cd "$REPO"
  exec dotnet run -c Release --project tests/load -- "$scenario" --url "http://127.0.0.1:$EDGE_PORT" --db "$(conn "$(primary_port)")" "$@"
}
