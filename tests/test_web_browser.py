"""The pages in a real browser (headless Chromium through selenium and the system's
chromedriver), served by a real daemon on its metrics port, polling a live blog over loopback.

The wall shows a new alert without a reload; the workbench shows a query's error column as it
is typed, then its matches; saving it makes the running daemon alert on it. A screenshot of
each screen is written under the test's tmp dir (their paths are printed).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.desk import Desk
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer, free_port
from tests.test_e2e import LogLines, Newsmon, stop_all, stream_alerts, wait_for
from tests.test_subscribe_stories import story_alert
from tests.test_web_api import put_all, typed
from tests.test_web_pages import EDITED, run_once

pytestmark = pytest.mark.e2e
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LOCAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z][\w+:-]*")  # a time and its zone
READER_ZONE = ("Asia/Kolkata", "12:30:00")  # the browser's zone; 07:00:00 UTC read there
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium, or a skip that says why there is none."""
    binary = next((found for b in BROWSERS if (found := shutil.which(b))), None)
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip("no Chromium and chromedriver here (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # to see failed requests
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    # A zone of its own (not the machine's UTC): the pages must show times in the reader's.
    service = webdriver.ChromeService(
        executable_path=driver_path, env={**os.environ, "TZ": READER_ZONE[0]}
    )
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        pytest.skip(f"Chromium would not start here: {exc.msg}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def until(
    driver: WebDriver, check: Callable[[WebDriver], Any], what: str, timeout: float = 30
) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(check, f"waited for {what}")


def shot(driver: WebDriver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def test_wall_workbench_sources_and_detail_in_chromium(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
    browser: WebDriver,
) -> None:
    desk = Desk(http_server, [], ["live"])
    desk.publish()
    port = free_port()
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\ninterval = "1s"\njitter = "0s"\nworkers = 1\n'
        # The desk's updates ("live update N", "More news.") are one story, which the wall
        # shows as one growing card (tests/test_web_stories.py); here each alert is its own.
        "[stories]\nenabled = false\n"
        f"{desk.config()}"
        '[[keywords]]\nname = "news"\nquery = "news"\n'
    )
    daemon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).start(
        "run", "--metrics-port", str(port)
    )
    log = LogLines(daemon)
    base = f"http://127.0.0.1:{port}"
    try:
        log.wait(lambda e: e.get("event") == "serving metrics" and e.get("pages"), "the pages")
        log.wait(lambda e: e.get("status") == "baseline", "the baseline")
        desk.grow()
        wait_for(lambda: len(stream_alerts(redis_url, prefix)) == 1, "the first alert")
        check_wall(browser, base, tmp_path, desk, redis_url, prefix)
        check_workbench(browser, base, tmp_path)
        log.wait(lambda e: e.get("event") == "keywords loaded" and e.get("count") == 2, "reload")
        desk.grow()
        wait_for(lambda: _names_in_last(redis_url, prefix) >= {"live-more"}, "an alert naming it")
        check_sources_and_detail(browser, base, tmp_path)
    finally:
        stop_all([daemon])


def check_wall(
    driver: WebDriver, base: str, tmp_path: Path, desk: Desk, redis_url: str, prefix: str
) -> None:
    driver.get(base + "/")
    until(driver, lambda d: d.find_element(By.ID, "alerts").get_attribute("data-live") == "yes",
          "the event stream to open")  # fmt: skip
    assert len(driver.find_elements(By.CSS_SELECTOR, "article.alert")) == 1
    assert "live update 1" in driver.find_element(By.CSS_SELECTOR, "article.alert h2").text
    driver.execute_script(_RECORD_ARRIVALS)
    shot(driver, tmp_path, "wall")
    desk.grow()
    wait_for(lambda: len(stream_alerts(redis_url, prefix)) == 2, "the second alert")
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.alert")) == 2,
          "the new alert on the wall")  # fmt: skip
    first = driver.find_element(By.CSS_SELECTOR, "article.alert")
    assert "live update 2" in first.find_element(By.TAG_NAME, "h2").text  # newest first
    assert driver.execute_script("return window.notReloaded") is True
    committed_ms = int(str(first.get_attribute("data-id")).split("-")[0])
    shown_ms = driver.execute_script("return window.arrivedAt")
    latency = (shown_ms - committed_ms) / 1000
    print(f"SSE latency: the alert was on the wall {latency * 1000:.0f} ms after its commit")
    assert latency < 2.0
    driver.find_element(By.TAG_NAME, "body").send_keys("j")  # keyboard: j moves to an alert
    assert driver.switch_to.active_element.get_attribute("data-id") == first.get_attribute(
        "data-id"
    )
    driver.set_window_size(390, 844)
    shot(driver, tmp_path, "wall-phone")
    driver.set_window_size(1280, 900)


