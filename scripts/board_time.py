#!/usr/bin/env python3
"""How long the incident board (`GET /`, signed in as the Kunyu duty officer) takes to answer once
the database holds many incidents, for two binaries in turn (A B A B …, each on a fresh
`serve --demo` SQLite file filled by --fill seconds of initial-report intake with wrk at 8
connections). Prints, per round, the incidents stored and the median of 9 board requests.

    python3 scripts/board_time.py NEW_BINARY OLD_BINARY [--rounds 3] [--fill 3]
"""
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from yingji_client import sign_in  # noqa: E402


def board_ms(binary, work, run, fill):
    server, port, _ = bench.start(binary, ["serve", "--db", os.path.join(work, f"{run}-{os.path.basename(binary)}.sqlite"), "--demo"])
    try:
        auth = sign_in(port)
        bench.wrk(f"http://127.0.0.1:{port}/api/v1/incidents", 8, fill, bench.wrk_script(work, auth, True))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        stored = next(int(float(line.split()[-1])) for line in metrics.splitlines() if line.startswith("yingji_open_incidents"))
        times = []
        for _ in range(9):
            began = time.perf_counter()
            conn.request("GET", "/", headers=auth)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"board answered {response.status}")
            times.append((time.perf_counter() - began) * 1000)
        return stored, statistics.median(times)
    finally:
        bench.stop(server)


def main():
    parser = bench.pair_parser(rounds=3)
    parser.add_argument("--fill", type=int, default=3)
    args = parser.parse_args()
    a, b = os.path.abspath(args.a), os.path.abspath(args.b)
    work = tempfile.mkdtemp(prefix="yingji-board-")
    results = dict(zip((a, b), bench.paired(a, b, args.rounds, lambda binary, run: board_ms(binary, work, run, args.fill),
                                            lambda r: f"{r[1]:.1f} ms ({r[0]} open incidents)")))
    ratios = [x[1] / y[1] for x, y in zip(results[a], results[b])]
    print(f"A median {statistics.median(t for _, t in results[a]):.1f} ms, B median {statistics.median(t for _, t in results[b]):.1f} ms, "
          f"A/B median {statistics.median(ratios):.2f} (n={args.rounds})")


if __name__ == "__main__":
    main()
