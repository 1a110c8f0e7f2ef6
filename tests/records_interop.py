#!/usr/bin/env python3
"""Interop test: Sessionscope and a Python writer share one gptme-sessions store.

Usage: python3 tests/records_interop.py PATH/TO/sessionscope [--records N]

The Python side here re-implements gptme-sessions' store protocol with the standard
library only (the package itself is not installable in CI): every mutation holds
fcntl.flock(LOCK_EX) on `session-records.jsonl.lock`; an append first repairs a torn
tail, then writes one line and fsyncs; a rewrite re-reads under the lock, writes a
uniquely named temp file, fsyncs and renames it over the store.

Checks:
1. 2 Python writers + 2 `sessionscope records append --from-jsonl -` writers append
   N records each at the same time, while `sessionscope records annotate` and a
   Python rewriter amend one seed record and `sessionscope records auto-tag` tags three
   records from their trajectory: every record arrives exactly once, no line is torn,
   every annotation and every category survives, no temp file is left behind.
2. A writer SIGKILLed in the middle of writing a line (holding the lock) leaves a
   store whose complete lines all parse; the next `sessionscope records append`
   repairs the torn tail and loses no complete record.
3. A `sessionscope` appender SIGKILLed at a random moment leaves a readable store.
4. Writers killed during a *rewrite*: a Python rewriter SIGKILLed between writing its
   temp file and renaming it, and `sessionscope records annotate` SIGKILLed at random
   moments while it rewrites a large store, leave every record readable, exactly
   once; the next `sessionscope` write removes the stale temp files. A torn last
   line left by a killed appender is not turned into a permanent malformed line by
   the next annotate.

With `--gptme-sessions` (run it with a Python that has the package, e.g. its venv's
`python`), the Python side is the real gptme-sessions `SessionStore` (`append`,
`lock` + `load_all` + `rewrite`, and a rewrite stopped in its own `Path.replace`)
instead of the stand-in; use a small `--records` then: its append reads the whole
store every time.

Stores live on tmpfs (/dev/shm) when available: the test is about locking, and
40k fsyncs on a disk would take minutes. Exits non-zero on the first failure.
"""

import fcntl
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

STORE = "session-records.jsonl"
LOCK = STORE + ".lock"

# gptme_sessions' (SessionStore, SessionRecord) with --gptme-sessions, else None.
REAL = None


def real_store(store_dir):
    from pathlib import Path

    return REAL[0](Path(store_dir))


def lock(store_dir):
    f = open(os.path.join(store_dir, LOCK), "a", encoding="utf-8")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def unlock(f):
    fcntl.flock(f, fcntl.LOCK_UN)
    f.close()


def repair_tail(path):
    """Cut a torn last line (no trailing newline, not JSON); keep a lone first line."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return
    if size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        content = f.read()
        nl = content.rfind(b"\n")
        if nl == -1:
            f.write(b"\n")  # a lone first line is never deleted
            return
        try:
            json.loads(content[nl + 1 :].decode("utf-8"))
            f.write(b"\n")
        except (ValueError, UnicodeDecodeError):
            f.truncate(nl + 1)
            f.flush()
            os.fsync(f.fileno())


def py_append(store_dir, record):
    if REAL:
        real_store(store_dir).append(REAL[1].from_dict(record))
        return
    lk = lock(store_dir)
    try:
        path = os.path.join(store_dir, STORE)
        repair_tail(path)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
    finally:
        unlock(lk)


def py_rewrite(store_dir, session_id, mutate):
    """gptme-sessions' rewrite: lock, re-read, change one record, temp + fsync + rename."""
    if REAL:
        store = real_store(store_dir)
        with store.lock():
            rec = next(r for r in store.load_all() if r.session_id == session_id)
            d = rec.to_dict()
            mutate(d)
            store.rewrite([REAL[1].from_dict(d)])
        return
    lk = lock(store_dir)
    try:
        path = os.path.join(store_dir, STORE)
        out = []
        with open(path, encoding="utf-8") as f:
            for raw in f:
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError:
                    out.append(raw)
                    continue
                if isinstance(rec, dict) and rec.get("session_id") == session_id:
                    mutate(rec)
                    raw = json.dumps(rec)
                out.append(raw)
        tmp = f"{path}.tmp.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in out))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        unlock(lk)


