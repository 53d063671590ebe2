#!/usr/bin/env python3
"""A server holding many open incidents, left idle: its resident memory and CPU, for
docs/benchmarks.md. Not a test; prints figures.

Starts the release server on a new SQLite file with the due-soon reminder's longest lead
(`--due-soon-minutes 1440`, so every open incident with a pending deadline is a candidate at each
check), fills it with initial reports (wrk, 32 connections, --fill seconds), then samples the
server's resident memory, its peak, and its CPU use over each 5 s, for --idle seconds.

    python3 scripts/backlog.py --binary .build/release/yingji [--fill 10] [--idle 45]
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from yingji_client import sign_in  # noqa: E402


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--fill", type=int, default=10, help="seconds of intake load that fill the server")
    parser.add_argument("--idle", type=int, default=45, help="seconds watched after the load")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yingji-backlog-")
    server, port, _ = bench.start(os.path.abspath(args.binary),
                                  ["serve", "--db", os.path.join(work, "backlog.sqlite"), "--demo", "--due-soon-minutes", "1440"])
    try:
        auth = sign_in(port)
        script = bench.wrk_script(work, auth, True)
        result = bench.wrk(f"http://127.0.0.1:{port}/api/v1/incidents", 32, args.fill, script)
        print(f"filled with about {result['rps'] * args.fill:.0f} open incidents; resident {bench.rss_mib(server.pid):.0f} MiB", flush=True)
        started = last = time.time()
        cpu_before = cpu_seconds(server.pid)
        while time.time() - started < args.idle:
            time.sleep(5)
            now, cpu = time.time(), cpu_seconds(server.pid)
            print(f"  idle {now - started:3.0f} s: resident {bench.rss_mib(server.pid):5.0f} MiB, peak {peak_mib(server.pid):5.0f} MiB, "
                  f"CPU {100 * (cpu - cpu_before) / (now - last):5.1f}% of a core over the last {now - last:.0f} s", flush=True)
            last, cpu_before = now, cpu
    finally:
        bench.stop(server)


if __name__ == "__main__":
    main()
