#!/usr/bin/env python3
"""One benchmark run of the release server on this machine. Not a test: it prints figures and,
with --write, puts them in docs/benchmarks.md between the BENCH markers.

Measures, with wrk on loopback (bounded: --duration seconds per load):
  (a) a bare Hummingbird hello endpoint (`yingji bench-hello`),
  (b) initial-report intake on SQLite: durable, graded, obligations and timeline written,
  (c) incident detail reads on SQLite,
  (d) intake and reads on PostgreSQL (when DATABASE_URL is set),
  (e) server-sent event delivery latency with --subscribers connected boards,
  (f) the raw durability limit: single-row INSERT + COMMIT in a loop, same SQLite settings
      (WAL, synchronous=FULL), from Python's sqlite3 (C library, no server),
plus cold start (process start to first 200 from /health) and idle RSS; during (b), a probe times
syncs of a file of its own, to show whether the disk itself stalled during the load.
Requires: wrk (Debian package), a release build (`swift build -c release --static-swift-stdlib`, as docs/operations.md builds it).
"""
import argparse
import asyncio
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from yingji_client import sign_in

CHINA = timezone(timedelta(hours=8))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, path="/health", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.002)
    raise SystemExit(f"server on {port} did not answer {path}")


def start(binary, args, env_db=None, path="/health"):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": env_db or "", "LOG_LEVEL": "warning"}
    began = time.perf_counter()
    process = subprocess.Popen([binary] + args + ["--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_healthy(port, path)
    return process, port, time.perf_counter() - began


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report_body():
    occurred = (datetime.now(CHINA) - timedelta(minutes=5)).isoformat(timespec="seconds")
    return json.dumps({
        "jurisdiction": "kunyu", "category": "火灾", "occurredAt": occurred,
        "figures": {"deaths": 3, "missing": 0, "seriousInjuries": 2, "directLoss": 12000000},
        "fields": {"unit": "基准测试单位", "place": "测试地点", "course": "闪爆起火", "scope": "罐区",
                   "rescueStatus": "灭火中", "trend": "可控", "measures": "疏散"},
    }, ensure_ascii=False)


def wrk(url, connections, duration, script=None):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        args += ["-s", script]
    output = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percentile in ("50%", "99%"):
        match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        latency[percentile] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} non-2xx answers during the load:\n{output}")
    return {"rps": rate, "p50": latency["50%"], "p99": latency["99%"]}


def wrk_script(work, auth, post):
    """A wrk script sending the signed-in session's headers; with `post`, an initial report."""
    path = os.path.join(work, "post.lua" if post else "get.lua")
    body = report_body().replace("\\", "\\\\").replace('"', '\\"')
    with open(path, "w") as script:
        if post:
            script.write('wrk.method = "POST"\n')
            script.write(f'wrk.body = "{body}"\n')
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
        for name, value in auth.items():
            script.write(f'wrk.headers["{name}"] = "{value}"\n')
    return path


def first_incident(port, auth):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/incidents?limit=1", headers=auth)
    with urllib.request.urlopen(request) as response:
        return json.load(response)["items"][0]["id"]


def raw_commit_rate(work, seconds, name="raw.sqlite"):
    connection = sqlite3.connect(os.path.join(work, name), isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    payload = report_body()
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO t (data) VALUES (?)", (payload,))
        connection.execute("COMMIT")
        count += 1
    connection.close()
    return count / seconds


class DiskProbe:
    """A thread that writes 4 KB to a file of its own and syncs it every `interval` seconds (on a
    fixed schedule), timing each sync: run beside a load, it shows whether the disk itself
    stalled meanwhile (this machine's disk now and then takes hundreds of milliseconds over one
    sync, loaded or not)."""

    def __init__(self, directory, interval=0.02):
        self.path, self.interval, self.times, self.failure = os.path.join(directory, "disk-probe.dat"), interval, [], None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as error:
            self.failure = error
            return
        try:
            due = time.perf_counter()
            while True:
                due += self.interval
                if self.done.wait(max(0, due - time.perf_counter())):
                    break
                began = time.perf_counter()
                os.pwrite(descriptor, b"\0" * 4096, 0)
                os.fsync(descriptor)
                self.times.append((time.perf_counter() - began) * 1000)
        except OSError as error:
            self.failure = error
        finally:
            os.close(descriptor)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.thread.join(timeout=30)

    def summary(self):
        if self.failure is not None:
            return f"probe failed after {len(self.times)} syncs: {self.failure}"
        if not self.times:
            return "no syncs timed"
        over = lambda ms: sum(1 for t in self.times if t > ms)  # noqa: E731
        return (f"{len(self.times)} syncs, p50 {percentile(self.times, 50):.2f} ms, p99 {percentile(self.times, 99):.1f} ms, "
                f"slowest {max(self.times):.0f} ms; {over(20)} over 20 ms, {over(100)} over 100 ms")


async def sse_latency(port, subscribers, events, auth):
    """Connects `subscribers` boards, posts `events` reports, returns delivery latencies in ms:
    from just before the report is sent to each board's receipt of its `incident.created`."""
    received, sent = [], {}
    ready = asyncio.Event()
    connected = 0

    async def board():
        nonlocal connected
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in auth.items())
        writer.write(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{extra}\r\n".encode())
        await writer.drain()
        await reader.readuntil("已连接".encode())
        connected += 1
        if connected == subscribers:
            ready.set()
        seen, created = 0, False
        while seen < events:
            line = await reader.readline()
            if line.startswith(b"event: "):
                created = line.strip() == b"event: incident.created"
            elif line.startswith(b"data: ") and created:
                received.append((json.loads(line[6:])["id"], time.perf_counter()))
                seen += 1
        writer.close()

    tasks = [asyncio.create_task(board()) for _ in range(subscribers)]
    await asyncio.wait_for(ready.wait(), 60)
    loop = asyncio.get_running_loop()
    body = report_body().encode()
    for _ in range(events):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/incidents", data=body,
                                         headers={"Content-Type": "application/json", **auth})
        began = time.perf_counter()
        response = await loop.run_in_executor(None, urllib.request.urlopen, request)
        sent[json.load(response)["id"]] = began
        await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    return [(at - sent[incident]) * 1000 for incident, at in received if incident in sent]


def fresh_postgres_database(url):
    """A new, empty database on the server `url` names, so --demo seeds it; '' when no URL."""
    if not url:
        return ""
    fresh_postgres_database.count = getattr(fresh_postgres_database, "count", 0) + 1
    name = f"yingji_bench_{os.getpid()}_{fresh_postgres_database.count}"
    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0]
    admin = f"{server}/postgres" + (f"?{query}" if query else "")
    subprocess.run(["psql", admin, "-qAtc", f"CREATE DATABASE {name}"], check=True)
    return f"{server}/{name}" + (f"?{query}" if query else "")


