"""``newsmon run --metrics-port``: a real daemon scraped over HTTP, parsed with
prometheus-client's own text parser; /healthz and /readyz through a Redis outage."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.desk import Desk
from tests.httpserver import LocalHTTPServer, free_port
from tests.redisserver import RedisServer
from tests.test_e2e import LogLines, Newsmon, stop_all, stream_alerts, wait_for

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_health_and_readiness_of_a_running_daemon(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    desk = Desk(http_server, ["wire"], [])
    desk.publish()
    http_server.put("/broken", "oops", "text/plain", status=500)
    port = free_port()
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\ninterval = "1s"\njitter = "0s"\nworkers = 1\n'
        f"{desk.config()}"
        f'[[sources]]\nname = "broken"\nurl = "{http_server.url("/broken")}"\n'
        '[[keywords]]\nname = "talks"\nquery = "talks"\n'
    )
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_of_its_own.url})
    daemon = newsmon.start("run", "--metrics-port", str(port))
    log = LogLines(daemon)
    base = f"http://127.0.0.1:{port}"
    try:
        log.wait(lambda e: e.get("event") == "serving metrics", "the metrics endpoint")
        log.wait(lambda e: e.get("status") == "baseline", "the baseline")
        desk.grow()
        wait_for(lambda: len(stream_alerts(redis_of_its_own.url, prefix)) >= 1, "the alert")
        wait_for(lambda: get(f"{base}/readyz")[0] == 200, "ready")
        assert get(f"{base}/healthz") == (200, "ok\n")
        status, text = get(f"{base}/metrics")
        assert status == 200
        found = samples(text)
        assert found[("newsmon_alerts_total", (("type", "item.new"),))] == 1
        assert found[("newsmon_keyword_matches_total", (("keyword", "talks"),))] == 1
        assert found[("newsmon_polls_total", (("outcome", "changed"), ("source", "wire")))] == 1
        assert found[("newsmon_polls_total", (("outcome", "failed"), ("source", "broken")))] >= 1
        assert found[("newsmon_fetch_duration_seconds_count", ())] >= 3
        assert found[("newsmon_fetched_bytes_total", ())] > 0
        assert found[("newsmon_commit_duration_seconds_count", ())] >= 3
        assert found[("newsmon_alert_freshness_seconds_count", ())] == 1
        assert found[("newsmon_keywords", ())] == 1
        assert found[("newsmon_stories_started_total", ())] == 1  # the one alert's story
        assert found[("newsmon_story_reports_joined_total", ())] == 0
        assert found[("newsmon_story_sources_count", ())] == 0
        assert ("newsmon_last_success_timestamp_seconds", (("source", "wire"),)) in found
        assert ("newsmon_last_success_timestamp_seconds", (("source", "broken"),)) not in found
        redis_of_its_own.stop()
        wait_for(lambda: get(f"{base}/readyz")[0] == 503, "not ready while Redis is down")
        assert "redis" in get(f"{base}/readyz")[1]
        assert get(f"{base}/healthz")[0] == 200  # alive: the clock still ticks
        redis_of_its_own.start()
        wait_for(lambda: get(f"{base}/readyz")[0] == 200, "ready again", 60)
        errors = samples(get(f"{base}/metrics")[1])[("newsmon_redis_errors_total", ())]
        assert errors >= 1
    finally:
        stop_all([daemon])


def test_a_metrics_port_in_use_is_refused_clearly(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})
    taken = newsmon.run("run", "--metrics-port", str(http_server.port), timeout=60)
    assert taken.returncode == 2
    assert f"--metrics-port: cannot listen on 127.0.0.1:{http_server.port}" in taken.stderr
    bad = newsmon.run("run", "--metrics-port", "70000")
    assert bad.returncode == 2 and "must be a TCP port" in bad.stderr


@pytest.mark.parametrize("token", [None, "s3cret"])
def test_off_loopback_the_pages_need_a_token_and_metrics_never_do(
    tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str], token: str | None
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    env = {"NEWSMON_REDIS_URL": redis_url, "NEWSMON_WEB_TOKEN": token or ""}
    port = free_port()
    daemon = Newsmon(newsmon_cmd, config, env).start(
        "run", "--metrics-port", str(port), "--metrics-host", "0.0.0.0"
    )
    log = LogLines(daemon)
    base = f"http://127.0.0.1:{port}"
    try:
        log.wait(lambda e: e.get("event") == "serving metrics", "the endpoint")
        wait_for(lambda: get(f"{base}/healthz")[0] == 200, "the clock's first tick")
        assert get(f"{base}/metrics")[0] == 200
        if token is None:
            assert "web pages not served" in log.text() and "token" in log.text()
            assert get(f"{base}/")[0] == 404 and get(f"{base}/api/status")[0] == 404
        else:
            assert get(f"{base}/")[0] == 401
            assert get(f"{base}/api/status?token={token}")[0] == 200
    finally:
        stop_all([daemon])


def test_story_metrics_count_starts_joins_and_the_sources_at_each_join() -> None:
    from monitor.daemon.metrics import Metrics
    from monitor.stories import StoryRef

    metrics = Metrics()
    metrics.storied([StoryRef("s-1", True, 1, "wire", 0.0), StoryRef("s-1", False, 3, "wire", 0.0)])
    metrics.storied([StoryRef("s-1", False, 12, "wire", 0.0)])
    found = samples(metrics.text().decode())
    assert found[("newsmon_stories_started_total", ())] == 1
    assert found[("newsmon_story_reports_joined_total", ())] == 2
    assert found[("newsmon_story_sources_bucket", (("le", "3.0"),))] == 1
    assert found[("newsmon_story_sources_bucket", (("le", "20.0"),))] == 2
    assert found[("newsmon_story_sources_sum", ())] == 15
