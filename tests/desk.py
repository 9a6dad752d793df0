"""Healthy sources that keep changing, and the alerts they must cause: for the fault suite
and the soak (bench/soak.py). Feeds gain an item and live pages a block every round."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.feeds import liveblog, rss
from tests.httpserver import LocalHTTPServer


@dataclass
class Desk:
    """Healthy sources on the server, and every alert they should have caused so far."""

    server: LocalHTTPServer
    feeds: list[str]
    pages: list[str]
    delays: dict[str, float] = field(default_factory=dict)
    round: int = 0
    expected: list[tuple[str, str]] = field(default_factory=list)  # (source, item or block id)

    def names(self) -> list[str]:
        return [*self.feeds, *self.pages]

    def publish(self) -> None:
        for name in self.feeds:
            items = [
                (f"{name}-{r}", f"{name} item {r}", "Talks went on.") for r in range(self.round + 1)
            ]
            self.server.put(f"/{name}", rss(items[::-1]), delay=self.delays.get(name, 0.0))
        for name in self.pages:
            blocks = [
                (f"{name}-{r}", f"2026-11-25T10:{r:02d}:00Z", f"{name} update {r}", "More news.")
                for r in range(self.round + 1)
            ]
            self.server.put(
                f"/{name}", liveblog(blocks[::-1]), "text/html", delay=self.delays.get(name, 0.0)
            )

    def grow(self) -> None:
        """One more item or block everywhere: one more expected alert per source."""
        self.round += 1
        self.expected += [(name, f"{name}-{self.round}") for name in self.names()]
        self.publish()

    def config(self) -> str:
        kinds = {**dict.fromkeys(self.feeds, "feed"), **dict.fromkeys(self.pages, "page")}
        return "".join(
            f'[[sources]]\nname = "{n}"\nurl = "{self.server.url("/" + n)}"\nkind = "{k}"\n'
            for n, k in kinds.items()
        )


def alert_key(alert: dict[str, Any]) -> tuple[str, str]:
    block = alert.get("block")
    return str(alert["source"]), str(block["id"] if block else alert["item"]["id"])


def check_stream(alerts: list[dict[str, Any]], desk: Desk) -> None:
    """Every expected alert exactly once, and no other."""
    ids = Counter(a["id"] for a in alerts)
    assert [i for i, n in ids.items() if n > 1] == [], "an alert was published twice"
    got = Counter(alert_key(a) for a in alerts)
    assert [k for k, n in got.items() if n > 1] == [], "one change alerted twice"
    assert sorted(got) == sorted(desk.expected)
