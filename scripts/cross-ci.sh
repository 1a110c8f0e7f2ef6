#!/usr/bin/env bash
# The part of `make cross` and `make wine-core` that `make test` runs: everything
# already checked or run once in this machine's cross target dir, plus at most one
# step that is still cold.
#
# A warm check of core, CLI and app for all three targets costs a few minutes; a cold
# one builds std and 300-odd crates per target, more than `make test`'s budget on 2
# cores beside its own steps. So every run checks core and CLI for Windows and Apple
# silicon (the floor, cold on a new machine as before), every wider check that has
# passed here before (a stamp per check in the target dir), and, once the floor was
# warm when the run began, the first wider check not yet done: on a machine that
# keeps ~/.cache, the app for Windows joins on the second run, the app for Apple
# silicon on the third, Intel Macs on the fourth and the Windows tests under Wine on the
# fifth, and from then on every run checks everything `make cross` does and runs
# `make wine-core`. Each step prints what it checked or why it waited.
set -euo pipefail
cd "$(dirname "$0")/.."

stamps="${CROSS_TARGET_DIR:-$HOME/.cache/sessionscope/cross}/sessionscope-checked"
core_cli="-p sessionscope-core -p sessionscope-cli"

# Each check: "<target> <packages>", floor first, then the wider ones in warm-up order.
floor=("x86_64-pc-windows-gnu|$core_cli" "aarch64-apple-darwin|$core_cli")
wider=("x86_64-pc-windows-gnu|--workspace" "aarch64-apple-darwin|--workspace"
  "x86_64-apple-darwin|--workspace")

# The stamp scripts/cross.sh leaves after a check passed (the same name it writes).
stamp_of() { local t=${1%%|*} p=${1#*|}; echo "$stamps/$t${p//[^a-z-]/_}"; }
check() { CROSS_TARGETS=${1%%|*} CROSS_PACKAGES=${1#*|} bash scripts/cross.sh; }

floor_was_warm=1
for step in "${floor[@]}"; do [ -e "$(stamp_of "$step")" ] || floor_was_warm=0; done

cold_taken=0
for step in "${wider[@]}"; do
  if [ -e "$(stamp_of "$step")" ]; then
    check "$step"
  elif [ "$floor_was_warm" = 1 ] && [ "$cold_taken" = 0 ]; then
    echo "== cross: ${step%%|*} (${step#*|}) checked here for the first time: a cold check"
    cold_taken=1
    check "$step"
  else
    echo "== cross: ${step%%|*} (${step#*|}) not checked yet: it joins on a later run (\`make cross\` checks it now)"
  fi
done
# The floor, unless a wider check of the same target already covered it.
for step in "${floor[@]}"; do
  target=${step%%|*}
  if [ -e "$(stamp_of "$target|--workspace")" ]; then continue; fi
  check "$step"
done

# Last in the warm-up order: core and CLI tests built for Windows and run under Wine
# (`make wine-core`: job objects, the run host, the watcher, run/runs/kill). Cold, it
# builds std and every dependency for Windows with code (the checks above only
# type-check): about 12 minutes of CPU; warm, 3 to 6 minutes.
if [ -e "$stamps/wine-core" ]; then
  WINE_TESTS=core bash scripts/wine-test.sh
elif [ "$floor_was_warm" = 1 ] && [ "$cold_taken" = 0 ]; then
  echo "== cross: Windows tests under Wine run here for the first time: a cold build"
  WINE_TESTS=core bash scripts/wine-test.sh
else
  echo "== cross: Windows tests under Wine not run yet: they join on a later run (\`make wine-core\` runs them now)"
fi
