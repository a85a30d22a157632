#!/usr/bin/env bash
# The smoke test an operator's CI runs: provision a stack, exercise it, prove consistency and
# cross-region events, tear it down. Target from DSQLCTL_TARGET (default: the embedded local cloud);
# stack from DSQLCTL_SMOKE_STACK (default: dsqlctl-smoke). Stops at the first non-zero exit and exits
# with it; a failure after `up` still tears the stack down (keeping the original exit code).
# On the local target without DSQLCTL_HOME, the local cloud lives in a throwaway home and is stopped
# at the end, so a developer's ~/.dsqlctl is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export DSQLCTL_TARGET="${DSQLCTL_TARGET:-local}"
STACK="${DSQLCTL_SMOKE_STACK:-dsqlctl-smoke}"
[ -f dist/commands/txn/create.js ] || npm run --silent build

OWN_HOME=""
if [ "$DSQLCTL_TARGET" = local ] && [ -z "${DSQLCTL_HOME:-}" ]; then
  OWN_HOME="$(mktemp -d -t dsqlctl-smoke-XXXXXX)"
  export DSQLCTL_HOME="$OWN_HOME"
fi

run() {
  echo "\$ dsqlctl $* --stack $STACK   (target: $DSQLCTL_TARGET)"
  node bin/run.js "$@" --stack "$STACK"
}

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && [ "${UP_DONE:-0}" = 1 ]; then
    echo "smoke: failed with exit $status; tearing the stack down" >&2
    node bin/run.js down --yes --stack "$STACK" >&2 || echo "smoke: down failed too; run it by hand" >&2
  fi
  if [ -n "$OWN_HOME" ]; then
    node bin/run.js local stop >/dev/null 2>&1 || true
    rm -rf "$OWN_HOME"
  fi
  exit "$status"
}
trap cleanup EXIT

run up
UP_DONE=1
run txn create --amount 100.50 --id smoke-001
run txn create --amount 100.50 --id smoke-001
run txn read
run txn list --limit 5
run txn get --id smoke-001
run verify consistency
run verify events --timeout 30s
UP_DONE=0
run down --yes
echo "smoke: all steps passed"
