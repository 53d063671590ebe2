"""Browser tests of the web pages in headless Chromium (Debian chromium + chromium-driver,
selenium from PyPI). Starts `yingji serve --demo` on a fresh SQLite file, drives the pages like a
duty officer would, and saves a screenshot per test (docs/screenshots/ keeps the current ones:
run with --screenshots docs/screenshots to refresh them).

    python3 Tests/browser/test_web.py --binary .build/release/yingji [--screenshots DIR]
"""
import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from yingji_client import wait_until_healthy  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "Yingji-demo-2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, binary, work):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(work, "server.log"), "wb")
        self.process = subprocess.Popen([binary, "serve", "--demo", "--db", os.path.join(work, "web.sqlite"), "--port", str(self.port)],
                                        stdout=self.log, stderr=self.log, env={**os.environ, "DATABASE_URL": ""})
        wait_until_healthy(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,800", "--lang=zh-CN"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def sign_in(driver, site, login, password=PASSWORD):
    driver.get(site.base + "/login")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def test_pages_send_strangers_to_sign_in(driver, site):
    driver.get(site.base + "/")
    WebDriverWait(driver, 5).until(lambda d: "/login" in d.current_url)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)
    check(query.get("next") == ["/"], f"next: {driver.current_url}")
    check(driver.find_element(By.CSS_SELECTOR, "label[for=login]").text == "登录名", "login label")
    check(driver.find_element(By.CSS_SELECTOR, "label[for=password]").text == "密码", "password label")
    return "login"


def test_a_wrong_password_is_said_in_chinese(driver, site):
    sign_in(driver, site, "kunyu-duty-officer", "Not-the-password-1")
    error = WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "login-error"))
    check(error.text == "登录名或密码不正确", f"error: {error.text}")
    check(driver.find_element(By.ID, "login").get_attribute("value") == "kunyu-duty-officer", "login kept")
    return "login-error"


def test_duty_officer_signs_in_and_sees_the_board(driver, site):
    sign_in(driver, site, "kunyu-duty-officer")
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.ID, "board"))
    check(driver.find_element(By.ID, "who-name").text == "第十四师昆玉市值班员（演示）（kunyu-duty-officer）", "who")
    check("第十四师昆玉市 · 值班员" in driver.find_element(By.ID, "who").text, "grant in the header")
    rows = driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")
    check(len(rows) == 1, f"{len(rows)} rows")
    check("较大" in rows[0].text and "第十四师昆玉市" in rows[0].text and "火灾" in rows[0].text, f"row: {rows[0].text}")
    return "board"


def test_duty_officer_marks_a_report_fulfilled(driver, site):
    sign_in(driver, site, "kunyu-duty-officer")
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.ID, "board"))
    driver.find_element(By.CSS_SELECTOR, "#board tbody tr a").click()
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.ID, "obligation-table"))
    form = driver.find_element(By.CSS_SELECTOR, "form.fulfil")
    row_id = driver.execute_script("return arguments[0].closest('tr').id", form)
    form.find_element(By.CSS_SELECTOR, "input[name=reference]").send_keys("电话记录 2026-0301-07")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The form posts and the page comes back: wait through the navigation for the new row.
    WebDriverWait(driver, 5, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        lambda d: "已完成" in d.find_element(By.ID, row_id).text)
    row = driver.find_element(By.ID, row_id).text
    check("电话记录 2026-0301-07" in row and "kunyu-duty-officer" in row, f"row: {row}")
    check("obligation.fulfilled" in driver.find_element(By.ID, "timeline-table").text, "timeline entry")
    driver.execute_script("window.scrollTo(0, 0)")
    return "incident"


def test_a_reporter_elsewhere_sees_nothing_of_kunyu(driver, site):
    sign_in(driver, site, "bachu-enterprise-reporter")
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.ID, "board-empty"))
    check("巴楚县 · 企业报告员" in driver.find_element(By.ID, "who").text, "reporter's grant")
    return "board-empty"


def test_a_forged_post_is_refused_and_logout_ends_the_session(driver, site):
    sign_in(driver, site, "kunyu-viewer")
    WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.ID, "board"))
    cookie = driver.get_cookie("yingji_session")
    check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", f"cookie: {cookie}")
    # A page elsewhere posting the logout form has the cookie but not the CSRF token.
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("POST", "/logout", body="", headers={"Cookie": f"yingji_session={cookie['value']}",
                                                        "Content-Type": "application/x-www-form-urlencoded"})
    check(conn.getresponse().status == 403, "forged logout refused")
    driver.refresh()
    check(driver.find_elements(By.ID, "board"), "still signed in after the forged post")
    driver.find_element(By.ID, "logout").click()
    WebDriverWait(driver, 5).until(lambda d: d.current_url.endswith("/login"))
    driver.get(site.base + "/")
    WebDriverWait(driver, 5).until(lambda d: "/login" in d.current_url)
    return "logged-out"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--screenshots", default=None, help="where to save the screenshots (default: a temporary folder)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yingji-web-")
    shots = args.screenshots or work
    os.makedirs(shots, exist_ok=True)
    site = Site(os.path.abspath(args.binary), work)
    failures = 0
    tests = [value for name, value in globals().items() if name.startswith("test_")]
    try:
        for test in tests:
            driver = browser()
            try:
                shot = test(driver, site)
                driver.save_screenshot(os.path.join(shots, f"{shot}.png"))
                print(f"ok   {test.__name__}")
            except Exception as error:  # report every failing test, then fail the run
                failures += 1
                driver.save_screenshot(os.path.join(work, f"FAILED-{test.__name__}.png"))
                print(f"FAIL {test.__name__}: {error!r}")
            finally:
                driver.quit()
    finally:
        site.stop()
    print(f"browser tests: {len(tests) - failures} passed, {failures} failed (screenshots in {shots}; server log {work}/server.log)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
