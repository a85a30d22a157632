#!/usr/bin/env bash
# `npm run quickstart`: the main job on the local target — provision the default two-region stack on the
# embedded local cloud, write a transaction, read it back, and prove cross-region consistency.
set -euo pipefail
cd "$(dirname "$0")/.."
export DSQLCTL_TARGET="${DSQLCTL_TARGET:-local}"
run() {
  echo "\$ dsqlctl $*"
  node bin/run.js "$@"
}
run up
run txn create --amount 100.50
run txn list --limit 5
run verify consistency
echo
echo "Done. Explore with: npm run dsqlctl -- status --target local   (stop the local cloud: npm run dsqlctl -- local stop)"
