"""A desk's day, end to end: 30 feeds carrying five real stories, seen as a desk sees them.

Everything real: a redis-server, a loopback feed server, ``newsmon run`` polling the 30 feeds,
``newsmon subscribe --stories``, ``newsmon forward --per-story`` to a webhook receiver and
``newsmon web``. The stories are the five events of the labelled set
(bench/data/stories/items.jsonl) with the most outlets; each outlet's reports go to one feed,
along with reports of other stories of the same day, published in three waves. It prints what
each consumer got: alerts and stories on the stream against the set's events, the subscriber's
lines, and the webhook's first reports and digests, with every alert accounted for once::

    .venv/bin/python bench/desk_day.py [--set items|heldout|uci] [--digest 15s] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_urlwatch import NEWSMON, free_port, redis_server, started, wait_until  # noqa: E402
from tests.httpserver import LocalHTTPServer  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

FEEDS = 30
EVENTS = 5
PREFIX = "desk"


def load_set(name: str) -> list[dict[str, Any]]:
    path = ROOT / "bench" / "data" / "stories" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def pick(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The reports of the five events with most outlets, and as many reports of others."""
    outlets: dict[str, set[str]] = defaultdict(set)
    for item in items:
        outlets[item["event"]].add(item["source"])
    events = sorted(outlets, key=lambda e: (-len(outlets[e]), e))[:EVENTS]
    stories = [i for i in items if i["event"] in events]
    others = [i for i in items if i["event"] not in events][: len(stories)]
    return stories, others


def rss(title: str, items: list[dict[str, Any]]) -> str:
    entries = "".join(
        f"<item><guid isPermaLink='false'>{escape(i['id'])}</guid>"
        f"<title>{escape(i['title'])}</title><link>https://desk.example.test/{escape(i['id'])}"
        f"</link><pubDate>{_rfc822(i['published'])}</pubDate>"
        f"<description>{escape(i['summary'])}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://desk.example.test/</link>"
        f"<description>desk</description>{entries}</channel></rss>"
    )


def _rfc822(stamp: str) -> str:
    return format_datetime(datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC))


class Desk:
    """The feeds: which outlet each carries, and what each serves so far."""

    def __init__(self, server: LocalHTTPServer, reports: list[dict[str, Any]]) -> None:
        self.server = server
        sources = sorted({r["source"] for r in reports})
        self.feed_of = {s: f"feed-{n % FEEDS:02d}" for n, s in enumerate(sources)}
        self.served: dict[str, list[dict[str, Any]]] = {f"feed-{n:02d}": [] for n in range(FEEDS)}

    def publish(self, reports: list[dict[str, Any]]) -> None:
        for report in reports:
            self.served[self.feed_of[report["source"]]].insert(0, report)
        for feed, items in self.served.items():
            self.server.put(f"/{feed}.xml", rss(feed, items))


def config(path: Path, url: str, server: LocalHTTPServer) -> None:
    lines = [f'[redis]\nurl = "{url}"\nprefix = "{PREFIX}"\n', '[monitor]\ninterval = "2s"\n']
    lines += ['jitter = "0s"\n']
    for n in range(FEEDS):
        feed = server.url(f"/feed-{n:02d}.xml")
        lines.append(f'[[sources]]\nname = "feed-{n:02d}"\nurl = "{feed}"\n')
    path.write_text("".join(lines))


def stream(url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    return [json.loads(f["alert"]) for _, f in client.xrange(f"{PREFIX}:stream")]


def baselined(url: str) -> bool:
    client = redis.Redis.from_url(url, decode_responses=True)
    states = [client.hgetall(f"{PREFIX}:src:feed-{n:02d}") for n in range(FEEDS)]
    return all(s.get("baselined") == "1" for s in states)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digest", default="15s", help="forward --story-digest")
    parser.add_argument("--keep", type=Path, help="keep the run's files (logs) here")
    parser.add_argument("--set", default="items", help="which labelled set: items, heldout, uci")
    args = parser.parse_args()
    stories, others = pick(load_set(args.set))
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(args.keep or tmp), stories, others, args.digest)


