# S3 mode: with MM_FILESETTINGS_DRIVERNAME=amazons3 and no MM_FILESETTINGS_AMAZONS3ENDPOINT of its own, the cluster
# keeps its files in a local S3-compatible server, the npm package s3rver (installed under the state folder), which
# runs as the node "s3" and stores its objects in $STATE/s3. Every service node gets its AmazonS3* settings.

S3_PORT=8064
S3RVER_VERSION=3.7.1

s3_wanted() { [ "${MM_FILESETTINGS_DRIVERNAME:-local}" = amazons3 ] && [ -z "${MM_FILESETTINGS_AMAZONS3ENDPOINT:-}" ]; }

# The settings that point a node at the local s3rver (every node started while S3 mode is wanted gets them).
s3_env() {
  export MM_FILESETTINGS_AMAZONS3ENDPOINT="127.0.0.1:$S3_PORT" MM_FILESETTINGS_AMAZONS3SSL=false \
    MM_FILESETTINGS_AMAZONS3BUCKET="${MM_FILESETTINGS_AMAZONS3BUCKET:-chat-files}" \
    MM_FILESETTINGS_AMAZONS3ACCESSKEYID=S3RVER MM_FILESETTINGS_AMAZONS3SECRETACCESSKEY=S3RVER
}

s3_pid() {
  local pid; pid=$(cat "$STATE/run/s3.pid" 2>/dev/null || true)
  [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF s3rver.js && echo "$pid"
  return 0
}

start_s3() {
  s3_wanted || return 0
  local missing
  mapfile -t missing < <(missing_packages node npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    install_packages "${missing[@]}"
  fi
  local prefix="$STATE/s3rver"
  if [ ! -f "$prefix/node_modules/s3rver/bin/s3rver.js" ]; then
    note "installing s3rver $S3RVER_VERSION (npm)"
    mkdir -p "$prefix"
    timeout 10m npm install --prefix "$prefix" --no-audit --no-fund --silent "s3rver@$S3RVER_VERSION" >/dev/null ||
      die "npm could not install s3rver"
  fi
  s3_env
  [ -n "$(s3_pid)" ] && return 0
  port_busy "$S3_PORT" && die "port $S3_PORT (s3) is taken by another process"
  mkdir -p "$STATE/s3"
  spawn s3 node "$prefix/node_modules/s3rver/bin/s3rver.js" --address 127.0.0.1 --port "$S3_PORT" --directory "$STATE/s3"
  local deadline=$((SECONDS + 20))
  until port_busy "$S3_PORT"; do
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$(log_of s3)" >&2; die "s3rver did not start"; }
    sleep 0.2
  done
  note "s3: http://127.0.0.1:$S3_PORT (objects in $STATE/s3)"
}

stop_s3() {
  local pid; pid=$(s3_pid)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || kill_tree "$pid" KILL
  rm -f "$STATE/run/s3.pid"
}
