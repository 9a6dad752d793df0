"""Changes and term deltas → alert records (plain JSON-ready dicts) with deterministic ids.

The same change always gets the same ``id``: it is a hash of the source, the document, the
block, the change type, the text before and after, and the state the change was found against.
A commit that failed and is retried therefore publishes the very same alerts, and any consumer
can deduplicate on ``id``. The format is documented by docs/alert.schema.json.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.models import BlockState, Change, DocState
from monitor.query import Matcher, Matches, TermHits, snippets
from monitor.text import added_spans, edit_marks, has_digits

SCHEMA_VERSION = 1
MAX_ITEM_TEXT = 20_000
# Keywords are matched in a block's first MATCH_TEXT characters (about 15,000 words, longer
# than any real update). Matching and its snippets cost about 2 s of CPU per MB of text, so a
# hostile page with one 10 MB block held a poll for half a minute; the rest of such a block
# is not searched (docs/queries.md).
MATCH_TEXT = 100_000
# An alert carries at most this much of its block's text: the matched part. A 10 MB block in
# each of an alert's XADD and PUBLISHes made one commit 60 MB of JSON, encoded on the event
# loop and decoded by the commit script while Redis answered no one.
ALERT_TEXT = MATCH_TEXT

Hits = Callable[[BlockState], dict[str, TermHits]]


def block_text(block: BlockState) -> str:
    """The text keywords are matched against: headline, then body, at most ``MATCH_TEXT``
    characters of it."""
    text = f"{block.headline}\n{block.text}" if block.headline else block.text
    return text[:MATCH_TEXT]


def match_block(matcher: Matcher, block: BlockState, source: str) -> Matches:
    """A block's keyword hits and the language its text was taken to be in: matched as
    ``block_text`` gives it, with its headline as the title and its declared language."""
    title = len(block.headline) if block.headline else 0
    return matcher.match(block_text(block), declared=block.lang, title=title, source=source)


def title_of(text: str) -> int:
    """For a text given as is (a keyword test): its first line is its title, as a block's
    headline is the first line of ``block_text``."""
    end = text.find("\n")
    return len(text) if end < 0 else end


def build_alerts(
    source: str,
    prev: DocState | None,
    changes: Sequence[Change],
    hits: Hits,
    detected_at: str,
) -> list[dict[str, Any]]:
    """One alert per change, with each watched keyword's counts in the whole item."""
    if not changes:
        return []
    counts = _totals(prev.blocks if prev else (), hits)
    basis = state_digest(prev)
    alerts = []
    for change in changes:
        terms, counts = _terms(change, counts, hits)
        alert = _alert(source, change, terms, basis, detected_at)
        _add_languages(alert, change, hits)
        alert["snippets"] = _excerpts(change, terms, hits)
        alerts.append(alert)
    return alerts