def check_workbench(driver: WebDriver, base: str, tmp_path: Path) -> None:
    driver.get(base + "/workbench")
    query = driver.find_element(By.ID, "query")
    query.send_keys('"live update" AND')
    error = until(driver, lambda d: _shown(d, "query-error"), "the query's error")
    assert "column 15" in error.text and "^" in error.text
    shot(driver, tmp_path, "workbench-error")
    query.send_keys(" more")
    until(driver, lambda d: not d.find_element(By.ID, "query-error").is_displayed(), "no error")
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#matches li"), "the matches")
    marks = [m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "#matches mark")]
    assert "more" in marks and "live update" in marks
    assert "3 blocks matched" in driver.find_element(By.ID, "summary").text
    langs = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#matches li .lang")]
    assert len(langs) == 3, langs  # each match says which language its text was taken as
    assert all(t.startswith("taken as ") or t == "language unknown" for t in langs), langs
    shot(driver, tmp_path, "workbench-matches")
    driver.find_element(By.ID, "name").send_keys("live-more")
    driver.find_element(By.ID, "save").click()
    until(driver, lambda d: "Watching live-more" in d.find_element(By.ID, "saved").text, "saved")
    assert driver.find_elements(By.CSS_SELECTOR, '#keywords tr[data-name="live-more"]')


def check_sources_and_detail(driver: WebDriver, base: str, tmp_path: Path) -> None:
    driver.get(base + "/sources")
    row = driver.find_element(By.CSS_SELECTOR, '#sources tr[data-name="live"]')
    assert any(word in row.text for word in ("changed", "unchanged", "baseline")), row.text
    shot(driver, tmp_path, "sources")
    driver.get(base + "/")
    driver.find_element(By.CSS_SELECTOR, "article.alert h2 a").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "dl.facts"), "the alert's page")
    assert "live update 3" in driver.find_element(By.TAG_NAME, "h1").text
    assert "More news." in driver.find_element(By.CSS_SELECTOR, "div.text").text
    shot(driver, tmp_path, "alert-detail")


def _shown(driver: WebDriver, element_id: str) -> Any:
    found = driver.find_element(By.ID, element_id)
    return found if found.is_displayed() else None


def _names_in_last(redis_url: str, prefix: str) -> set[str]:
    alerts = stream_alerts(redis_url, prefix)
    return {t["name"] for t in alerts[-1]["terms"]} if len(alerts) >= 3 else set()


# When the wall's list gains an alert, note the wall-clock time (ms since the epoch); a marker
# on window shows the page was not reloaded.
_RECORD_ARRIVALS = """
window.notReloaded = true;
new MutationObserver(() => { window.arrivedAt = window.arrivedAt || Date.now(); })
  .observe(document.getElementById("alerts"), {childList: true});
"""


