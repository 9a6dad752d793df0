"""The story log's line format: an entry as compact JSON.

An entry is the only per-report cost of stories in Redis, so it is kept small: a JSON array of
the report's id, the story's id, the source, the time (milliseconds), the number of title terms
and the terms as one base64 string of 32-bit values (four bytes a term in any script, where the
words themselves would take two or three bytes a letter). About 300 bytes for a report of 40
terms with a 32-character alert id.
"""

from __future__ import annotations

import base64
import binascii
import json
from array import array

from monitor.stories.features import Features
from monitor.stories.index import Entry


def encode_entry(entry: Entry) -> str:
    """An entry as one compact JSON line of the Redis story log."""
    terms = array("I", entry.features.terms)
    if terms.itemsize != 4:  # pragma: no cover - array("I") is 4 bytes on every platform we run
        raise RuntimeError("array('I') is not 32-bit here")
    packed = base64.b64encode(_little(terms).tobytes()).decode().rstrip("=")
    seen = round(entry.seen, 3)
    record = [entry.report, entry.story, entry.source, seen, len(entry.features.title), packed]
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def decode_entry(line: str) -> Entry:
    """The entry ``encode_entry`` wrote; ValueError when the line is not one."""
    try:
        report, story, source, seen, title, packed = json.loads(line)
        terms = array("I")
        terms.frombytes(base64.b64decode(packed + "=" * (-len(packed) % 4), validate=True))
        values = tuple(_little(terms))
        if not isinstance(title, int) or not 0 <= title <= len(values):
            raise ValueError("title count out of range")
        feats = Features(values[:title], values[title:])
        return Entry(str(report), str(story), str(source), float(seen), feats)
    except (TypeError, ValueError, binascii.Error) as exc:
        raise ValueError(f"not a story log entry: {line[:80]!r}") from exc


def _little(terms: array[int]) -> array[int]:
    """``terms`` in little-endian byte order, the log's, whatever the machine's."""
    import sys

    if sys.byteorder == "big":  # pragma: no cover - no big-endian machine runs us today
        swapped = array("I", terms)
        swapped.byteswap()
        return swapped
    return terms
