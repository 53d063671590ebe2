#!/usr/bin/env python3
"""Initial-report intake on SQLite, bench.py's measurement (b), for two binaries loaded in turn
(A B A B …, each on a fresh `serve --demo` file, signed in, wrk -c32 for --duration seconds) so
a drifting machine moves both alike; with --reads, the incident detail read, measurement (c),
instead; with --list, the incident list (`GET /api/v1/incidents?limit=20`, read on the store's
list threads). Also gives the server's CPU time per request, read from /proc over the load. With --postgres, each run is on
a fresh database of DATABASE_URL's server (PostgreSQL) instead of a SQLite file. Prints
each round, each median and the median of the paired ratios.

    python3 scripts/intake_pair.py NEW_BINARY OLD_BINARY [--rounds 5] [--duration 8] [--reads | --list] [--postgres]
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from yingji_client import sign_in  # noqa: E402


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def intake(binary, work, run, duration, reads=False, listing=False, postgres=False):
    database_url = bench.fresh_postgres_database(os.environ.get("DATABASE_URL", "")) if postgres else None
    if postgres and not database_url:
        raise SystemExit("--postgres needs DATABASE_URL")
    server, port, _ = bench.start(binary, ["serve", "--db", os.path.join(work, f"{run}-{os.path.basename(binary)}.sqlite"), "--demo"],
                                  env_db=database_url)
    try:
        auth = sign_in(port)
        script = bench.wrk_script(work, auth, not (reads or listing))
        url = f"http://127.0.0.1:{port}/api/v1/incidents" + (f"/{bench.first_incident(port, auth)}" if reads else "?limit=20" if listing else "")
        bench.wrk(url, 32, 2, script)  # warm-up, not counted
        before = cpu_seconds(server.pid)
        result = bench.wrk(url, 32, duration, script)
        result["cpu_ms"] = (cpu_seconds(server.pid) - before) * 1000 / (result["rps"] * duration)
        return result
    finally:
        bench.stop(server)


def main():
    parser = bench.pair_parser(rounds=5)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reads", action="store_true", help="load the incident detail read instead of intake")
    parser.add_argument("--list", action="store_true", help="load the incident list (GET /api/v1/incidents?limit=20) instead of intake")
    parser.add_argument("--postgres", action="store_true", help="on a fresh database of DATABASE_URL's PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    a, b = os.path.abspath(args.a), os.path.abspath(args.b)
    work = tempfile.mkdtemp(prefix="yingji-intake-")
    results = dict(zip((a, b), bench.paired(
        a, b, args.rounds, lambda binary, run: intake(binary, work, run, args.duration, args.reads, args.list, args.postgres),
        lambda r: f"{r['rps']:.0f}/s p99 {r['p99']:.1f} ms cpu {r['cpu_ms']:.3f} ms/req")))
    ratios = [x["rps"] / y["rps"] for x, y in zip(results[a], results[b])]
    median = lambda binary, key: statistics.median(r[key] for r in results[binary])  # noqa: E731
    print(f"A median {median(a, 'rps'):.0f}/s ({median(a, 'cpu_ms'):.3f} ms CPU per request), "
          f"B median {median(b, 'rps'):.0f}/s ({median(b, 'cpu_ms'):.3f} ms CPU per request), "
          f"A/B median {statistics.median(ratios):.2f} (n={args.rounds})")


if __name__ == "__main__":
    main()
