# The load tool (tests/load) against the edge.

cmd_bench() {
  local scenario=${1:-}
  [ -n "$scenario" ] || die "usage: cluster bench SCENARIO [--quick] [args...]"
  shift
  [ "$(http_code "http://127.0.0.1:$EDGE_PORT/healthz")" = 200 ] ||
    die "the cluster is not answering on http://127.0.0.1:$EDGE_PORT; start it with deploy/local/cluster up"
  cd "$REPO"
  exec dotnet run -c Release --project tests/load -- "$scenario" --url "http://127.0.0.1:$EDGE_PORT" --db "$(conn "$(primary_port)")" "$@"
}
