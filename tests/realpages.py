"""Real publishers' live pages (tests/data/realpages/), and the snapshots derived from them.

Each case is one page as a public repository stored it (provenance.md beside it says which),
and a case.json naming its newest updates and one older update to edit. The older snapshot
is the page with those newest updates taken out of every representation (markup and
JSON-LD), the edited one is the page with a sentence added to the older update in every
representation: the way a live page really changes between polls. Polling older, then the
page, then the edited page must give one block.new per newest update (with its text), one
block.edited for the edit, and nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import html as lxml_html
from lxml.html import HtmlElement

from monitor.poll.documents import read_source
from monitor.poll.snapshots import OfflineMonitor
from monitor.query import Matcher

CORPUS = Path(__file__).parent / "data" / "realpages"
_LEAD = "lead:"  # a case names an update with no id by the display time leading it
_TIME_LED = re.compile(r"^\d{1,2}[:.]\d{2}\s+\S")


@dataclass(frozen=True)
class Case:
    """One real page and what polling its derived snapshots must give."""

    name: str
    path: Path
    url: str
    newest: dict[str, str]  # update id (or "lead:HH.MM") -> a phrase its text holds
    edit_id: str
    sentence: str

    def page(self) -> bytes:
        return self.path.read_bytes()

    def older(self) -> bytes:
        return _derive(self.page(), lambda tree: _remove(tree, set(self.newest)))

    def edited(self) -> bytes:
        return _derive(self.page(), lambda tree: _append(tree, self.edit_id, self.sentence))


def load_cases() -> list[Case]:
    """Every case under tests/data/realpages, by name."""
    cases = []
    for spec_file in sorted(CORPUS.glob("*/case.json")):
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        cases.append(
            Case(
                spec_file.parent.name,
                spec_file.parent / spec["file"],
                spec["url"],
                spec["newest"],
                spec["edit"]["id"],
                spec["edit"]["sentence"],
            )
        )
    return cases


@dataclass
class Score:
    """What polling a case's snapshots gave, against what it must give."""

    new_expected: int = 0
    new_found: int = 0  # a block.new for a newest update, holding its phrase
    edits_expected: int = 1
    edits_found: int = 0  # a block.edited for the edited update, holding the sentence
    spurious: list[str] = field(default_factory=list)  # every other alert, described

    @property
    def clean(self) -> bool:
        found = (self.new_found, self.edits_found)
        return found == (self.new_expected, self.edits_expected) and not self.spurious


def score(case: Case) -> Score:
    """Poll older, then the page, then the edited page, as the daemon would."""
    monitor = OfflineMonitor(Matcher([]), source=case.name)
    result = Score(new_expected=len(case.newest))
    baseline = monitor.feed(read_source("page", case.older(), case.url, "text/html"))
    result.spurious += [_describe(a) for a in baseline]
    for alert in monitor.feed(read_source("page", case.page(), case.url, "text/html")):
        if _is_new_update(alert, case):
            result.new_found += 1
        else:
            result.spurious.append(_describe(alert))
    for alert in monitor.feed(read_source("page", case.edited(), case.url, "text/html")):
        if _is_the_edit(alert, case):
            result.edits_found += 1
        else:
            result.spurious.append(_describe(alert))
    return result


def _is_new_update(alert: dict[str, Any], case: Case) -> bool:
    """A block.new for one of the newest updates: its id (an update known by its lead time
    has none of its own) and its phrase."""
    block = alert.get("block") or {}
    found = [
        key
        for key, phrase in case.newest.items()
        if phrase in block.get("text", "") and (_is_lead(key) or key == block.get("id"))
    ]
    return alert["type"] == "block.new" and bool(found)


def _is_the_edit(alert: dict[str, Any], case: Case) -> bool:
    block = alert.get("block") or {}
    same = _is_lead(case.edit_id) or block.get("id") == case.edit_id
    return alert["type"] == "block.edited" and same and case.sentence in block.get("text", "")


def _is_lead(key: str) -> bool:
    return key.startswith(_LEAD)


def _describe(alert: dict[str, Any]) -> str:
    block = alert.get("block") or {}
    return f"{alert['type']} {block.get('id')!r} {block.get('headline', '')[:50]!r}"


def _derive(page: bytes, change: Any) -> bytes:
    tree = lxml_html.document_fromstring(page)
    change(tree)
    out: bytes = lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
    return out


def _elements(tree: HtmlElement, update_id: str) -> Iterator[HtmlElement]:
    """The update's elements: those whose id is the update id, or ends in it after a
    separator ("block-123"), whichever representation they belong to."""
    for el in tree.iter():
        own = el.get("id") if isinstance(el.tag, str) else None
        if own and (own == update_id or own.endswith(("-" + update_id, "_" + update_id))):
            yield el


def _led_paragraphs(tree: HtmlElement, key: str) -> list[HtmlElement]:
    """An update with no element of its own ("lead:16.06"): the paragraphs from the one its
    display time leads up to the next time-led one, in document order."""
    lead = key.removeprefix(_LEAD)
    run: list[HtmlElement] = []
    for para in tree.iter("p"):
        text = para.text_content().strip()
        if run and _TIME_LED.match(text):
            break
        if run or text.startswith(lead + " "):
            run.append(para)
    return run


def _remove(tree: HtmlElement, update_ids: set[str]) -> None:
    for update_id in update_ids:
        found = _led_paragraphs(tree, update_id) if _is_lead(update_id) else None
        for el in found if found is not None else list(_elements(tree, update_id)):
            el.drop_tree()
    _edit_jsonld(tree, lambda updates: [u for u in updates if _ld_id(u) not in update_ids])


def _append(tree: HtmlElement, update_id: str, sentence: str) -> None:
    led = _led_paragraphs(tree, update_id)[:1] if _is_lead(update_id) else None
    for el in led if led is not None else _elements(tree, update_id):
        paragraphs = el.findall(".//p")
        target = paragraphs[-1] if paragraphs else el
        last = target[-1] if len(target) else None
        if last is not None:
            last.tail = f"{last.tail or ''} {sentence}"
        else:
            target.text = f"{target.text or ''} {sentence}"

    def edit(updates: list[Any]) -> list[Any]:
        for update in updates:
            if _ld_id(update) == update_id:
                update["articleBody"] = f"{update.get('articleBody') or ''} {sentence}".strip()
        return updates

    _edit_jsonld(tree, edit)


def _ld_id(update: Any) -> str:
    """The id a JSON-LD update carries at the end of its url or @id ("…#2259175")."""
    if not isinstance(update, dict):
        return ""
    ref = str(update.get("url") or update.get("@id") or "")
    return ref.rsplit("#", 1)[-1].rsplit("=", 1)[-1]


def _edit_jsonld(tree: HtmlElement, change: Any) -> None:
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "") or not script.text:
            continue
        data = json.loads(script.text, strict=False)
        for node in _nodes(data):
            if isinstance(node.get("liveBlogUpdate"), list):
                node["liveBlogUpdate"] = change(node["liveBlogUpdate"])
        script.text = json.dumps(data, ensure_ascii=False)


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
