"""Signing in to a running `yingji serve --demo` from the scripts: a session for a demo account,
returned as the headers every later request carries (the cookie, and the CSRF token that unsafe
requests need)."""
import http.client
import json

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
