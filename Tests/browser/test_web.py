"""Browser tests of the web pages in headless Chromium (Debian chromium + chromium-driver,
selenium from PyPI). Starts `yingji serve --demo` on a fresh SQLite file, drives the pages like a
duty officer would, and saves a screenshot per test (docs/screenshots/ keeps the current ones:
run with --screenshots docs/screenshots to refresh them).

    python3 Tests/browser/test_web.py --binary .build/release/yingji [--screenshots DIR]
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from yingji_client import sign_in as api_sign_in, wait_until_healthy  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "Yingji-demo-2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, binary, work):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # How far the tests moved the server's test clock ahead of real time: reports made later
        # must be dated by the server's clock, or their deadlines counted 事发后 are already past.
        self.clock_offset = 0
        self.log = open(os.path.join(work, "server.log"), "wb")
        self.process = subprocess.Popen([binary, "serve", "--demo", "--test-clock", "--db", os.path.join(work, "web.sqlite"), "--port", str(self.port)],
                                        stdout=self.log, stderr=self.log, env={**os.environ, "DATABASE_URL": ""})
        wait_until_healthy(self.port)

    def api(self, method, path, body=None, login="kunyu-duty-officer"):
        """A JSON request as `login` (a session of its own); returns (status, answer)."""
        headers = {**api_sign_in(self.port, login), "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")

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

def kunyu_report(site):
    """A complete Kunyu 初报 (5.1.2) of a fire ten minutes ago by the server's clock: 较大 by its three deaths."""
    return {
    "jurisdiction": "kunyu", "category": "火灾",
    "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + site.clock_offset + 8 * 3600 - 600)),
    "figures": {"deaths": 3, "missing": 0, "seriousInjuries": 1, "directLoss": 0},
    "fields": {"unit": "昆玉市某化工有限公司", "place": "工业园区 3 号罐区", "course": "检修时闪爆起火", "scope": "罐区",
               "rescueStatus": "灭火中", "trend": "可控", "measures": "疏散 200 人"},
    }


def wait(driver, seconds=5):
    return WebDriverWait(driver, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def new_incident(site):
    """Reports a Kunyu 较大 fire through the API; returns its detail."""
    status, incident = site.api("POST", "/api/v1/incidents", kunyu_report(site))
    check(status == 201, f"report: {status} {incident}")
    return incident


def open_as(driver, site, login, path):
    """Signs `login` in and opens `path`."""
    sign_in(driver, site, login)
    # Signed in once the header names the account (the board may be empty for this account).
    wait(driver).until(lambda d: d.find_elements(By.ID, "who-name"))
    driver.get(site.base + path)


def test_duty_officer_files_a_report_and_sees_grade_and_deadlines(driver, site):
    sign_in(driver, site, "kunyu-duty-officer")
    wait(driver).until(lambda d: d.find_elements(By.ID, "board"))
    driver.find_element(By.LINK_TEXT, "值班台").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "desk-form"))
    Select(driver.find_element(By.ID, "initial-category")).select_by_visible_text("危险化学品事故")
    for field, value in [("unit", "昆玉市某化工有限公司"), ("place", "化工园 2 号罐区"), ("missing", "0"), ("seriousInjuries", "2"),
                         ("directLoss", "1200万"), ("course", "储罐泄漏起火"), ("scope", "罐区 300 米内"), ("rescueStatus", "消防救援中"),
                         ("trend", "火势得到控制"), ("measures", "疏散 300 人，关闭进料阀")]:
        driver.find_element(By.ID, f"initial-{field}").send_keys(value)
    # The preview follows the typing: three deaths make it 较大, three-level response, the 指挥长 decides (Kunyu 附件1, 5.3.2).
    driver.find_element(By.ID, "initial-deaths").send_keys("3")
    wait(driver).until(lambda d: "造成3人以上10人以下死亡" in d.find_element(By.ID, "preview-criteria").text)
    check(driver.find_element(By.ID, "preview-grade").text == "较大", "grade in the preview")
    check(driver.find_element(By.ID, "preview-level").text == "三级响应", "level in the preview")
    authority = driver.find_element(By.ID, "preview-authority").text
    check("师市专项指挥部指挥长" in authority and "5.3.2" in authority, f"authority: {authority}")
    deadlines = driver.find_element(By.ID, "preview-deadlines").text
    check("1小时内" in deadlines and "条例第九条" in deadlines, f"deadlines: {deadlines}")
    # Ten deaths: 重大, and the 30-minute report of Kunyu 5.1.1 appears.
    driver.find_element(By.ID, "initial-deaths").clear()
    driver.find_element(By.ID, "initial-deaths").send_keys("10")
    wait(driver).until(lambda d: d.find_element(By.ID, "preview-grade").text == "重大")
    check("30分钟内" in driver.find_element(By.ID, "preview-deadlines").text, "5.1.1 in the preview")
    driver.find_element(By.ID, "initial-deaths").clear()
    driver.find_element(By.ID, "initial-deaths").send_keys("3")
    wait(driver).until(lambda d: d.find_element(By.ID, "preview-grade").text == "较大")
    driver.save_screenshot(os.path.join(site.shots, "desk.png"))
    # Missing time of the accident: the error stands beside the field, in Chinese.
    driver.find_element(By.ID, "submit-report").click()
    error = wait(driver).until(lambda d: d.find_element(By.ID, "error-initial-occurredAt"))
    check("缺少「时间」" in error.text, f"error: {error.text}")
    driver.save_screenshot(os.path.join(site.shots, "desk-error.png"))
    driver.execute_script("document.getElementById('initial-occurredAt').value = arguments[0]", time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 8 * 3600 - 600)))
    driver.find_element(By.ID, "submit-report").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "obligation-table"))
    check(driver.find_element(By.ID, "grade").text == "较大", "grade on the incident page")
    table = driver.find_element(By.ID, "obligation-table").text
    check("条例第九条" in table and "剩" in table, f"clocks: {table}")
    check("危险化学品事故" in driver.find_element(By.ID, "incident-head").text, "category")
    return "incident-new"


