# Sourced by the benchmarks (run.sh, scale_bench.sh): one way to time a command.
# Needs `log` and `$WORK` (with an `out` folder) from the caller.
# shellcheck shell=bash

# measure NAME RUNS CMD...: median wall and CPU (user + system, which other load on
# the machine disturbs less) seconds and the largest peak RSS (MiB) of RUNS runs;
# stdout of the last run in $WORK/out/NAME.json. Sets WALL, CPU and RSS.
measure() {
  local name=$1 runs=$2; shift 2
  local walls=() cpus=() rss=0 i w m u sy
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/out/$name.time" "$@" >"$WORK/out/$name.json" 2>"$WORK/out/$name.err" || {
      log "$name failed: $(tail -3 "$WORK/out/$name.err")"; WALL=nan; CPU=nan; RSS=nan; return; }
    read -r w m u sy <"$WORK/out/$name.time"
    walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$sy" 'BEGIN {printf "%.2f", u+s}')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  RSS=$(awk -v k="$rss" 'BEGIN {printf "%.0f", k/1024}')
  log "$name: ${WALL} s wall, ${CPU} s CPU, ${RSS} MiB (load $(cut -d' ' -f1 /proc/loadavg))"
}