def pair_parser(rounds):
    """The arguments every paired script takes: binaries A and B, and how many rounds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("a", help="the newer binary")
    parser.add_argument("b", help="the binary to compare it with")
    parser.add_argument("--rounds", type=int, default=rounds)
    return parser


def paired(a, b, rounds, measure, describe):
    """Measures binaries A and B in turn (A B A B …, `rounds` times, so a drifting machine moves
    both alike) with measure(binary, run); prints each round with describe(result); returns the
    results of A and of B."""
    results = {a: [], b: []}
    for run in range(rounds):
        for binary in (a, b):
            results[binary].append(measure(binary, run))
        print(f"round {run + 1}: A {describe(results[a][-1])}; B {describe(results[b][-1])}")
    return results[a], results[b]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="yingji-bench-")
    results, notes = {}, []

    hello, port, _ = start(binary, ["bench-hello"], path="/")
    results["a"] = wrk(f"http://127.0.0.1:{port}/", args.connections, args.duration)
    stop(hello)

    starts, rss = [], None
    for run in range(5):
        server, port, seconds = start(binary, ["serve", "--db", os.path.join(work, f"cold{run}.sqlite"), "--demo"])
        starts.append(seconds * 1000)
        if run == 0:
            time.sleep(1)
            rss = rss_mib(server.pid)
        stop(server)
    results["cold"] = statistics.median(starts)
    results["rss"] = rss

    server, port, _ = start(binary, ["serve", "--db", os.path.join(work, "bench.sqlite"), "--demo"])
    auth = sign_in(port)
    # The raw commit rate (f) is taken just before and just after the intake load and averaged:
    # this machine's disk swings between fast and slow spells, and the ratio must compare like with like.
    raw = [raw_commit_rate(work, max(1, args.duration / 2), "raw-before.sqlite")]
    with DiskProbe(work) as probe:
        results["b"] = wrk(f"http://127.0.0.1:{port}/api/v1/incidents", args.connections, args.duration, wrk_script(work, auth, True))
    results["probe"] = probe.summary()
    raw.append(raw_commit_rate(work, max(1, args.duration / 2), "raw-after.sqlite"))
    results["c"] = wrk(f"http://127.0.0.1:{port}/api/v1/incidents/{first_incident(port, auth)}", args.connections, args.duration,
                       wrk_script(work, auth, False))
    stop(server)

    server, port, _ = start(binary, ["serve", "--db", os.path.join(work, "sse.sqlite"), "--demo"])
    latencies = asyncio.run(sse_latency(port, args.subscribers, 10, sign_in(port)))
    results["e"] = {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "n": len(latencies)}
    stop(server)

    database_url = fresh_postgres_database(os.environ.get("DATABASE_URL", ""))
    if database_url:
        server, port, _ = start(binary, ["serve", "--demo"], env_db=database_url)
        auth = sign_in(port)
        results["d_write"] = wrk(f"http://127.0.0.1:{port}/api/v1/incidents", args.connections, args.duration, wrk_script(work, auth, True))
        results["d_read"] = wrk(f"http://127.0.0.1:{port}/api/v1/incidents/{first_incident(port, auth)}", args.connections, args.duration,
                                wrk_script(work, auth, False))
        stop(server)
    else:
        notes.append("PostgreSQL not measured: DATABASE_URL was not set.")

    results["f"] = statistics.mean(raw)

    a, b, c, f = results["a"], results["b"], results["c"], results["f"]
    lines = [
        f"Run {datetime.now(CHINA).isoformat(timespec='minutes')}, {os.cpu_count()} cores, wrk -t2 -c{args.connections} -d{args.duration}s on 127.0.0.1, release build.",
        "",
        "| measurement | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        f"| (a) bare Hummingbird hello | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} |",
        f"| (b) initial-report intake, SQLite (durable, graded, clocks, timeline) | {b['rps']:.0f} | {b['p50']:.2f} | {b['p99']:.2f} |",
        f"| (c) incident detail read, SQLite | {c['rps']:.0f} | {c['p50']:.2f} | {c['p99']:.2f} |",
    ]
    if "d_write" in results:
        lines += [
            f"| (d) initial-report intake, PostgreSQL | {results['d_write']['rps']:.0f} | {results['d_write']['p50']:.2f} | {results['d_write']['p99']:.2f} |",
            f"| (d) incident detail read, PostgreSQL | {results['d_read']['rps']:.0f} | {results['d_read']['p50']:.2f} | {results['d_read']['p99']:.2f} |",
        ]
    lines += [
        f"| (f) raw SQLite INSERT + COMMIT loop (WAL, synchronous=FULL; mean of {raw[0]:.0f} just before and {raw[1]:.0f} just after (b)) | {f:.0f} | | |",
        "",
        f"- (e) event delivery with {args.subscribers} connected subscribers: p50 {results['e']['p50']:.1f} ms, p99 {results['e']['p99']:.1f} ms over {results['e']['n']} deliveries.",
        f"- Ratios: intake / raw commit = {b['rps'] / f:.2f}× (target ≥ 1.0×, p99 {b['p99']:.1f} ms, target < 20 ms); reads / hello = {c['rps'] / a['rps']:.2f} (target ≥ 0.40).",
        f"- The disk during (b), timed by a probe beside the load (a 4 KB write and sync of a file of its own, one every 20 ms): {results['probe']}.",
        f"- Cold start (process start to first 200 from /health, median of 5): {results['cold']:.0f} ms (target < 100 ms). Idle RSS after start: {results['rss']:.1f} MiB (target < 60 MB).",
    ] + [f"- {note}" for note in notes]
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "benchmarks.md")
        with open(path) as handle:
            document = handle.read()
        block = "<!-- BENCH:server -->\n" + text + "\n<!-- /BENCH:server -->"
        if "<!-- BENCH:server -->" in document:
            document = re.sub(r"<!-- BENCH:server -->.*?<!-- /BENCH:server -->", lambda _: block, document, flags=re.S)
        else:
            document += "\n" + block + "\n"
        with open(path, "w") as handle:
            handle.write(document)


if __name__ == "__main__":
    main()