def test_a_second_session_sees_a_new_incident_appear_within_two_seconds(driver, site):
    sign_in(driver, site, "kunyu-duty-leader")
    wait(driver).until(lambda d: d.find_elements(By.ID, "board"))
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected") == "true")
    driver.execute_script("window.notReloaded = true")
    status, incident = site.api("POST", "/api/v1/incidents", kunyu_report(site))
    check(status == 201, f"report: {status} {incident}")
    posted = time.time()
    wait(driver, 2).until(lambda d: d.find_elements(By.ID, f"incident-{incident['id']}"))
    check(driver.execute_script("return window.notReloaded === true"), "the board reloaded instead of updating")
    print(f"     new incident on the board {time.time() - posted:.2f} s after the report was answered")
    return "board"


def test_only_the_commander_is_offered_the_level_and_a_forged_start_is_refused(driver, site):
    incident = new_incident(site)
    open_as(driver, site, "kunyu-duty-officer", f"/incidents/{incident['id']}")
    driver.find_element(By.ID, "button-verify").click()
    driver.switch_to.alert.accept()
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text == "已核实")
    check(not driver.find_elements(By.CSS_SELECTOR, "[id^=button-startResponse]"), "a duty officer is offered a level")
    # The same move forged by hand, with the session and its CSRF token: refused with the clause.
    cookie = driver.get_cookie("yingji_session")["value"]
    csrf = driver.find_element(By.CSS_SELECTOR, "input[name=_csrf]").get_attribute("value")
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("POST", f"/incidents/{incident['id']}/transitions", body=f"_csrf={csrf}&version=2&action=startResponse&level=3",
                 headers={"Cookie": f"yingji_session={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    page = response.read().decode()
    check(response.status == 403 and "5.3.2" in page, f"forged start: {response.status}")
    # Without the CSRF token the form is refused before anything is looked at.
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("POST", f"/incidents/{incident['id']}/transitions", body="version=2&action=suspendRescue&reason=x",
                 headers={"Cookie": f"yingji_session={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
    check(conn.getresponse().status == 403, "no CSRF token")
    status, detail = site.api("GET", f"/api/v1/incidents/{incident['id']}")
    check(detail["version"] == 2 and detail["status"] == "verified", f"stored: {detail['version']} {detail['status']}")
    # The commander holds the post (5.3.2) and is offered the plan's level first.
    driver.find_element(By.ID, "logout").click()
    open_as(driver, site, "kunyu-commander", f"/incidents/{incident['id']}")
    button = driver.find_element(By.ID, "button-startResponse-3")
    check(button.text == "启动三级响应（预案对应级别）", f"button: {button.text}")
    button.click()
    driver.switch_to.alert.accept()
    wait(driver).until(lambda d: d.find_element(By.ID, "level").text == "三级")
    check(driver.find_element(By.ID, "signed-by").text == "师市专项指挥部指挥长", "signer")
    driver.execute_script("window.scrollTo(0, 0)")
    return "incident-responding"


def test_an_overdue_report_turns_red_when_the_test_clock_passes_its_deadline(driver, site):
    incident = new_incident(site)
    open_as(driver, site, "kunyu-duty-officer", f"/incidents/{incident['id']}")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected") == "true")
    first = next(o for o in incident["obligations"] if o["source"] == "条例第九条")
    row = f"obligation-{first['id']}"
    check(driver.find_element(By.ID, row).get_attribute("class") == "status-pending", "pending before")
    check(driver.find_element(By.CSS_SELECTOR, f"#{row} .countdown").get_attribute("data-state") != "overdue", "not red before")
    status, _ = site.api("POST", "/api/v1/test/clock", {"advanceSeconds": 3660})
    check(status == 200, f"test clock: {status}")
    site.clock_offset += 3660
    # The sweep marks it overdue and the page, told by the event stream, turns the row red.
    wait(driver, 5).until(lambda d: d.find_element(By.ID, row).get_attribute("class") == "status-overdue")
    check(driver.find_element(By.CSS_SELECTOR, f"#{row} .state").text == "已逾期", "state text")
    check(driver.find_element(By.CSS_SELECTOR, f"#{row} .countdown").get_attribute("data-state") == "overdue", "countdown red")
    colour = driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", driver.find_element(By.CSS_SELECTOR, f"#{row} .countdown"))
    check(colour == "rgb(179, 38, 30)", f"countdown colour {colour}")
    driver.get(f"{site.base}/overdue")
    check(driver.find_elements(By.ID, f"overdue-{first['id']}"), "listed on the overdue page")
    return "overdue"


def test_the_plans_page_shows_each_plans_groups(driver, site):
    sign_in(driver, site, "kunyu-viewer")
    wait(driver).until(lambda d: d.find_elements(By.ID, "board"))
    driver.find_element(By.LINK_TEXT, "预案").click()
    driver.find_element(By.CSS_SELECTOR, "a[href='/plans/bachu']").click()
    groups = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#group-list section"))
    check(len(groups) == 10, f"Bachu has 10 working groups (2.1.5), page shows {len(groups)}")
    check("2.1.6" in driver.find_element(By.ID, "lead-list").text, "lead departments by category")
    return "plan"


def test_the_desk_works_on_a_phone_screen(driver, site):
    driver.set_window_size(390, 844)
    sign_in(driver, site, "kunyu-duty-officer")
    wait(driver).until(lambda d: d.find_elements(By.ID, "board"))
    driver.get(site.base + "/desk")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 390, f"the desk is {width} px wide on a 390 px screen")
    # Keyboard only: Tab from the page's start reaches the skip link first.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    check(driver.switch_to.active_element.text == "跳到正文", f"first stop: {driver.switch_to.active_element.text}")
    return "desk-phone"


def test_a_liaison_acknowledges_a_task_and_the_commanders_page_updates_live(driver, site):
    incident = new_incident(site)
    status, _ = site.api("POST", f"/api/v1/incidents/{incident['id']}/transitions", {"action": "verify", "version": 1})
    check(status == 200, "verify")
    status, _ = site.api("POST", f"/api/v1/incidents/{incident['id']}/transitions", {"action": "startResponse", "level": 3, "version": 2}, login="kunyu-commander")
    check(status == 200, "start level 3")
    # Kunyu 6.3 asks for the archive owner 同步 (within 0 minutes) of the response: the sweep marks
    # it overdue within a second, a new version of the incident. Wait for that before the forms
    # are loaded, or the commander's form races it (a 409, shown on the page as it should be).
    deadline = time.time() + 10
    while True:
        _, detail = site.api("GET", f"/api/v1/incidents/{incident['id']}")
        if any(o.get("ruleID") == "kunyu-archive-owner" and o.get("status") == "overdue" for o in detail.get("obligations", [])):
            break
        check(time.time() < deadline, "the sweep did not mark the 6.3 archive-owner report overdue")
        time.sleep(0.2)
    open_as(driver, site, "kunyu-commander", f"/incidents/{incident['id']}/command")
    groups = driver.find_elements(By.CSS_SELECTOR, "#group-list section")
    check(len(groups) == 9, f"Kunyu 附件2 has 9 groups, the page shows {len(groups)}")
    driver.find_element(By.ID, "task-title").send_keys("封控 3 号罐区周边道路")
    Select(driver.find_element(By.ID, "task-assignee")).select_by_visible_text("单位：第十四师昆玉市公安局")
    driver.find_element(By.ID, "button-create-task").click()
    task = wait(driver).until(lambda d: d.find_element(By.XPATH, "//li[contains(@class,'task')][.//strong[text()='封控 3 号罐区周边道路']]"))
    task_id = task.get_attribute("id")
    check("待受领" in task.text, f"task: {task.text}")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected") == "true")
    driver.execute_script("window.notReloaded = true")
    # The police liaison, in a browser of their own, acknowledges it.
    other = browser()
    try:
        open_as(other, site, "kunyu-member-liaison", f"/incidents/{incident['id']}/command")
        check(not other.find_elements(By.ID, "form-create-task"), "a liaison is offered the commander's forms")
        other.find_element(By.ID, f"button-{task_id.removeprefix('task-')}-acknowledge").click()
        wait(other).until(lambda d: "已受领" in d.find_element(By.ID, task_id).text)
    finally:
        other.quit()
    wait(driver, 5).until(lambda d: "已受领" in d.find_element(By.ID, task_id).text)
    check(driver.execute_script("return window.notReloaded === true"), "the commander's page reloaded instead of updating")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, task_id))
    return "command"


def test_a_warning_is_drafted_approved_by_the_body_the_plan_names_and_reaches_the_public(driver, site):
    # The city HQ office drafts a yellow (3) warning for Lhasa in the form and reports it for approval.
    open_as(driver, site, "lhasa-hq-office", "/warnings/new")
    Select(driver.find_element(By.ID, "w-level")).select_by_value("3")
    driver.find_element(By.ID, "w-category").send_keys("危险化学品事故")
    driver.find_element(By.ID, "w-area").send_keys("经开区化工园及周边 2 公里")
    driver.find_element(By.ID, "w-polygon").send_keys("29.64,91.02 29.66,91.02 29.66,91.06")
    driver.find_element(By.ID, "w-warnings").send_keys("园区周边人员避免进入下风向区域")
    driver.find_element(By.ID, "w-hotline").send_keys("0891-6169012")
    driver.find_element(By.ID, "w-channel-0").click()
    driver.find_element(By.ID, "warning-save").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "button-submit"))
    warning_id = driver.current_url.rsplit("/", 1)[-1]
    check("黄色预警由市应急总指挥部审定（3.2(2)）" in driver.find_element(By.ID, "approval-rule").text, "approval rule shown")
    driver.find_element(By.ID, "button-submit").click()
    driver.switch_to.alert.accept()
    wait(driver).until(lambda d: "待审批" in d.find_element(By.TAG_NAME, "h1").text)
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected") == "true")
    driver.execute_script("window.notReloaded = true")
    # The city HQ's commander may not approve yellow; the general HQ's commander has it in the queue.
    other = browser()
    try:
        open_as(other, site, "lhasa-commander", f"/warnings/{warning_id}")
        check(not other.find_elements(By.ID, "button-approve"), "the city HQ is offered the approval of a yellow warning")
        other.find_element(By.ID, "logout").click()
        open_as(other, site, "lhasa-general-commander", "/warnings")
        queue = other.find_element(By.ID, "section-queue")
        queue.find_element(By.CSS_SELECTOR, f"a[href='/warnings/{warning_id}']").click()
        wait(other).until(lambda d: d.find_elements(By.ID, "button-approve"))
        other.find_element(By.ID, "button-approve").click()
        other.switch_to.alert.accept()
        wait(other).until(lambda d: "已审批待发布" in d.find_element(By.TAG_NAME, "h1").text)
        other.find_element(By.ID, "logout").click()
        # The city HQ proposes and publishes it (3.2(2)).
        open_as(other, site, "lhasa-commander", f"/warnings/{warning_id}")
        other.find_element(By.ID, "button-publish").click()
        other.switch_to.alert.accept()
        wait(other).until(lambda d: "已发布" in d.find_element(By.TAG_NAME, "h1").text)
    finally:
        other.quit()
    # The office's page follows without a reload: published, with Lhasa 3.3's seven measures.
    wait(driver, 5).until(lambda d: "已发布" in d.find_element(By.TAG_NAME, "h1").text)
    check(driver.execute_script("return window.notReloaded === true"), "the office's page reloaded instead of updating")
    actions = driver.find_elements(By.CSS_SELECTOR, "#actions li")
    check(len(actions) == 7, f"Lhasa 3.3 has seven measures for yellow, the page shows {len(actions)}")
    # Anyone, signed in or not, sees it on the public list.
    public = browser()
    try:
        public.get(site.base + "/public/warnings")
        article = public.find_element(By.ID, warning_id)
        check("拉萨市黄色预警：危险化学品事故" in article.text and "0891-6169012" in article.text, f"public: {article.text}")
    finally:
        public.quit()
    driver.execute_script("window.scrollTo(0, 0)")
    return "warning"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/yingji")
    parser.add_argument("--screenshots", default=None, help="where to save the screenshots (default: a temporary folder)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yingji-web-")
    shots = args.screenshots or work
    os.makedirs(shots, exist_ok=True)
    site = Site(os.path.abspath(args.binary), work)
    site.shots = shots
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