def record(writer, seq, pad=0):
    r = {
        "session_id": f"{writer}-{seq:06d}",
        "timestamp": "2026-01-15T12:00:00+00:00",
        "harness": "gptme",
        "model": "claude-opus-4-6",
        "outcome": "productive" if seq % 3 else "noop",
        "duration_seconds": seq % 4000,
        "writer": writer,
        "seq": seq,
    }
    if pad:
        r["padding"] = "x" * pad
    return r


def py_writer(store_dir, writer, n):
    for i in range(n):
        py_append(store_dir, record(writer, i))


def rust(binary, store_dir, *args, stdin=None, timeout=120):
    return subprocess.run(
        [binary, "records", "--sessions-dir", store_dir, *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )


def read_store(store_dir):
    """Every line of the store: (parsed records, unparseable lines)."""
    with open(os.path.join(store_dir, STORE), "rb") as f:
        data = f.read()
    records, bad = [], []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            v = json.loads(raw.decode("utf-8"))
            if isinstance(v, dict):
                records.append(v)
            else:
                bad.append(raw)
        except (ValueError, UnicodeDecodeError):
            bad.append(raw)
    return records, bad, data


def check(cond, msg):
    if not cond:
        print(f"FAIL: {msg}", file=sys.stderr)
        sys.exit(1)


def concurrent_writers(binary, base, n):
    store_dir = tempfile.mkdtemp(prefix="interop-", dir=base)
    seed = {"session_id": "seed0000", "timestamp": "2026-01-01T00:00:00+00:00", "deliverables": []}
    py_append(store_dir, seed)
    # Three untagged records, newest of all, whose trajectory wrote two scripts
    # (auto-tag infers `infrastructure`).
    traj = os.path.join(store_dir, "tagme.jsonl")
    with open(traj, "w") as f:
        for k, name in enumerate(["deploy.sh", "check.sh"]):
            f.write(json.dumps({"type": "assistant", "timestamp": f"2099-01-01T00:00:0{k}Z",
                                "message": {"role": "assistant", "content": [
                                    {"type": "tool_use", "id": f"t{k}", "name": "Write",
                                     "input": {"file_path": f"/w/scripts/{name}"}}]}}) + "\n")
    tagme = [f"tagme{k:03d}" for k in range(3)]
    for k, sid in enumerate(tagme):
        py_append(store_dir, {"session_id": sid, "timestamp": f"2099-01-01T00:00:0{k}+00:00",
                              "trajectory_path": traj})

    started = time.time()
    procs = [
        multiprocessing.Process(target=py_writer, args=(store_dir, w, n)) for w in ("py1", "py2")
    ]
    for p in procs:
        p.start()
    rust_writers = []
    for w in ("rs1", "rs2"):
        lines = "".join(json.dumps(record(w, i)) + "\n" for i in range(n))
        p = subprocess.Popen(
            [binary, "records", "--sessions-dir", store_dir, "append", "--from-jsonl", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        rust_writers.append((p, lines))
    for p, lines in rust_writers:
        # Feed stdin from threads so both Rust writers run at once.
        threading.Thread(target=p.communicate, args=(lines.encode(),), daemon=True).start()

    # Meanwhile: amend the seed record from both tools.
    annotations = []
    for i in range(8):
        d = f"https://github.com/o/r/pull/{i}"
        r = rust(binary, store_dir, "annotate", "seed0000", "--add-deliverable", d)
        check(r.returncode == 0, f"annotate failed: {r.stderr.decode()}")
        annotations.append(d)
        py_rewrite(store_dir, "seed0000", lambda rec, i=i: rec.setdefault("py_marks", []).append(i))
        if i == 3:
            r = rust(binary, store_dir, "auto-tag", "--limit", "3")
            check(r.returncode == 0, f"auto-tag failed: {r.stderr.decode()}")
            check(b"Tagged 3 record(s)" in r.stdout, f"auto-tag: {r.stdout.decode()}")
        time.sleep(0.05)

    for p in procs:
        p.join(timeout=300)
        check(p.exitcode == 0, f"python writer exited {p.exitcode}")
    for p, _ in rust_writers:
        p.wait(timeout=300)
        check(p.returncode == 0, f"rust writer exited {p.returncode}")
    elapsed = time.time() - started

    records, bad, data = read_store(store_dir)
    check(not bad, f"{len(bad)} unparseable line(s), first: {bad[:1]}")
    check(data.endswith(b"\n"), "store does not end with a newline")
    by_writer = {}
    for r in records:
        if "writer" in r:
            by_writer.setdefault(r["writer"], []).append(r["seq"])
    for w in ("py1", "py2", "rs1", "rs2"):
        seqs = sorted(by_writer.get(w, []))
        check(seqs == list(range(n)), f"writer {w}: {len(seqs)} of {n} records, duplicates or gaps")
    seeds = [r for r in records if r.get("session_id") == "seed0000"]
    check(len(seeds) == 1, f"{len(seeds)} seed records")
    check(seeds[0]["deliverables"] == annotations, f"annotations lost: {seeds[0]['deliverables']}")
    check(seeds[0].get("py_marks") == list(range(8)), f"python rewrites lost: {seeds[0].get('py_marks')}")
    tagged = sorted((r["session_id"], r.get("category")) for r in records if r["session_id"] in tagme)
    check(tagged == [(sid, "infrastructure") for sid in tagme], f"auto-tag categories: {tagged}")
    leftovers = [f for f in os.listdir(store_dir) if ".tmp." in f]
    check(not leftovers, f"temp files left behind: {leftovers}")
    check(os.path.exists(os.path.join(store_dir, LOCK)), "lock sentinel missing")
    stats = json.loads(rust(binary, store_dir, "stats", "--since", "all", "--json").stdout)
    check(stats["total"] == 4 * n + 4, f"stats total {stats['total']} != {4 * n + 4}")
    print(f"ok: 4 writers x {n} records + 16 amendments + an auto-tag in {elapsed:.1f}s, nothing lost or torn")


def _torn_writer(store_dir, ready):
    """Take the lock, write half a line, signal readiness, then hang until killed."""
    lk = lock(store_dir)
    path = os.path.join(store_dir, STORE)
    with open(path, "a", encoding="utf-8") as f:
        line = json.dumps(record("torn", 0, pad=5000))
        f.write(line[: len(line) // 2])
        f.flush()
        os.fsync(f.fileno())
        ready.set()
        time.sleep(600)
    unlock(lk)


def sigkill_mid_write(binary, base):
    store_dir = tempfile.mkdtemp(prefix="interop-kill-", dir=base)
    for i in range(50):
        py_append(store_dir, record("before", i))
    ready = multiprocessing.Event()
    p = multiprocessing.Process(target=_torn_writer, args=(store_dir, ready))
    p.start()
    check(ready.wait(30), "torn writer did not start")
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    records, bad, data = read_store(store_dir)
    check(len(records) == 50 and len(bad) == 1 and not data.endswith(b"\n"),
          "expected 50 records and one torn tail after the kill")
    # The kill released the lock; the next append repairs the tail.
    r = rust(binary, store_dir, "append", "--harness", "gptme", "--outcome", "noop", timeout=30)
    check(r.returncode == 0, f"append after kill failed: {r.stderr.decode()}")
    records, bad, data = read_store(store_dir)
    check(not bad and data.endswith(b"\n"), f"store still torn after append: {bad[:1]}")
    check(len(records) == 51, f"{len(records)} records after repair, expected 51")
    check([r["seq"] for r in records if r.get("writer") == "before"] == list(range(50)),
          "complete records were lost by the repair")

    # A Rust appender killed at an arbitrary moment.
    lines = "".join(json.dumps(record("rk", i, pad=20000)) + "\n" for i in range(3000))
    proc = subprocess.Popen(
        [binary, "records", "--sessions-dir", store_dir, "append", "--from-jsonl", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    threading.Thread(target=lambda: proc.communicate(lines.encode()), daemon=True).start()
    time.sleep(0.4)
    proc.kill()
    proc.wait()
    records, bad, data = read_store(store_dir)
    check(len(bad) <= 1 and (not bad or not data.endswith(b"\n")),
          "a killed sessionscope writer left a torn line that is not the last")
    rk = [r["seq"] for r in records if r.get("writer") == "rk"]
    check(rk == list(range(len(rk))), "the killed writer's records are out of order or duplicated")
    py_append(store_dir, record("after", 0))
    records, bad, _ = read_store(store_dir)
    check(not bad, "python append did not repair the tail left by the killed writer")
    print(f"ok: SIGKILL mid-write leaves a readable store ({len(rk)} records from the killed writer kept)")


def _rewriter_killed_before_rename(store_dir, ready):
    """gptme-sessions' rewrite, stopped after the temp file is written and fsynced."""
    if REAL:
        import pathlib

        def hang(self, target):
            ready.set()
            time.sleep(600)

        pathlib.Path.replace = hang
        store = real_store(store_dir)
        store.rewrite(store.load_all()[:1])
        return
    lk = lock(store_dir)
    path = os.path.join(store_dir, STORE)
    with open(path, encoding="utf-8") as f:
        lines = [raw.strip() for raw in f if raw.strip()]
    tmp = f"{path}.tmp.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines[: len(lines) // 2]))
        f.flush()
        os.fsync(f.fileno())
    ready.set()
    time.sleep(600)
    unlock(lk)


def temp_files(store_dir):
    return [f for f in os.listdir(store_dir) if ".tmp." in f]


def sigkill_mid_rewrite(binary, base, n):
    store_dir = tempfile.mkdtemp(prefix="interop-rewrite-", dir=base)
    lines = "".join(json.dumps(record("big", i, pad=200)) + "\n" for i in range(n))
    with open(os.path.join(store_dir, STORE), "w", encoding="utf-8") as f:
        f.write(lines)

    # A Python rewriter dies holding a finished temp file: the store is untouched.
    ready = multiprocessing.Event()
    p = multiprocessing.Process(target=_rewriter_killed_before_rename, args=(store_dir, ready))
    p.start()
    check(ready.wait(60), "python rewriter did not start")
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    records, bad, _ = read_store(store_dir)
    check(len(records) == n and not bad, "a rewriter killed before its rename changed the store")
    check(len(temp_files(store_dir)) == 1, "the killed python rewriter left no temp file")
    r = rust(binary, store_dir, "annotate", "big-000000", "--add-deliverable", "https://x/1")
    check(r.returncode == 0, f"annotate after a killed rewrite failed: {r.stderr.decode()}")
    check(not temp_files(store_dir), f"stale temp file kept: {temp_files(store_dir)}")

    # sessionscope's annotate killed at random moments of its rewrite.
    kills, temps_left = 0, set()
    for attempt in range(6):
        proc = subprocess.Popen(
            [binary, "records", "--sessions-dir", store_dir, "annotate",
             f"big-{attempt + 1:06d}", "--add-deliverable", f"https://x/{attempt}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # Wait for its temp file, then kill it a little later each time: while it
        # writes the temp file, fsyncs it, or renames it.
        deadline = time.time() + 30
        while proc.poll() is None and not temp_files(store_dir) and time.time() < deadline:
            time.sleep(0.001)
        time.sleep(0.003 * attempt)
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.wait()
        temps_left |= set(temp_files(store_dir))
        records, bad, data = read_store(store_dir)
        check(not bad and data.endswith(b"\n"), f"torn store after a killed annotate: {bad[:1]}")
        seqs = sorted(r["seq"] for r in records if r.get("writer") == "big")
        check(seqs == list(range(n)), f"{len(seqs)} of {n} records after a killed annotate")
    py_append(store_dir, record("after-rewrites", 0))
    r = rust(binary, store_dir, "append", "--harness", "gptme", "--outcome", "noop", timeout=60)
    check(r.returncode == 0, f"append after killed rewrites failed: {r.stderr.decode()}")
    check(not temp_files(store_dir), f"stale temp files kept: {temp_files(store_dir)}")

    # A torn tail, then an annotate: the torn line must not stay as a malformed line.
    ready = multiprocessing.Event()
    p = multiprocessing.Process(target=_torn_writer, args=(store_dir, ready))
    p.start()
    check(ready.wait(30), "torn writer did not start")
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    r = rust(binary, store_dir, "annotate", "big-000000", "--add-deliverable", "https://x/2")
    check(r.returncode == 0, f"annotate over a torn tail failed: {r.stderr.decode()}")
    py_append(store_dir, record("after-torn", 0))
    records, bad, _ = read_store(store_dir)
    check(not bad, f"the torn tail became a malformed line: {bad[:1]}")
    check(len(records) == n + 3, f"{len(records)} records, expected {n + 3}")
    print(f"ok: SIGKILL mid-rewrite ({kills} annotates killed, {len(temps_left)} temp files left by them and"
          " removed by the next write) loses nothing")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if "--gptme-sessions" in sys.argv:
        global REAL
        from gptme_sessions.record import SessionRecord
        from gptme_sessions.store import SessionStore

        REAL = (SessionStore, SessionRecord)
        print("Python side: the real gptme-sessions SessionStore")
    n = 10000
    if "--records" in sys.argv:
        n = int(sys.argv[sys.argv.index("--records") + 1])
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    base = tempfile.mkdtemp(prefix="sessionscope-interop-", dir=shm)
    try:
        concurrent_writers(binary, base, n)
        sigkill_mid_write(binary, base)
        sigkill_mid_rewrite(binary, base, max(n, 20000))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    sys.exit(main())
