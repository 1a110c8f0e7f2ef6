#!/usr/bin/env bash
# Remote hosts (issue 15): what N hosts of M sessions each cost, idle. Starts Debian's
# sshd on a loopback port with generated keys (as crates/cli/tests/remote_ssh.rs does),
# gives the "remote" a second HOME with M small Claude Code sessions, and follows it as
# N host aliases with `sessionscope remote watch` for IDLE seconds. Prints, per host:
# the protocol bytes of the connect (hello + snapshot) and per idle minute, and the TCP
# bytes ssh received per idle minute (from `ss`), i.e. with SSH's own framing.
#
#   REMOTE_HOSTS=10  REMOTE_SESSIONS=1000  REMOTE_IDLE_SECS=60
#   SESSIONSCOPE=…/sessionscope (default: $CARGO_TARGET_DIR/release/sessionscope)
#
# Not a test: nothing here asserts a number. Writes only under a temp dir.
set -euo pipefail

HOSTS="${REMOTE_HOSTS:-10}"
SESSIONS="${REMOTE_SESSIONS:-1000}"
IDLE="${REMOTE_IDLE_SECS:-60}"
BIN="${SESSIONSCOPE:-${CARGO_TARGET_DIR:-$HOME/.cache/sessionscope/target}/release/sessionscope}"
SSHD="$(command -v sshd || echo /usr/sbin/sshd)"
[ -x "$SSHD" ] || { echo "remote_idle: no sshd (apt install openssh-server)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "remote_idle: no $BIN (build it first)" >&2; exit 1; }

W="$(mktemp -d "${TMPDIR:-/tmp}/sessionscope-remote-bench.XXXXXX")"
SSHD_PID=""
cleanup() { [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N "" -f "$W/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$W/user_key"
cp "$W/user_key.pub" "$W/authorized_keys"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$W/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $W/host_key
AuthorizedKeysFile $W/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
MaxStartups 100
MaxSessions 100
LogLevel ERROR
EOF
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$W/host_key.pub")" > "$W/known_hosts"
{
  for i in $(seq 1 "$HOSTS"); do
    printf 'Host box%s\n  HostName 127.0.0.1\n  Port %s\n  User %s\n' "$i" "$PORT" "$(id -un)"
    printf '  IdentityFile %s/user_key\n  IdentitiesOnly yes\n  IdentityAgent none\n' "$W"
    printf '  UserKnownHostsFile %s/known_hosts\n  ControlMaster no\n  LogLevel ERROR\n' "$W"
  done
} > "$W/ssh_config"
mkdir -p /run/sshd 2>/dev/null || true
"$SSHD" -D -e -f "$W/sshd_config" 2> "$W/sshd.log" &
SSHD_PID=$!

# M sessions of a user prompt and an answer each, last written a day ago (ended, so
# nothing changes while idle).
python3 - "$W/remote/.claude/projects" "$SESSIONS" <<'PY'
import json, os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
old = time.time() - 86400
for i in range(n):
    d = os.path.join(root, f"-srv-p{i % 50}")
    os.makedirs(d, exist_ok=True)
    sid = f"00000000-0000-4000-8000-{i:012d}"
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(old))
    base = {"sessionId": sid, "timestamp": ts, "cwd": f"/srv/p{i % 50}"}
    lines = [
        {**base, "type": "user", "uuid": "u", "message": {"role": "user", "content": f"task {i}"}},
        {**base, "type": "assistant", "uuid": "a", "requestId": f"r{i}", "message": {
            "id": f"m{i}", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "done"}],
            "usage": {"input_tokens": 100, "output_tokens": 20}}},
    ]
    p = os.path.join(d, f"{sid}.jsonl")
    with open(p, "w") as f:
        f.write("".join(json.dumps(l) + "\n" for l in lines))
    os.utime(p, (old, old))
PY

export SESSIONSCOPE_SSH="ssh -F $W/ssh_config"
export SESSIONSCOPE_REMOTE_COMMAND="HOME=$W/remote SESSIONSCOPE_DATA_DIR=$W/remote/data exec $BIN serve --stdio"
export SESSIONSCOPE_DATA_DIR="$W/local"
ARGS=()
for i in $(seq 1 "$HOSTS"); do ARGS+=(--host "box$i"); done

wire() { ss -tin "dport = :$PORT" | grep -o 'bytes_received:[0-9]*' | awk -F: '{s+=$2} END {print s+0}'; }

echo "remote_idle: $HOSTS hosts × $SESSIONS sessions, $IDLE s idle; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN" remote watch "${ARGS[@]}" --seconds $((IDLE + 30)) > "$W/watch.txt" &
WATCH=$!
# Every host live (its snapshot taken) before the idle window starts.
for _ in $(seq 1 120); do
  [ "$(grep -c 'live since' "$W/watch.txt" || true)" -ge "$HOSTS" ] && break
  sleep 0.5
done
sleep 2
W0="$(wire)"
sleep "$IDLE"
W1="$(wire)"
wait "$WATCH"
live=$(grep -c 'live since' "$W/watch.txt" || true)
snap=$(grep -o 'snapshot: [0-9]* sessions ([0-9]* bytes' "$W/watch.txt" | grep -o '([0-9]*' | tr -d '(' | sort -n | tail -1)
idle=$(grep -o '([0-9]* bytes/minute)' "$W/watch.txt" | grep -o '[0-9]*' | sort -n | tail -1)
echo "| $HOSTS hosts × $SESSIONS sessions ($live went live), load $(cut -d' ' -f1-3 /proc/loadavg) | connect (hello + snapshot): ${snap:-?} protocol bytes per host | idle: at most ${idle:-?} protocol bytes per minute per host; $(( (W1 - W0) * 60 / IDLE / HOSTS )) TCP bytes per minute per host (ssh framing included) |"
