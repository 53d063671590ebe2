#!/usr/bin/env python3
"""Kill -9 durability check for `yingji serve`.

Starts the server on a fresh SQLite file, lets several clients post initial reports (each with its
own Idempotency-Key), kills the server with SIGKILL at a random moment, restarts it on the same
file, and checks that every report answered 2xx is still there with the same id. Repeats for
--rounds rounds. At the end every key ever sent is retried: each must answer 201 with one id,
acknowledged keys with the id first given, and the number of stored incidents must equal the
number of keys (no duplicates, no loss). Finally `yingji audit verify` must find every chain intact.

Bounded: each round runs at most --max-run seconds of load; the whole check stops by itself.
Exit 0 when everything holds, 1 otherwise.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

from yingji_client import sign_in, wait_until_healthy

# The demo duty officer's session (made once; sessions are stored, so they survive the kills).
AUTH = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report_body(marker):
    return json.dumps({
        "jurisdiction": "kunyu",
        "category": "火灾",
        "occurredAt": (datetime.now(timezone(timedelta(hours=8))) - timedelta(minutes=10)).isoformat(timespec="seconds"),
        "figures": {"deaths": 1, "missing": 0, "seriousInjuries": 0, "directLoss": 0},
        "fields": {"unit": "耐久性测试单位", "place": "测试地点", "course": marker, "scope": "厂区",
                   "rescueStatus": "救援中", "trend": "可控", "measures": "已处置"},
    }, ensure_ascii=False).encode()


class Server:
    def __init__(self, binary, db, port, log):
        self.binary, self.db, self.port, self.log = binary, db, port, log
        self.process = None

    def start(self, demo=False):
        args = [self.binary, "serve", "--db", self.db, "--port", str(self.port)] + (["--demo"] if demo else [])
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log, env={**os.environ, "DATABASE_URL": ""})
        wait_until_healthy(self.port)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def post(port, key, body, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("POST", "/api/v1/incidents", body=body, headers={
        "Content-Type": "application/json", "Idempotency-Key": key, **AUTH})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def client(port, prefix, stop, acknowledged, attempted, lock):
    n = 0
    while not stop.is_set():
        n += 1
        key = f"{prefix}-{n}"
        body = report_body(key)
        with lock:
            attempted[key] = body
        try:
            status, answer = post(port, key, body)
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server died mid-request: outcome unknown, retried at the end
        if 200 <= status < 300:
            with lock:
                acknowledged[key] = answer["id"]


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=AUTH)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-run", type=float, default=1.5, help="longest load phase per round, seconds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="yingji-durability-")
    db = os.path.join(work, "yingji.sqlite")
    log = open(os.path.join(work, "server.log"), "wb")
    server = Server(os.path.abspath(args.binary), db, free_port(), log)
    acknowledged, attempted, lock = {}, {}, threading.Lock()
    failures = []
    print(f"durability: {args.rounds} rounds, {args.clients} clients, seed {seed}, in {work}")
    started = time.time()
    for round_number in range(1, args.rounds + 1):
        server.start(demo=round_number == 1)
        if not AUTH:
            AUTH.update(sign_in(server.port))
        # Everything acknowledged so far must have survived the previous kill.
        for key, incident_id in list(acknowledged.items()):
            status, _ = get(server.port, f"/api/v1/incidents/{incident_id}")
            if status != 200:
                failures.append(f"round {round_number}: acknowledged {key} → {incident_id} is gone ({status})")
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(server.port, f"r{round_number}c{c}", stop, acknowledged, attempted, lock))
                   for c in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.05, args.max_run))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        print(f"  round {round_number}: killed; {len(acknowledged)} acknowledged, {len(attempted)} attempted so far")
    server.start()
    for key, incident_id in acknowledged.items():
        status, _ = get(server.port, f"/api/v1/incidents/{incident_id}")
        if status != 200:
            failures.append(f"final: acknowledged {key} → {incident_id} is gone ({status})")
    ids = {}
    for key, body in attempted.items():
        status, answer = post(server.port, key, body)
        if status != 201:
            failures.append(f"retry of {key} answered {status}: {answer}")
            continue
        ids[key] = answer["id"]
        if key in acknowledged and acknowledged[key] != answer["id"]:
            failures.append(f"retry of {key} gave {answer['id']}, first answer was {acknowledged[key]}")
    stored, offset = [], 0
    while True:
        status, page = get(server.port, f"/api/v1/incidents?limit=500&offset={offset}")
        stored += [item["id"] for item in page["items"]]
        if len(page["items"]) < 500:
            break
        offset += 500
    demo_incidents = 1
    if len(stored) != len(set(ids.values())) + demo_incidents:
        failures.append(f"stored {len(stored)} incidents, expected {len(set(ids.values()))} + {demo_incidents} demo")
    if len(set(ids.values())) != len(ids):
        failures.append("two keys share one incident id")
    server.kill()
    audit = subprocess.run([server.binary, "audit", "verify", "--db", db], capture_output=True, text=True,
                           env={**os.environ, "DATABASE_URL": ""})
    if audit.returncode != 0:
        failures.append(f"audit verify failed: {audit.stdout}{audit.stderr}")
    print(f"durability: {len(acknowledged)} acknowledged, {len(attempted)} sent, {len(stored)} stored, "
          f"audit: {audit.stdout.strip()} ({time.time() - started:.1f} s)")
    for failure in failures[:20]:
        print("FAIL:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
