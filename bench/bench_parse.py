"""Parse cost: feedparser's defaults and cheap options vs parse_feed with items skipped.

Generates full-content RSS feeds (20 and 200 items, each a 300-1500-word HTML body in CDATA
content:encoded) and prints the median milliseconds per parse. Run from the repo root:

    .venv/bin/python bench/bench_parse.py [runs]
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable

import feedparser

from monitor.poll.parse import parse_feed

URL = "https://bench.example.test/feed.xml"
WORDS = [
    *("harbour", "council", "ferry", "storm", "lighthouse", "minister", "vote", "budget"),
    *("river", "bridge", "school", "hospital", "police", "report", "station", "market"),
    *("festival", "weather", "flood", "road", "rail", "strike", "union", "court", "judge"),
    *("museum", "library", "farmers", "election", "mayor", "tide", "wind", "island", "port"),
]


def _paragraphs(rng: random.Random, words: int) -> str:
    out: list[str] = []
    while words > 0:
        n = min(words, rng.randint(40, 90))
        text = " ".join(rng.choice(WORDS) for _ in range(n))
        out.append(f"<p>{text.capitalize()}, said <a href='/p/{rng.randint(1, 999)}'>x</a>.</p>")
        words -= n
    return "".join(out)


def _item(rng: random.Random, n: int, extra: str = "") -> str:
    body = _paragraphs(rng, rng.randint(300, 1500)) + extra
    return (
        f"<item><title>Story {n}: {rng.choice(WORDS)} &amp; {rng.choice(WORDS)}</title>"
        f"<link>https://bench.example.test/story/{n}</link><guid isPermaLink='false'>s-{n}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 10:{n % 60:02d}:00 +0000</pubDate>"
        f"<description>Summary of story {n}.</description>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
    )


def make_feed(items: int, changed: int = 0, seed: int = 7) -> bytes:
    """A full-content RSS feed; the first ``changed`` items get an extra paragraph."""
    rng = random.Random(seed)
    parts = [_item(rng, n, "<p>Update.</p>" if n < changed else "") for n in range(items)]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>Bench</title><link>https://bench.example.test/</link>"
        f"<description>d</description>{''.join(parts)}</channel></rss>"
    ).encode()


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Median wall milliseconds of ``fn`` over ``runs`` calls, after one warm-up."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench(items: int, runs: int) -> None:
    """Print the figures for one feed size."""
    body = make_feed(items)
    changed_body = make_feed(items, changed=max(1, items // 10))
    known = parse_feed(body, URL).item_hashes
    cases: list[tuple[str, Callable[[], object]]] = [
        ("feedparser defaults", lambda: feedparser.parse(io.BytesIO(body))),
        (
            "feedparser sanitize/resolve off",
            lambda: feedparser.parse(
                io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False
            ),
        ),
        ("parse_feed, nothing skipped", lambda: parse_feed(body, URL)),
        ("parse_feed, 10% changed", lambda: parse_feed(changed_body, URL, skip=known)),
        ("parse_feed, all skipped", lambda: parse_feed(body, URL, skip=known)),
    ]
    print(f"\nRSS {items} items, {len(body) / 1024:.0f} KB, median of {runs} runs")
    for name, fn in cases:
        ms = median_ms(fn, runs)
        print(f"  {name:34s} {ms:9.2f} ms/parse  {items / ms * 1000:9.0f} items/s")


def main() -> None:
    """Run both feed sizes."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    warnings.simplefilter("ignore", DeprecationWarning)
    for items in (20, 200):
        bench(items, runs)


if __name__ == "__main__":
    main()
