"""The alert wall's first paint with 100 alerts, and how soon a committed alert is on it.

Starts a private redis-server and ``newsmon web`` on loopback (stopped at the end), puts
``--alerts`` realistic alerts on the stream, then in headless Chromium (the system's chromium
and chromedriver, through selenium):

- loads the wall ``--rounds`` times, interleaved with the same HTML saved as a static file and
  served by ``python3 -m http.server`` (the peer: what the browser needs for that page anyway),
  and prints Chromium's first-contentful-paint and the server's response time, with min–max and
  the ratio to the peer;
- adds ``--live`` alerts one at a time while the wall is open and prints, for each, the time
  from its commit (its stream id) to its card being in the page.

    .venv/bin/python bench/bench_web.py [--alerts 100] [--rounds 10] [--live 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.httpserver import free_port  # noqa: E402  (needs the repo root on the path)
from tests.redisserver import RedisServer  # noqa: E402

PREFIX = "webbench"
_PAINT = (
    "const p = performance.getEntriesByName('first-contentful-paint')[0];"
    "const n = performance.getEntriesByType('navigation')[0];"
    "return [p ? p.startTime : null, n.responseEnd - n.requestStart];"
)
_ARRIVALS = """
window.arrivals = {};
new MutationObserver((records) => {
  for (const r of records) for (const node of r.addedNodes)
    if (node.dataset && node.dataset.id) window.arrivals[node.dataset.id] = Date.now();
}).observe(document.getElementById("alerts"), {childList: true});
"""


def alert(n: int) -> dict[str, Any]:
    text = (f"Update {n}: officials said sanctions on exports would widen next week, while "
            "talks on a troop pullback went on in Geneva. " * 3)  # fmt: skip
    snippet = "…officials said **sanctions** on exports would widen next week, while talks…"
    return {
        "schema": 1, "id": f"{n:032x}", "type": "block.new", "source": f"wire{n % 7}",
        "item": {"id": f"doc{n % 5}", "url": f"https://news.example/live/{n % 5}",
                 "title": f"Live: crisis day {n % 5}"},
        "block": {"id": f"b{n}", "headline": f"Update {n}: sanctions widen", "text": text,
                  "published": "2026-11-25T07:00:00Z", "url": f"https://news.example/live#b{n}"},
        "terms": [{"name": "sanctions", "before": 0, "after": 3, "appeared": True,
                   "disappeared": False, "snippets": [snippet] * 2, "numbers": []}],
        "detected_at": "2026-11-25T07:00:00.000Z",
    }  # fmt: skip


@contextmanager
def process(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Iterator[None]:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def answering(url: str, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def chromium() -> WebDriver:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        sys.exit(
            "bench_web: needs chromium and chromedriver (apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))


def paints(driver: WebDriver, urls: dict[str, str], rounds: int) -> dict[str, list[list[float]]]:
    found: dict[str, list[list[float]]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            driver.get("about:blank")
            driver.get(url)
            WebDriverWait(driver, 10).until(lambda d: d.execute_script(_PAINT)[0] is not None)
            found[name].append(driver.execute_script(_PAINT))
    return found


def live(driver: WebDriver, url: str, client: redis.Redis, count: int) -> list[float]:
    driver.get(url)
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "alerts").get_attribute("data-live") == "yes"
    )
    driver.execute_script(_ARRIVALS)
    latencies = []
    for n in range(count):
        stream_id = str(client.xadd(f"{PREFIX}:stream", {"alert": json.dumps(alert(1000 + n))}))
        WebDriverWait(driver, 10, poll_frequency=0.01).until(
            lambda d, s=stream_id: d.execute_script("return window.arrivals[arguments[0]]", s)
        )
        shown = driver.execute_script("return window.arrivals[arguments[0]]", stream_id)
        latencies.append(shown - int(stream_id.split("-")[0]))
        time.sleep(0.1)  # one alert at a time, as a desk sees them
    return latencies


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.0f} [{min(values):.0f}–{max(values):.0f}]"


def report(found: dict[str, list[list[float]]], latencies: list[float], size: int) -> None:
    wall, peer = found["wall"], found["static copy"]
    ratios = [w[0] / p[0] for w, p in zip(wall, peer, strict=True)]
    print(f"wall page: {size} bytes of HTML\n")
    print("| page | first contentful paint ms [min–max] | server response ms [min–max] |")
    print("|---|---|---|")
    for name, values in found.items():
        print(f"| {name} | {spread([v[0] for v in values])} | {spread([v[1] for v in values])} |")
    print(f"\nwall ÷ static copy, first paint: {statistics.median(ratios):.2f} "
          f"[{min(ratios):.2f}–{max(ratios):.2f}]")  # fmt: skip
    if latencies:
        print(f"commit → card on the wall, ms over {len(latencies)} alerts: {spread(latencies)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--live", type=int, default=20)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="newsmon-web-") as tmp,
        RedisServer(Path(tmp)) as server,
    ):
        run(Path(tmp), server.url, args)


def run(tmp: Path, redis_url: str, args: argparse.Namespace) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    for n in range(args.alerts):
        client.xadd(f"{PREFIX}:stream", {"alert": json.dumps(alert(n))})
    config = tmp / "monitor.toml"
    config.write_text(f'[redis]\nprefix = "{PREFIX}"\n', encoding="utf-8")
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "NEWSMON_CONFIG": str(config)}
    port, static_port = free_port(), free_port()
    newsmon = [str(Path(sys.executable).parent / "newsmon"), "web", "--port", str(port)]
    site = tmp / "site"
    site.mkdir()
    peer = [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1"]
    with process(newsmon, env), process(peer, env, cwd=site):
        base = f"http://127.0.0.1:{port}"
        html = answering(base + "/")
        (site / "index.html").write_bytes(html)
        shutil.copytree(ROOT / "monitor" / "web" / "static", site / "static")
        answering(f"http://127.0.0.1:{static_port}/")
        driver = chromium()
        try:
            urls = {"wall": base + "/", "static copy": f"http://127.0.0.1:{static_port}/"}
            found = paints(driver, urls, args.rounds)
            latencies = live(driver, base + "/", client, args.live)
        finally:
            driver.quit()
    report(found, latencies, len(html))


if __name__ == "__main__":
    main()