def test_what_a_newcomer_sees_on_each_page_at_desktop_and_phone_size(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], browser: WebDriver,
) -> None:  # fmt: skip
    """Issue 19: an edit marked in its text, on a card the server drew and on one the script
    drew live; one snippet for two keywords; times with their zone; a source's past error as
    past; plain health; buttons side by side; no failed request (favicon); the query syntax."""
    url = http_server.url("/feeds/world-news-wire/latest.xml")
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url, code=1)  # a 404 first
    http_server.put("/feeds/world-news-wire/latest.xml", rss([("w1", "Banks", "Sanctions.")]))
    (tmp_path / "web.toml").write_text(f'[redis]\nprefix = "{prefix}"\n')
    port = free_port()
    web = Newsmon(newsmon_cmd, tmp_path / "web.toml", {"NEWSMON_REDIS_URL": redis_url}).start(
        "web", "--port", str(port)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        LogLines(web).wait(lambda e: e.get("event") == "serving the web pages", "the pages")
        check_sources_page(browser, base, tmp_path, newsmon_cmd, redis_url, prefix, url)
        put_all(redis_url, prefix, [_two_keywords(), _edited(1)])
        check_wall_and_alert(browser, base, tmp_path, redis_url, prefix)
        check_help(browser, base, tmp_path)
        assert _failed_requests(browser) == []
    finally:
        stop_all([web])


def check_sources_page(
    driver: WebDriver, base: str, tmp_path: Path, cmd: list[str], redis_url: str, prefix: str,
    url: str,
) -> None:  # fmt: skip
    driver.get(base + "/sources")
    for action in ("disable", "enable"):  # due now, not after its backoff
        driver.execute_script(
            f"return fetch('/api/sources/wire/{action}', {{method: 'POST'}}).then(r => r.status)"
        )
    run_once(tmp_path, cmd, redis_url, prefix, url)
    driver.get(base + "/sources")
    row = driver.find_element(By.CSS_SELECTOR, '#sources tr[data-name="wire"]')
    error = row.find_element(By.CSS_SELECTOR, ".error-cell")
    assert error.text.startswith("(past) ") and "404" in error.text and LOCAL.search(error.text)
    assert error.value_of_css_property("color") != "rgba(164, 11, 11, 1)"  # not the red of --bad
    assert "first poll (baseline)" in row.find_element(By.CSS_SELECTOR, ".health").text
    buttons = row.find_elements(By.CSS_SELECTOR, ".actions button")
    assert len({b.location["y"] for b in buttons}) == 1, "Disable and Remove side by side"
    width = driver.find_element(By.ID, "main").size["width"]
    print(f"sources page: main is {width} px wide in a 1280 px window")
    assert width > 1100
    host = row.find_element(By.CSS_SELECTOR, ".url")
    assert "127.0.0.1:" in host.text.splitlines()[0], host.text  # the host is not cut
    shot(driver, tmp_path, "sources-issue19")
    driver.set_window_size(390, 844)
    assert _fits(driver), "the page scrolls sideways at phone size"
    shot(driver, tmp_path, "sources-issue19-phone")
    driver.set_window_size(1280, 900)


def check_wall_and_alert(
    driver: WebDriver, base: str, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    driver.get(base + "/")
    until(driver, lambda d: d.find_element(By.ID, "alerts").get_attribute("data-live") == "yes",
          "the event stream to open")  # fmt: skip
    put_all(redis_url, prefix, [_edited(2)])
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.alert")) == 3,
          "the live card")  # fmt: skip
    live, drawn, two = driver.find_elements(By.CSS_SELECTOR, "article.alert")
    for card in (live, drawn):  # drawn by the script, and by the server
        assert [e.text for e in card.find_elements(By.CSS_SELECTOR, ".edited ins")] == [
            "150,000", "long"]  # fmt: skip
        assert [e.text for e in card.find_elements(By.CSS_SELECTOR, ".edited del")] == ["130,000"]
        stamp = card.find_element(By.TAG_NAME, "time")
        assert stamp.get_attribute("title") == "2026-11-25T07:00:00.000Z"
        assert LOCAL.fullmatch(stamp.text), stamp.text  # in the browser's zone, named
        assert stamp.text.startswith(f"2026-11-25 {READER_ZONE[1]} "), stamp.text
    (snippet,) = two.find_elements(By.CSS_SELECTOR, ".snippet")
    assert [m.text for m in snippet.find_elements(By.TAG_NAME, "mark")] == ["sanctions", "troops"]
    shot(driver, tmp_path, "wall-issue19")
    driver.set_window_size(390, 844)
    assert _fits(driver), "the page scrolls sideways at phone size"
    shot(driver, tmp_path, "wall-issue19-phone")
    driver.set_window_size(1280, 900)
    drawn.find_element(By.CSS_SELECTOR, "h2 a").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "dl.facts"), "the alert's page")
    text = driver.find_element(By.CSS_SELECTOR, "div.text")
    assert [e.text for e in text.find_elements(By.TAG_NAME, "ins")] == ["150,000", "long"]
    added = driver.find_elements(By.CSS_SELECTOR, "ul.diff li")[1].text
    assert added == "Added: 150,000; long"
    shot(driver, tmp_path, "alert-issue19")


