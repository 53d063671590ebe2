"""Talking to a running `yingji serve` from the scripts and browser tests: wait until it answers,
and sign in as a demo account (a session, returned as the headers every later request carries:
the cookie, and the CSRF token that unsafe requests need)."""
import http.client
import json
import time

DEMO_PASSWORD = "Yingji-demo-2026"


def sign_in(port, login="kunyu-duty-officer", password=DEMO_PASSWORD, host="127.0.0.1"):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/api/v1/session", body=json.dumps({"login": login, "password": password}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    answer = json.loads(response.read() or b"{}")
    if response.status != 201:
        raise SystemExit(f"sign-in as {login} failed: {response.status} {answer}")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    return {"Cookie": cookie, "X-CSRF-Token": answer["csrfToken"]}


def wait_until_healthy(port, seconds=30, host="127.0.0.1"):
    """Returns once GET /health answers 200; gives up after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server on {port} did not become healthy within {seconds} s")
