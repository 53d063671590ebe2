#!/usr/bin/env python3
"""Where an intake load's time goes, for docs/benchmarks.md. Not a test; prints figures.

Runs the release server on a new SQLite database, loads it with initial reports (wrk, 32
connections, as bench.py does) and reports, over the measured seconds:
  - the machine's CPU split (user, system, idle, iowait, softirq) from /proc/stat, and the
    server's share;
  - each busy server thread's time running and time waiting for a CPU (runnable, not running),
    from /proc/<pid>/task/<tid>/schedstat;
  - the WAL pages one commit writes, by the table or index they belong to (a copy of the WAL
    taken during the load, read frame by frame; pages named through SQLite's dbstat table).

    python3 scripts/intake_anatomy.py --binary .build/release/yingji
"""
import argparse
import collections
import glob
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from yingji_client import sign_in  # noqa: E402


def cpu_split():
    return [int(x) for x in open("/proc/stat").readline().split()[1:9]]


def process_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def threads(pid):
    found = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            name = open(task + "/comm").read().strip()
            run, wait, slices = map(int, open(task + "/schedstat").read().split())
        except OSError:
            continue
        found[task.rsplit("/", 1)[1]] = (name, run, wait, slices)
    return found


def wal_commits(wal_path):
    """The page numbers each complete commit in a WAL file wrote."""
    data = open(wal_path, "rb").read()
    if len(data) < 32:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    offset, commits, current = 32, [], []
    while offset + 24 + page_size <= len(data):
        page, commit_size = struct.unpack(">II", data[offset:offset + 8])
        if data[offset + 8:offset + 16] != salt:
            break
        current.append(page)
        if commit_size:
            commits.append(current)
            current = []
        offset += 24 + page_size
    return commits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yingji-anatomy-")
    database = os.path.join(work, "anatomy.sqlite")
    server, port, _ = bench.start(os.path.abspath(args.binary), ["serve", "--db", database, "--demo"])
    try:
        auth = sign_in(port)
        script = bench.wrk_script(work, auth, True)
        url = f"http://127.0.0.1:{port}/api/v1/incidents"
        bench.wrk(url, args.connections, 2, script)  # warm-up
        before_cpu, before_ticks, before_threads = cpu_split(), process_ticks(server.pid), threads(server.pid)
        result = {}
        load = threading.Thread(target=lambda: result.update(bench.wrk(url, args.connections, args.duration, script)))
        load.start()
        # Copies of the WAL during the load; the longest is read (the log restarts after each checkpoint).
        copies = []
        for index in range(4):
            time.sleep(args.duration / 5)
            copy = os.path.join(work, f"wal-{index}")
            shutil.copy(database + "-wal", copy)
            copies.append(copy)
        load.join()
        after_cpu, after_ticks, after_threads = cpu_split(), process_ticks(server.pid), threads(server.pid)
    finally:
        bench.stop(server)

    print(f"intake {result['rps']:.0f}/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms "
          f"({args.connections} connections, {args.duration} s)")
    delta = [b - a for a, b in zip(before_cpu, after_cpu)]
    total = sum(delta)
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    print("machine: " + ", ".join(f"{name} {value / total * 100:.1f}%" for name, value in zip(names, delta) if name not in ("nice", "irq")))
    print(f"server process: {(after_ticks - before_ticks) / total * 100:.1f}% of the machine")
    print("busy server threads (seconds over the load):")
    for tid, (name, run, wait, slices) in sorted(after_threads.items()):
        if tid not in before_threads:
            continue
        _, run0, wait0, slices0 = before_threads[tid]
        if run - run0 < 0.02 * args.duration * 1e9:
            continue
        count = max(1, slices - slices0)
        print(f"  {name:18s} running {(run - run0) / 1e9:5.2f}, waiting for a CPU {(wait - wait0) / 1e9:5.2f} "
              f"({(wait - wait0) / count / 1e3:.0f} µs a time)")
    commits = max((wal_commits(copy) for copy in copies), key=len)
    if not commits:
        print("no complete commit in the WAL copies")
        return
    names_by_page = dict(sqlite3.connect(database).execute("SELECT pageno, name FROM dbstat"))
    pages = collections.Counter()
    for commit in commits:
        for page in commit:
            pages[names_by_page.get(page, "(freed or new)")] += 1
    print(f"WAL: {len(commits)} commits read, {sum(map(len, commits)) / len(commits):.1f} pages a commit:")
    for name, count in pages.most_common():
        print(f"  {name:32s} {count / len(commits):5.2f}")


if __name__ == "__main__":
    main()
