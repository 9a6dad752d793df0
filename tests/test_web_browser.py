"""The pages in a real browser (headless Chromium through selenium and the system's
chromedriver), served by a real daemon on its metrics port, polling a live blog over loopback.

The wall shows a new alert without a reload; the workbench shows a query's error column as it
is typed, then its matches; saving it makes the running daemon alert on it. A screenshot of
each screen is written under the test's tmp dir (their paths are printed).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.desk import Desk
from tests.httpserver import LocalHTTPServer, free_port
from tests.test_e2e import LogLines, Newsmon, stop_all, stream_alerts, wait_for

pytestmark = pytest.mark.e2e
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

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
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=driver_path)
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
