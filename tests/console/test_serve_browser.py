"""`axi serve` in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by
Selenium): the page shows a session of the corpus, approves a pending agent with its code,
shows an `axi send` arriving live, answers mail as the person, refuses a visit without the
token, and a page on another origin cannot act even when it has the token.

Skipped, with the reason, where Chromium or its driver is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import http.server
import shutil
import threading
import time

import pytest
from mail_support import axi_proc, code_of

from axi.mailbox import db, identity

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium or chromedriver is not installed (Debian: apt-get install -y chromium "
           "chromium-driver)")
WAIT = 20.0
SESSION = "d1c9ea04-48cc-400c-bd6d-24a35bf2818b"  # the corpus's "Describe main.rs briefly"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,950", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def until(driver, check, what: str):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def safe(d):
        try:
            return check(d)
        except (WebDriverException, LookupError):
            return False

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(safe)
    except Exception as exc:
        raise AssertionError(f"{what}: not within {WAIT}s\n{driver.page_source[-3000:]}") \
            from exc


def css(driver, selector: str):
    return driver.find_elements("css selector", selector)


def click(driver, selector: str, containing: str = "") -> None:
    """Click the first element matching (and holding `containing`), found again until the
    click lands: the page redraws its tables whenever the stream brings news."""
    def once(d) -> bool:
        next(e for e in css(d, selector) if containing in e.text).click()
        return True

    until(driver, once, f"a click on {selector} {containing}".strip())


def asking(session_id: str, question: str) -> str:
    """A launch record for a corpus session with an open `axi ask`, and no process behind it:
    the session needs you. It counts as starting (alive) while young, so it is made younger
    than now by a minute: a slow machine cannot age it into `crashed` mid-test."""
    from control_support import NO_PROCESS

    from axi.control import records

    conn = records.connect()
    launch = records.new_id()
    with records.db.write(conn):
        records.insert_launch(conn, {
            "id": launch, "session": session_id, "harness": "claude", "mode": "watched",
            "run": records.run_id(), "depth": 1, "dir": "/home/dev/work/projB", "spec": "{}",
            "labels": NO_PROCESS, "created": time.time() + 60})
    records.ask(conn, launch, question, "question")
    return launch


def test_the_page_shows_approves_and_follows_live(browser, served, served_mail, corpus_home,
                                                  tmp_path):
    from axi.control import records

    started = time.monotonic()
    launch = asking(SESSION, "which database?")
    browser.get(served.url)
    row = f'#sessions tr[data-id="{SESSION}"]'  # rows are redrawn: found again each time
    text = until(browser, lambda d: css(d, row)[0].text, "the corpus session's row")
    assert "Describe main.rs briefly" in text and "claude" in text
    assert until(browser, lambda d: d.find_element("id", "live").text == "live", "stream open")

    # it needs you: its question, answered from the page (`axi reply`)
    assert "needs you" in text and browser.find_element("id", "n-needs").text == "1"
    click(browser, row)
    assert "which database?" in until(browser, lambda d: d.find_element("id", "drawer").text,
                                      "the drawer")
    browser.find_element("id", "answer-text").send_keys("sqlite")
    browser.find_element("css selector", "#answer button[type=submit]").click()
    until(browser, lambda d: records.open_asks(records.connect(), [launch]) == [],
          "the question answered")
    assert records.connect().execute("SELECT answer FROM asks WHERE launch = ?",
                                     (launch,)).fetchone()[0] == "sqlite"

    # approve the pending agent, its folder and code shown first
    css(browser, 'button[data-tab="agents"]')[0].click()
    code = code_of("frontbot")
    agent = 'tr[data-agent="frontbot"]'
    text = until(browser, lambda d: css(d, agent)[0].text, "frontbot's row")
    assert "pending" in text and code in text
    assert browser.find_element("id", "n-pending").text == "1"
    click(browser, agent)
    assert until(browser, lambda d: d.find_element("id", "approve-code").text, "the code") == code
    assert "~/work/front" in browser.find_element("id", "drawer").text
    browser.find_element("id", "approve").click()
    until(browser, lambda d: "approved" in css(d, 'tr[data-agent="frontbot"]')[0].text,
          "frontbot approved on the page")
    assert identity.require(db.connect(), "frontbot")["state"] == "approved"

    # an `axi send` elsewhere arrives in the activity column by itself
    sent_at = time.monotonic()
    status, data = axi_proc("send", "@bob", "the build is green", cwd=corpus_home)
    assert status == 0, data
    what = f"message #{data['sent']} to @bob"
    until(browser, lambda d: any(what in li.text for li in
                                 css(d, '#events li[data-kind="mail.sent"].new')),
          "the mail.sent event")
    live_after = time.monotonic() - sent_at
    assert live_after < 5, live_after

    # the person's mail: open it (marked read), answer it as the person
    css(browser, 'button[data-tab="mail"]')[0].click()
    click(browser, "#threads tr[data-thread]", "may I deploy?")
    box = until(browser, lambda d: d.find_element("id", "reply-text"), "the reply box")
    box.send_keys("yes, after the smoke test")
    browser.find_element("css selector", "#reply button[type=submit]").click()
    conn = db.connect()
    until(browser, lambda d: conn.execute(
        "SELECT count(*) FROM messages m JOIN agents s ON s.id = m.sender WHERE s.name = 'ada' "
        "AND m.body = 'yes, after the smoke test'").fetchone()[0] == 1, "the answer stored")
    browser.save_screenshot(str(tmp_path / "serve.png"))
    print(f"browser scenario {time.monotonic() - started:.1f}s, live event {live_after:.2f}s")


def test_a_visit_without_the_token_is_refused(browser, served):
    browser.get(served.base + "/")
    text = browser.find_element("tag name", "body").text
    assert text.startswith("403 TOKEN_REQUIRED") and "axi serve" in text
    browser.get(served.base + "/?token=wrong")
    assert "403 TOKEN_INVALID" in browser.find_element("tag name", "body").text


EVIL = """<!doctype html><title>start</title><script>
const target = "{base}", token = "{token}", body = JSON.stringify({{code: "{code}"}});
async function go() {{
  const out = [];
  try {{
    await fetch(target + "/api/agents/frontbot/approve?token=" + token, {{method: "POST",
      mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body}});
    out.push("simple sent");
  }} catch (e) {{ out.push("simple failed"); }}
  try {{
    const r = await fetch(target + "/api/agents/frontbot/approve", {{method: "POST",
      headers: {{"Content-Type": "application/json", "X-Axi-Token": token}}, body}});
    out.push("cors " + r.status);
  }} catch (e) {{ out.push("cors blocked"); }}
  try {{
    const r = await fetch(target + "/api/agents?token=" + token);
    out.push("read " + (await r.text()).length);
  }} catch (e) {{ out.push("read blocked"); }}
  document.title = "done: " + out.join(", ");
}}
go();
</script>
<form method="post" enctype="text/plain" action="{base}/api/agents/frontbot/approve?token={token}">
<input name='{{"code": "{code}", "x": "' value='"}}'></form>"""


def test_a_page_on_another_origin_cannot_act_even_with_the_token(browser, served,
                                                                  served_mail):
    page = EVIL.format(base=served.base, token=served.token, code=code_of("frontbot")).encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{evil.server_address[1]}/")
        title = until(browser, lambda d: d.title.startswith("done") and d.title, "the attempt")
        # the scripts learn nothing: a request that needs a preflight is never sent, a read is
        # never handed over, and a simple request's answer is withheld (the simple request
        # itself is sent, and refused, as the form below shows)
        assert title.endswith("cors blocked, read blocked"), title
        browser.execute_script("document.forms[0].submit()")
        refused = until(browser, lambda d: "ORIGIN_REFUSED" in d.page_source and d.page_source,
                        "the form's answer")
    finally:
        evil.shutdown()
        evil.server_close()
    assert "cross-site request" in refused
    assert identity.require(db.connect(), "frontbot")["state"] == "pending"
