# The Release build, and the copies of it the nodes run from.

build() {
  say "building Dapr.sln (Release)"
  local t0; t0=$(now)
  (cd "$REPO" && DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_CERT_REVOCATION_MODE=offline dotnet build Dapr.sln -c Release -nologo) ||
    die "the build failed (output above)"
  note "built in $(elapsed "$t0")"
}

# Nodes run from a copy of the build output keyed by its content: rebuilding the tree (tests, other work) never
# rewrites a running node's assemblies, and nodes of one service always run the same build.
snapshot() {
  local svc src hash
  for svc in "${SERVICES[@]}"; do
    src=$REPO/services/$svc/bin/Release/net10.0
    [ -f "$src/${DLL[$svc]}" ] || die "$src/${DLL[$svc]} is missing; run up without --no-build"
    hash=$(cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
    if [ ! -d "$STATE/bin/$svc-$hash" ]; then
      rm -rf "$STATE/bin/$svc-$hash.tmp"
      cp -a "$src" "$STATE/bin/$svc-$hash.tmp"
      mv "$STATE/bin/$svc-$hash.tmp" "$STATE/bin/$svc-$hash"
    fi
    printf -v "BIN_$svc" '%s' "$STATE/bin/$svc-$hash"
  done
}

# Drops build copies no node runs from and no future start would use.
prune_snapshots() {
  local dir keep name
  for dir in "$STATE"/bin/*/; do
    [ -d "$dir" ] || continue
    dir=${dir%/}
    keep=0
    [ "$dir" = "$BIN_api" ] || [ "$dir" = "$BIN_realtime" ] || [ "$dir" = "$BIN_jobs" ] && keep=1
    for name in "$STATE"/run/*.conf; do
      [ -f "$name" ] && grep -qF "bin=$dir " "$name" && [ -n "$(node_pid "$(basename "$name" .conf)")" ] && keep=1
    done
    [ $keep -eq 1 ] || rm -rf "$dir"
  done
}
