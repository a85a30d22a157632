#!/usr/bin/env bash
# The smoke test an operator's CI runs: provision a stack, exercise it, prove consistency and
# cross-region events, tear it down. Target from DSQLCTL_TARGET (default: the embedded local cloud);
# stack from DSQLCTL_SMOKE_STACK (default: dsqlctl-smoke). Stops at the first non-zero exit, with that
# exit code; on a failure after `up`, the stack is still torn down (the original exit code is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
export DSQLCTL_TARGET="${DSQLCTL_TARGET:-local}"
STACK="${DSQLCTL_SMOKE_STACK:-dsqlctl-smoke}"
[ -f dist/commands/txn/create.js ] || npm run --silent build

run() {
  echo "\$ dsqlctl $* --stack $STACK   (target: $DSQLCTL_TARGET)"
  node bin/run.js "$@" --stack "$STACK"
}

teardown_on_failure() {
  local status=$?
  if [ "$status" -ne 0 ] && [ "${UP_DONE:-0}" = 1 ]; then
    echo "smoke: failed with exit $status; tearing the stack down" >&2
    node bin/run.js down --yes --stack "$STACK" >&2 || echo "smoke: down failed too; run it by hand" >&2
  fi
  exit "$status"
}
trap teardown_on_failure EXIT

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
