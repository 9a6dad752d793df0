"""Redis, the one place that knows it: state, the alert stream, channels, keywords, sources and
the shared schedule. Key names are in ``keys``; the atomic scripts in ``scripts``."""

from __future__ import annotations

from monitor.redisurl import redact
from monitor.store.connect import connect
from monitor.store.consumer import Consumer, Entry
from monitor.store.core import MAX_DOCS, Store, alert_channels
from monitor.store.digests import Ask, Digest, Digests
from monitor.store.keys import Keys
from monitor.store.records import (
    LAST_ID_PART,
    Claim,
    Commit,
    Lease,
    Pending,
    SourceState,
    decode_state,
    encode_state,
    is_stream_id,
    source_state,
)
from monitor.store.schedule import Schedule, Slot
from monitor.store.scripts import OUT_OF_MEMORY, redis_trouble

__all__ = [
    "LAST_ID_PART",
    "MAX_DOCS",
    "OUT_OF_MEMORY",
    "Ask",
    "Claim",
    "Commit",
    "Consumer",
    "Digest",
    "Digests",
    "Entry",
    "Keys",
    "Lease",
    "Pending",
    "Schedule",
    "Slot",
    "SourceState",
    "Store",
    "alert_channels",
    "connect",
    "decode_state",
    "encode_state",
    "is_stream_id",
    "redact",
    "redis_trouble",
    "source_state",
]