def check_help(driver: WebDriver, base: str, tmp_path: Path) -> None:
    driver.get(base + "/workbench")
    driver.find_element(By.CSS_SELECTOR, 'label[for="query"] a').click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "article.help h1"), "the syntax")
    assert driver.find_element(By.CSS_SELECTOR, "article.help h1").text == "Keyword queries"
    shot(driver, tmp_path, "help-queries")


def _edited(n: int) -> dict[str, Any]:
    edit = typed(n, "block.edited")
    edit["block"] |= {"headline": f"Troops at the border ({n})", "text": EDITED}
    at, long = EDITED.index("150,000"), EDITED.index("long")
    edit["edit"] = {
        "added": ["150,000", "long"], "removed": ["130,000"], "numbers_changed": True,
        "marks": [{"start": at, "end": at + 7, "removed": "130,000"},
                  {"start": long, "end": long + 4, "removed": ""}],
    }  # fmt: skip
    return edit


def _two_keywords() -> dict[str, Any]:
    new = typed(3, "item.new", term="sanctions")
    one = "Banks face new sanctions and troops near the border"
    new["terms"].append({**new["terms"][0], "name": "troops"})
    new["terms"][0]["snippets"] = [one.replace("sanctions", "**sanctions**")]
    new["terms"][1]["snippets"] = [one.replace("troops", "**troops**")]
    new["snippets"] = [one.replace("sanctions", "**sanctions**").replace("troops", "**troops**")]
    new["item"]["text"] = one
    return new


