"""The values the store reads and writes: a source's poll state, a poll's commit, a lease."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from monitor.errors import StoreError
from monitor.models import BlockState, DocState

_BLOCK_FIELDS = tuple(f.name for f in fields(BlockState))
LAST_ID_PART = 2**64 - 1  # each part of a stream id is an unsigned 64-bit number
_STREAM_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def is_stream_id(value: str, *, whole: bool = True) -> bool:
    """Whether Redis takes ``value`` as a stream id: milliseconds and a sequence number, each
    below 2**64 (without ``whole``, the sequence may be left out, as XREAD allows)."""
    found = _STREAM_ID.fullmatch(value)
    if found is None or (whole and found.group(2) is None):
        return False
    return all(int(part) <= LAST_ID_PART for part in found.groups() if part is not None)


@dataclass(frozen=True, slots=True)
class SourceState:
    """What is remembered of a source between polls."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    baselined: bool = False
    polls: int = 0
    alerts: int = 0
    last_poll: str | None = None
    last_status: str | None = None
    last_http: int | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    last_ok: str | None = None
    pending: bool = False  # a cheap baseline's body waits to be parsed on the first change
    failures: int = 0  # consecutive failures
    failure_class: str | None = None
    gone: bool = False  # the server said 410 Gone: parked until the source is added again
    next_reason: str | None = None  # why the next poll is when it is (interval, backoff, …)
    raw: Mapping[str, str] = field(default_factory=dict)  # every field, for other stages' records

    @property
    def item_hashes(self) -> frozenset[str]:
        """The raw hashes of the items of the last body parsed (decoded only when asked: a
        304 or an unchanged body never needs them)."""
        return _hashes(self.raw.get("item_hashes"))


@dataclass(frozen=True, slots=True)
class Lease:
    """One daemon's claim on one source: it alone polls the source until it commits."""

    source: str
    token: str
    due: float  # when the source was due, in ms since the epoch (its schedule's phase)


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed source: its lease and its definition (JSON as stored)."""

    lease: Lease
    definition: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A feed body kept at a cheap baseline, with its items' identities and raw hashes, so a
    later poll knows without parsing it whether a changed item has an earlier version here."""

    body: bytes
    keys: frozenset[str]
    hashes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Commit:
    """Everything one poll of one source writes, atomically."""

    source: str
    states: Sequence[DocState] = ()
    alerts: Sequence[Mapping[str, Any]] = ()
    fields: Mapping[str, str] = field(default_factory=dict)  # source-state fields to set
    cleared: Sequence[str] = ()  # source-state fields to delete
    lease: Lease | None = None  # written only while this lease holds; released by the commit
    next_due: float | None = None  # when the source is due next, ms since the epoch
    pending: Pending | None = None  # a body kept at a cheap baseline
    forget_pending: bool = False  # the kept body is no longer needed
    final: bool = True  # the poll's last piece (``pieces``): its fields, lease and due time


def encode_state(state: DocState) -> str:
    """DocState → compact JSON."""
    # By hand rather than dataclasses.asdict, which deep-copies every field (a hot spot).
    data = {
        "id": state.id,
        "url": state.url,
        "title": state.title,
        "blocks": [{f: getattr(b, f) for f in _BLOCK_FIELDS} for b in state.blocks],
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_state(raw: str | bytes) -> DocState:
    """JSON → DocState; raises StoreError on a malformed record."""
    try:
        data = json.loads(raw)
        blocks = tuple(BlockState(**b) for b in data.pop("blocks"))
        return DocState(blocks=blocks, **data)
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"malformed document state in Redis: {exc}") from exc


def source_state(raw: Mapping[str, str]) -> SourceState:
    """A source-state hash → SourceState; damaged fields read as absent."""
    http = raw.get("last_http")
    return SourceState(
        etag=raw.get("etag") or None,
        last_modified=raw.get("last_modified") or None,
        body_hash=raw.get("body_hash") or None,
        baselined=raw.get("baselined") == "1",
        polls=_number(raw, "polls"),
        alerts=_number(raw, "alerts"),
        last_poll=raw.get("last_poll"),
        last_status=raw.get("last_status"),
        last_http=int(http) if http and http.isdigit() else None,
        last_error=raw.get("last_error") or None,
        last_error_at=raw.get("last_error_at") or None,
        last_ok=raw.get("last_ok") or None,
        pending=raw.get("pending") == "1",
        failures=_number(raw, "failures"),
        failure_class=raw.get("failure_class") or None,
        gone=raw.get("gone") == "1",
        next_reason=raw.get("next_reason") or None,
        raw=dict(raw),
    )


def _number(raw: Mapping[str, str], key: str) -> int:
    try:
        return int(raw.get(key, 0))
    except ValueError:
        return 0


def _hashes(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    try:
        found = json.loads(value)
    except ValueError:
        return frozenset()  # a damaged record: every item is parsed again, nothing is lost
    return frozenset(str(h) for h in found) if isinstance(found, list) else frozenset()
