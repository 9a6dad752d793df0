"""One daemon, healthy feeds, and hostile live pages whose single update block is ~10 MB.

The attack of issue 21 (item 2): a page with one huge block makes every poll of it long
(extraction, diff, keyword matching and snippets over 10 MB of text). What this measures,
with everything real (a ``newsmon run`` process, a private redis-server, a loopback HTTP
server in this process):

- the polls of each healthy feed over a fixed window (interval 2 s: about ``seconds / 2``
  each when nothing starves them), and their statuses (``lease_lost`` must stay 0);
- the hostile pages' polls and statuses (``failed`` with ``failure_class`` ``overrun`` once
  the daemon bounds them, instead of ``lease_lost`` over and over);
- /healthz, asked every half second with a 1 s timeout: how many answers were 200.

With ``--changing`` the hostile page's block is edited every 3 s, so each of its polls has a
real change to extract, diff and match. Everything started is stopped by PID::

    .venv/bin/python bench/bench_overrun.py [--healthy 6] [--hostile 1] [--seconds 60]
        [--block-mb 10] [--changing] [--deadline SECONDS]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_urlwatch import NEWSMON, free_port, redis_server, stop, user_env  # noqa: E402
from tests.httpserver import LocalHTTPServer  # noqa: E402

INTERVAL = 2.0
WORDS = "sanctions troops withdraw from the border as talks resume in the capital today "


def feed(i: int) -> str:
    items = "".join(
        f"<item><guid>f{i}-{n}</guid><title>Item {n}</title><description>Sanctions news {n}."
        "</description></item>"
        for n in range(5)
    )
    head = f"<?xml version='1.0'?><rss version='2.0'><channel><title>F{i}</title>"
    return f"{head}{items}</channel></rss>"


def huge_page(megabytes: float, version: int) -> bytes:
    """A live page of one update block of ``megabytes`` of text, in paragraphs of ~1 KB (one
    text node of 10 MB is past libxml2's limit, and the page would have no block at all)."""
    paragraph = f"<p>{WORDS * 12}</p>"
    text = paragraph * int(megabytes * 1_000_000 / len(paragraph))
    return (
        "<html><head><title>Live</title></head><body><article><h1>Live</h1>"
        f'<div class="update" id="u1"><h2>Update v{version}</h2>{text}<p>v{version}</p></div>'
        "</article></body></html>"
    ).encode()


KEYWORDS = """
[[keywords]]
name = "sanctions"
query = "sanction*"

[[keywords]]
name = "pullback"
query = '(troop* OR forces) NEAR/6 (withdraw OR "pull back")'
"""


def config(tmp: Path, server: LocalHTTPServer, args: argparse.Namespace) -> Path:
    healthy, hostile = args.healthy, args.hostile
    sources = "".join(
        f'[[sources]]\nname = "h{i}"\nurl = "{server.url(f"/h{i}.xml")}"\nkind = "feed"\n'
        for i in range(healthy)
    ) + "".join(
        f'[[sources]]\nname = "x{i}"\nurl = "{server.url(f"/x{i}")}"\nkind = "page"\n'
        for i in range(hostile)
    )
    path = tmp / "monitor.toml"
    path.write_text(
        f'[redis]\nprefix = "bench"\n\n[monitor]\ninterval = "{INTERVAL:g}s"\njitter = "0s"\n'
        f'timeout = "8s"\nmax_bytes = "16MB"\nworkers = 2\ndata_dir = "{tmp / "data"}"\n'
        + (f'poll_deadline = "{args.deadline:g}s"\n' if args.deadline else "")
        + "\n"
        f"{sources}\n{KEYWORDS}"
    )
    return path


class Polls:
    """The daemon's poll log lines, with their arrival times."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.other: Counter[str] = Counter()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "poll":
                self.events.append((time.monotonic(), event))
            else:
                self.other[str(event.get("event"))] += 1


def healthz(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False


def main() -> None:
    args = parse_args()
    server = LocalHTTPServer()
    server.start()
    for i in range(args.healthy):
        server.put(f"/h{i}.xml", feed(i))
    for i in range(args.hostile):
        server.put(f"/x{i}", huge_page(args.block_mb, 0), "text/html; charset=utf-8")
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (_redis, url):
        port = free_port()
        path = config(Path(tmp), server, args)
        cmd = [str(NEWSMON), "run", "--config", str(path), "--metrics-port", str(port)]
        env = user_env(NEWSMON_REDIS_URL=url, NEWSMON_LOG_LEVEL="info")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        polls = Polls(proc.stderr)
        try:
            report(measure(args, server, polls, f"http://127.0.0.1:{port}/healthz"), args)
        finally:
            stop(proc)
            server.stop()


def measure(
    args: argparse.Namespace, server: LocalHTTPServer, polls: Polls, health: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while not any(e["source"] == "h0" for _t, e in polls.events):
        if time.monotonic() > deadline:
            raise RuntimeError("the daemon never polled")
        time.sleep(0.1)
    start = time.monotonic()
    end = start + args.seconds
    answers: list[bool] = []
    version = 0
    next_edit = start + 3.0
    while time.monotonic() < end:
        answers.append(healthz(health))
        if args.changing and time.monotonic() >= next_edit:
            version += 1
            for i in range(args.hostile):
                server.put(f"/x{i}", huge_page(args.block_mb, version), "text/html; charset=utf-8")
            next_edit += 3.0
        time.sleep(0.5)
    window = [e for t, e in polls.events if start <= t < end]
    return {"window": window, "healthz": answers}


def report(found: dict[str, Any], args: argparse.Namespace) -> None:
    by_source: dict[str, Counter[str]] = {}
    for event in found["window"]:
        status = event["status"] + (f"/{event['failure_class']}" if event.get("failure_class")
                                    else "")  # fmt: skip
        by_source.setdefault(event["source"], Counter())[status] += 1
    healthy = [f"h{i}" for i in range(args.healthy)]
    counts = [sum(by_source.get(n, Counter()).values()) for n in healthy]
    lost = sum(by_source.get(n, Counter())["lease_lost"] for n in healthy)
    timeouts = sum(c for n in healthy for s, c in by_source.get(n, Counter()).items()
                   if "timeout" in s)  # fmt: skip
    answers = found["healthz"]
    print(
        f"window {args.seconds:g} s, interval {INTERVAL:g} s, healthy {args.healthy}, hostile "
        f"{args.hostile} x {args.block_mb:g} MB block, changing={args.changing}, "
        f"poll_deadline={args.deadline or 'default'}"
    )
    print(f"healthy polls per source: {counts} (expected about {args.seconds / INTERVAL:.0f})")
    print(f"healthy lease_lost: {lost}, healthy timeouts: {timeouts}")
    for i in range(args.hostile):
        times = sorted(e["duration_ms"] for e in found["window"] if e["source"] == f"x{i}")
        longest = f", longest {times[-1] / 1000:.1f} s" if times else ""
        print(f"hostile x{i}: {dict(by_source.get(f'x{i}', Counter()))}{longest}")
    print(f"/healthz 200: {sum(answers)} of {len(answers)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthy", type=int, default=6)
    parser.add_argument("--hostile", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--block-mb", type=float, default=10.0)
    parser.add_argument("--changing", action="store_true")
    parser.add_argument("--deadline", type=float, default=0.0, help="poll_deadline (s)")
    return parser.parse_args()


if __name__ == "__main__":
    main()
