# Messages, and what a failure reports.

if [ -t 1 ]; then BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' YELLOW=$'\e[33m' RESET=$'\e[0m'
else BOLD='' DIM='' RED='' GREEN='' YELLOW='' RESET=''; fi

say() { printf '%s==>%s %s\n' "$BOLD" "$RESET" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '%serror:%s %s\n' "$RED" "$RESET" "$*" >&2; DIED=1; exit 1; }
now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# set -e stops at the first unexpected failure; say where, rather than exit without a word.
FAILED_AT='' DIED='' LOCKED=''
trap 'FAILED_AT="${BASH_SOURCE[0]#"$REPO"/} line $LINENO: $BASH_COMMAND"' ERR
on_exit() {
  local rc=$?
  [ -z "$LOCKED" ] || rm -rf "$LOCK"
  if [ $rc -ne 0 ] && [ -z "$DIED" ] && [ -n "$FAILED_AT" ]; then
    printf '%serror:%s deploy/local/cluster failed at %s\n' "$RED" "$RESET" "$FAILED_AT" >&2
  fi
}
trap on_exit EXIT
