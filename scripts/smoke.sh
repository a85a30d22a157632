#!/usr/bin/env bash
# The smoke test an operator's CI runs: provision a stack, exercise it, prove consistency and
# cross-region events (`verify --junit`), tear it down. Safe for CI:
# - a unique stack per run (DSQLCTL_SMOKE_STACK to choose one), so parallel jobs never collide;
# - the stack is torn down on any failure and on SIGINT/SIGTERM (what CI cancellation sends), from
#   the moment `up` starts (a failed or interrupted `up` leaves resources too); the exit code stays
#   the failure's (130 for SIGINT, 143 for SIGTERM);
# - every step's output, its timing, the JUnit report and (on the local target) the local cloud's
#   daemon, request and PostgreSQL logs are kept in $SMOKE_ARTIFACTS (default ./smoke-artifacts)
#   for CI to upload, success or not.
# Target from DSQLCTL_TARGET (default: the embedded local cloud); regions from DSQLCTL_SMOKE_REGIONS
# (default us-east-1,us-west-2). On the local target without DSQLCTL_HOME, the local cloud lives in
# a throwaway home, stopped and removed at the end (its logs copied first), so ~/.dsqlctl is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export DSQLCTL_TARGET="${DSQLCTL_TARGET:-local}"
STACK="${DSQLCTL_SMOKE_STACK:-smoke-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}"
REGIONS="${DSQLCTL_SMOKE_REGIONS:-us-east-1,us-west-2}"
ARTIFACTS="${SMOKE_ARTIFACTS:-smoke-artifacts}"
mkdir -p "$ARTIFACTS/steps"
ARTIFACTS="$(cd "$ARTIFACTS" && pwd)"
TIMINGS="$ARTIFACTS/timings.txt"
: >"$TIMINGS"
[ -f dist/commands/txn/create.js ] || npm run --silent build

OWN_HOME=""
if [ "$DSQLCTL_TARGET" = local ] && [ -z "${DSQLCTL_HOME:-}" ]; then
  OWN_HOME="$(mktemp -d -t dsqlctl-smoke-XXXXXX)"
  chmod 755 "$OWN_HOME" # PostgreSQL's own user (when run as root) must reach its data inside
  export DSQLCTL_HOME="$OWN_HOME"
fi

STEP=0
CHILD=""
UP_STARTED=0

now_ms() { date +%s%3N; }

# One step: `dsqlctl <args> --stack $STACK`, its output shown and kept in steps/NN-<name>.log, its
# duration printed and appended to timings.txt. Runs in the background and is waited for, so a signal
# reaches the trap at once (bash defers traps until a foreground command ends).
step() {
  local name="$1"
  shift
  STEP=$((STEP + 1))
  local log
  log="$ARTIFACTS/steps/$(printf '%02d' "$STEP")-$name.log"
  echo "smoke: [$STEP] dsqlctl $* --stack $STACK   (target: $DSQLCTL_TARGET)"
  local start status=0
  start="$(now_ms)"
  node bin/run.js "$@" --stack "$STACK" > >(tee "$log") 2>&1 &
  CHILD=$!
  wait "$CHILD" || status=$?
  CHILD=""
  local took=$(($(now_ms) - start))
  printf '%-24s %6d ms  exit %d\n' "$name" "$took" "$status" >>"$TIMINGS"
  echo "smoke: [$STEP] $name: exit $status after $((took / 1000)).$(printf '%03d' $((took % 1000)))s"
  return "$status"
}

on_signal() {
  local signal="$1" code="$2"
  echo "smoke: received SIG$signal; stopping the running step, then tearing the stack down" >&2
  if [ -n "$CHILD" ]; then
    kill -"$signal" "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  exit "$code"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

cleanup() {
  local status=$?
  # A second signal during the teardown is reported, not obeyed: leaving the stack behind is worse.
  trap 'echo "smoke: still tearing down; signal ignored" >&2' INT TERM
  if [ "$status" -ne 0 ] && [ "$UP_STARTED" = 1 ]; then
    echo "smoke: failed with exit $status; tearing stack $STACK down" >&2
    node bin/run.js down --yes --stack "$STACK" >"$ARTIFACTS/steps/teardown.log" 2>&1 ||
      echo "smoke: down failed too (see $ARTIFACTS/steps/teardown.log); run: dsqlctl down --stack $STACK --target $DSQLCTL_TARGET --yes" >&2
  fi
  if [ "$DSQLCTL_TARGET" = local ] && [ -d "$DSQLCTL_HOME/local-cloud" ]; then
    mkdir -p "$ARTIFACTS/local-cloud"
    for f in daemon.log requests.jsonl postgres.log; do
      [ -f "$DSQLCTL_HOME/local-cloud/$f" ] && cp "$DSQLCTL_HOME/local-cloud/$f" "$ARTIFACTS/local-cloud/"
    done
  fi
  if [ -n "$OWN_HOME" ]; then
    node bin/run.js local stop >/dev/null 2>&1 || true
    rm -rf "$OWN_HOME"
  fi
  echo "smoke: timings (also $TIMINGS):"
  cat "$TIMINGS"
  echo "smoke: artifacts in $ARTIFACTS"
  exit "$status"
}
trap cleanup EXIT

UP_STARTED=1
step up up --regions "$REGIONS"
step create txn create --amount 100.50 --id smoke-001
step create-again txn create --amount 100.50 --id smoke-001
step read txn read
step list txn list --limit 5
step get txn get --id smoke-001
step verify verify --timeout 30s --junit "$ARTIFACTS/junit.xml"
step down down --yes
UP_STARTED=0
echo "smoke: all steps passed (stack $STACK)"
