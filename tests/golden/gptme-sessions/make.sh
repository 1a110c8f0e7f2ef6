#!/usr/bin/env bash
# Regenerates the golden outputs of the real gptme-sessions from its source.
# Not run in CI (the package is not on the registries CI reaches); run it by hand
# when the fixtures or the cases change, and commit what it writes.
#
#   GPTME_SESSIONS=/path/to/venv/bin/gptme-sessions tests/golden/gptme-sessions/make.sh
#
# ONLY=REGEX (bash =~) regenerates only the cases whose name matches.
#
# The outputs here were made with gptme/gptme-contrib at
# aabb1db194872b04de73f9e656f2c1aa7f998b1b (packages/gptme-sessions and
# packages/gptme-usage installed with `pip install -e` into a venv with click, pyyaml (for
# `auto-tag --mapping-file`; without it the Python tool refuses every mapping file) and
# tomli), Python 3.11.
#
# Each line of cases.tsv is: NAME, FIXTURE (a folder of tests/fixtures/records, or
# `empty`), then the arguments. A case runs in a fresh work folder (its working
# directory) holding store/ (a copy of the fixture's session-records.jsonl) and home/
# (HOME: a copy of the fixture's home/, plus the agents' fixture logs its layout.tsv
# places there), and writes NAME/stdout, NAME/stderr, NAME/exit and, when the command
# rewrote the store, NAME/store.jsonl. The work folder's path is written as @WORK@.
# A fixture's setup.sh runs first in the work folder; its `cwd` file names the
# subfolder the command runs in (default: the work folder). The work folder's bin/
# (made by a setup.sh: stand-in programs such as gh) comes first on PATH. A fixture
# with a `dated` file has logs dated relative to today (made by its setup.sh): in its
# outputs a date N days before today (UTC) is written @D-N@, and a Codex
# YYYY/MM/DD folder of that day @P-N@, so the goldens hold on any day.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../../fixtures/records"
tool=${GPTME_SESSIONS:-/root/.cache/sessionscope/gs-venv/bin/gptme-sessions}
while IFS=$'\t' read -r -a row; do
  [[ ${#row[@]} -eq 0 || ${row[0]} == \#* ]] && continue
  name=${row[0]} fixture=${row[1]} args=("${row[@]:2}")
  [[ -n ${ONLY:-} && ! $name =~ $ONLY ]] && continue
  work=$(mktemp -d)
  mkdir -p "$work/store" "$work/home"
  if [[ $fixture != empty ]]; then
    src=$fixtures/$fixture
    [[ -f $src/session-records.jsonl ]] && cp "$src/session-records.jsonl" "$work/store/"
    [[ -d $src/home ]] && cp -a "$src/home/." "$work/home/"
    [[ -x $src/setup.sh ]] && (cd "$work" && "$src/setup.sh")
    if [[ -f $src/layout.tsv ]]; then
      while IFS=$'\t' read -r from to; do
        [[ -z $from || $from == \#* ]] && continue
        mkdir -p "$work/home/$to"
        cp -a "$fixtures/../$from/." "$work/home/$to/"
      done <"$src/layout.tsv"
    fi
  fi
  # The store as the case starts (a setup.sh may write it): a command that leaves it
  # so writes no store.jsonl.
  before=$work/.store-before
  : >"$before"
  [[ -f $work/store/session-records.jsonl ]] && cp "$work/store/session-records.jsonl" "$before"
  out="$here/$name"
  mkdir -p "$out"
  rc=0
  cwd=$work
  [[ $fixture != empty && -f $fixtures/$fixture/cwd ]] && cwd=$work/$(cat "$fixtures/$fixture/cwd")
  (cd "$cwd" && env -i PATH="$work/bin:$PATH" HOME="$work/home" TZ=UTC LANG=C.UTF-8 COLUMNS=200 \
    "$tool" --sessions-dir "$work/store" "${args[@]}" >"$out/stdout" 2>"$out/stderr") || rc=$?
  echo "$rc" >"$out/exit"
  sed -i "s|$work|@WORK@|g" "$out/stdout" "$out/stderr"
  if [[ $fixture != empty && -f $fixtures/$fixture/dated ]]; then
    # Logs dated relative to today (the fixture's setup.sh): a date N days ago is
    # written @D-N@, a Codex YYYY/MM/DD folder @P-N@.
    for n in $(seq 0 60); do
      d=$(date -u -d "$n days ago" +%F)
      sed -i "s|$d|@D-$n@|g; s|${d//-//}|@P-$n@|g" "$out/stdout" "$out/stderr"
    done
  fi
  rm -f "$out/store.jsonl"
  if [[ -f $work/store/session-records.jsonl ]] &&
    ! cmp -s "$work/store/session-records.jsonl" "$before"; then
    cp "$work/store/session-records.jsonl" "$out/store.jsonl"
  fi
  rm -rf "$work"
  echo "$name: exit $rc"
done <"$here/cases.tsv"
