#!/usr/bin/env python3
"""Two release servers on one PostgreSQL database, as behind a load balancer (DESIGN.md §5):
a board connected to B sees, live, an incident reported through A; a jurisdiction added
through A takes reports through B; both stop cleanly on SIGTERM. Bounded in time; exits
non-zero on any failure. Needs DATABASE_URL (CI's throwaway PostgreSQL, `.ci/pg.sh`).

    python3 scripts/two_servers.py --binary .build/release/yingji
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from yingji_client import sign_in, wait_until_healthy  # noqa: E402


def fail(message):
    raise SystemExit(f"two_servers: {message}")


def request(port, method, path, headers, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=json.dumps(body, ensure_ascii=False).encode() if body is not None else None,
                 headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def listening(database_url):
    """Connections LISTENing on the event channel (named after it in pg_stat_activity)."""
    out = subprocess.run(["psql", database_url, "-qAtc",
                          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'yingji_events' AND datname = current_database()"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip() or 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    database_url = bench.fresh_postgres_database(os.environ.get("DATABASE_URL", ""))
    if not database_url:
        fail("DATABASE_URL is not set")
    work = tempfile.mkdtemp(prefix="yingji-two-")
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning"}
    servers = []

    def serve(extra):
        port = bench.free_port()
        log = open(os.path.join(work, f"server-{port}.log"), "w")
        process = subprocess.Popen([binary, "serve", "--port", str(port)] + extra, stdout=log, stderr=subprocess.STDOUT, env=env)
        servers.append(process)
        wait_until_healthy(port)
        return process, port

    try:
        _, port_a = serve(["--demo"])
        _, port_b = serve([])
        deadline = time.time() + 15
        while listening(database_url) < 2:
            if time.time() > deadline:
                fail(f"both servers should LISTEN on the event channel; {listening(database_url)} do")
            time.sleep(0.1)

        # A board on B (a session made through A: sessions live in the shared database).
        duty = sign_in(port_a)
        board = socket.create_connection(("127.0.0.1", port_b), timeout=10)
        board.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                       + "".join(f"{name}: {value}\r\n" for name, value in duty.items()) + "\r\n").encode())
        received = b""
        while "已连接".encode() not in received:
            chunk = board.recv(4096)
            if not chunk:
                fail("B's event stream closed before it greeted")
            received += chunk

        status, created = request(port_a, "POST", "/api/v1/incidents", duty, json.loads(bench.report_body()))
        if status != 201:
            fail(f"report through A: {status} {created}")
        wanted = f'"id":"{created["id"]}"'.encode()
        deadline = time.time() + 10
        while not (b"event: incident.created" in received and wanted in received):
            if time.time() > deadline:
                fail(f"B's board did not see {created['id']} within 10 s; it got: {received[-500:]!r}")
            try:
                received += board.recv(65536)
            except socket.timeout:
                pass
        # The board must get it once: A does not hear its own event back and relay it again.
        board.close()

        admin = sign_in(port_a, login="admin")
        status, answer = request(port_a, "POST", "/api/v1/jurisdictions", admin,
                                 {"id": "kunyu-tc2", "name": "第二团场", "parentID": "kunyu", "planID": "kunyu"})
        if status != 201:
            fail(f"jurisdiction through A: {status} {answer}")
        report = json.loads(bench.report_body())
        report["jurisdiction"] = "kunyu-tc2"
        deadline = time.time() + 10
        while True:
            status, answer = request(port_b, "POST", "/api/v1/incidents", duty, report)
            if status == 201:
                break
            if time.time() > deadline:
                fail(f"B did not take a report for the jurisdiction added through A: {status} {answer}")
            time.sleep(0.1)

        for process in servers:
            process.send_signal(signal.SIGTERM)
        for process in servers:
            try:
                code = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                fail("a server did not stop within 15 s of SIGTERM")
            if code != 0:
                fail(f"a server exited with {code} on SIGTERM")
        print(f"two_servers: ok — B's board saw A's incident {created['id']}; B took a report for a jurisdiction added through A; both stopped cleanly")
    finally:
        for process in servers:
            if process.poll() is None:
                process.kill()


if __name__ == "__main__":
    main()
