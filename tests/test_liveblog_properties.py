"""Whole-page properties, extraction and diff together: a page that only shuffles its blocks,
gains a pinned copy of one, or is edited cosmetically never produces an alert."""

from __future__ import annotations

import random
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.poll.documents import read_source
from monitor.poll.snapshots import OfflineMonitor
from monitor.query import KeywordSpec, Matcher

URL = "https://news.example.test/live"
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
bodies = st.lists(words, min_size=12, max_size=30).map(lambda w: " ".join(w).capitalize() + ".")
Update = tuple[str, str]


def page(updates: list[Update], ids: bool, pinned: Update | None = None) -> bytes:
    """A live page: markup blocks with or without ids, optionally a pinned copy on top."""

    def article(i: int, head: str, body: str, with_id: bool) -> str:
        attr = f' id="block-{i}00"' if with_id else ""
        return (
            f'<article class="block"{attr}><h2>{escape(head)}</h2><p>{escape(body)}</p></article>'
        )

    order = {u: i for i, u in enumerate(sorted(updates))}
    pin = ""
    if pinned is not None:
        pin = f'<div id="pinned-post">{article(0, *pinned, with_id=False)}</div>'
    blocks = "".join(article(order[u] + 1, *u, with_id=ids) for u in updates)
    return (
        f"<html><head><title>Live</title></head><body><main>{pin}{blocks}</main></body></html>"
    ).encode()


def alerts_after(first: bytes, second: bytes) -> list[dict[str, object]]:
    monitor = OfflineMonitor(Matcher([KeywordSpec("any", "a* OR e* OR i*")]))
    monitor.feed(read_source("page", first, URL, "text/html"))
    return monitor.feed(read_source("page", second, URL, "text/html"))


updates_strategy = st.lists(
    st.tuples(words.map(lambda w: f"Headline {w}"), bodies),
    min_size=2,
    max_size=6,
    unique_by=lambda u: u[0],
)


@settings(max_examples=40, deadline=None)
@given(updates_strategy, st.booleans(), st.randoms(use_true_random=False))
def test_shuffled_blocks_never_alert(updates: list[Update], ids: bool, rnd: random.Random) -> None:
    shuffled = updates[:]
    rnd.shuffle(shuffled)
    assert alerts_after(page(updates, ids), page(shuffled, ids)) == []


@settings(max_examples=40, deadline=None)
@given(updates_strategy, st.booleans(), st.integers(min_value=0, max_value=5))
def test_a_pinned_copy_never_alerts(updates: list[Update], ids: bool, which: int) -> None:
    pinned = updates[which % len(updates)]
    assert alerts_after(page(updates, ids), page(updates, ids, pinned=pinned)) == []


@settings(max_examples=40, deadline=None)
@given(updates_strategy, st.booleans(), st.sampled_from(["quotes", "dashes", "spaces", "stop"]))
def test_cosmetic_edits_never_alert(updates: list[Update], ids: bool, kind: str) -> None:
    head, body = updates[0]
    edited = {
        "quotes": f"\u201c{body}\u201d",
        "dashes": body.replace(" ", " \u2014 ", 1),
        "spaces": body.replace(" ", "\u00a0 ", 2),
        "stop": body.rstrip(".") + "!",
    }[kind]
    changed = [(head, edited), *updates[1:]]
    assert alerts_after(page(updates, ids), page(changed, ids)) == []