def state_digest(state: DocState | None) -> str:
    """A short hash of a document state's block identities and texts."""
    if state is None:
        return "-"
    joined = "|".join(f"{b.id}:{b.hash}:{b.missing}" for b in state.blocks)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def alert_id(source: str, change: Change, basis: str) -> str:
    """Deterministic id of a change: the same change found again gets the same id."""
    block = change.block or change.before
    parts = [
        source,
        change.doc.id,
        change.type,
        block.id if block else "",
        change.before.hash if change.before else "",
        change.block.hash if change.block else _doc_hash(change.doc),
        basis,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _doc_hash(doc: DocState) -> str:
    return hashlib.sha256("|".join(b.hash for b in doc.blocks).encode()).hexdigest()[:20]


def _totals(blocks: Iterable[BlockState], hits: Hits) -> Counter[str]:
    total: Counter[str] = Counter()
    for block in blocks:
        total.update({name: h.count for name, h in hits(block).items()})
    return total


def _terms(
    change: Change, counts: Counter[str], hits: Hits
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The ``terms`` of one alert, and the item's counts after the change."""
    old = hits(change.before) if change.before else {}
    if change.type == "item.new":
        new_hits = _merge_doc_hits(change.doc, hits)
        after = Counter({name: h.count for name, h in new_hits.items()})
        relevant = set(after)
        text = "\n".join(block_text(b) for b in change.doc.blocks)
    else:
        current = change.block
        new_hits = hits(current) if current else {}
        after = counts.copy()
        after.subtract({n: h.count for n, h in old.items()})
        after.update({n: h.count for n, h in new_hits.items()})
        relevant = _relevant(change, old, new_hits)
        text = block_text(current) if current else ""
    terms = [_term(name, counts, after, old, new_hits, text, change) for name in sorted(relevant)]
    return terms, +after


def _excerpts(change: Change, terms: list[dict[str, Any]], hits: Hits) -> list[str]:
    """The passages of all the alert's terms together: a sentence two keywords matched is one
    snippet with both marked, not one per keyword."""
    block = change.before if change.type == "block.removed" else change.block
    if change.type == "item.new":
        found, text = (
            _merge_doc_hits(change.doc, hits),
            "\n".join(block_text(b) for b in change.doc.blocks),
        )
    elif block is not None:
        found, text = hits(block), block_text(block)
    else:
        return []
    names = {t["name"] for t in terms}
    return snippets(text, [s for n, h in found.items() if n in names for s in h.spans])


def _merge_doc_hits(doc: DocState, hits: Hits) -> dict[str, TermHits]:
    """Hits over a whole document, spans shifted into the joined text."""
    merged: dict[str, TermHits] = {}
    offset = 0
    for block in doc.blocks:
        for name, h in hits(block).items():
            spans = tuple((a + offset, b + offset) for a, b in h.spans)
            prior = merged.get(name)
            if prior is None:
                merged[name] = TermHits(name, h.count, spans, h.numbers)
            else:
                merged[name] = TermHits(
                    name, prior.count + h.count, prior.spans + spans, prior.numbers + h.numbers
                )
        offset += len(block_text(block)) + 1
    return merged


def _relevant(change: Change, old: dict[str, TermHits], new: dict[str, TermHits]) -> set[str]:
    """Keywords that matched the new or changed text, or whose count or numbers changed."""
    if change.type == "block.new":
        return set(new)
    if change.type == "block.removed":
        return set(old)
    names = {n for n in set(old) | set(new) if _count(old, n) != _count(new, n)}
    names |= {n for n in set(old) & set(new) if _numbers(old[n]) != _numbers(new[n])}
    if change.before and change.block:
        regions = added_spans(block_text(change.before), block_text(change.block))
        names |= {n for n, h in new.items() if _overlaps(h.spans, regions)}
    return names


def _count(hits: dict[str, TermHits], name: str) -> int:
    found = hits.get(name)
    return found.count if found else 0


def _numbers(hits: TermHits) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for number, word in hits.numbers:
        out.setdefault(word.casefold(), set()).add(number)
    return out


def _overlaps(spans: Iterable[tuple[int, int]], regions: Sequence[tuple[int, int]]) -> bool:
    return any(a < d and c < b for a, b in spans for c, d in regions)


def _term(
    name: str,
    before: Counter[str],
    after: Counter[str],
    old: dict[str, TermHits],
    new: dict[str, TermHits],
    text: str,
    change: Change,
) -> dict[str, Any]:
    b, a = before[name], max(after[name], 0)
    shown = new.get(name) if change.type != "block.removed" else old.get(name)
    if change.type == "block.removed" and change.before:
        text = block_text(change.before)
    return {
        "name": name,
        "before": b,
        "after": a,
        "appeared": b == 0 and a > 0,
        "disappeared": b > 0 and a == 0,
        "snippets": snippets(text, shown.spans) if shown else [],
        "numbers": _number_changes(old.get(name), new.get(name)),
    }


def _number_changes(old: TermHits | None, new: TermHits | None) -> list[dict[str, Any]]:
    """Numbers next to a matched word that changed between versions ("130,000" → "150,000")."""
    if old is None or new is None:
        return []
    before, after = _numbers(old), _numbers(new)
    changed = []
    for word in sorted(set(before) & set(after)):
        if before[word] != after[word]:
            changed.append(
                {"word": word, "before": sorted(before[word]), "after": sorted(after[word])}
            )
    return changed


def _alert(
    source: str, change: Change, terms: list[dict[str, Any]], basis: str, detected_at: str
) -> dict[str, Any]:
    doc = change.doc
    item: dict[str, Any] = {"id": doc.id, "url": doc.url, "title": doc.title}
    published = doc.blocks[0].published if doc.blocks else None  # a feed item's own date
    if change.type == "item.new" and published:
        item["published"] = utc(published)
    if change.type == "item.new":
        item["text"] = "\n\n".join(block_text(b) for b in doc.blocks)[:MAX_ITEM_TEXT]
    block = change.block or change.before
    alert: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "id": alert_id(source, change, basis),
        "type": change.type,
        "source": source,
        "item": item,
        "block": _block(block) if block else None,
        "terms": terms,
        "detected_at": detected_at,
    }
    if change.type == "block.edited":
        alert["edit"] = {
            "added": list(change.words_added),
            "removed": list(change.words_removed),
            "numbers_changed": has_digits(change.words_added) or has_digits(change.words_removed),
            "marks": _marks(change),
        }
    return alert


def _add_languages(alert: dict[str, Any], change: Change, hits: Hits) -> None:
    """``block.lang``: the language the block's text was taken to be in; ``item.lang`` (for
    item.new): the one most of the item's blocks were taken to be in."""
    block = change.block or change.before
    if block is not None:
        alert["block"]["lang"] = _taken(hits, block)
    if change.type == "item.new":
        langs = Counter(lang for b in change.doc.blocks if (lang := _taken(hits, b)))
        alert["item"]["lang"] = langs.most_common(1)[0][0] if langs else None


def _taken(hits: Hits, block: BlockState) -> str | None:
    lang = getattr(hits(block), "lang", None)  # a Matches; plain dicts (tests) have none
    return lang if isinstance(lang, str) else block.lang


def _marks(change: Change) -> list[dict[str, Any]]:
    """Where in the alert's ``block.text`` the edit added and removed words (the headline's
    own edits are in ``added`` and ``removed`` only)."""
    if change.before is None or change.block is None:
        return []
    found = edit_marks(change.before.text, change.block.text[:ALERT_TEXT])
    return [{"start": a, "end": b, "removed": gone} for a, b, gone in found]


def utc(stamp: str | None) -> str | None:
    """An ISO time with a zone as UTC, written with ``Z`` like ``detected_at`` and
    ``item.published`` (a time without a zone, or not ISO, as it came)."""
    try:
        moment = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return stamp
    if moment is None or moment.tzinfo is None:
        return stamp
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _block(block: BlockState) -> dict[str, Any]:
    return {
        "id": block.id,
        "headline": block.headline,
        "text": block.text[:ALERT_TEXT],
        "published": utc(block.published),
        "byline": block.byline,
        "credits": block.credits,
        "url": block.url,
        "extractor": block.extractor,
    }
