#!/usr/bin/env python3
"""Cold start of `yingji serve --demo` on an empty SQLite file: process start to the first 200
from /health, the same measurement as bench.py's, for two binaries started in turn (A B A B …)
so a drifting machine moves both alike. Prints each median and the median of the paired ratios.

    python3 scripts/cold_start.py NEW_BINARY OLD_BINARY [RUNS]
"""
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    a, b = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    work = tempfile.mkdtemp(prefix="yingji-cold-")
    times = {a: [], b: []}
    for run in range(runs):
        for binary in (a, b):
            server, _, seconds = bench.start(binary, ["serve", "--db", os.path.join(work, f"{run}-{len(times[binary])}-{binary == a}.sqlite"), "--demo"])
            times[binary].append(seconds * 1000)
            bench.stop(server)
    ratios = [x / y for x, y in zip(times[a], times[b])]
    print(f"A median {statistics.median(times[a]):.0f} ms, B median {statistics.median(times[b]):.0f} ms, "
          f"A/B median {statistics.median(ratios):.2f} (n={runs})")


if __name__ == "__main__":
    main()
