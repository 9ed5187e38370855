# Plugins up installs and enables through the API, as the launcher's own system admin; their bundles are built with
# Dapr.sln (PluginBundle.targets). The cluster tool (cluster-tool/, built with the solution) does the talking.

PLUGINS=(trigger-word)
ADMIN_USER=cluster-admin
CLUSTER_TOOL=$REPO/deploy/local/cluster-tool/bin/Release/net10.0/Chat.ClusterTool.dll

plugin_bundle() { printf '%s' "$REPO/services/plugins/$1/bin/Release/$1.tar.gz"; }

# The launcher's admin exists before the edge opens: on a fresh system the first user to sign up becomes system admin,
# and that must not be whoever reaches the edge first. Talks to api-1 directly.
ensure_admin() {
  [ -f "$CLUSTER_TOOL" ] || die "$CLUSTER_TOOL is missing; run up without --no-build"
  dotnet "$CLUSTER_TOOL" ensure-admin --url "http://127.0.0.1:$((BASE_PORT[api] + 1))" \
    --database "Host=127.0.0.1;Port=$(primary_port);Database=$DB_NAME;Username=postgres" \
    --admin "$ADMIN_USER" --credentials "$STATE/admin.env" || { DIED=1; exit 1; }
}

# Signs in as ADMIN_USER (signed up, or granted system_admin in the database, when needed; its password is kept in
# $STATE/admin.env), uploads each bundle whose contents changed, enables it and waits until every api node runs it.
install_plugins() {
  local id bundles=()
  [ -f "$CLUSTER_TOOL" ] || die "$CLUSTER_TOOL is missing; run up without --no-build"
  for id in "${PLUGINS[@]}"; do bundles+=("$(plugin_bundle "$id")"); done
  # The tool says what failed in the launcher's words.
  dotnet "$CLUSTER_TOOL" install-plugins --url "http://127.0.0.1:$EDGE_PORT" \
    --database "Host=127.0.0.1;Port=$(primary_port);Database=$DB_NAME;Username=postgres" \
    --admin "$ADMIN_USER" --credentials "$STATE/admin.env" --installed "$STATE/plugins" \
    --api-nodes "$API" --timeout "$HEALTH_TIMEOUT" "${bundles[@]}" || { DIED=1; exit 1; }
}