def run(
    work: Path, stories: list[dict[str, Any]], others: list[dict[str, Any]], digest: str
) -> None:
    work.mkdir(parents=True, exist_ok=True)
    server = LocalHTTPServer()
    server.start()
    receiver = Receiver()
    receiver._thread.start()
    reports = sorted(stories + others, key=lambda r: r["published"])
    desk = Desk(server, reports)
    desk.publish([])
    env = {**os.environ, "NEWSMON_LOG_FORMAT": "json"}
    with redis_server(work) as (_, url):
        config(work / "desk.toml", url, server)
        cfg = ["--config", str(work / "desk.toml")]
        log = (work / "daemon.log").open("wb")
        lines_file = (work / "subscribe.txt").open("wb")
        port = free_port()
        with (
            started([str(NEWSMON), "run", *cfg], env=env, stdout=log, stderr=log),
            started([str(NEWSMON), "subscribe", "--stories", *cfg], env=env, stdout=lines_file),
            started(
                [
                    str(NEWSMON),
                    "forward",
                    *cfg,
                    "--webhook",
                    receiver.url(),
                    "--per-story",
                    "--story-digest",
                    digest,
                ],
                env=env,
                stdout=log,
                stderr=log,
            ),  # fmt: skip
            started(
                [str(NEWSMON), "web", *cfg, "--port", str(port)], env=env, stdout=log, stderr=log
            ),  # fmt: skip
        ):
            wait_until(lambda: baselined(url), "the baseline of every feed", timeout=120)
            started_at = time.monotonic()
            for wave in range(3):
                part = reports[wave::3]
                desk.publish(part)
                want = sum(len(p) for p in (reports[w::3] for w in range(wave + 1)))
                wait_until(lambda n=want: len(stream(url)) >= n, f"wave {wave + 1}", timeout=180)
            found = time.monotonic() - started_at
            alerts = stream(url)
            wait_until(lambda: covered(receiver) >= len(alerts), "the digests", timeout=300)
            print(f"wall: http://127.0.0.1:{port}/ (left running: no; screenshot it with --keep)")
            report(alerts, reports, receiver, work / "subscribe.txt", found)
    server.stop()


def covered(receiver: Receiver) -> int:
    ids = set()
    for d in receiver.ok():
        body = d.body
        if isinstance(body, dict) and body.get("type") == "digest":
            ids |= {a["id"] for a in body["alerts"]}
        elif isinstance(body, dict):
            ids.add(body["id"])
    return len(ids)


def report(
    alerts: list[dict[str, Any]], reports: list[dict[str, Any]], receiver: Receiver,
    lines: Path, seconds: float,
) -> None:  # fmt: skip
    event_of = {r["id"]: r["event"] for r in reports}
    by_story: dict[str, list[str]] = defaultdict(list)
    for alert in alerts:
        by_story[alert["story"]["id"]].append(event_of.get(alert["item"]["id"], "?"))
    ids = Counter(a["id"] for a in alerts)
    print(f"{len(reports)} reports published in 3 waves over {FEEDS} feeds; "
          f"{len(alerts)} alerts on the stream in {seconds:.0f} s, "
          f"{sum(1 for n in ids.values() if n > 1)} repeated")  # fmt: skip
    events = Counter(r["event"] for r in reports)
    multi = [s for s, ev in by_story.items() if len(ev) > 1]
    print(f"{len(by_story)} stories ({len(multi)} with more than one report) for "
          f"{len(events)} events; the five big events:")  # fmt: skip
    for event in [e for e, _ in Counter(r["event"] for r in reports).most_common(EVENTS)]:
        holding = Counter(s for s, ev in by_story.items() for e in ev if e == event)
        print(f"  {event}: {events[event]} reports in {len(holding)} stories {dict(holding)}")
    shown = lines.read_text(encoding="utf-8", errors="replace").splitlines()
    print(f"subscribe --stories: {len(shown)} lines for {len(alerts)} alerts, e.g.:")
    for line in shown[:4] + [ln for ln in shown if "+" in ln and "outlet" in ln][:3]:
        print("   ", line[:150])
    ok = receiver.ok()
    digests = [d for d in ok if isinstance(d.body, dict) and d.body.get("type") == "digest"]
    singles = len(ok) - len(digests)
    sent = Counter()
    for d in ok:
        for alert_id in [a["id"] for a in d.body["alerts"]] if d in digests else [d.body["id"]]:
            sent[alert_id] += 1
    lost = len(set(ids) - set(sent))
    twice = sum(1 for n in sent.values() if n > 1)
    print(f"webhook: {len(ok)} POSTs for {len(alerts)} alerts: {singles} first reports, "
          f"{len(digests)} digests; {lost} alerts lost, {twice} sent twice")  # fmt: skip


if __name__ == "__main__":
    main()