def _failed_requests(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Failed to load" in e["message"]]


def _fits(driver: WebDriver) -> bool:
    """Nothing wider than the window (the sources table scrolls in a box of its own)."""
    return bool(driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"))  # fmt: skip


def test_a_story_card_grows_as_outlets_join_and_a_click_shows_only_that_story(
    tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str], browser: WebDriver
) -> None:
    """Issue 16: a story's alerts are one card, the server's and the script's alike; a joining
    alert arriving live adds its report (expandable), raises the count and brings the card to
    the top, without a reload; the story's link shows only its alerts, live too."""
    (tmp_path / "web.toml").write_text(f'[redis]\nprefix = "{prefix}"\n')
    port = free_port()
    web = Newsmon(newsmon_cmd, tmp_path / "web.toml", {"NEWSMON_REDIS_URL": redis_url}).start(
        "web", "--port", str(port)
    )
    base = f"http://127.0.0.1:{port}"
    put_all(redis_url, prefix, [story_alert(1, "wire", "s-a", 1), story_alert(2, "ap", "s-a", 2),
                                typed(3, "block.edited")])  # fmt: skip
    try:
        LogLines(web).wait(lambda e: e.get("event") == "serving the web pages", "the pages")
        check_story_card_grows(browser, base, tmp_path, redis_url, prefix)
        check_story_filter(browser, tmp_path, redis_url, prefix)
    finally:
        stop_all([web])


def _card(driver: WebDriver, story: str) -> Any:
    found = driver.find_elements(By.CSS_SELECTOR, f'article.story[data-story="{story}"]')
    return found[0] if found else None


def _reports(card: Any) -> list[Any]:
    return list(card.find_elements(By.CSS_SELECTOR, "ul.reports li.report"))


def check_story_card_grows(
    driver: WebDriver, base: str, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    driver.get(base + "/")
    until(driver, lambda d: d.find_element(By.ID, "alerts").get_attribute("data-live") == "yes",
          "the event stream to open")  # fmt: skip
    edit, card = driver.find_elements(By.CSS_SELECTOR, "article.alert")
    assert card.get_attribute("data-story") == "s-a" and edit.get_attribute("data-story") is None
    line = card.find_element(By.CSS_SELECTOR, ".story-line")
    assert line.text.startswith(f"2 outlets, first: wire at 2026-11-25 {READER_ZONE[1]} "), (
        line.text
    )
    assert [r.find_element(By.CSS_SELECTOR, ".source").text for r in _reports(card)] == ["ap"]
    driver.execute_script(_RECORD_ARRIVALS)
    (joined,) = put_all(redis_url, prefix, [story_alert(4, "dw", "s-a", 3)])
    until(driver, lambda d: len(_reports(_card(d, "s-a"))) == 2, "the joining report")
    first = driver.find_element(By.CSS_SELECTOR, "article.alert")
    assert first.get_attribute("data-story") == "s-a", "the card came to the top"
    assert len(driver.find_elements(By.CSS_SELECTOR, "article.alert")) == 2  # no new card
    assert first.find_element(By.CSS_SELECTOR, ".story-link").text == "3 outlets"
    assert driver.execute_script("return window.notReloaded") is True
    report = _reports(first)[1]
    assert report.get_attribute("data-id") == joined
    snippet = report.find_element(By.CSS_SELECTOR, ".snippet")
    assert not snippet.is_displayed()  # listed, folded
    report.find_element(By.TAG_NAME, "summary").click()
    until(driver, lambda d: snippet.is_displayed(), "the report expanded")
    assert (
        report.find_element(By.CSS_SELECTOR, "a")
        .get_attribute("href")
        .endswith(f"/alerts/{joined}")
    )
    shot(driver, tmp_path, "wall-story-grown")
    put_all(redis_url, prefix, [story_alert(5, "wire", "s-b", 1)])  # a new story, drawn live
    until(driver, lambda d: _card(d, "s-b") is not None, "the new story's card")
    put_all(redis_url, prefix, [story_alert(6, "bbc", "s-b", 2)])
    until(driver, lambda d: len(_reports(_card(d, "s-b"))) == 1, "the script's card to grow")
    live = _card(driver, "s-b")
    assert live.find_element(By.CSS_SELECTOR, ".story-line").text.startswith(
        "2 outlets, first: wire at "
    )
    assert LOCAL.search(live.find_element(By.CSS_SELECTOR, ".story-line time").text)
    driver.set_window_size(390, 844)
    assert _fits(driver), "the page scrolls sideways at phone size"
    shot(driver, tmp_path, "wall-story-phone")
    driver.set_window_size(1280, 900)


def check_story_filter(driver: WebDriver, tmp_path: Path, redis_url: str, prefix: str) -> None:
    _card(driver, "s-a").find_element(By.CSS_SELECTOR, ".story-link").click()
    until(driver, lambda d: d.find_elements(By.ID, "story-filter"), "the story's page")
    assert driver.current_url.endswith("/?story=s-a")
    until(driver, lambda d: d.find_element(By.ID, "alerts").get_attribute("data-live") == "yes",
          "the event stream to open")  # fmt: skip
    (card,) = driver.find_elements(By.CSS_SELECTOR, "article.alert")
    assert card.get_attribute("data-story") == "s-a" and len(_reports(card)) == 2
    put_all(redis_url, prefix, [story_alert(7, "ap", "s-b", 3), story_alert(8, "afp", "s-a", 4)])
    until(driver, lambda d: len(_reports(_card(d, "s-a"))) == 3, "the story's next report")
    assert len(driver.find_elements(By.CSS_SELECTOR, "article.alert")) == 1  # not s-b's
    shot(driver, tmp_path, "wall-one-story")
