# The distribution packages deploy/local/cluster and tests/run need, installed with apt-get when missing (through sudo
# when not root). Sourced by both; the caller defines die MESSAGE.

is_root() { [ "$(id -u)" -eq 0 ]; }

as_root() {
  if is_root; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "'$*' needs root and sudo is not installed; run it as root, then try again"; fi
}

# The newest installed PostgreSQL's server binaries (PG_BIN overrides).
pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then printf '%s' "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && printf '%s' "$dir"
}

nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

# TOOL... (postgresql nginx curl node npm chromium): the package of each one that is missing, one a line.
missing_packages() {
  local tool
  for tool in "$@"; do
    case $tool in
      postgresql) pg_bin >/dev/null || echo postgresql ;;
      nginx) nginx_bin >/dev/null || echo nginx ;;
      node) command -v node >/dev/null || echo nodejs ;;
      # The admin page's browser test drives Debian's Chromium (tests/js/browser).
      chromium) [ -x /usr/bin/chromium ] || echo chromium ;;
      *) command -v "$tool" >/dev/null || echo "$tool" ;;
    esac
  done
}

# PACKAGE...: a mirror that stops answering fails the step within minutes instead of stalling it (CI's run has a budget).
install_packages() {
  as_root env DEBIAN_FRONTEND=noninteractive timeout 5m apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive timeout 15m apt-get install -y -q "$@"
}
